"""AnalogAdam / AnalogOptimizer: pulsed SGD for the tiles, the wrapped optimizer for the rest."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogLinear, AnalogSequential
from analogtrain.optim import AnalogAdam, AnalogOptimizer, AnalogSGD


def _model(perfect_config) -> AnalogSequential:
    return AnalogSequential(
        AnalogLinear(4, 3, bias=False, rpu_config=perfect_config()), nn.Linear(3, 2)
    )


def test_adam_tile_gets_the_sgd_step_and_digital_layer_the_adam_step(perfect_config):
    model = _model(perfect_config)
    analog, digital = model[0], model[1]
    w0 = analog.get_weights()[0].clone()
    dw0, db0 = digital.weight.detach().clone(), digital.bias.detach().clone()
    opt = AnalogAdam(model.parameters(), lr=0.01)
    x = torch.randn(5, 4)
    h = x @ w0.T
    out = model(x)
    grad = torch.randn_like(out)
    out.backward(grad)
    d = grad @ dw0  # the gradient arriving at the analog layer's output
    g_w, g_b = grad.T @ h, grad.sum(0)
    opt.step()
    # analog: W <- W - lr * d^T x (exact device, perfect IO)
    torch.testing.assert_close(analog.get_weights()[0], w0 - 0.01 * d.T @ x, rtol=1e-5, atol=1e-6)
    # digital: the first Adam step moves each entry by lr * sign(grad)
    torch.testing.assert_close(digital.weight.detach(), dw0 - 0.01 * torch.sign(g_w))
    torch.testing.assert_close(digital.bias.detach(), db0 - 0.01 * torch.sign(g_b))
    assert not analog.analog_module.analog_ctx.has_pairs()


def test_analog_optimizer_wraps_any_torch_optimizer_as_a_subclass(perfect_config):
    model = _model(perfect_config)
    opt = AnalogOptimizer(torch.optim.RMSprop, model.parameters(), lr=0.01)
    assert isinstance(opt, torch.optim.RMSprop) and isinstance(opt, AnalogOptimizer)
    assert type(opt) is type(AnalogOptimizer(torch.optim.RMSprop, model.parameters(), lr=0.1))
    w0 = model[0].get_weights()[0].clone()
    model(torch.ones(1, 4)).sum().backward()
    opt.step()
    assert not torch.equal(model[0].get_weights()[0], w0)
    assert "step" in opt.state[model[1].weight]


def test_adam_and_sgd_give_the_same_analog_update(perfect_config):
    results = []
    for make in (AnalogAdam, AnalogSGD):
        torch.manual_seed(7)
        layer = AnalogLinear(4, 3, bias=False, rpu_config=perfect_config())
        opt = make(layer.parameters(), lr=0.05)
        layer(torch.randn(6, 4)).backward(torch.randn(6, 3))
        opt.step()
        results.append(layer.get_weights()[0])
    torch.testing.assert_close(results[0], results[1])


def test_analog_optimizer_rejects_a_non_optimizer_class(perfect_config):
    model = _model(perfect_config)
    with pytest.raises(
        ArgumentError, match="optimizer_cls must be a torch.optim.Optimizer subclass"
    ):
        AnalogOptimizer(nn.Linear, model.parameters(), lr=0.1)


def test_context_exposes_the_tile_module_under_aihwkit_name(perfect_config):
    layer = AnalogLinear(2, 2, rpu_config=perfect_config())
    ctx = layer.analog_module.analog_ctx
    assert ctx.analog_tile is layer.analog_module is ctx.analog_module
