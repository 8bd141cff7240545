"""Non-idealities of one analog MVM pass (spec single-tile 3.7), vectorized over a batch.

All functions take the analog result ``y`` [k, out] of one pass, the prepared (DAC) input
``xt`` [k, in] of that pass and the weight ``w`` [out, in] that was read, and return the
modified result. The order inside a pass is: IR drop -> voltage offsets / series resistance ->
weight noise (:func:`apply_pass_nonidealities`); the output non-linearity is part of the ADC
(:func:`output_nonlinearity`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from analogtrain.configs.enums import WeightNoiseType

if TYPE_CHECKING:
    from analogtrain.configs.parameters import IOParameters

__all__ = [
    "apply_pass_nonidealities",
    "ir_drop",
    "output_nonlinearity",
    "voltage_offset",
    "weight_noise",
]

# Hidden aihwkit field r_series_max_total (FLT_MAX): the series-resistance denominator cap.
_R_SERIES_MAX_TOTAL = float("inf")


def times_rows(v: Tensor, w: Tensor) -> Tensor:
    """``W v_r`` for each row ``v_r`` of ``v`` [k, in]: ``v @ w.T`` for one weight ``w``
    [out, in], or one product per row for a stack ``w`` [k, out, in] (a weight per row)."""
    if w.dim() == 2:
        return v @ w.T
    return torch.bmm(w, v.unsqueeze(2)).squeeze(2)


def ir_drop(y: Tensor, xt: Tensor, w: Tensor, strength: float, g_ratio: float) -> Tensor:
    """Output-referred IR drop along the input wires (spec 3.7.2).

    With the total current per output ``c_i = sum_j |W_ij| |x_j|``, ``a_i = n_in c_i / g_ratio``
    (``g_ratio`` = wire-to-device conductance ratio) and the cubic fit
    ``f(a) = 0.05 a^3 - 0.2 a^2 + 0.5 a``, the drop grows quadratically along the wire:
    ``y_i -= strength * f(a_i) * sum_j W_ij x_j (1 - (1 - j/n_in)^2)``.
    """
    n_in = w.shape[-1]
    w_abs = w.abs()
    a = times_rows(xt.abs(), w_abs).mul_(n_in / g_ratio)  # [k, out]
    f = a * (a * (0.05 * a - 0.2) + 0.5)
    pos = torch.arange(n_in, device=w.device, dtype=w.dtype) / n_in
    ramp = 1.0 - (1.0 - pos) ** 2  # [in]
    return y - strength * f * times_rows(xt * ramp, w)


def voltage_offset(
    y: Tensor, xt: Tensor, v_offset: Tensor, w_min: float, r_series: float
) -> Tensor:
    """Systematic per-output voltage offsets ``v_i`` and series-resistance saturation
    (spec 3.7.3).

    With the implicit reference column of weight ``w_min`` (``v_offset_w_min``), the measured
    difference current is ``(1 - v_i)(y_i + y_ref) - (1 + v_i) y_ref``, ``y_ref = -w_min sum_j
    x_j``; series resistance ``rs`` divides each current ``I`` by ``1 + rs |I|``.
    """
    rs = max(r_series, 0.0)
    if w_min == 0:
        out = (1.0 - v_offset) * y
        if rs > 0:
            out = out / (1.0 + (rs * y.abs()).clamp_(max=_R_SERIES_MAX_TOTAL))
        return out
    y_ref = (-w_min) * xt.sum(dim=1, keepdim=True)  # [k, 1]
    if rs <= 0:
        return (1.0 - v_offset) * y - 2.0 * v_offset * y_ref
    total = y + y_ref
    main = (1.0 - v_offset) * total / (1.0 + (rs * total.abs()).clamp_(max=_R_SERIES_MAX_TOTAL))
    ref = (1.0 + v_offset) * y_ref / (1.0 + (rs * y_ref.abs()).clamp_(max=_R_SERIES_MAX_TOTAL))
    return main - ref


def weight_noise(
    y: Tensor,
    xt: Tensor,
    w: Tensor,
    kind: WeightNoiseType,
    strength: float,
    generator: torch.Generator,
) -> Tensor:
    """Output-referred read noise of the weights, drawn anew for every MVM (spec 3.7.1).

    ``ADDITIVE_CONSTANT``: ``y_i += w_noise ||x||_2 xi_i`` (i.i.d. ``N(0, w_noise^2)`` on every
    weight). ``PCM_READ``: ``y_i += w_noise sqrt(sum_j |W_ij| x_j^2) xi_i`` (conductance-
    proportional read noise).
    """
    if kind is WeightNoiseType.NONE or strength <= 0:
        return y
    if kind is WeightNoiseType.ADDITIVE_CONSTANT:
        std = xt.norm(dim=1, keepdim=True)  # [k, 1]
    else:  # PCM_READ
        std = times_rows(xt * xt, w.abs())  # [k, out]
        std.sqrt_()
    xi = torch.randn(y.shape, generator=generator, device=y.device, dtype=y.dtype)
    return y + strength * std * xi


def apply_pass_nonidealities(
    y: Tensor,
    xt: Tensor,
    w: Tensor,
    io: IOParameters,
    state: dict[str, Tensor],
    generator: torch.Generator,
) -> Tensor:
    """IR drop, then voltage offsets / series resistance, then weight noise (spec 3.7 order)."""
    if io.ir_drop > 0:
        y = ir_drop(y, xt, w, float(io.ir_drop), float(io.ir_drop_g_ratio))
    if io.v_offset_std > 0 or io.r_series > 0:
        y = voltage_offset(y, xt, state["v_offset"], float(io.v_offset_w_min), float(io.r_series))
    if io.w_noise_type is not WeightNoiseType.NONE and io.w_noise > 0:
        y = weight_noise(y, xt, w, io.w_noise_type, float(io.w_noise), generator)
    return y


def output_nonlinearity(y: Tensor, n: Tensor, factor: Tensor) -> Tensor:
    """S-shaped output saturation with slope calibration (spec 3.7.4), in place:
    ``y_i <- F y_i / (1 + |n_i y_i|)``."""
    denom = (y * n).abs_().add_(1.0)
    return y.mul_(factor).div_(denom)
