"""`build_config`: the standard configuration of every training algorithm (spec compounds 1).

One entry point builds a complete RPU config from an algorithm name and a device. The
construction per algorithm is a row of :data:`_BUILDERS`; aliases map onto it.

Differences from aihwkit 1.1.0 (deliberate):

* ``device``, ``io_parameters`` and ``up_parameters`` given as *instances* are deep-copied for
  every use and the overrides are assigned through the strict attribute check, so an override
  that is not a field raises :class:`~analogtrain.errors.ConfigError` (aihwkit writes it into
  ``__dict__``). Any configuration instance is accepted as ``device`` (aihwkit only wraps
  ``PulsedDevice`` instances and fails on others).
* For ``"mp"`` / ``"mixed-precision"`` the ``construction_seed`` is placed on the inner device
  *and* on the :class:`MixedPrecisionCompound`, so the seed takes effect (in aihwkit it is lost
  and the device-to-device variation is random on every build).
* A non-string algorithm raises :class:`~analogtrain.errors.ArgumentError` (aihwkit:
  ``AttributeError``), as does ``n_devices < 1`` (aihwkit builds an empty unit cell that fails
  later); the unknown-algorithm message lists the valid names.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Callable
from typing import Any

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.compounds import (
    ChoppedTransferCompound,
    DynamicTransferCompound,
    MixedPrecisionCompound,
    TransferCompound,
    VectorUnitCell,
)
from analogtrain.configs.entry import check_build_argument, check_seed
from analogtrain.configs.enums import (
    BoundManagementType,
    NoiseManagementType,
    VectorUnitCellUpdatePolicy,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.rpu_configs import (
    DigitalRankUpdateRPUConfig,
    SingleRPUConfig,
    UnitCellRPUConfig,
)
from analogtrain.configs.update import UpdateParameters
from analogtrain.errors import ArgumentError, UnknownArgumentError

__all__ = ["ALGORITHMS", "build_config"]

Factory = Callable[..., Any]
RPUConfig = SingleRPUConfig | UnitCellRPUConfig | DigitalRankUpdateRPUConfig

_NO_MANAGEMENT = {
    "noise_management": NoiseManagementType.NONE,
    "bound_management": BoundManagementType.NONE,
}
_TRANSFER_BL1 = {"desired_bl": 1, "update_bl_management": False, "update_management": False}


def _as_factory(arg: Any, name: str, instance_type: type) -> Factory:
    """A factory returning a fresh object with keyword overrides applied, for ``arg``."""
    if isinstance(arg, instance_type):

        def from_instance(**overrides: Any) -> Any:
            obj = copy.deepcopy(arg)
            for key, value in overrides.items():
                setattr(obj, key, value)  # ConfigBase: unknown key -> ConfigError
            return obj

        return from_instance
    if callable(arg):
        return arg
    raise ArgumentError(f"{name} must be a configuration class, instance or callable, got {arg!r}")


def _sgd(d: Factory, io: Factory, up: Factory, n: int, seed: int, kw: dict) -> RPUConfig:
    if n == 1:
        device = d(construction_seed=seed)
        return SingleRPUConfig(device=device, forward=io(), backward=io(), update=up(), **kw)
    cell = VectorUnitCell(
        unit_cell_devices=[d() for _ in range(n)],
        update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM,
        construction_seed=seed,
    )
    return UnitCellRPUConfig(device=cell, forward=io(), backward=io(), update=up(), **kw)


def _tiki_taka(d: Factory, io: Factory, up: Factory, n: int, seed: int, kw: dict) -> RPUConfig:
    device = TransferCompound(
        unit_cell_devices=[d(), d()],
        transfer_forward=io(**_NO_MANAGEMENT),
        transfer_update=up(),
        units_in_mbatch=True,
        construction_seed=seed,
    )
    return UnitCellRPUConfig(device=device, forward=io(), backward=io(), update=up(), **kw)


def _ttv2(d: Factory, io: Factory, up: Factory, n: int, seed: int, kw: dict) -> RPUConfig:
    device = ChoppedTransferCompound(
        unit_cell_devices=[d(), d()],
        transfer_forward=io(**_NO_MANAGEMENT),
        transfer_update=up(**_TRANSFER_BL1),
        in_chop_prob=0.0,
        units_in_mbatch=False,
        auto_scale=False,
        construction_seed=seed,
    )
    update = up(desired_bl=5)
    return UnitCellRPUConfig(device=device, forward=io(), backward=io(), update=update, **kw)


def _chopped_ttv2(d: Factory, io: Factory, up: Factory, n: int, seed: int, kw: dict) -> RPUConfig:
    device = ChoppedTransferCompound(
        unit_cell_devices=[d(), d()],
        transfer_forward=io(**_NO_MANAGEMENT),
        transfer_update=up(**_TRANSFER_BL1),
        units_in_mbatch=False,
        fast_lr=0.1,
        auto_scale=True,
        construction_seed=seed,
    )
    update = up(desired_bl=5)
    return UnitCellRPUConfig(device=device, forward=io(), backward=io(), update=update, **kw)


def _agad(d: Factory, io: Factory, up: Factory, n: int, seed: int, kw: dict) -> RPUConfig:
    device = DynamicTransferCompound(
        unit_cell_devices=[d(), d()],
        transfer_forward=io(),  # no NM/BM override: the engine forces NONE for transfer reads
        transfer_update=up(desired_bl=1, update_bl_management=True, update_management=True),
        auto_scale=True,
        fast_lr=0.1,
        units_in_mbatch=False,
        construction_seed=seed,
    )
    update = up(desired_bl=5)
    return UnitCellRPUConfig(device=device, forward=io(), backward=io(), update=update, **kw)


def _mixed_precision(
    d: Factory, io: Factory, up: Factory, n: int, seed: int, kw: dict
) -> RPUConfig:
    # aihwkit puts the seed on the inner device only, where it has no effect; we honour it.
    device = MixedPrecisionCompound(device=d(construction_seed=seed), construction_seed=seed)
    return DigitalRankUpdateRPUConfig(device=device, forward=io(), backward=io(), update=up(), **kw)


_BUILDERS: dict[str, Callable[..., RPUConfig]] = {
    "sgd": _sgd,
    "tiki-taka": _tiki_taka,
    "tt": _tiki_taka,
    "ttv1": _tiki_taka,
    "ttv2": _ttv2,
    "chopped-ttv2": _chopped_ttv2,
    "ttv3": _chopped_ttv2,
    "c-ttv2": _chopped_ttv2,
    "agad": _agad,
    "ttv4": _agad,
    "mp": _mixed_precision,
    "mixed-precision": _mixed_precision,
}

#: Every accepted algorithm name (lower case; matching is case-insensitive).
ALGORITHMS: tuple[str, ...] = tuple(_BUILDERS)

_RPU_FIELDS = frozenset(f.name for f in dataclasses.fields(SingleRPUConfig))
_SET_BY_BUILDER = frozenset({"forward", "backward", "update", "device"})


def build_config(
    algorithm: str,
    device: Any,
    io_parameters: Any = IOParameters,
    up_parameters: Any = UpdateParameters,
    n_devices: int = 1,
    construction_seed: int = 0,
    **kwargs: Any,
) -> RPUConfig:
    """Build the RPU configuration of a training algorithm around a device model.

    Args:
        algorithm: ``"sgd"``; ``"tiki-taka"``/``"tt"``/``"ttv1"`` (TransferCompound);
            ``"ttv2"`` (ChoppedTransferCompound without choppers); ``"chopped-ttv2"``/
            ``"ttv3"``/``"c-ttv2"``; ``"agad"``/``"ttv4"`` (DynamicTransferCompound);
            ``"mp"``/``"mixed-precision"`` (MixedPrecisionCompound). Case-insensitive.
        device: the device as a class, an instance (deep-copied for every use) or any
            callable accepting keyword overrides (``construction_seed``).
        io_parameters: IO parameters as class, instance or callable (called once per use:
            forward, backward and transfer read are independent objects).
        up_parameters: update parameters as class, instance or callable.
        n_devices: for ``"sgd"``: more than one device gives a VectorUnitCell whose devices
            are picked at random for each update.
        construction_seed: seed of the device-to-device variation (0 = random), put on the
            top-level device object.
        **kwargs: other fields of the RPU config (``mapping``, ``runtime``, ``pre_post``,
            ``tile_class``, ``tile_array_class``).

    Returns:
        A SingleRPUConfig (``"sgd"`` with one device), UnitCellRPUConfig or
        DigitalRankUpdateRPUConfig (``"mp"``).

    Raises:
        ArgumentError: unknown or non-string algorithm, bad ``n_devices`` or seed, or an
            argument that is neither a class, an instance nor a callable.
        TypeError: a keyword that is not a settable RPU-config field.
        ConfigError: an override that is not a field of an instance's class.
    """
    if not isinstance(algorithm, str):
        raise ArgumentError(
            f"algorithm must be a string, got {algorithm!r}; valid: {', '.join(ALGORITHMS)}"
        )
    builder = _BUILDERS.get(algorithm.lower())
    if builder is None:
        close = difflib.get_close_matches(algorithm.lower(), ALGORITHMS, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ArgumentError(
            f"Algorithm {algorithm} is not known{hint}; valid names: {', '.join(ALGORITHMS)}"
        )
    if isinstance(n_devices, bool) or not isinstance(n_devices, int) or n_devices < 1:
        raise ArgumentError(f"n_devices must be an integer >= 1, got {n_devices!r}")
    check_seed(construction_seed, "build_config(construction_seed=...)")
    check_build_argument(device, "device")
    check_build_argument(io_parameters, "io_parameters")
    check_build_argument(up_parameters, "up_parameters")
    for key in kwargs:
        if key in _SET_BY_BUILDER:
            raise UnknownArgumentError(f"build_config() sets {key!r} itself; it cannot be passed")
        if key not in _RPU_FIELDS:
            close = difflib.get_close_matches(key, sorted(_RPU_FIELDS - _SET_BY_BUILDER), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownArgumentError(
                f"build_config() got an unexpected keyword argument {key!r}{hint}"
            )
    d = _as_factory(device, "device", ConfigBase)
    io = _as_factory(io_parameters, "io_parameters", IOParameters)
    up = _as_factory(up_parameters, "up_parameters", UpdateParameters)
    return builder(d, io, up, n_devices, construction_seed, kwargs)
