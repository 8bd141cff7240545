"""The mapped layers: always a tile array, convolutions split along whole input channels,
same function and training as the unmapped layer, checkpoints, conversion."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from analogtrain.configs import ConstantStepDevice, MappingParameter, SingleRPUConfig
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.nn import (
    AnalogConv1d,
    AnalogConv1dMapped,
    AnalogConv2d,
    AnalogConv2dMapped,
    AnalogConv3d,
    AnalogConv3dMapped,
    AnalogLinear,
    AnalogLinearMapped,
    AnalogSequential,
    AnalogTileModule,
    TileModuleArray,
    convert_to_analog,
    default_mapped_conversion_map,
)
from analogtrain.nn.mapped import channel_split_sizes
from analogtrain.optim import AnalogSGD

# (digital layer, analog class, mapped class, input shape)
LAYERS = {
    "linear": (lambda: nn.Linear(14, 5), AnalogLinear, AnalogLinearMapped, (4, 14)),
    "conv1d": (lambda: nn.Conv1d(14, 5, 3), AnalogConv1d, AnalogConv1dMapped, (4, 14, 6)),
    "conv2d": (lambda: nn.Conv2d(7, 5, 2), AnalogConv2d, AnalogConv2dMapped, (4, 7, 4, 4)),
    "conv3d": (lambda: nn.Conv3d(3, 5, 2), AnalogConv3d, AnalogConv3dMapped, (2, 3, 3, 3, 3)),
}


def test_channel_split_keeps_kernels_whole():
    assert channel_split_sizes(14, 9, 20) == [2] * 7  # 2 channels (18 inputs) per tile
    assert channel_split_sizes(5, 8, 20) == [2, 2, 1]
    assert channel_split_sizes(5, 8, 0) == [5]
    assert channel_split_sizes(3, 4, 512) == [3]
    with pytest.raises(ConfigError, match="max_input_size=8 is smaller than one kernel"):
        channel_split_sizes(2, 9, 8)


def test_mapped_conv2d_tile_grid(fp_config):
    config = fp_config(max_input_size=25, max_output_size=3)
    layer = AnalogConv2dMapped(14, 5, 3, rpu_config=config)
    assert layer.in_sizes == [2] * 7 and layer.out_sizes == [3, 2]  # 25 // 9 = 2 channels
    assert layer.analog_module.in_sizes == [18] * 7
    assert len(list(layer.analog_tiles())) == 14
    shapes = {(t.out_size, t.in_size) for t in layer.analog_tiles()}
    assert shapes == {(3, 18), (2, 18)}
    # the plain layer splits the 126 flattened inputs evenly, cutting kernels
    plain = AnalogConv2d(14, 5, 3, rpu_config=config)
    assert plain.analog_module.in_sizes == [21] * 6


def test_small_mapped_layer_is_still_an_array(fp_config):
    layer = AnalogLinearMapped(3, 2, rpu_config=fp_config())
    assert isinstance(layer.analog_module, TileModuleArray)
    assert isinstance(AnalogLinear(3, 2, rpu_config=fp_config()).analog_module, AnalogTileModule)


@pytest.mark.parametrize("name", list(LAYERS))
def test_mapped_layer_computes_the_torch_layer(fp_config, name):
    make, _, mapped_cls, shape = LAYERS[name]
    digital = make()
    mapped = mapped_cls.from_digital(digital, fp_config(max_input_size=10, max_output_size=4))
    assert len(list(mapped.analog_tiles())) > 1
    x = torch.randn(*shape)
    torch.testing.assert_close(mapped(x), digital(x), rtol=1e-5, atol=1e-5)
    weight, bias = mapped.get_weights()
    torch.testing.assert_close(weight, digital.weight.detach().reshape(5, -1))
    torch.testing.assert_close(bias, digital.bias.detach())


@pytest.mark.parametrize("name", list(LAYERS))
def test_mapped_layer_trains_like_the_unmapped_layer(perfect_config, name):
    make, analog_cls, mapped_cls, shape = LAYERS[name]
    digital = make()
    plain = analog_cls.from_digital(digital, perfect_config())
    mapped = mapped_cls.from_digital(digital, perfect_config(max_input_size=10, max_output_size=4))
    gen = torch.Generator().manual_seed(3)
    optimizers = [AnalogSGD(m.parameters(), lr=0.1) for m in (plain, mapped)]
    for _ in range(3):
        x = torch.randn(*shape, generator=gen)
        losses = []
        for model, opt in zip((plain, mapped), optimizers):
            opt.zero_grad()
            loss = ((model(x) - 0.5) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for a, b in zip(plain.get_weights(), mapped.get_weights()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(plain.get_weights()[0], digital.weight.detach().reshape(5, -1))


def test_mapped_state_dict_round_trip_continues_identically():
    config = SingleRPUConfig(
        device=ConstantStepDevice(dw_min_dtod=0.3, dw_min_std=0.3),
        mapping=MappingParameter(max_input_size=10, max_output_size=4),
    )
    layer = AnalogConv2dMapped(7, 5, 2, rpu_config=config)
    opt = AnalogSGD(layer.parameters(), lr=0.2)
    x = torch.randn(2, 7, 4, 4)
    for _ in range(2):
        opt.zero_grad()
        layer(x).pow(2).mean().backward()
        opt.step()
    buffer = io.BytesIO()
    torch.save(layer.state_dict(), buffer)
    torch.manual_seed(5)
    fresh = AnalogConv2dMapped(7, 5, 2, rpu_config=config)
    buffer.seek(0)
    fresh.load_state_dict(torch.load(buffer, weights_only=False))
    fresh_opt = AnalogSGD(fresh.parameters(), lr=0.2)
    for model, o in ((layer, opt), (fresh, fresh_opt)):
        o.zero_grad()
        model(x).pow(2).mean().backward()
        o.step()
    for a, b in zip(layer.get_weights(), fresh.get_weights()):
        assert torch.equal(a, b)


def test_mapped_conv_refuses_analog_bias_and_other_tile_classes(fp_config):
    with pytest.raises(ConfigError, match="AnalogConv2dMapped: mapping.digital_bias=False"):
        AnalogConv2dMapped(2, 3, 2, rpu_config=fp_config(digital_bias=False))
    AnalogConv2dMapped(2, 3, 2, bias=False, rpu_config=fp_config(digital_bias=False))
    with pytest.raises(ArgumentError, match="AnalogLinearMapped: tile_module_class"):
        AnalogLinearMapped(3, 2, rpu_config=fp_config(), tile_module_class=AnalogTileModule)
    with pytest.raises(ConfigError, match="smaller than one kernel"):
        AnalogConv3dMapped(2, 3, 3, rpu_config=fp_config(max_input_size=20))
    with pytest.raises(ConfigError, match="AnalogConv1dMapped: rpu_config=ConstantStepDevice"):
        AnalogConv1dMapped(2, 3, 3, rpu_config=ConstantStepDevice())


def test_convert_to_analog_with_the_mapped_map(fp_config):
    model = nn.Sequential(nn.Conv2d(3, 4, 2), nn.Flatten(), nn.Linear(36, 2))
    analog = convert_to_analog(
        model,
        fp_config(max_input_size=16, max_output_size=16),
        conversion_map=default_mapped_conversion_map(),
    )
    assert isinstance(analog, AnalogSequential)
    assert isinstance(analog[0], AnalogConv2dMapped) and isinstance(analog[2], AnalogLinearMapped)
    assert analog[0].in_sizes == [3]  # 3 channels x 4 = 12 inputs fit one tile
    assert analog[2].analog_module.in_sizes == [12, 12, 12]
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(analog(x), model(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", list(LAYERS))
def test_mapped_layer_to_digital_holds_the_assembled_weights(fp_config, name):
    make, _, mapped_cls, shape = LAYERS[name]
    digital = make()
    mapped = mapped_cls.from_digital(digital, fp_config(max_input_size=10, max_output_size=4))
    back = mapped_cls.to_digital(mapped)
    assert type(back) is type(digital)
    x = torch.randn(*shape)
    torch.testing.assert_close(back(x), digital(x), rtol=1e-5, atol=1e-5)
