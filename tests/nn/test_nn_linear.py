"""AnalogLinear: exact configs reproduce torch, periphery (bias, bound mask), errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.configs import IOParameters
from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogContext, AnalogLinear, AnalogTileModule
from analogtrain.optim import AnalogSGD


def _train_pair(analog: nn.Module, digital: nn.Module, steps: int = 4, lr: float = 0.1):
    """Train both models on the same random regression batches with (Analog)SGD."""
    opt_a = AnalogSGD(analog.parameters(), lr=lr)
    opt_d = torch.optim.SGD(digital.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(7)
    for _ in range(steps):
        x = torch.randn(6, digital.in_features, generator=gen)
        target = torch.randn(6, digital.out_features, generator=gen)
        for model, opt in ((analog, opt_a), (digital, opt_d)):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), target).backward()
            opt.step()


@pytest.mark.parametrize("digital_bias", [True, False])
@pytest.mark.parametrize("which", ["perfect", "fp"])
def test_exact_config_trains_like_torch_linear(perfect_config, fp_config, which, digital_bias):
    config = (perfect_config if which == "perfect" else fp_config)(digital_bias=digital_bias)
    digital = nn.Linear(5, 3)
    analog = AnalogLinear.from_digital(digital, config)
    w0, b0 = analog.get_weights()
    torch.testing.assert_close(w0, digital.weight.detach())
    torch.testing.assert_close(b0, digital.bias.detach())

    _train_pair(analog, digital)
    w, b = analog.get_weights()
    assert not torch.allclose(w, w0)  # it did learn
    torch.testing.assert_close(w, digital.weight.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(b, digital.bias.detach(), rtol=1e-5, atol=1e-6)


def test_analog_bias_is_an_extra_crossbar_column(perfect_config):
    layer = AnalogLinear(4, 3, bias=True, rpu_config=perfect_config(digital_bias=False))
    module = layer.analog_module
    assert module.tile.in_size == 5 and module.bias is None
    weight = torch.arange(12.0).reshape(3, 4) / 20
    bias = torch.tensor([0.1, -0.2, 0.3])
    layer.set_weights(weight, bias)
    torch.testing.assert_close(module.tile.get_weights()[:, 4], bias)
    w, b = layer.get_weights()
    torch.testing.assert_close(w, weight)
    torch.testing.assert_close(b, bias)
    x = torch.randn(2, 4)
    torch.testing.assert_close(layer(x), x @ weight.T + bias)
    # None keeps the current bias column
    layer.set_weights(weight * 2)
    torch.testing.assert_close(layer.get_weights()[1], bias)


def test_digital_bias_gets_exact_gradient_and_is_a_parameter(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    x = torch.randn(5, 4)
    layer(x).sum().backward()
    bias = layer.analog_module.bias
    assert isinstance(bias, nn.Parameter)
    torch.testing.assert_close(bias.grad, torch.full((3,), 5.0))
    marker = layer.analog_module.analog_ctx.grad  # the zero marker of the pending update
    assert marker is not None and not bool(marker.any())


def test_leading_dimensions_are_flattened_into_samples(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    x = torch.randn(2, 5, 4, requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 5, 3)
    torch.testing.assert_close(y.reshape(10, 3), layer(x.reshape(10, 4)))
    y.sum().backward()
    ctx = layer.analog_module.analog_ctx
    assert [t.shape for t in ctx.analog_input] == [(10, 4)]
    assert [t.shape for t in ctx.analog_grad_output] == [(10, 3)]
    w, _ = layer.get_weights()
    torch.testing.assert_close(x.grad, w.sum(0).expand(2, 5, 4))


def test_first_layer_input_without_grad_still_stores_pairs(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    layer(torch.randn(3, 4)).sum().backward()
    assert layer.analog_module.analog_ctx.has_pairs()


def test_wrong_input_width_names_the_shape(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    with pytest.raises(ArgumentError, match=r"\(2, 5\).*4"):
        layer(torch.randn(2, 5))
    with pytest.raises(ArgumentError, match="float64"):
        layer(torch.randn(2, 4, dtype=torch.float64))


def test_set_weights_checks_shapes(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    with pytest.raises(ArgumentError, match=r"\(4, 3\)"):
        layer.set_weights(torch.zeros(4, 3))
    with pytest.raises(ArgumentError, match="bias"):
        layer.set_weights(torch.zeros(3, 4), torch.zeros(4))
    no_bias = AnalogLinear(4, 3, bias=False, rpu_config=perfect_config())
    with pytest.raises(ArgumentError, match="bias=False"):
        no_bias.set_weights(torch.zeros(3, 4), torch.zeros(3))


def test_output_bound_masks_gradient_of_saturated_outputs(perfect_config):
    """Spec 3.9 step 3: gradient zeroed where |y| >= 0.999 * out_scale * out_bound."""
    config = perfect_config()
    config.forward = IOParameters(is_perfect=True, out_bound=1.0, out_scale=2.0)
    layer = AnalogLinear(2, 3, bias=False, rpu_config=config)
    layer.set_weights(torch.tensor([[1.0, 0.0], [0.0, 0.5], [0.9995, 0.0]]))
    x = torch.tensor([[1.0, 1.0]], requires_grad=True)
    y = layer(x)  # tile output out_scale * W x = [2.0, 1.0, 1.999]
    torch.testing.assert_close(y, torch.tensor([[2.0, 1.0, 1.999]]))
    y.sum().backward()
    # outputs 0 and 2 reach 0.999 * 2 * 1: only output 1 passes its gradient
    # (backward is perfect with out_scale 1: grad_x = W^T d)
    torch.testing.assert_close(x.grad, torch.tensor([[0.0, 0.5]]))
    # the stored update gradient is the raw, unmasked one
    torch.testing.assert_close(
        layer.analog_module.analog_ctx.analog_grad_output[0], torch.ones(1, 3)
    )


def test_default_config_and_torch_like_initialisation():
    torch.manual_seed(3)
    reference = nn.Linear(16, 4)
    torch.manual_seed(3)
    layer = AnalogLinear(16, 4)  # SingleRPUConfig with a ConstantStep device
    w, b = layer.get_weights()
    # torch's init U(±1/4) written to the device (granularity 0.001, bounds ±0.6)
    torch.testing.assert_close(w, reference.weight.detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(b, reference.bias.detach())
    assert layer.bias is True and "bias=True" in repr(layer)
    assert isinstance(layer, nn.Linear)
    assert isinstance(layer.analog_module, AnalogTileModule)
    contexts = [p for p in layer.parameters() if isinstance(p, AnalogContext)]
    assert len(contexts) == 1 and contexts[0].analog_module is layer.analog_module


def test_to_digital_round_trip(perfect_config):
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    digital = AnalogLinear.to_digital(layer)
    assert type(digital) is nn.Linear
    x = torch.randn(2, 4)
    torch.testing.assert_close(digital(x), layer(x))


def test_realistic_read_recovers_weights_of_a_noisy_tile():
    layer = AnalogLinear(6, 4)  # default IO: output noise 0.06, 7/9 bit DAC/ADC
    w, b = layer.get_weights()
    w_est, b_est = layer.get_weights(realistic=True)
    assert layer.training
    # 60 noisy reads: the fit error is small against the weight range (±0.41)
    assert (w_est - w).abs().max() < 0.05
    torch.testing.assert_close(b_est, b)
