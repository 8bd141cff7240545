"""A batch skipped the torch way (backward, ``zero_grad()``, continue) leaves no trace: the
next clean step is bit-identical to that of a model that never saw the batch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from state_snapshot import differences, snapshot
from torch import nn

from analogtrain.configs import ConstantStepDevice, IOParameters, SingleRPUConfig
from analogtrain.nn import AnalogLinear
from analogtrain.optim import AnalogSGD


def stochastic_update_config() -> SingleRPUConfig:
    """Exact MVMs (so forward/backward draw nothing) and a stochastic pulsed update (so a
    stale pending update would show in the weights and the update generator)."""
    return SingleRPUConfig(
        device=ConstantStepDevice(),
        forward=IOParameters(is_perfect=True),
        backward=IOParameters(is_perfect=True),
    )


def make_model(seed: int = 7) -> tuple[nn.Module, AnalogSGD]:
    torch.manual_seed(seed)
    model = nn.Sequential(
        AnalogLinear(5, 4, rpu_config=stochastic_update_config()),
        nn.Tanh(),
        AnalogLinear(4, 3, rpu_config=stochastic_update_config()),
    )
    return model, AnalogSGD(model.parameters(), lr=0.1, momentum=0.5)


def clean_step(model: nn.Module, opt: AnalogSGD, x: torch.Tensor) -> None:
    opt.zero_grad()
    model(x).pow(2).sum().backward()
    opt.step()


def skip_opt_none(model, opt, x):
    model(x).sum().backward()
    opt.zero_grad()


def skip_opt_zero(model, opt, x):
    model(x).sum().backward()
    opt.zero_grad(set_to_none=False)


def skip_model_none(model, opt, x):
    model(x).sum().backward()
    model.zero_grad()


def skip_model_zero(model, opt, x):
    model(x).sum().backward()
    model.zero_grad(set_to_none=False)


def skip_grad_none(model, opt, x):
    model(x).sum().backward()
    for p in model.parameters():
        p.grad = None


def skip_two_backwards(model, opt, x):
    model(x).sum().backward()
    model(2 * x).sum().backward()
    opt.zero_grad()


SKIPS: dict[str, Callable] = {
    "optimizer.zero_grad()": skip_opt_none,
    "optimizer.zero_grad(set_to_none=False)": skip_opt_zero,
    "model.zero_grad()": skip_model_none,
    "model.zero_grad(set_to_none=False)": skip_model_zero,
    "p.grad = None": skip_grad_none,
    "two backwards then zero_grad()": skip_two_backwards,
}


@pytest.mark.parametrize("skip", list(SKIPS), ids=list(SKIPS))
def test_skipped_batch_leaves_next_step_bit_identical(skip: str) -> None:
    x0, x_bad, x1 = torch.randn(6, 5), torch.randn(6, 5), torch.randn(6, 5)
    model, opt = make_model()
    ref, ref_opt = make_model()
    clean_step(model, opt, x0)
    clean_step(ref, ref_opt, x0)
    SKIPS[skip](model, opt, x_bad)
    clean_step(model, opt, x1)
    clean_step(ref, ref_opt, x1)
    assert differences(snapshot(model, opt), snapshot(ref, ref_opt)) == []


def test_pending_update_survives_until_step_without_zero_grad() -> None:
    # Gradient accumulation: two backward passes, one step, both batches in the update.
    x1, x2 = torch.randn(3, 5), torch.randn(3, 5)
    model, opt = make_model()
    model(x1).sum().backward()
    model(x2).sum().backward()
    ctx = model[0].analog_module.analog_ctx
    assert ctx.has_pairs() and len(ctx.analog_input) == 2
    opt.step()
    assert model[0].analog_module.tile.last_update_m_batch == 6


def test_pending_marker_never_reaches_the_digital_step() -> None:
    # With weight decay and momentum a visible marker would move the context's value and
    # create momentum state for it.
    model, _ = make_model()
    opt = AnalogSGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    model(torch.randn(4, 5)).sum().backward()
    opt.step()
    for layer in (model[0], model[2]):
        ctx = layer.analog_module.analog_ctx
        assert float(ctx.detach()) == 1.0 and ctx not in opt.state and ctx.grad is None


def test_pending_marker_adds_nothing_to_gradient_norms() -> None:
    model, _ = make_model()
    model(torch.randn(4, 5)).sum().backward()
    digital = [p for p in model.parameters() if p.grad is not None and p.dim() > 0]
    expected = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in digital]))
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e9)
    torch.testing.assert_close(total, expected)
