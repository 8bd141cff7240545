"""Weight scaling (mapping scales), learned out scaling and layers split over tile grids."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.nn import AnalogLinear, AnalogTileModule, TileModuleArray
from analogtrain.nn.tile_module import split_sizes
from analogtrain.optim import AnalogSGD


def test_weight_scaling_stores_omega_normalised_weights(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config(weight_scaling_omega=0.5))
    weight = torch.tensor([[0.1, -2.0, 0.3, 0.0], [0.2, 0.4, -0.1, 1.0], [0.0, 0.5, 0.5, 0.5]])
    bias = torch.tensor([0.1, 0.2, 0.3])
    layer.set_weights(weight, bias)
    module = layer.analog_module
    torch.testing.assert_close(module.mapping_scales, torch.tensor([4.0]))  # max|W| / omega
    raw, raw_bias = layer.get_weights(apply_weight_scaling=False)
    torch.testing.assert_close(raw, weight / 4.0)
    torch.testing.assert_close(raw_bias, bias)  # digital bias is not scaled
    torch.testing.assert_close(layer.get_weights()[0], weight)
    x = torch.randn(5, 4)
    torch.testing.assert_close(layer(x), x @ weight.T + bias)


def test_columnwise_scaling_with_analog_bias(perfect_config):
    config = perfect_config(
        weight_scaling_omega=1.0, weight_scaling_columnwise=True, digital_bias=False
    )
    layer = AnalogLinear(2, 3, rpu_config=config)
    weight = torch.tensor([[2.0, -1.0], [0.0, 0.0], [0.5, 0.25]])
    bias = torch.tensor([0.5, 0.0, -1.0])
    layer.set_weights(weight, bias)
    torch.testing.assert_close(layer.analog_module.mapping_scales, torch.tensor([2.0, 1.0, 1.0]))
    raw, raw_bias = layer.get_weights(apply_weight_scaling=False)
    torch.testing.assert_close(raw[0], torch.tensor([1.0, -0.5]))
    torch.testing.assert_close(raw_bias, torch.tensor([0.25, 0.0, -1.0]))
    w, b = layer.get_weights()
    torch.testing.assert_close(w, weight)
    torch.testing.assert_close(b, bias)


@pytest.mark.parametrize("compensation", [False, True])
def test_scaled_layer_trains_like_torch(perfect_config, compensation):
    """The logical weight s·W follows SGD at rate lr with or without lr compensation."""
    config = perfect_config(
        weight_scaling_omega=0.3,
        weight_scaling_columnwise=True,
        weight_scaling_lr_compensation=compensation,
    )
    digital = nn.Linear(5, 4)
    analog = AnalogLinear.from_digital(digital, config)
    scales = analog.analog_module.mapping_scales.clone()
    expected_lr_scale = 1.0 / float(scales.mean()) if compensation else 1.0
    assert analog.analog_module.mapping_lr_scale == pytest.approx(expected_lr_scale)
    opt_a = AnalogSGD(analog.parameters(), lr=0.2)
    opt_d = torch.optim.SGD(digital.parameters(), lr=0.2)
    for _ in range(3):
        x = torch.randn(7, 5)
        for model, opt in ((analog, opt_a), (digital, opt_d)):
            opt.zero_grad()
            (model(x).sin()).sum().backward()
            opt.step()
    torch.testing.assert_close(
        analog.get_weights()[0], digital.weight.detach(), rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(analog.analog_module.mapping_scales, scales)  # not trained


def test_learned_out_scaling_is_trained_and_reset_by_set_weights(perfect_config):
    config = perfect_config(learn_out_scaling=True, out_scaling_columnwise=True)
    layer = AnalogLinear(3, 2, bias=False, rpu_config=config)
    alpha = layer.analog_module.out_scaling_alpha
    assert isinstance(alpha, nn.Parameter) and alpha.shape == (2,)
    weight = torch.randn(2, 3)
    layer.set_weights(weight)
    x = torch.randn(4, 3)
    (layer(x) * torch.tensor([1.0, -1.0])).sum().backward()
    # d/dalpha_i of sum_i sign_i * alpha_i * (W x)_i
    torch.testing.assert_close(alpha.grad, (x @ weight.T).sum(0) * torch.tensor([1.0, -1.0]))
    with torch.no_grad():
        alpha.mul_(2.0)
    torch.testing.assert_close(layer.get_weights()[0], 2.0 * weight)
    layer.set_weights(weight)
    torch.testing.assert_close(alpha.detach(), torch.ones(2))


def test_split_sizes_are_near_equal():
    assert split_sizes(600, 256) == [200, 200, 200]
    assert split_sizes(7, 3) == [3, 2, 2]
    assert split_sizes(5, 5) == [5]
    assert split_sizes(513, 0) == [513]


def test_mapped_layer_equals_unsplit_layer(perfect_config):
    digital = nn.Linear(7, 5)
    split = AnalogLinear.from_digital(
        digital, perfect_config(max_input_size=3, max_output_size=2, weight_scaling_omega=0.7)
    )
    whole = AnalogLinear.from_digital(digital, perfect_config(weight_scaling_omega=0.7))
    array = split.analog_module
    assert isinstance(array, TileModuleArray) and isinstance(whole.analog_module, AnalogTileModule)
    assert array.in_sizes == [3, 2, 2] and array.out_sizes == [2, 2, 1]
    tiles = list(split.analog_tiles())
    assert len(tiles) == 9 and all(t.bias is None for t in tiles)
    assert [t.tile.in_size for t in tiles[:3]] == [3, 3, 3]
    assert isinstance(array.bias, nn.Parameter)
    torch.testing.assert_close(split.get_weights()[0], digital.weight.detach())

    opt_s = AnalogSGD(split.parameters(), lr=0.1)
    opt_w = AnalogSGD(whole.parameters(), lr=0.1)
    for _ in range(3):
        x = torch.randn(2, 3, 7, requires_grad=True)
        x_w = x.detach().clone().requires_grad_(True)
        y_s, y_w = split(x), whole(x_w)
        # the split layer sums its tiles' partial outputs in another order: float32 rounding
        torch.testing.assert_close(y_s, y_w, rtol=1e-5, atol=1e-5)
        y_s.square().sum().backward()
        y_w.square().sum().backward()
        torch.testing.assert_close(x.grad, x_w.grad, rtol=1e-5, atol=1e-5)
        opt_s.step()
        opt_w.step()
    for a, b in zip(split.get_weights(), whole.get_weights()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert tiles[4].tile.last_update_m_batch == 6  # every sub-tile sees all rows


def test_default_mapping_splits_only_above_512(perfect_config):
    assert isinstance(
        AnalogLinear(512, 2, rpu_config=perfect_config()).analog_module, AnalogTileModule
    )
    big = AnalogLinear(600, 2, bias=False, rpu_config=perfect_config())
    assert big.analog_module.in_sizes == [300, 300]
    config = perfect_config(max_input_size=4)
    config.tile_array_class = None  # aihwkit: no array class, no split
    assert isinstance(AnalogLinear(9, 2, rpu_config=config).analog_module, AnalogTileModule)
