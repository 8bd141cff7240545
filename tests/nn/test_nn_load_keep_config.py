"""load_state_dict(load_rpu_config=False) and the tile module's aihwkit state accessors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.configs import (
    ConstantStepDevice,
    FloatingPointRPUConfig,
    IOParameters,
    MappingParameter,
    SingleRPUConfig,
)
from analogtrain.errors import ArgumentError, TileModuleError
from analogtrain.nn import AnalogLinear, AnalogSequential
from analogtrain.optim import AnalogSGD


def _config(out_noise: float = 0.0, **mapping) -> SingleRPUConfig:
    return SingleRPUConfig(
        device=ConstantStepDevice(dw_min=0.01),
        forward=IOParameters(out_noise=out_noise),
        mapping=MappingParameter(**mapping),
    )


def _model(config) -> AnalogSequential:
    return AnalogSequential(AnalogLinear(4, 3, rpu_config=config), nn.Tanh())


def _trained(config) -> AnalogSequential:
    model = _model(config)
    optimizer = AnalogSGD(model.parameters(), lr=0.1)
    optimizer.regroup_param_groups(model)
    gen = torch.Generator().manual_seed(3)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.rand(5, 4, generator=gen)).sum().backward()
        optimizer.step()
    return model


def _tile_config(model: AnalogSequential):
    return model[0].analog_module.tile.rpu_config


def test_load_rpu_config_false_loads_weights_and_keeps_the_current_config():
    source = _trained(_config(out_noise=0.0))
    state = source.state_dict()
    target = _model(_config(out_noise=0.07))
    target.load_state_dict(state, load_rpu_config=False)
    torch.testing.assert_close(target[0].get_weights()[0], source[0].get_weights()[0])
    assert _tile_config(target).forward.out_noise == pytest.approx(0.07)
    # the saved state itself is not edited
    key = "0.analog_module.tile._extra_state"
    assert state[key]["rpu_config"] == source.state_dict()[key]["rpu_config"]

    restored = _model(_config(out_noise=0.07))
    restored.load_state_dict(state)  # default: the saved config comes back
    assert _tile_config(restored).forward.out_noise == 0.0


def test_weight_scaling_fields_may_differ_but_structural_mapping_fields_may_not():
    state = _trained(_config()).state_dict()
    scaled = _model(_config(weight_scaling_lr_compensation=True))
    scaled.load_state_dict(state, load_rpu_config=False)
    assert _tile_config(scaled).mapping.weight_scaling_lr_compensation is True

    split = _model(_config(max_input_size=256))  # same structure here, still refused
    before = split[0].get_weights()[0].clone()
    with pytest.raises(TileModuleError, match="max_input_size"):
        split.load_state_dict(state, load_rpu_config=False)
    torch.testing.assert_close(split[0].get_weights()[0], before)


def test_unrelated_config_class_is_refused_unless_the_strict_check_is_off():
    state = _trained(_config()).state_dict()
    floating = _model(FloatingPointRPUConfig())
    before = floating[0].get_weights()[0].clone()
    with pytest.raises(TileModuleError, match="cannot replace the saved SingleRPUConfig"):
        floating.load_state_dict(state, load_rpu_config=False)
    # past the class check the saved tile (an analog tile) still cannot load into a
    # floating-point tile: the atomic load refuses with the model unchanged
    with pytest.raises(ArgumentError, match="nothing was loaded"):
        floating.load_state_dict(state, load_rpu_config=False, strict_rpu_config_check=False)
    torch.testing.assert_close(floating[0].get_weights()[0], before)
    assert isinstance(_tile_config(floating), FloatingPointRPUConfig)


def test_analog_state_name_is_the_state_dict_key_of_the_tile_state_and_no_shared_weights():
    model = _model(_config())
    tile_module = model[0].analog_module
    name = tile_module.get_analog_state_name("0.analog_module.")
    state = model.state_dict()
    assert name == "0.analog_module.tile._extra_state"
    assert state[name]["rpu_config"] is not None and "generator_state" in state[name]
    assert type(tile_module).get_analog_state_name("") == "tile._extra_state"
    assert tile_module.shared_weights is None
