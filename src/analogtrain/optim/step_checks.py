"""Checks an analog optimizer runs before its step changes anything.

A step that raises must leave the digital parameters, the optimizer state, the tiles and
the stored update pairs exactly as they were, so that a bad batch can be skipped the torch
way (``zero_grad()`` and continue). :func:`check_step_inputs` therefore looks at everything
the step will use first: every group's learning rate, every digital gradient and every
pending ``(x, d)`` pair, and raises :class:`~analogtrain.errors.ArgumentError` naming the
group, the parameter and the number of bad values.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

from analogtrain.errors import ArgumentError
from analogtrain.kernels.io_checks import all_tensors_finite
from analogtrain.nn.context import AnalogContext

__all__ = [
    "check_learning_rate",
    "check_step_inputs",
    "claim_analog_pairs",
    "describe_context",
]


def check_learning_rate(lr: object, where: str) -> float:
    """``lr`` as a float if it is a real number (or a one-element real tensor), finite and
    ``>= 0``; else ArgumentError naming ``where`` and the value."""
    value: object = lr
    if isinstance(lr, Tensor):
        if lr.numel() != 1 or lr.dtype.is_complex or lr.dtype == torch.bool:
            raise ArgumentError(f"{where}: learning rate must be a real scalar, got {lr!r}")
        value = lr.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{where}: learning rate must be a real number, got {lr!r}")
    rate = float(value)
    if not math.isfinite(rate) or rate < 0.0:
        raise ArgumentError(f"{where}: learning rate must be finite and >= 0, got {lr!r}")
    return rate


def describe_context(ctx: AnalogContext) -> str:
    """The tile a context stands for, as ``AnalogTileModule(out_size=.., in_size=..)`` plus
    its module path when the layer recorded one."""
    module = ctx.analog_module
    if module is None:
        return "an analog context without a tile"
    path = getattr(module, "module_path", None)
    text = f"{type(module).__name__}({module.extra_repr()})"
    return f"{path!r} {text}" if path else text


def _count_bad(t: Tensor) -> int:
    """Number of NaN/inf entries of ``t`` (one reduction when all are finite)."""
    if t.numel() == 0 or bool(torch.isfinite(t.sum())):
        return 0
    return int((~torch.isfinite(t)).sum())


def _step_tensors(optimizer: torch.optim.Optimizer) -> list[Tensor]:
    """Every tensor :func:`check_step_inputs` scans: pending pairs and digital gradients."""
    tensors: list[Tensor] = []
    for group in optimizer.param_groups:
        for p in group["params"]:
            if isinstance(p, AnalogContext):
                if not p.use_torch_update and p.has_pairs():
                    tensors += p.analog_input
                    tensors += p.analog_grad_output
                continue
            grad = p.grad
            if grad is not None:
                tensors.append(grad.coalesce().values() if grad.is_sparse else grad)
    return tensors


def check_step_inputs(optimizer: torch.optim.Optimizer) -> None:
    """Reject a step before it changes anything: non-finite or negative learning rates,
    non-finite gradients of digital parameters, non-finite pending update pairs."""
    for g, group in enumerate(optimizer.param_groups):
        check_learning_rate(group.get("lr"), f"param_groups[{g}]['lr']")
    if all_tensors_finite(_step_tensors(optimizer)):
        return
    # Some value is not finite (or a sum overflowed): find and name the first bad tensor.
    for g, group in enumerate(optimizer.param_groups):
        check_learning_rate(group.get("lr"), f"param_groups[{g}]['lr']")
        for i, p in enumerate(group["params"]):
            where = f"param_groups[{g}]['params'][{i}]"
            if isinstance(p, AnalogContext):
                if p.use_torch_update or not p.has_pairs():
                    continue
                for what, parts in (("x", p.analog_input), ("d", p.analog_grad_output)):
                    bad = sum(_count_bad(t) for t in parts)
                    if bad:
                        rows = sum(int(t.shape[0]) for t in parts)
                        raise ArgumentError(
                            f"{where} ({describe_context(p)}): the pending update "
                            f"{what} has {bad} NaN/inf values in {rows} rows; nothing "
                            f"was changed (call zero_grad() to skip this batch)"
                        )
                continue
            grad = p.grad
            if grad is None:
                continue
            values = grad.coalesce().values() if grad.is_sparse else grad
            bad = _count_bad(values)
            if bad:
                raise ArgumentError(
                    f"{where} (shape {tuple(p.shape)}): gradient has {bad} NaN/inf values "
                    f"of {values.numel()}; nothing was changed (call zero_grad() to skip "
                    f"this batch)"
                )


def claim_analog_pairs(optimizer: torch.optim.Optimizer) -> None:
    """Remove every context's gradient marker before the digital step (see
    :meth:`AnalogContext.claim_pairs`)."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            if isinstance(p, AnalogContext):
                p.claim_pairs()
