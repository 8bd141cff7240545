"""convert_to_analog and the container helpers."""

from __future__ import annotations

import copy
import io

import pytest
import torch
from torch import nn

from analogtrain.errors import ArgumentError
from analogtrain.nn import (
    AnalogConv2d,
    AnalogLayerBase,
    AnalogLinear,
    AnalogSequential,
    convert_to_analog,
)


def _cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.ReLU(),
        nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 5)),
        nn.Tanh(),
        nn.Linear(5, 3),
    )


def test_convert_sequential_cnn(fp_config):
    digital = _cnn()
    config = fp_config()
    analog = convert_to_analog(digital, config)
    assert type(analog) is AnalogSequential and type(analog[2]) is AnalogSequential
    assert type(analog[0]) is AnalogConv2d
    assert type(analog[2][1]) is AnalogLinear and type(analog[4]) is AnalogLinear
    assert type(digital[0]) is nn.Conv2d  # not in place
    x = torch.randn(2, 1, 6, 6)
    torch.testing.assert_close(analog(x), digital(x), rtol=1e-5, atol=1e-6)
    configs = [tile.rpu_config for tile in analog.analog_tiles()]
    assert len(configs) == 3 and len({id(c) for c in configs} | {id(config)}) == 4

    names = [name for name, _ in analog.named_analog_tiles()]
    assert names == ["0.analog_module", "2.1.analog_module", "4.analog_module"]
    weights = analog.get_weights()
    assert list(weights) == names
    torch.testing.assert_close(weights["4.analog_module"][0], digital[4].weight.detach())
    assert len(list(analog.analog_layers())) == 3


def test_exclude_modules_and_specific_config(fp_config, perfect_config):
    seen = []

    def choose(name, module, config):
        seen.append((name, type(module).__name__))
        return perfect_config() if name == "4" else config

    analog = convert_to_analog(
        _cnn(), fp_config(), exclude_modules=["2.1"], specific_rpu_config_fun=choose
    )
    assert type(analog[2][1]) is nn.Linear
    assert ("4", "Linear") in seen and ("0", "Conv2d") in seen
    assert type(analog[4].analog_module.rpu_config).__name__ == "SingleRPUConfig"


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_custom_root_gets_analog_helpers(fp_config):
    digital = Net()
    analog = convert_to_analog(digital, fp_config())
    assert isinstance(analog, AnalogLayerBase) and isinstance(analog, Net)
    assert [n for n, _ in analog.named_analog_tiles()] == ["fc1.analog_module", "fc2.analog_module"]
    x = torch.randn(3, 4)
    torch.testing.assert_close(analog(x), digital(x), rtol=1e-5, atol=1e-6)
    plain = convert_to_analog(digital, fp_config(), ensure_analog_root=False)
    assert type(plain) is Net

    buffer = io.BytesIO()
    torch.save(analog, buffer)
    buffer.seek(0)
    for loaded in (torch.load(buffer, weights_only=False), copy.deepcopy(analog)):
        assert type(loaded) is type(analog)
        torch.testing.assert_close(loaded(x), digital(x), rtol=1e-5, atol=1e-6)
        tiles = list(loaded.analog_tiles())
        assert [p.analog_module for p in loaded.parameters() if p.dim() == 0] == tiles


def test_set_weights_by_tile_name_and_bad_conversion_map(fp_config):
    analog = convert_to_analog(nn.Sequential(nn.Linear(2, 2)), fp_config())
    analog.set_weights({"0.analog_module": (torch.eye(2), torch.zeros(2))})
    torch.testing.assert_close(analog[0].get_weights()[0], torch.eye(2))
    with pytest.raises(ArgumentError, match="'nope'"):
        analog.set_weights({"nope": (torch.eye(2), None)})
    with pytest.raises(ArgumentError, match="dictionary"):
        convert_to_analog(nn.Linear(2, 2), fp_config(), conversion_map=[nn.Linear])
