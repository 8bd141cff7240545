"""convert_to_digital: analog model -> torch model with the current weights (and back)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.errors import ArgumentError
from analogtrain.nn import (
    AnalogLinear,
    AnalogSequential,
    convert_to_analog,
    convert_to_digital,
    default_mapped_conversion_map,
)
from analogtrain.optim import AnalogSGD


def _cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.ReLU(),
        nn.Sequential(nn.Flatten(), nn.Linear(2 * 6 * 6, 5)),
        nn.Tanh(),
        nn.Linear(5, 3, bias=False),
    )


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def _train_step(model: nn.Module, x: torch.Tensor) -> None:
    optimizer = AnalogSGD(model.parameters(), lr=0.5)
    optimizer.regroup_param_groups(model)
    model(x).square().sum().backward()
    optimizer.step()


def test_trained_analog_cnn_converts_to_torch_layers_with_its_current_weights(perfect_config):
    digital = _cnn()
    analog = convert_to_analog(digital, perfect_config())
    x = torch.randn(4, 1, 6, 6)
    _train_step(analog, x)
    trained = analog.get_weights()
    assert not torch.allclose(trained["4.analog_module"][0], digital[4].weight)

    back = convert_to_digital(analog)
    assert type(back) is nn.Sequential and type(back[2]) is nn.Sequential
    assert [type(m) for m in (back[0], back[2][1], back[4])] == [nn.Conv2d, nn.Linear, nn.Linear]
    assert back[4].bias is None and back[0].padding == (1, 1)
    assert type(analog[0]).__name__ == "AnalogConv2d"  # not in place
    torch.testing.assert_close(back[4].weight.detach(), trained["4.analog_module"][0])
    conv_weight = back[0].weight.detach().reshape(2, -1)
    torch.testing.assert_close(conv_weight, trained["0.analog_module"][0])
    torch.testing.assert_close(back(x), analog(x), rtol=1e-5, atol=1e-6)

    again = convert_to_analog(back, perfect_config())
    for name, (weight, bias) in again.get_weights().items():
        torch.testing.assert_close(weight, trained[name][0])
        if bias is not None:
            torch.testing.assert_close(bias, trained[name][1])


def test_custom_root_made_by_convert_to_analog_gets_its_own_class_back(fp_config):
    analog = convert_to_analog(Net(), fp_config())
    back = convert_to_digital(analog)
    assert type(back) is Net
    assert type(back.fc1) is nn.Linear and type(back.fc2) is nn.Linear
    x = torch.randn(3, 4)
    torch.testing.assert_close(back(x), analog(x), rtol=1e-5, atol=1e-6)


def test_mapped_layers_convert_to_plain_torch_layers(fp_config):
    analog = convert_to_analog(
        nn.Sequential(nn.Linear(3, 2)), fp_config(), conversion_map=default_mapped_conversion_map()
    )
    weight = analog[0].get_weights()[0]
    tile_layer = analog[0]
    same = convert_to_digital(analog, inplace=True)
    assert type(same[0]) is nn.Linear and type(tile_layer).__name__ == "AnalogLinearMapped"
    torch.testing.assert_close(same[0].weight.detach(), weight)


def test_conversion_set_limits_the_converted_classes_and_must_be_a_set(fp_config):
    analog = AnalogSequential(AnalogLinear(2, 2, rpu_config=fp_config()), nn.ReLU())
    kept = convert_to_digital(analog, conversion_set={AnalogSequential})
    assert type(kept) is nn.Sequential and type(kept[0]) is AnalogLinear
    with pytest.raises(ArgumentError, match="conversion_set should be a set"):
        convert_to_digital(analog, conversion_set=[AnalogLinear])
    with pytest.raises(ArgumentError, match="'1'.*ReLU.*to_digital"):
        convert_to_digital(analog, conversion_set={nn.ReLU})


def test_aihwkit_mirror_exports_convert_to_digital():
    from analogtrain.aihwkit.nn import conversion

    assert conversion.convert_to_digital is convert_to_digital
    assert AnalogLinear in conversion._DEFAULT_DIGITAL_CONVERSION_SET
