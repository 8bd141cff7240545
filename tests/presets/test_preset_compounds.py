"""Every aihwkit 1.2.0 compound preset exists with aihwkit 1.2.0's field values.

The golden values below were read from aihwkit 1.2.0's ``simulator/presets/configs.py``,
``compounds.py`` and ``inference.py``; each row lists every field of the preset's compound
aihwkit sets (other fields must keep the compound's default), plus the update's
``desired_bl``.
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from analogtrain import configs as c
from analogtrain import presets as p

BM, NM = c.BoundManagementType, c.NoiseManagementType
DEVICES = {
    "ReRamES": p.ReRamESPresetDevice,
    "ReRamSB": p.ReRamSBPresetDevice,
    "Capacitor": p.CapacitorPresetDevice,
    "EcRam": p.EcRamPresetDevice,
    "EcRamMO": p.EcRamMOPresetDevice,
    "Idealized": p.IdealizedPresetDevice,
    "GokmenVlasov": p.GokmenVlasovPresetDevice,
}
SIX = ("ReRamES", "ReRamSB", "Capacitor", "EcRam", "EcRamMO", "Idealized")

#: name -> (compound class, {field: value} differing from the compound default, desired_bl)
TTV2_GOLDEN: dict[str, tuple[type, dict[str, Any], int]] = {
    "TTv2ReRamESPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.0, "fast_lr": 0.5, "auto_scale": True, "auto_granularity": 1000},
        31,
    ),
    "TTv2ReRamSBPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.0, "fast_lr": 0.5, "auto_scale": True, "auto_granularity": 1000},
        31,
    ),
    "TTv2CapacitorPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.0, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 1000},
        31,
    ),
    "TTv2EcRamPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.0, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 500},
        100,
    ),
    "TTv2EcRamMOPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.0, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 500},
        100,
    ),
    "TTv2IdealizedPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.0, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 500},
        100,
    ),
    "ChoppedTTv2ReRamESPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.01, "fast_lr": 0.5, "auto_scale": True, "auto_granularity": 1000},
        31,
    ),
    "ChoppedTTv2ReRamSBPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.01, "fast_lr": 0.5, "auto_scale": True, "auto_granularity": 1000},
        31,
    ),
    "ChoppedTTv2CapacitorPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.01, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 1000},
        31,
    ),
    # aihwkit sets no fast_lr here: the compound default (1.0) applies
    "ChoppedTTv2EcRamPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.01, "auto_scale": True, "auto_granularity": 500},
        100,
    ),
    "ChoppedTTv2EcRamMOPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.001, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 500},
        100,
    ),
    "ChoppedTTv2IdealizedPreset": (
        c.ChoppedTransferCompound,
        {"in_chop_prob": 0.001, "fast_lr": 0.1, "auto_scale": True, "auto_granularity": 500},
        100,
    ),
    "AGADReRamESPreset": (
        c.DynamicTransferCompound,
        {
            "fast_lr": 0.5,
            "auto_granularity": 1000,
            "tail_weightening": 5.0,
            "in_chop_prob": 0.02,
            "auto_scale": True,
        },
        31,
    ),
    "AGADReRamSBPreset": (
        c.DynamicTransferCompound,
        {
            "fast_lr": 0.5,
            "auto_granularity": 1000,
            "tail_weightening": 5.0,
            "in_chop_prob": 0.02,
            "auto_scale": True,
        },
        31,
    ),
    "AGADCapacitorPreset": (
        c.DynamicTransferCompound,
        {
            "fast_lr": 0.1,
            "auto_granularity": 1000,
            "tail_weightening": 20.0,
            "in_chop_prob": 0.01,
            "auto_scale": True,
        },
        31,
    ),
    "AGADEcRamPreset": (
        c.DynamicTransferCompound,
        {
            "fast_lr": 0.1,
            "auto_granularity": 750,
            "tail_weightening": 50.0,
            "in_chop_prob": 0.005,
            "auto_scale": True,
        },
        31,
    ),
    "AGADEcRamMOPreset": (
        c.DynamicTransferCompound,
        {
            "fast_lr": 0.1,
            "auto_granularity": 500,
            "tail_weightening": 50.0,
            "in_chop_prob": 0.005,
            "auto_scale": True,
        },
        100,
    ),
    "AGADIdealizedPreset": (
        c.DynamicTransferCompound,
        {
            "fast_lr": 0.1,
            "auto_granularity": 500,
            "tail_weightening": 50.0,
            "in_chop_prob": 0.005,
            "auto_scale": True,
        },
        100,
    ),
}

IGNORED = {"unit_cell_devices", "transfer_forward", "transfer_update"}


def _diff(obj: Any, base: Any, ignore: set[str] = frozenset()) -> dict[str, Any]:
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if f.name not in ignore and getattr(obj, f.name) != getattr(base, f.name)
    }


def _device_short(name: str) -> str:
    for prefix in ("ChoppedTTv2", "TTv2", "AGAD", "TikiTaka", "MixedPrecision"):
        if name.startswith(prefix):
            return name[len(prefix) : -len("Preset")]
    raise AssertionError(name)


def _check_periphery(cfg: Any, desired_bl: int) -> None:
    assert type(cfg.forward) is p.PresetIOParameters and type(cfg.backward) is p.PresetIOParameters
    assert cfg.forward == p.PresetIOParameters() and cfg.backward == p.PresetIOParameters()
    assert type(cfg.update) is p.PresetUpdateParameters
    assert _diff(cfg.update, p.PresetUpdateParameters()) == (
        {} if desired_bl == 31 else {"desired_bl": desired_bl}
    )
    assert cfg.mapping == c.MappingParameter()


def _check_pair(compound: Any, short: str) -> None:
    devices = compound.unit_cell_devices
    assert len(devices) == 2 and all(type(d) is DEVICES[short] for d in devices)
    assert devices[0] is not devices[1]
    expected = {"subtract_symmetry_point": True} if short == "ReRamSB" else {}
    assert all(_diff(d, DEVICES[short]()) == expected for d in devices)
    assert type(compound.transfer_forward) is p.PresetIOParameters
    assert _diff(compound.transfer_forward, p.PresetIOParameters()) == {
        "bound_management": BM.NONE,
        "noise_management": NM.NONE,
    }


@pytest.mark.parametrize("name", sorted(TTV2_GOLDEN))
def test_ttv2_chopped_and_agad_presets_have_aihwkit_values(name: str) -> None:
    compound_cls, golden, desired_bl = TTV2_GOLDEN[name]
    cfg = getattr(p, name)()
    assert isinstance(cfg, c.UnitCellRPUConfig) and type(cfg.device) is compound_cls
    _check_periphery(cfg, desired_bl)
    _check_pair(cfg.device, _device_short(name))
    assert {key: getattr(cfg.device, key) for key in golden} == golden
    assert set(_diff(cfg.device, compound_cls(), IGNORED)) <= set(golden)
    assert type(cfg.device.transfer_update) is p.PresetUpdateParameters
    assert _diff(cfg.device.transfer_update, p.PresetUpdateParameters()) == {
        "desired_bl": 1,
        "update_bl_management": False,
        "update_management": False,
    }


@pytest.mark.parametrize("short", SIX)
def test_tiki_taka_presets_have_aihwkit_values(short: str) -> None:
    cfg = getattr(p, f"TikiTaka{short}Preset")()
    assert isinstance(cfg, c.UnitCellRPUConfig) and type(cfg.device) is c.TransferCompound
    _check_periphery(cfg, 31)
    _check_pair(cfg.device, short)
    # transfer_every=1.0 and units_in_mbatch=True are aihwkit's values and the defaults
    assert cfg.device.transfer_every == 1.0 and cfg.device.units_in_mbatch is True
    assert _diff(cfg.device, c.TransferCompound(), IGNORED) == {}
    assert type(cfg.device.transfer_update) is p.PresetUpdateParameters
    assert cfg.device.transfer_update == p.PresetUpdateParameters()


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("short", SIX)
def test_multi_device_presets_update_one_random_device(short: str, n: int) -> None:
    cfg = getattr(p, f"{short}{n}Preset")()
    assert isinstance(cfg, c.UnitCellRPUConfig) and type(cfg.device) is c.VectorUnitCell
    _check_periphery(cfg, 31)
    devices = cfg.device.unit_cell_devices
    assert len(devices) == n and all(d == DEVICES[short]() for d in devices)
    assert type(devices[0]) is DEVICES[short] and len({id(d) for d in devices}) == n
    assert _diff(cfg.device, c.VectorUnitCell(), {"unit_cell_devices"}) == {
        "update_policy": c.VectorUnitCellUpdatePolicy.SINGLE_RANDOM
    }


@pytest.mark.parametrize("short", [*DEVICES, "PCM"])
def test_mixed_precision_presets_wrap_the_preset_device(short: str) -> None:
    cfg = getattr(p, f"MixedPrecision{short}Preset")()
    assert isinstance(cfg, c.DigitalRankUpdateRPUConfig)
    assert type(cfg.device) is c.MixedPrecisionCompound
    _check_periphery(cfg, 31)
    expected = p.PCMPresetUnitCell if short == "PCM" else DEVICES[short]
    assert type(cfg.device.device) is expected and cfg.device.device == expected()
    assert _diff(cfg.device, c.MixedPrecisionCompound(), {"device"}) == {}


def test_pcm_preset_is_a_refreshed_pcm_pair() -> None:
    cfg = p.PCMPreset()
    assert isinstance(cfg, c.UnitCellRPUConfig) and type(cfg.device) is p.PCMPresetUnitCell
    _check_periphery(cfg, 31)
    cell = cfg.device
    assert isinstance(cell, c.OneSidedUnitCell)
    assert [type(d) for d in cell.unit_cell_devices] == [p.PCMPresetDevice, p.PCMPresetDevice]
    assert _diff(cell, c.OneSidedUnitCell(), {"unit_cell_devices"}) == {
        "refresh_every": 1,
        "refresh_forward": p.PresetIOParameters(),
        "refresh_update": p.PresetUpdateParameters(),
    }
    assert type(cell.refresh_forward) is p.PresetIOParameters
    assert type(cell.refresh_update) is p.PresetUpdateParameters
    assert cell.units_in_mbatch is True


def test_floating_point_preset_is_one_untiled_exact_tile() -> None:
    cfg = p.FloatingPointPreset()
    assert isinstance(cfg, c.FloatingPointRPUConfig)
    assert _diff(cfg.mapping, c.MappingParameter()) == {"max_input_size": 0, "max_output_size": 0}
    assert cfg.pre_post.input_range.enable is False


AIHWKIT_120_TRAINING_PRESETS = (
    "ReRamESPreset ReRamSBPreset CapacitorPreset EcRamPreset EcRamMOPreset IdealizedPreset "
    "GokmenVlasovPreset PCMPreset ReRamES2Preset ReRamSB2Preset Capacitor2Preset EcRam2Preset "
    "EcRamMO2Preset Idealized2Preset ReRamES4Preset ReRamSB4Preset Capacitor4Preset "
    "EcRam4Preset EcRamMO4Preset Idealized4Preset TikiTakaReRamESPreset TikiTakaReRamSBPreset "
    "TikiTakaCapacitorPreset TikiTakaEcRamPreset TikiTakaEcRamMOPreset TikiTakaIdealizedPreset "
    "TTv2ReRamESPreset TTv2ReRamSBPreset TTv2CapacitorPreset TTv2EcRamPreset TTv2EcRamMOPreset "
    "TTv2IdealizedPreset ChoppedTTv2ReRamESPreset ChoppedTTv2ReRamSBPreset "
    "ChoppedTTv2CapacitorPreset ChoppedTTv2EcRamPreset ChoppedTTv2EcRamMOPreset "
    "ChoppedTTv2IdealizedPreset AGADReRamESPreset AGADReRamSBPreset AGADCapacitorPreset "
    "AGADEcRamPreset AGADEcRamMOPreset AGADIdealizedPreset MixedPrecisionReRamESPreset "
    "MixedPrecisionReRamSBPreset MixedPrecisionCapacitorPreset MixedPrecisionEcRamPreset "
    "MixedPrecisionEcRamMOPreset MixedPrecisionIdealizedPreset MixedPrecisionGokmenVlasovPreset "
    "MixedPrecisionPCMPreset FloatingPointPreset ReRamESPresetDevice ReRamSBPresetDevice "
    "CapacitorPresetDevice EcRamPresetDevice EcRamMOPresetDevice IdealizedPresetDevice "
    "GokmenVlasovPresetDevice PCMPresetDevice ReRamArrayOMPresetDevice "
    "ReRamArrayHfO2PresetDevice PCMPresetUnitCell PresetIOParameters StandardIOParameters "
    "PresetUpdateParameters"
).split()


def test_every_aihwkit_training_preset_name_exists_except_hwa_training() -> None:
    missing = [name for name in AIHWKIT_120_TRAINING_PRESETS if not hasattr(p, name)]
    assert missing == []
    # aihwkit 1.2.0's presets package exports 68 names; all but one are listed
    assert len(AIHWKIT_120_TRAINING_PRESETS) == 67
    # StandardHWATrainingPreset needs aihwkit's inference configuration (not simulated)
    assert not hasattr(p, "StandardHWATrainingPreset")


@pytest.mark.parametrize("cls", p.COMPOUND_PRESETS, ids=lambda k: k.__name__)
def test_compound_presets_validate_save_load_and_pickle(cls: type) -> None:
    cfg = cls()
    cfg.validate()
    assert c.from_dict(c.to_dict(cfg)) == cfg
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert cls.__module__ == "analogtrain.presets.compound_configs"
    other = cls()
    inner = "unit_cell_devices" if isinstance(cfg, c.UnitCell) else "device"
    assert other == cfg and getattr(other, inner) is not getattr(cfg, inner)
