"""What the compiled update kernels need from a device array: its rule and the rule's values.

Every pulsed model with its own update rule (:attr:`PulsedDeviceArray.rule
<analogtrain.devices.pulsed.PulsedDeviceArray.rule>`) has a fast path; the rule's parameter
values (:meth:`~analogtrain.devices.pulsed.PulsedDeviceArray.rule_values`) are sorted into
three kinds, which fix the generated kernel's argument layout:

* ``c``: one value per cross-point (a buffer ``[out, in]``), stacked into ``cells [k, out, in]``;
* ``t``: a 1-D table (e.g. PiecewiseStep's nodes), padded into ``tables [n, length]``;
* ``s``: a number shared by the tile, collected in ``scalars`` (float64).

:func:`rule_tensors` returns them with the weights, bounds and the noise scales, or the
reason why the array has no fast path (a :class:`str`). Pure Python/torch; no numba import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.rule import PulseRule

__all__ = ["RuleTensors", "has_fast_rule", "rule_tensors"]


@dataclass(frozen=True)
class RuleTensors:
    """The fast-path description of a device array (module docstring), as torch tensors on
    the array's device: ``w_p``/``w_a`` persistent and apparent weight (the same tensor
    without write noise), ``b_max``/``b_min`` the clip bounds, ``ref`` the reference of the
    reference-read models (``None`` otherwise); ``sigma`` the c2c scale ``dw_min_std`` (the
    kernels draw no sample when it is 0) and ``wn_sigma`` the write-noise std."""

    rule: PulseRule
    layout: str
    w_p: Tensor
    w_a: Tensor
    b_max: Tensor
    b_min: Tensor
    cells: Tensor
    tables: Tensor
    scalars: list[float]
    ref: Tensor | None
    sigma: float
    wn_sigma: float


def has_fast_rule(array_cls: type) -> bool:
    """Whether ``array_cls`` defines its own update rule (what the fast paths compile).

    A subclass that inherits its parent's rule is not covered: it may change the response.
    """
    return isinstance(array_cls, type) and isinstance(array_cls.__dict__.get("rule"), PulseRule)


def _stack(values: list[Tensor], like: Tensor, shape: tuple[int, ...]) -> Tensor:
    if not values:
        return torch.zeros((0, *shape), dtype=like.dtype, device=like.device)
    return torch.stack([v.detach().to(like.dtype) for v in values])


def _tables(values: list[Tensor], like: Tensor) -> Tensor:
    length = max((v.numel() for v in values), default=1)
    out = torch.zeros((len(values), max(length, 1)), dtype=like.dtype, device=like.device)
    for k, v in enumerate(values):
        out[k, : v.numel()] = v.detach().to(like.dtype)
    return out


def _cached(array: Any, sources: list[Tensor], build: Any) -> Any:
    """``build()``, reused while the ``sources`` are the same tensors, unmodified.

    The cache holds the sources themselves, so their storage cannot be reused by others.
    """
    key = [(t.data_ptr(), t._version, t.dtype, t.device) for t in sources]
    cache = array.__dict__.get("_rule_inputs_cache")
    if cache is not None and len(cache[0]) == len(sources) and cache[1] == key:
        if all(a is b for a, b in zip(cache[0], sources)):
            return cache[2]
    value = build()
    array.__dict__["_rule_inputs_cache"] = (list(sources), key, value)
    return value


def rule_tensors(array: Any) -> RuleTensors | str:
    """The fast-path description of ``array`` (module docstring), or why it has none."""
    cls = type(array)
    if not isinstance(array, PulsedDeviceArray):
        return f"{cls.__name__} is not a pulsed device array"
    if not has_fast_rule(cls):
        return f"{cls.__name__} does not define its own update rule (subclass of a model?)"
    rule = cls.__dict__["rule"]
    values = array.rule_values()
    layout = "".join(
        ("c" if v.dim() == 2 else "t") if isinstance(v, Tensor) else "s" for v in values
    )
    cells = [v for v, kind in zip(values, layout) if kind == "c"]
    tables = [v for v, kind in zip(values, layout) if kind == "t"]
    scalars = [float(v) for v, kind in zip(values, layout) if kind == "s"]
    w = array.weight
    stacked = _cached(
        array, [*cells, *tables], lambda: (_stack(cells, w, tuple(w.shape)), _tables(tables, w))
    )
    wn_sigma = 0.0
    if array.uses_persistent_weight:
        wn_sigma = float(array.write_noise_std) * float(array.dw_min)
    return RuleTensors(
        rule=rule,
        layout=layout,
        w_p=array.persistent_weight,
        w_a=w,
        b_max=array.max_bound,
        b_min=array.min_bound,
        cells=stacked[0],
        tables=stacked[1],
        scalars=scalars,
        ref=array.rule_reference(),
        sigma=max(float(array.dw_min_std), 0.0),
        wn_sigma=wn_sigma,
    )
