"""AnalogAdam and AnalogOptimizer check a step's inputs before any change, as AnalogSGD does:
a NaN digital gradient or learning rate leaves model, pending pairs and Adam's state as they
were, and a batch skipped with ``zero_grad()`` leaves no trace in the next clean step."""

from __future__ import annotations

import pytest
import torch
from state_snapshot import differences, snapshot
from torch import nn

from analogtrain.configs import ConstantStepDevice, IOParameters, SingleRPUConfig
from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogLinear
from analogtrain.nn.context import AnalogContext
from analogtrain.optim import AnalogAdam, AnalogOptimizer


def make(kind: str) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(3)
    config = SingleRPUConfig(
        device=ConstantStepDevice(),
        forward=IOParameters(is_perfect=True),
        backward=IOParameters(is_perfect=True),
    )
    model = nn.Sequential(AnalogLinear(5, 4, bias=True, rpu_config=config), nn.Tanh())
    if kind == "adam":
        return model, AnalogAdam(model.parameters(), lr=0.05)
    return model, AnalogOptimizer(torch.optim.RMSprop, model.parameters(), lr=0.05)


def step(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor) -> None:
    opt.zero_grad()
    model(x).pow(2).sum().backward()
    opt.step()


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_nan_digital_gradient_is_rejected_with_state_unchanged(kind: str) -> None:
    model, opt = make(kind)
    step(model, opt, torch.rand(3, 5))
    opt.zero_grad()
    model(torch.rand(3, 5)).pow(2).sum().backward()
    digital = [p for p in model.parameters() if not isinstance(p, AnalogContext)]
    digital[0].grad.view(-1)[1] = float("nan")
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match="param_groups"):
        opt.step()
    assert differences(before, snapshot(model, opt)) == []


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_nan_learning_rate_is_rejected_everywhere(kind: str) -> None:
    model, opt = make(kind)
    with pytest.raises(ArgumentError):
        opt.set_learning_rate(float("nan"))
    with pytest.raises(ArgumentError):
        opt.add_param_group({"params": [nn.Parameter(torch.zeros(2))], "lr": float("inf")})
    with pytest.raises(ArgumentError):
        AnalogAdam(model.parameters(), lr=float("nan"))


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_skipped_batch_leaves_the_next_step_bit_identical(kind: str) -> None:
    x0, bad, x1 = torch.rand(3, 5), torch.rand(3, 5), torch.rand(3, 5)
    model_a, opt_a = make(kind)
    model_b, opt_b = make(kind)
    step(model_a, opt_a, x0)
    step(model_b, opt_b, x0)
    model_b(bad).sum().backward()  # skipped the torch way
    opt_b.zero_grad()
    step(model_a, opt_a, x1)
    step(model_b, opt_b, x1)
    assert differences(snapshot(model_a, opt_a), snapshot(model_b, opt_b)) == []
