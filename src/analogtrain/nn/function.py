"""The autograd function through which a tile module runs its analog MVMs.

Forward (compounds.md 4.2, single-tile.md 3.9):

    y = s ⊙ MVM_fwd(W, x)                     x [m, x_size] -> y [m, out]

with ``s`` the mapping scales. When ``forward.out_bound > 0`` the function remembers where
the tile output (after the noise/bound-management rescaling, before ``s``) reached
``|y| >= 0.999 · out_scale · out_bound``; the gradient there is zeroed in the backward pass
(an aihwkit quirk kept for parity: it masks even outputs the ADC did not clip).

Backward:

    d_in = mask ⊙ (s ⊙ grad_out);   grad_x = MVM_bwd(W^T, d_in)

and the pair ``(x, grad_out)`` (the raw gradient, neither scaled nor masked) is stored on
the :class:`~analogtrain.nn.context.AnalogContext` for the pulsed update the optimizer
performs in ``step()``. No weight changes here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.kernels.mvm.fast_plan import numba_kernels
from analogtrain.kernels.update.backend import get_backend
from analogtrain.nn.context import AnalogContext

__all__ = ["AnalogFunction"]


def saturated_outputs(y: Tensor, bound: float) -> Tensor | None:
    """The mask ``|y| >= bound`` of a tile output ``y [m, out]``, or None when no output
    reaches the bound (the backward pass then has nothing to mask).

    On the CPU it is taken on a numpy view of ``y`` (one compiled scan, or two numpy
    reductions without numba, against two torch operations and a ``masked_fill`` in the
    backward pass), comparing in ``y``'s dtype as torch compares a tensor with a Python
    number."""
    if y.device.type != "cpu" or y.requires_grad:
        return y.abs() >= bound
    values = y.numpy()
    limit = values.dtype.type(bound)
    if values.size == 0:
        return None
    scan = _compiled_scan(values)
    if scan is not None:  # one compiled pass (the NaN test too)
        if not scan(values, limit):
            return None
    elif _MAX(values, axis=None) < limit and _MIN(values, axis=None) > -limit:
        return None  # two reductions, no temporary arrays: the common case
    return torch.from_numpy(np.abs(values) >= limit)  # (NaN outputs also come here)


_MAX, _MIN = np.maximum.reduce, np.minimum.reduce


def _compiled_scan(values: np.ndarray) -> Callable[[np.ndarray, Any], bool] | None:
    """The compiled ``any |y| >= bound`` test of the MVM kernels for a 2-D float32/float64
    array, or None (no numba, the ``"reference"`` backend, other arrays: numpy decides)."""
    if values.ndim != 2 or values.dtype not in _SCANNED or get_backend() == "reference":
        return None
    kernels = numba_kernels()
    return None if kernels is None else kernels.any_at_least  # type: ignore[no-any-return]


_SCANNED = (np.dtype(np.float32), np.dtype(np.float64))


class AnalogFunction(torch.autograd.Function):
    """``AnalogFunction.apply(analog_ctx, x)`` with ``x [..., in_size]`` -> ``[..., out]``."""

    @staticmethod
    def forward(fctx: Any, analog_ctx: AnalogContext, x: Tensor) -> Tensor:  # noqa: D102
        module = analog_ctx.analog_module
        flat = x.dim() == 2  # a batch of vectors already: no views to make (torch ops)
        x_tile = module.tile_input(x if flat else x.reshape(-1, x.shape[-1]))  # [m, x_size]
        with module.mvm_scope():
            y = module.tile.forward_mvm(x_tile)  # [m, out]
        bound = module.gradient_bound()
        mask = saturated_outputs(y, bound) if bound is not None else None
        scales = module.mapping_scales
        if scales is not None:
            y = y * scales
        fctx.analog_ctx = analog_ctx
        fctx.in_shape = x.shape
        fctx.save_for_backward(x_tile, mask)
        return y if flat else y.reshape(*x.shape[:-1], y.shape[-1])

    @staticmethod
    def backward(fctx: Any, grad_out: Tensor) -> tuple[None, Tensor | None]:  # noqa: D102
        analog_ctx: AnalogContext = fctx.analog_ctx
        module = analog_ctx.analog_module
        x_tile, mask = fctx.saved_tensors
        d = grad_out if grad_out.dim() == 2 else grad_out.reshape(-1, grad_out.shape[-1])
        # The backward product runs (and may reject d) before the pair is stored: a
        # rejected backward leaves no pending update behind.
        grad_x = None
        if fctx.needs_input_grad[1]:
            scales = module.mapping_scales
            d_in = d * scales if scales is not None else d
            if mask is not None:
                d_in = d_in.masked_fill(mask, 0.0)
            with module.mvm_scope():
                grad_x = module.tile.backward_mvm(d_in)  # [m, x_size]
            grad_x = module.tile_input_grad(grad_x)
            if grad_x.shape != fctx.in_shape:
                grad_x = grad_x.reshape(fctx.in_shape)  # [..., in]
        module.store_pair(analog_ctx, x_tile, d)
        return None, grad_x
