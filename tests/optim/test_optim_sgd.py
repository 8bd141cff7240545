"""AnalogSGD: one update per tile and step, learning rate at step time, digital SGD options."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.configs import IdealDevice, IOParameters, SingleRPUConfig
from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogContext, AnalogLinear
from analogtrain.optim import AnalogSGD


def test_stored_rows_of_several_passes_make_one_update(perfect_config):
    layer = AnalogLinear(4, 3, bias=False, rpu_config=perfect_config())
    w0, _ = layer.get_weights()
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    x1, x2 = torch.randn(3, 4), torch.randn(5, 4)
    g1, g2 = torch.randn(3, 3), torch.randn(5, 3)
    layer(x1).backward(g1)
    layer(x2).backward(g2)
    opt.step()
    assert layer.analog_module.tile.last_update_m_batch == 8
    expected = w0 - 0.1 * (g1.T @ x1 + g2.T @ x2)
    torch.testing.assert_close(layer.get_weights()[0], expected, rtol=1e-5, atol=1e-6)
    assert not layer.analog_module.analog_ctx.has_pairs()


def test_learning_rate_is_read_at_step_time_and_zero_clears(perfect_config):
    layer = AnalogLinear(2, 2, bias=False, rpu_config=perfect_config())
    opt = AnalogSGD(layer.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x, g = torch.ones(1, 2), torch.ones(1, 2)
    w0, _ = layer.get_weights()
    layer(x).backward(g)
    opt.step()
    scheduler.step()
    layer(x).backward(g)
    opt.step()  # lr 0.5 now
    torch.testing.assert_close(layer.get_weights()[0], w0 - 1.5)

    opt.set_learning_rate(0.0)
    layer(x).backward(g)
    opt.step()
    torch.testing.assert_close(layer.get_weights()[0], w0 - 1.5)
    assert not layer.analog_module.analog_ctx.has_pairs()


def test_momentum_and_weight_decay_act_on_digital_parameters_only(perfect_config):
    layer = AnalogLinear(3, 2, rpu_config=perfect_config())
    w0, b0 = layer.get_weights()
    reference_bias = nn.Parameter(b0.clone())
    opt = AnalogSGD(layer.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    ref_opt = torch.optim.SGD(
        [reference_bias], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True
    )
    expected_w = w0.clone()
    for _ in range(3):
        x, g = torch.randn(4, 3), torch.randn(4, 2)
        opt.zero_grad()
        ref_opt.zero_grad()
        layer(x).backward(g)
        reference_bias.grad = g.sum(0)
        opt.step()
        ref_opt.step()
        expected_w -= 0.1 * g.T @ x  # plain SGD for the tile
    w, b = layer.get_weights()
    torch.testing.assert_close(w, expected_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(b, reference_bias.detach(), rtol=1e-5, atol=1e-6)


def test_post_update_step_runs_for_every_tile_every_step():
    """IdealDevice decay (lifetime 10): W <- (1 - 1/10) W at every optimizer step."""
    config = SingleRPUConfig(
        device=IdealDevice(lifetime=10.0),
        forward=IOParameters(is_perfect=True),
        backward=IOParameters(is_perfect=True),
    )
    idle = AnalogLinear(2, 2, bias=False, rpu_config=config)
    w0, _ = idle.get_weights()
    opt = AnalogSGD(idle.parameters(), lr=0.1)
    opt.step()  # no forward/backward since construction
    opt.step()
    torch.testing.assert_close(idle.get_weights()[0], w0 * 0.81)


def test_closure_is_evaluated_with_gradients(perfect_config):
    layer = AnalogLinear(2, 1, bias=False, rpu_config=perfect_config())
    opt = AnalogSGD(layer.parameters(), lr=0.5)
    w0, _ = layer.get_weights()

    def closure():
        opt.zero_grad()
        loss = layer(torch.ones(1, 2)).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.requires_grad
    torch.testing.assert_close(layer.get_weights()[0], w0 - 0.5)


def test_regroup_puts_every_tile_in_its_own_group(perfect_config):
    model = nn.Sequential(
        AnalogLinear(3, 3, rpu_config=perfect_config()),
        nn.Linear(3, 3),
        AnalogLinear(3, 2, bias=False, rpu_config=perfect_config()),
    )
    opt = AnalogSGD(model.parameters(), lr=0.05)
    opt.regroup_param_groups(model)
    analog_groups = [g for g in opt.param_groups if isinstance(g["params"][0], AnalogContext)]
    assert len(analog_groups) == 2 and all(len(g["params"]) == 1 for g in analog_groups)
    assert all(g["lr"] == 0.05 for g in opt.param_groups)
    digital = [p for g in opt.param_groups for p in g["params"] if not isinstance(p, AnalogContext)]
    assert len(digital) == 3  # analog bias of layer 0 and the Linear's weight and bias


def test_invalid_hyper_parameters_name_the_value(perfect_config):
    layer = AnalogLinear(2, 1, rpu_config=perfect_config())
    with pytest.raises(ValueError, match="-0.5"):
        AnalogSGD(layer.parameters(), lr=-0.5)
    with pytest.raises(ValueError, match="-1"):
        AnalogSGD(layer.parameters(), lr=0.1, momentum=-1)
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    with pytest.raises(ArgumentError, match="-2"):
        opt.set_learning_rate(-2.0)
