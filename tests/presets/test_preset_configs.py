"""Preset IO/update parameters, preset RPU configs and device lookup by name."""

from __future__ import annotations

import dataclasses

import pytest

from analogtrain import configs as c
from analogtrain import presets as p
from analogtrain.errors import ArgumentError

CONFIGS = {
    p.ReRamESPreset: p.ReRamESPresetDevice,
    p.ReRamSBPreset: p.ReRamSBPresetDevice,
    p.CapacitorPreset: p.CapacitorPresetDevice,
    p.EcRamPreset: p.EcRamPresetDevice,
    p.EcRamMOPreset: p.EcRamMOPresetDevice,
    p.IdealizedPreset: p.IdealizedPresetDevice,
    p.GokmenVlasovPreset: p.GokmenVlasovPresetDevice,
}


def _diff(obj: object, base: object) -> dict:
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if getattr(obj, f.name) != getattr(base, f.name)
    }


def test_preset_io_parameters() -> None:
    BM, NM = c.BoundManagementType, c.NoiseManagementType
    assert _diff(p.PresetIOParameters(), c.IOParameters()) == {"out_bound": 20.0, "out_noise": 0.1}
    assert _diff(p.StandardIOParameters(), c.IOParameters()) == {
        "inp_res": 1 / 254,
        "out_bound": 10.0,
        "out_noise": 0.04,
        "out_res": 1 / 254,
    }
    for io in (p.PresetIOParameters(), p.StandardIOParameters()):
        assert io.bound_management == BM.ITERATIVE and io.noise_management == NM.ABS_MAX
        assert io.inp_sto_round is False and io.w_noise == 0.0
        assert io.w_noise_type == c.WeightNoiseType.NONE
        assert isinstance(io, c.IOParameters)
    assert _diff(p.PresetUpdateParameters(), c.UpdateParameters()) == {}
    assert str(p.PresetIOParameters()) == "PresetIOParameters()"


@pytest.mark.parametrize("cls", list(CONFIGS), ids=lambda k: k.__name__)
def test_preset_configs(cls: type) -> None:
    cfg = cls()
    assert isinstance(cfg, c.SingleRPUConfig)
    assert type(cfg.device) is CONFIGS[cls]
    assert type(cfg.forward) is p.PresetIOParameters and type(cfg.backward) is p.PresetIOParameters
    assert cfg.forward is not cfg.backward
    assert type(cfg.update) is p.PresetUpdateParameters
    assert cfg.mapping == c.MappingParameter() and cfg.tile_class == "AnalogTile"
    cfg.validate()
    c.check_simulated(cfg)
    assert str(cfg).endswith(
        "    forward=PresetIOParameters(),\n    backward=PresetIOParameters(),\n"
        f"    update=PresetUpdateParameters(),\n    device={CONFIGS[cls].__name__}()\n)"
    )
    assert c.from_dict(c.to_dict(cfg)) == cfg


def test_preset_config_accepts_overrides() -> None:
    cfg = p.ReRamSBPreset(mapping=c.MappingParameter(max_input_size=128))
    assert cfg.mapping.max_input_size == 128 and type(cfg.device) is p.ReRamSBPresetDevice


def test_build_config_with_presets() -> None:
    cfg = c.build_config("c-ttv2", p.EcRamPresetDevice, io_parameters=p.PresetIOParameters)
    assert all(type(d) is p.EcRamPresetDevice for d in cfg.device.unit_cell_devices)
    assert type(cfg.device.transfer_forward) is p.PresetIOParameters
    assert cfg.device.transfer_forward.noise_management == c.NoiseManagementType.NONE
    cfg.validate()


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("ConstantStep", c.ConstantStepDevice),
        ("constantstep", c.ConstantStepDevice),
        ("ConstantStepDevice", c.ConstantStepDevice),
        ("soft_bounds_reference", c.SoftBoundsReferenceDevice),
        ("SoftBoundsReference", c.SoftBoundsReferenceDevice),
        ("SoftBounds", c.SoftBoundsDevice),
        ("PowStepReference", c.PowStepReferenceDevice),
        ("piecewise-step", c.PiecewiseStepDevice),
        ("Ideal", c.IdealDevice),
        ("ReRamES", p.ReRamESPresetDevice),
        ("reram-es", p.ReRamESPresetDevice),
        ("ReRamESPresetDevice", p.ReRamESPresetDevice),
        ("ReRamESPreset", p.ReRamESPresetDevice),
        ("ECRAMMO", p.EcRamMOPresetDevice),
        ("PCM", p.PCMPresetDevice),
        ("ReRamArrayHfO2", p.ReRamArrayHfO2PresetDevice),
        ("GokmenVlasov", p.GokmenVlasovPresetDevice),
    ],
)
def test_device_lookup(name: str, cls: type) -> None:
    assert p.get_device_class(name) is cls
    dev = p.get_device(name)
    assert type(dev) is cls and dev == cls()
    assert p.get_device(name) is not dev


def test_device_names_table() -> None:
    assert p.DEVICE_NAMES["ConstantStep"] is c.ConstantStepDevice
    assert p.DEVICE_NAMES["ReRamSB"] is p.ReRamSBPresetDevice
    assert len(p.DEVICE_NAMES) == 21
    with pytest.raises(TypeError):
        p.DEVICE_NAMES["X"] = c.ConstantStepDevice  # type: ignore[index]
    for name, cls in p.DEVICE_NAMES.items():
        assert p.get_device_class(name) is cls
        assert p.get_device_class(cls.__name__) is cls


def test_unknown_device_name() -> None:
    with pytest.raises(ArgumentError, match="unknown device 'ReRamEX' .did you mean ReRamES"):
        p.get_device("ReRamEX")
    with pytest.raises(ArgumentError, match="known devices: ConstantStep, LinearStep"):
        p.get_device("nonsense-device-name")
    with pytest.raises(ArgumentError, match="must be a string"):
        p.get_device(None)  # type: ignore[arg-type]
