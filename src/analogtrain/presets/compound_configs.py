"""Preset RPU configurations built from compounds of preset devices (aihwkit 1.2.0 names).

Every class here is a dataclass subclass of a training RPU config whose ``device`` default is
a compound of preset devices and whose IO and update defaults are the preset periphery
(:mod:`analogtrain.presets.parameters`). The field values are aihwkit 1.2.0's
(``simulator/presets/configs.py``). The classes are generated from the tables below, one row
per class, so that the differences between the presets stay visible side by side; they are
ordinary module-level dataclasses (importable, picklable, loadable from saved configs).

Families and the papers they come from:

* ``<Device>2Preset`` / ``<Device>4Preset``: 2 or 4 devices per cross-point, one of them
  (drawn at random) updated per pulse train (multi-memristive synapses, Boybat et al.,
  Nature Communications 9, 2514 (2018)).
* ``TikiTaka<Device>Preset``: Tiki-Taka (Gokmen and Haensch, Frontiers in Neuroscience 14,
  103 (2020)).
* ``TTv2<Device>Preset``: Tiki-Taka v2 with a digital buffer (Gokmen, Frontiers in Artificial
  Intelligence 4, 699148 (2021)); no choppers.
* ``ChoppedTTv2<Device>Preset`` and ``AGAD<Device>Preset``: chopped TTv2 and AGAD (Rasch et
  al., "Fast and robust analog in-memory deep neural network training", Nature
  Communications 15, 7133 (2024)).
* ``MixedPrecision<Device>Preset``: gradient accumulated digitally, transferred to the analog
  device (Nandakumar et al., Frontiers in Neuroscience 14, 406 (2020)).
* ``PCMPreset``: one PCM pair (:class:`PCMPresetUnitCell`) with refresh.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analogtrain.configs.compounds import (
    ChoppedTransferCompound,
    DigitalRankUpdateCell,
    DynamicTransferCompound,
    MixedPrecisionCompound,
    OneSidedUnitCell,
    TransferCompound,
    UnitCell,
    VectorUnitCell,
)
from analogtrain.configs.devices import PulsedDevice
from analogtrain.configs.enums import (
    BoundManagementType,
    NoiseManagementType,
    VectorUnitCellUpdatePolicy,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.rpu_configs import DigitalRankUpdateRPUConfig, UnitCellRPUConfig
from analogtrain.configs.update import UpdateParameters
from analogtrain.presets.devices import (
    CapacitorPresetDevice,
    EcRamMOPresetDevice,
    EcRamPresetDevice,
    GokmenVlasovPresetDevice,
    IdealizedPresetDevice,
    PCMPresetDevice,
    ReRamESPresetDevice,
    ReRamSBPresetDevice,
)
from analogtrain.presets.parameters import PresetIOParameters, PresetUpdateParameters


def _pcm_pair() -> list[PulsedDevice | UnitCell]:
    return [PCMPresetDevice(), PCMPresetDevice()]


def _refresh_update() -> UpdateParameters:
    return PresetUpdateParameters(desired_bl=31)


@dataclass
class PCMPresetUnitCell(OneSidedUnitCell):
    """Two one-directional PCM devices of opposite sign (:class:`PCMPresetDevice`).

    The pair is checked for a refresh after every mini-batch (``refresh_every=1``, counted in
    mini-batches); the refresh reads and writes with the preset periphery.
    """

    unit_cell_devices: list[PulsedDevice | UnitCell] = field(default_factory=_pcm_pair)
    refresh_every: int = 1
    units_in_mbatch: bool = True
    refresh_forward: IOParameters = field(default_factory=PresetIOParameters)
    refresh_update: UpdateParameters = field(default_factory=_refresh_update)


@dataclass
class PCMPreset(UnitCellRPUConfig):
    """One PCM pair per cross-point (:class:`PCMPresetUnitCell`) with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: UnitCell = field(default_factory=PCMPresetUnitCell)


# --------------------------------------------------------------------------- the tables
#: Device short name -> preset device class. Inside the transfer compounds the ReRAM
#: soft-bounds device subtracts its symmetry point (see :func:`_pair`).
_DEVICES: dict[str, type[PulsedDevice]] = {
    "ReRamES": ReRamESPresetDevice,
    "ReRamSB": ReRamSBPresetDevice,
    "Capacitor": CapacitorPresetDevice,
    "EcRam": EcRamPresetDevice,
    "EcRamMO": EcRamMOPresetDevice,
    "Idealized": IdealizedPresetDevice,
    "GokmenVlasov": GokmenVlasovPresetDevice,
}

#: Extra keyword arguments of the chopped TTv2 compounds, per device:
#: (in_chop_prob, fast_lr or None for the compound default, auto_granularity, desired_bl).
_CHOPPED_TTV2: dict[str, tuple[float, float | None, float, int]] = {
    "ReRamES": (0.01, 0.5, 1000, 31),
    "ReRamSB": (0.01, 0.5, 1000, 31),
    "Capacitor": (0.01, 0.1, 1000, 31),
    "EcRam": (0.01, None, 500, 100),
    "EcRamMO": (0.001, 0.1, 500, 100),
    "Idealized": (0.001, 0.1, 500, 100),
}

#: TTv2 (no choppers): (fast_lr, auto_granularity, desired_bl).
_TTV2: dict[str, tuple[float, float, int]] = {
    "ReRamES": (0.5, 1000, 31),
    "ReRamSB": (0.5, 1000, 31),
    "Capacitor": (0.1, 1000, 31),
    "EcRam": (0.1, 500, 100),
    "EcRamMO": (0.1, 500, 100),
    "Idealized": (0.1, 500, 100),
}

#: AGAD: (fast_lr, auto_granularity, tail_weightening, in_chop_prob, units_in_mbatch or None
#: for the compound default, desired_bl).
_AGAD: dict[str, tuple[float, float, float, float, bool | None, int]] = {
    "ReRamES": (0.5, 1000, 5.0, 0.02, None, 31),
    "ReRamSB": (0.5, 1000, 5.0, 0.02, None, 31),
    "Capacitor": (0.1, 1000, 20.0, 0.01, False, 31),
    "EcRam": (0.1, 750, 50.0, 0.005, False, 31),
    "EcRamMO": (0.1, 500, 50.0, 0.005, False, 100),
    "Idealized": (0.1, 500, 50.0, 0.005, False, 100),
}

_COMPOUND_DEVICES = ("ReRamES", "ReRamSB", "Capacitor", "EcRam", "EcRamMO", "Idealized")


# --------------------------------------------------------------------------- building blocks
def _pair(short: str) -> list[PulsedDevice | UnitCell]:
    """Two devices of a transfer compound (fast, slow)."""
    cls = _DEVICES[short]
    if short == "ReRamSB":
        return [cls(subtract_symmetry_point=True), cls(subtract_symmetry_point=True)]
    return [cls(), cls()]


def _transfer_forward() -> IOParameters:
    return PresetIOParameters(
        noise_management=NoiseManagementType.NONE, bound_management=BoundManagementType.NONE
    )


def _single_pulse_update() -> UpdateParameters:
    return PresetUpdateParameters(desired_bl=1, update_bl_management=False, update_management=False)


def _vector_cell(short: str, n_devices: int) -> Callable[[], UnitCell]:
    def make() -> UnitCell:
        return VectorUnitCell(
            unit_cell_devices=[_DEVICES[short]() for _ in range(n_devices)],
            update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM,
        )

    return make


def _tiki_taka(short: str) -> Callable[[], UnitCell]:
    def make() -> UnitCell:
        return TransferCompound(
            unit_cell_devices=_pair(short),
            transfer_forward=_transfer_forward(),
            transfer_update=PresetUpdateParameters(),
            transfer_every=1.0,
            units_in_mbatch=True,
        )

    return make


def _chopped(
    short: str, in_chop_prob: float, fast_lr: float | None, granularity: float
) -> Callable[[], UnitCell]:
    def make() -> UnitCell:
        extra: dict[str, Any] = {} if fast_lr is None else {"fast_lr": fast_lr}
        return ChoppedTransferCompound(
            unit_cell_devices=_pair(short),
            transfer_forward=_transfer_forward(),
            transfer_update=_single_pulse_update(),
            units_in_mbatch=False,
            in_chop_prob=in_chop_prob,
            auto_scale=True,
            auto_granularity=granularity,
            **extra,
        )

    return make


def _agad(short: str) -> Callable[[], UnitCell]:
    fast_lr, granularity, tail, chop, in_mbatch, _ = _AGAD[short]

    def make() -> UnitCell:
        extra: dict[str, Any] = {} if in_mbatch is None else {"units_in_mbatch": in_mbatch}
        return DynamicTransferCompound(
            unit_cell_devices=_pair(short),
            transfer_forward=_transfer_forward(),
            transfer_update=_single_pulse_update(),
            fast_lr=fast_lr,
            auto_granularity=granularity,
            tail_weightening=tail,
            in_chop_prob=chop,
            auto_scale=True,
            **extra,
        )

    return make


def _mixed_precision(device: Callable[[], PulsedDevice | UnitCell]) -> Callable[[], Any]:
    def make() -> DigitalRankUpdateCell:
        return MixedPrecisionCompound(device=device())

    return make


def _update(desired_bl: int | None) -> Callable[[], UpdateParameters]:
    if desired_bl is None:
        return PresetUpdateParameters

    def make() -> UpdateParameters:
        return PresetUpdateParameters(desired_bl=desired_bl)

    return make


def _preset(
    name: str,
    base: type,
    device_type: type,
    device: Callable[[], Any],
    desired_bl: int | None,
    doc: str,
) -> type:
    """A dataclass ``name`` deriving from ``base`` with the preset periphery and ``device``."""
    cls = dataclasses.make_dataclass(
        name,
        [
            ("forward", IOParameters, field(default_factory=PresetIOParameters)),
            ("backward", IOParameters, field(default_factory=PresetIOParameters)),
            ("update", UpdateParameters, field(default_factory=_update(desired_bl))),
            ("device", device_type, field(default_factory=device)),
        ],
        bases=(base,),
        namespace={"__doc__": doc, "__module__": __name__},
    )
    return cls


def _build_all() -> dict[str, type]:
    made: dict[str, type] = {}
    for short in _COMPOUND_DEVICES:
        dev = _DEVICES[short].__name__
        for n in (2, 4):
            made[f"{short}{n}Preset"] = _preset(
                f"{short}{n}Preset",
                UnitCellRPUConfig,
                UnitCell,
                _vector_cell(short, n),
                None,
                f"{n} {dev} per cross-point, one drawn at random per update (vector unit cell).",
            )
        made[f"TikiTaka{short}Preset"] = _preset(
            f"TikiTaka{short}Preset",
            UnitCellRPUConfig,
            UnitCell,
            _tiki_taka(short),
            None,
            f"Tiki-Taka on two {dev} (fast and slow array).",
        )
        fast_lr, granularity, bl = _TTV2[short]
        made[f"TTv2{short}Preset"] = _preset(
            f"TTv2{short}Preset",
            UnitCellRPUConfig,
            UnitCell,
            _chopped(short, 0.0, fast_lr, granularity),
            bl,
            f"Tiki-Taka v2 (digital buffer, no choppers) on two {dev}.",
        )
        chop, fast_lr_c, granularity_c, bl_c = _CHOPPED_TTV2[short]
        made[f"ChoppedTTv2{short}Preset"] = _preset(
            f"ChoppedTTv2{short}Preset",
            UnitCellRPUConfig,
            UnitCell,
            _chopped(short, chop, fast_lr_c, granularity_c),
            bl_c,
            f"Chopped Tiki-Taka v2 (c-TTv2) on two {dev}.",
        )
        made[f"AGAD{short}Preset"] = _preset(
            f"AGAD{short}Preset",
            UnitCellRPUConfig,
            UnitCell,
            _agad(short),
            _AGAD[short][-1],
            f"AGAD (dynamic transfer with a tracked reference) on two {dev}.",
        )
    mixed: dict[str, Callable[[], PulsedDevice | UnitCell]] = dict(_DEVICES)
    mixed["PCM"] = PCMPresetUnitCell
    for short, device in mixed.items():
        made[f"MixedPrecision{short}Preset"] = _preset(
            f"MixedPrecision{short}Preset",
            DigitalRankUpdateRPUConfig,
            DigitalRankUpdateCell,
            _mixed_precision(device),
            None,
            f"Mixed precision: digital gradient accumulation, transfer to {device.__name__}.",
        )
    return made


_MADE = _build_all()

ReRamES2Preset = _MADE["ReRamES2Preset"]
ReRamSB2Preset = _MADE["ReRamSB2Preset"]
Capacitor2Preset = _MADE["Capacitor2Preset"]
EcRam2Preset = _MADE["EcRam2Preset"]
EcRamMO2Preset = _MADE["EcRamMO2Preset"]
Idealized2Preset = _MADE["Idealized2Preset"]
ReRamES4Preset = _MADE["ReRamES4Preset"]
ReRamSB4Preset = _MADE["ReRamSB4Preset"]
Capacitor4Preset = _MADE["Capacitor4Preset"]
EcRam4Preset = _MADE["EcRam4Preset"]
EcRamMO4Preset = _MADE["EcRamMO4Preset"]
Idealized4Preset = _MADE["Idealized4Preset"]
TikiTakaReRamESPreset = _MADE["TikiTakaReRamESPreset"]
TikiTakaReRamSBPreset = _MADE["TikiTakaReRamSBPreset"]
TikiTakaCapacitorPreset = _MADE["TikiTakaCapacitorPreset"]
TikiTakaEcRamPreset = _MADE["TikiTakaEcRamPreset"]
TikiTakaEcRamMOPreset = _MADE["TikiTakaEcRamMOPreset"]
TikiTakaIdealizedPreset = _MADE["TikiTakaIdealizedPreset"]
TTv2ReRamESPreset = _MADE["TTv2ReRamESPreset"]
TTv2ReRamSBPreset = _MADE["TTv2ReRamSBPreset"]
TTv2CapacitorPreset = _MADE["TTv2CapacitorPreset"]
TTv2EcRamPreset = _MADE["TTv2EcRamPreset"]
TTv2EcRamMOPreset = _MADE["TTv2EcRamMOPreset"]
TTv2IdealizedPreset = _MADE["TTv2IdealizedPreset"]
ChoppedTTv2ReRamESPreset = _MADE["ChoppedTTv2ReRamESPreset"]
ChoppedTTv2ReRamSBPreset = _MADE["ChoppedTTv2ReRamSBPreset"]
ChoppedTTv2CapacitorPreset = _MADE["ChoppedTTv2CapacitorPreset"]
ChoppedTTv2EcRamPreset = _MADE["ChoppedTTv2EcRamPreset"]
ChoppedTTv2EcRamMOPreset = _MADE["ChoppedTTv2EcRamMOPreset"]
ChoppedTTv2IdealizedPreset = _MADE["ChoppedTTv2IdealizedPreset"]
AGADReRamESPreset = _MADE["AGADReRamESPreset"]
AGADReRamSBPreset = _MADE["AGADReRamSBPreset"]
AGADCapacitorPreset = _MADE["AGADCapacitorPreset"]
AGADEcRamPreset = _MADE["AGADEcRamPreset"]
AGADEcRamMOPreset = _MADE["AGADEcRamMOPreset"]
AGADIdealizedPreset = _MADE["AGADIdealizedPreset"]
MixedPrecisionReRamESPreset = _MADE["MixedPrecisionReRamESPreset"]
MixedPrecisionReRamSBPreset = _MADE["MixedPrecisionReRamSBPreset"]
MixedPrecisionCapacitorPreset = _MADE["MixedPrecisionCapacitorPreset"]
MixedPrecisionEcRamPreset = _MADE["MixedPrecisionEcRamPreset"]
MixedPrecisionEcRamMOPreset = _MADE["MixedPrecisionEcRamMOPreset"]
MixedPrecisionIdealizedPreset = _MADE["MixedPrecisionIdealizedPreset"]
MixedPrecisionGokmenVlasovPreset = _MADE["MixedPrecisionGokmenVlasovPreset"]
MixedPrecisionPCMPreset = _MADE["MixedPrecisionPCMPreset"]

#: Every class of this module, in aihwkit's order.
COMPOUND_PRESETS: tuple[type, ...] = (PCMPresetUnitCell, PCMPreset, *_MADE.values())

__all__ = ["COMPOUND_PRESETS", "PCMPreset", "PCMPresetUnitCell", *_MADE]
