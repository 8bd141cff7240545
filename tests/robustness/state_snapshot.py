"""Whole-state snapshots of a model and its optimizer, compared bit for bit.

A snapshot holds the model's ``state_dict`` (weights, buffers, every tile's extra state with
its generator state and config), every parameter's gradient, every analog context's pending
``(x, d)`` pairs and the optimizer's ``state_dict`` (state and param groups). Two snapshots
are equal when every tensor has the same dtype, shape and bits (NaN at the same places
counts as equal) and every other value compares equal.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.nn.context import AnalogContext

__all__ = ["differences", "snapshot"]


def _freeze(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_freeze(v) for v in value)
    return copy.deepcopy(value)


def snapshot(model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Everything a later call could change, as detached copies."""
    params = dict(model.named_parameters())
    state: dict[str, Any] = {
        "model": _freeze(model.state_dict()),
        "grads": {n: _freeze(p.grad) for n, p in params.items()},
        "pairs": {
            n: (_freeze(p.analog_input), _freeze(p.analog_grad_output), p.has_pairs())
            for n, p in params.items()
            if isinstance(p, AnalogContext)
        },
    }
    if optimizer is not None:
        state["optimizer"] = _freeze(optimizer.state_dict())
    return state


def _same_tensor(a: Tensor, b: Tensor) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape or a.device != b.device:
        return False
    if a.is_floating_point():
        return bool(torch.equal(torch.nan_to_num(a, nan=0.0), torch.nan_to_num(b, nan=0.0))) and (
            bool(torch.equal(torch.isnan(a), torch.isnan(b)))
        )
    return bool(torch.equal(a, b))


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two snapshots differ (empty when they are identical)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if isinstance(a, Tensor) and isinstance(b, Tensor) and _same_tensor(a, b):
            return []
        return [path or "<root>"]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path} keys {sorted(map(str, set(a) ^ set(b)))}"]
        out: list[str] = []
        for k in a:
            out += differences(a[k], b[k], f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path} length {len(a)} != {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, f"{path}[{i}]")
        return out
    if a is None or b is None or type(a) is not type(b):
        return [] if a is b else [path]
    if isinstance(a, float) and a != a and b != b:  # NaN == NaN here
        return []
    try:
        return [] if a == b else [path]
    except Exception:  # noqa: BLE001 - objects without a usable ==
        return [] if repr(a) == repr(b) else [path]
