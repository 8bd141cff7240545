"""AnalogConv1d/2d: unfold mapping equals torch's convolution; patches are update samples."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogConv1d, AnalogConv2d
from analogtrain.optim import AnalogSGD

GEOMETRIES = [
    {"kernel_size": 3},
    {"kernel_size": (2, 3), "stride": 2, "padding": 1},
    {"kernel_size": 3, "padding": 2, "dilation": 2},
    {"kernel_size": (3, 3), "padding": "same", "dilation": 2},
    pytest.param(  # asymmetric padding; torch warns about its own extra copy
        {"kernel_size": 2, "padding": "same"},
        marks=pytest.mark.filterwarnings("ignore:Using padding='same'"),
    ),
]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv2d_forward_and_backward_equal_torch(fp_config, geometry):
    digital = nn.Conv2d(3, 4, **geometry)
    analog = AnalogConv2d.from_digital(digital, fp_config())
    x = torch.randn(2, 3, 7, 6, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    y, y_ref = analog(x), digital(x_ref)
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-5, atol=1e-5)


def test_conv2d_every_output_pixel_is_one_update_sample(perfect_config):
    layer = AnalogConv2d(2, 3, kernel_size=3, padding=1, rpu_config=perfect_config())
    x = torch.randn(4, 2, 5, 5)
    layer(x).sum().backward()
    ctx = layer.analog_module.analog_ctx
    assert ctx.analog_input[0].shape == (4 * 25, 2 * 9)
    assert ctx.analog_grad_output[0].shape == (4 * 25, 3)
    AnalogSGD(layer.parameters(), lr=0.01).step()
    assert layer.analog_module.tile.last_update_m_batch == 100
    assert not ctx.has_pairs()


@pytest.mark.parametrize("dims", [1, 2])
def test_conv_trains_like_torch(perfect_config, dims):
    digital = nn.Conv1d(2, 3, 3, padding=1) if dims == 1 else nn.Conv2d(2, 3, 3, stride=2)
    analog_cls = AnalogConv1d if dims == 1 else AnalogConv2d
    analog = analog_cls.from_digital(digital, perfect_config())
    opt_a = AnalogSGD(analog.parameters(), lr=0.05)
    opt_d = torch.optim.SGD(digital.parameters(), lr=0.05)
    shape = (3, 2, 9) if dims == 1 else (3, 2, 7, 7)
    for _ in range(3):
        x = torch.randn(*shape)
        for model, opt in ((analog, opt_a), (digital, opt_d)):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
    w, b = analog.get_weights()
    torch.testing.assert_close(w, digital.weight.detach().reshape(3, -1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(b, digital.bias.detach(), rtol=1e-5, atol=1e-6)
    assert w.shape == (3, 2 * 3**dims)


def test_conv_weight_layout_is_torch_reshape(perfect_config):
    layer = AnalogConv2d(2, 3, kernel_size=(2, 3), bias=False, rpu_config=perfect_config())
    weight = torch.randn(3, 2, 2, 3)
    layer.set_weights(weight)
    torch.testing.assert_close(layer.get_weights()[0], weight.reshape(3, 12))
    digital = AnalogConv2d.to_digital(layer)
    torch.testing.assert_close(digital.weight.detach(), weight)


def test_conv_unbatched_input(fp_config):
    digital = nn.Conv1d(2, 3, 2)
    analog = AnalogConv1d.from_digital(digital, fp_config())
    x = torch.randn(2, 6)
    torch.testing.assert_close(analog(x), digital(x), rtol=1e-5, atol=1e-6)


def test_conv_rejects_unsupported_arguments(perfect_config):
    with pytest.raises(ValueError, match="groups=2"):
        AnalogConv2d(2, 4, 3, groups=2, rpu_config=perfect_config())
    with pytest.raises(ValueError, match="'reflect'"):
        AnalogConv2d(2, 4, 3, padding_mode="reflect", rpu_config=perfect_config())
    layer = AnalogConv2d(2, 4, 3, rpu_config=perfect_config())
    with pytest.raises(ArgumentError, match=r"\(1, 3, 5, 5\)"):
        layer(torch.randn(1, 3, 5, 5))
