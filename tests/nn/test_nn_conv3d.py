"""AnalogConv3d: its patches give torch's Conv3d (forward, input gradient, SGD training);
weights in torch's layout; conversion both ways; pulsed training."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.configs import ConstantStepDevice, SingleRPUConfig
from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogConv3d, convert_to_analog
from analogtrain.nn.conv3d import unfold3d
from analogtrain.optim import AnalogSGD

GEOMETRIES = [
    {"kernel_size": 2},
    {"kernel_size": (2, 3, 2), "stride": 2, "padding": 1},
    {"kernel_size": (1, 2, 3), "stride": (1, 2, 3), "padding": (0, 1, 2)},
    {"kernel_size": 2, "padding": 2, "dilation": (2, 1, 2)},
    pytest.param(  # asymmetric padding; torch warns about its own extra copy
        {"kernel_size": 2, "padding": "same"},
        marks=pytest.mark.filterwarnings("ignore:Using padding='same'"),
    ),
]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv3d_forward_and_backward_equal_torch(fp_config, geometry):
    digital = nn.Conv3d(2, 3, **geometry)
    analog = AnalogConv3d.from_digital(digital, fp_config())
    x = torch.randn(2, 2, 5, 6, 7, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    y, y_ref = analog(x), digital(x_ref)
    assert y.shape == y_ref.shape
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-5, atol=1e-5)


def test_unfold3d_patch_is_the_kernel_window_channel_major():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(1, 2, 3, 4, 5)
    patches, out = unfold3d(x, (2, 2, 3), (1, 2, 1), (1, 1, 1))
    assert out == (2, 2, 3)
    # output pixel (d=1, h=1, w=2): window x[0, :, 1:3, 2:4, 2:5] flattened
    index = 1 * 2 * 3 + 1 * 3 + 2
    torch.testing.assert_close(patches[0, index], x[0, :, 1:3, 2:4, 2:5].flatten())


def test_conv3d_trains_like_torch(perfect_config):
    digital = nn.Conv3d(2, 3, 2, padding=1)
    analog = AnalogConv3d.from_digital(digital, perfect_config())
    opt_a = AnalogSGD(analog.parameters(), lr=0.05)
    opt_d = torch.optim.SGD(digital.parameters(), lr=0.05)
    for _ in range(3):
        x = torch.randn(2, 2, 3, 4, 4)
        for model, opt in ((analog, opt_a), (digital, opt_d)):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
    w, b = analog.get_weights()
    assert w.shape == (3, 2 * 8)
    torch.testing.assert_close(w, digital.weight.detach().reshape(3, -1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(b, digital.bias.detach(), rtol=1e-5, atol=1e-6)


def test_conv3d_every_output_voxel_is_one_update_sample(perfect_config):
    layer = AnalogConv3d(2, 3, kernel_size=2, rpu_config=perfect_config())
    layer(torch.randn(4, 2, 3, 3, 3)).sum().backward()
    ctx = layer.analog_module.analog_ctx
    assert ctx.analog_input[0].shape == (4 * 8, 2 * 8)


def test_conv3d_unbatched_input_and_bad_shape(fp_config):
    layer = AnalogConv3d(2, 3, 2, rpu_config=fp_config())
    x = torch.randn(2, 3, 3, 3)
    torch.testing.assert_close(layer(x), layer(x.unsqueeze(0))[0])
    with pytest.raises(ArgumentError, match=r"AnalogConv3d: input has shape \(1, 3, 3, 3, 3\)"):
        layer(torch.randn(1, 3, 3, 3, 3))
    with pytest.raises(ArgumentError, match="smaller than the kernel"):
        layer(torch.randn(1, 2, 1, 3, 3))


def test_conv3d_to_digital_and_convert_to_analog(fp_config):
    model = nn.Sequential(nn.Conv3d(1, 2, 2, stride=2), nn.ReLU(), nn.Conv3d(2, 1, 1))
    analog = convert_to_analog(model, fp_config())
    assert isinstance(analog[0], AnalogConv3d) and isinstance(analog[2], AnalogConv3d)
    x = torch.randn(2, 1, 4, 4, 4)
    torch.testing.assert_close(analog(x), model(x), rtol=1e-5, atol=1e-6)
    digital = AnalogConv3d.to_digital(analog[0])
    assert isinstance(digital, nn.Conv3d) and digital.stride == (2, 2, 2)
    torch.testing.assert_close(digital.weight, model[0].weight)


def test_pulsed_conv3d_learns_a_teacher_convolution():
    torch.manual_seed(0)
    teacher = nn.Conv3d(2, 2, 2)
    config = SingleRPUConfig(device=ConstantStepDevice(dw_min=0.001))
    student = AnalogConv3d(2, 2, 2, rpu_config=config)
    opt = AnalogSGD(student.parameters(), lr=0.2)
    gen = torch.Generator().manual_seed(1)
    x_test = torch.randn(8, 2, 3, 3, 3, generator=gen)
    with torch.no_grad():
        target = teacher(x_test)
        initial = ((student(x_test) - target) ** 2).mean().item()
    for _ in range(20):
        x = torch.randn(4, 2, 3, 3, 3, generator=gen)
        opt.zero_grad()
        with torch.no_grad():
            y = teacher(x)
        ((student(x) - y) ** 2).mean().backward()
        opt.step()
    with torch.no_grad():
        final = ((student(x_test) - target) ** 2).mean().item()
    assert final < 0.2 * initial
