"""The noisy analog matrix-vector product of a resistive crossbar (spec single-tile section 3).

One MVM ``y = W x`` of a crossbar with peripheral converters: the input is scaled by noise
management (``mu``, :mod:`.io_management`), quantized and clipped by the DAC, perturbed by input
noise, multiplied by the weights in the analog domain together with the non-idealities of
:mod:`.io_nonideal`, perturbed by output noise, quantized and clipped by the ADC, and finally
rescaled digitally by ``out_scale * mu * kappa``. Bound management repeats the whole MVM with the
input divided by ``kappa = 2, 4, ...`` for the samples whose output saturated (Gokmen, Onen &
Haensch, "Training deep convolutional neural networks with resistive cross-point devices",
Front. Neurosci. 11:538, 2017).

Every sample of a batch is an independent application of the algorithm (the CPU reference of
aihwkit), but the work is vectorized over the batch; bound-management retries recompute only
the rows that failed. All noise comes from the ``generator`` argument.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from analogtrain.configs.enums import AnalogMVType, BoundManagementType, NoiseManagementType
from analogtrain.errors import TileError
from analogtrain.kernels.io_checks import non_finite_input_error
from analogtrain.kernels.io_threads import pooled_matmul, serial_opted_in, serial_torch_ops
from analogtrain.kernels.mvm.fast import fast_analog_mvm
from analogtrain.kernels.mvm.io_management import (
    EffectiveIO,
    bm_limit_reached,
    discretize,
    effective_io,
    noise_management_scale,
)
from analogtrain.kernels.mvm.io_nonideal import apply_pass_nonidealities, output_nonlinearity
from analogtrain.kernels.mvm.io_state import check_io_state, init_io_state, nonlinearity_active
from analogtrain.kernels.update.backend import Declined, get_backend, report_decline

if TYPE_CHECKING:
    from analogtrain.configs.parameters import IOParameters

__all__ = ["analog_mvm", "effective_io", "init_io_state"]


def _check_shapes(weight: Tensor, x: Tensor) -> None:
    """Validate shapes, device and dtype of an MVM's operands."""
    if weight.dim() not in (2, 3):
        raise TileError(
            f"weight must be 2-D [out, in] (or a stack [batch, out, in]), got shape "
            f"{tuple(weight.shape)}"
        )
    if x.dim() != 2:
        raise TileError(f"input must be 2-D [batch, in], got shape {tuple(x.shape)}")
    if weight.dim() == 3 and weight.shape[0] != x.shape[0]:
        raise TileError(
            f"a stack of weights needs one per input row: {weight.shape[0]} weights for "
            f"{x.shape[0]} rows"
        )
    if x.shape[1] != weight.shape[-1]:
        raise TileError(
            f"input size {x.shape[1]} (input shape {tuple(x.shape)}) does not match the tile's "
            f"input size {weight.shape[-1]} (weight shape {tuple(weight.shape)})"
        )
    if x.device != weight.device:
        raise TileError(f"input is on {x.device} but the weight is on {weight.device}")
    if x.dtype != weight.dtype:
        raise TileError(f"input dtype {x.dtype} differs from the weight dtype {weight.dtype}")


def _check_finite(x: Tensor) -> Tensor:
    """Raise TileError for NaN or inf in ``x``; returns ``max_j |x_j|`` per row [m]."""
    abs_max = x.abs().amax(dim=1) if x.shape[0] > 0 else x.new_zeros(0)  # NaN propagates
    if not bool(torch.isfinite(abs_max).all()):
        raise non_finite_input_error(x)
    return abs_max


def _prepare_input(
    x: Tensor, scale: Tensor | float | None, eff: EffectiveIO, io: IOParameters, generator
) -> Tensor:
    """DAC (spec 3.3.1): scale, quantize, clip, add input noise, input asymmetry."""
    if scale is None:
        v = x.clone()
    elif isinstance(scale, Tensor):
        v = x * scale.unsqueeze(1)
    else:
        v = x * scale
    discretize(v, eff.inp_step, bool(io.inp_sto_round), generator)
    if math.isfinite(eff.inp_bound):
        v.clamp_(-eff.inp_bound, eff.inp_bound)
    if io.inp_noise > 0:
        noise = torch.randn(v.shape, generator=generator, device=v.device, dtype=v.dtype)
        v.add_(noise, alpha=float(io.inp_noise))
    if io.inp_asymmetry != 0:
        v = torch.where(v < 0, v * (1.0 - io.inp_asymmetry), v)
    return v


def _finalize(
    y: Tensor, eff: EffectiveIO, io: IOParameters, state: dict[str, Tensor], generator
) -> tuple[Tensor, Tensor | None]:
    """ADC (spec 3.3.2), in place on ``y`` [k, out]: non-linearity, output asymmetry, output
    noise, quantization, clip. Returns ``(y, passed [k])``; ``passed`` is ``None`` without
    bound management."""
    if nonlinearity_active(io):
        output_nonlinearity(y, state["out_nonlinearity"], state["out_nonlinearity_factor"])
    if io.out_asymmetry > 0:
        y = torch.where(y < 0, y * (1.0 - io.out_asymmetry), y)
    if io.out_noise_std > 0 or io.out_noise > 0:
        noise = torch.randn(y.shape, generator=generator, device=y.device, dtype=y.dtype)
        if io.out_noise_std > 0:  # per-output std drawn at construction
            y.add_(noise.mul_(state["out_noise_values"]))
        else:
            y.add_(noise, alpha=float(io.out_noise))
    discretize(y, eff.out_step, bool(io.out_sto_round), generator)
    bound = eff.out_bound
    if not math.isfinite(bound):
        return y, None
    passed = None
    if eff.bm_active:
        if io.bm_test_negative_bound:
            passed = y.abs().amax(dim=1) <= bound
        else:
            high = y > bound
            # aihwkit assigns `passed` output by output: the last saturated output decides
            # (positive -> failed, negative -> passed) [quirk, spec 3.3.2].
            saturated = high | (y < -bound)
            order = torch.arange(1, y.shape[1] + 1, device=y.device)
            last = torch.argmax(saturated * order, dim=1, keepdim=True)
            passed = ~(saturated.any(dim=1) & high.gather(1, last).squeeze(1))
    return y.clamp_(-bound, bound), passed


def _and(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    return a if b is None else a & b


def _analog_pass(
    weight: Tensor,
    x: Tensor,
    scale: Tensor | float | None,
    eff: EffectiveIO,
    io: IOParameters,
    state: dict[str, Tensor],
    generator,
    threads: int = 1,
) -> tuple[Tensor, Tensor | None]:
    """One complete analog MVM of the rows ``x`` [k, in] (spec 3.3 ANALOG_MV, 3.6); the
    products run with ``threads`` torch threads, the rest on the calling thread."""
    xt = _prepare_input(x, scale, eff, io, generator)
    if eff.mv_type is AnalogMVType.ONE_PASS:
        y = pooled_matmul(xt, weight.T, threads)
        y = apply_pass_nonidealities(y, xt, weight, io, state, generator)
        return _finalize(y, eff, io, state, generator)
    # Separate passes for the negative and the positive inputs (spec 3.6).
    w_neg = weight * state["w_asymmetry"] if io.w_read_asymmetry_dtod > 0 else weight
    x_neg = xt.clamp(max=0.0)
    x_pos = xt.clamp_(min=0.0)
    y_neg = pooled_matmul(x_neg, w_neg.T, threads)
    y_neg = apply_pass_nonidealities(y_neg, x_neg, w_neg, io, state, generator)
    y_pos = pooled_matmul(x_pos, weight.T, threads)
    y_pos = apply_pass_nonidealities(y_pos, x_pos, weight, io, state, generator)
    if eff.mv_type is AnalogMVType.POS_NEG_SEPARATE:
        return _finalize(y_pos.add_(y_neg), eff, io, state, generator)
    # POS_NEG_SEPARATE_DIGITAL_SUM: two ADC conversions summed digitally.
    y_neg, passed_neg = _finalize(y_neg, eff, io, state, generator)
    y_pos, passed_pos = _finalize(y_pos, eff, io, state, generator)
    return y_pos.add_(y_neg), _and(passed_neg, passed_pos)


def analog_mvm(
    weight: Tensor,
    x: Tensor,
    io: IOParameters,
    state: dict[str, Tensor],
    generator: torch.Generator,
    *,
    is_backward: bool = False,
) -> Tensor:
    """Noisy analog MVM ``y = W x`` for every row of ``x`` [m, in] -> ``y`` [m, out].

    ``weight`` is the [out, in] matrix read in this direction (pass ``W.T`` for the backward
    pass), or a stack [m, out, in] of one matrix per row of ``x`` (row ``r`` read through
    ``weight[r]``, as ``m`` one-row calls in order would read it); ``state`` the dict of
    :func:`init_io_state` for this direction. With
    ``is_backward=True`` bound management is off and samples whose noise-management scale is
    ``<= 0`` give zero output regardless of ``inp_noise`` (spec 3.8).

    Path: the compiled CPU kernels of :mod:`.fast` (bit-identical results) unless the backend
    of :mod:`analogtrain.kernels.update.backend` is ``"reference"``; a configuration or call
    they do not cover runs the torch reference here, with a warning once per reason under
    ``"auto"`` and :class:`~analogtrain.kernels.update.backend.FastPathUnavailable` under
    ``"fast"``.
    """
    _check_shapes(weight, x)
    if get_backend() != "reference":
        if serial_opted_in():
            with serial_torch_ops() as threads:
                y = fast_analog_mvm(weight, x, io, state, generator, is_backward, threads)
        else:  # nothing to switch: the products use the caller's threads as they are
            y = fast_analog_mvm(weight, x, io, state, generator, is_backward, 1)
        if isinstance(y, Tensor):
            return y
        if isinstance(y, Declined):
            report_decline(y, "analog_mvm")
    if weight.dim() == 3:  # the reference reads each row through its own weight, in order
        rows = [_reference_mvm(w, x[r : r + 1], io, state, generator, is_backward)
                for r, w in enumerate(weight)]  # fmt: skip
        return torch.cat(rows) if rows else x.new_zeros((0, weight.shape[1]))
    return _reference_mvm(weight, x, io, state, generator, is_backward)


def _reference_mvm(
    weight: Tensor,
    x: Tensor,
    io: IOParameters,
    state: dict[str, Tensor],
    generator: torch.Generator,
    is_backward: bool,
) -> Tensor:
    """The torch reference of :func:`analog_mvm` for one weight ``[out, in]``."""
    with serial_torch_ops() as threads:  # small ops on this thread, products pooled
        abs_max = _check_finite(x)
        eff = effective_io(io, is_backward=is_backward)
        if eff.perfect:
            y = pooled_matmul(x, weight.T, threads)
            out_scale = float(io.out_scale)
            return y.mul_(out_scale) if out_scale != 1.0 else y
        return _noisy_mvm(weight, x, io, state, generator, eff, is_backward, threads, abs_max)


def _noisy_mvm(
    weight: Tensor,
    x: Tensor,
    io: IOParameters,
    state: dict[str, Tensor],
    generator: torch.Generator,
    eff: EffectiveIO,
    is_backward: bool,
    threads: int,
    abs_max: Tensor,
) -> Tensor:
    """The body of :func:`analog_mvm` for a non-perfect IO."""
    out_scale = float(io.out_scale)

    if x.shape[0] == 0:
        return x.new_zeros((0, weight.shape[0]))
    check_io_state(io, eff, state, *weight.shape)
    mu = noise_management_scale(
        x, eff, state, max_bm_res=float(io.max_bm_res), abs_max=abs_max
    )  # [m] or None
    zero_rows = None
    if mu is not None:
        positive = mu > 0
        if is_backward or io.inp_noise <= 0:
            zero_rows = ~positive  # e.g. all-zero input with ABS_MAX: output exactly 0
        mu = torch.where(positive, mu, torch.ones_like(mu))  # mu <= 0: no input scaling
    x, mu, row_unscale = _lift_tiny_rows(x, mu)

    kappa = 1.0
    y, passed = _analog_pass(weight, x, _reciprocal(mu), eff, io, state, generator, threads)
    factor = mu * out_scale if mu is not None else None
    if zero_rows is not None:
        factor = factor.masked_fill(zero_rows, 0.0)
        passed = passed | zero_rows if passed is not None else None
    y = _rescale(y, factor, out_scale)
    if passed is None:
        return _unlift(y, row_unscale)

    rows = None  # indices (into x) of the rows still being retried
    worst_case = (
        eff.bound_management is BoundManagementType.ITERATIVE_WORST_CASE
        and eff.noise_management is not NoiseManagementType.ABS_MAX_NP_SUM
    )
    retry = 1
    while not bm_limit_reached(kappa, eff, io):
        failed = (~passed).nonzero().squeeze(1)
        if failed.numel() == 0:
            break
        rows = failed if rows is None else rows.index_select(0, failed)
        if mu is not None:
            mu = mu.index_select(0, failed)
        x_rows = x.index_select(0, rows)
        kappa *= 2.0
        if retry == 1 and worst_case:
            kappa = 1.0
            if eff.nm_active:  # worst-case scale, used only when NM is on (as in aihwkit)
                mu = noise_management_scale(
                    x_rows,
                    eff,
                    state,
                    max_bm_res=float(io.max_bm_res),
                    noise_management=NoiseManagementType.ABS_MAX_NP_SUM,
                )
                mu = torch.where(mu > 0, mu, torch.ones_like(mu))
        retry += 1
        scale = _reciprocal(mu, kappa)
        y_rows, passed = _analog_pass(weight, x_rows, scale, eff, io, state, generator, threads)
        factor = mu * (kappa * out_scale) if mu is not None else None
        y.index_copy_(0, rows, _rescale(y_rows, factor, kappa * out_scale))
    return _unlift(y, row_unscale)


def _lift_tiny_rows(x: Tensor, mu: Tensor | None) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Rows whose scale ``mu`` is so small (subnormal inputs) that ``1/mu`` would overflow
    are multiplied, input and ``mu`` alike, by a power of two (``2**64`` in float32); the
    result is divided by it again in :func:`_unlift`. Powers of two scale exactly, every
    other row is untouched (bit-identical), and the lifted rows get the output of
    ``mu · f(x / mu)`` instead of NaN. Returns ``(x, mu, per-row divisor or None)``."""
    if mu is None:
        return x, mu, None
    info = torch.finfo(mu.dtype)
    tiny = mu < 2.0 / info.max
    if not bool(tiny.any()):
        return x, mu, None
    lift = torch.ones_like(mu).masked_fill_(tiny, 2.0 ** (math.frexp(info.max)[1] // 2))
    return x * lift.unsqueeze(1), mu * lift, lift


def _unlift(y: Tensor, row_unscale: Tensor | None) -> Tensor:
    return y if row_unscale is None else y.div_(row_unscale.unsqueeze(1))


def _reciprocal(mu: Tensor | None, kappa: float = 1.0) -> Tensor | float | None:
    """DAC input scale ``1 / mu / kappa`` (``None`` = no scaling)."""
    if mu is None:
        return None if kappa == 1.0 else 1.0 / kappa
    return (1.0 / mu) / kappa


def _rescale(y: Tensor, factor: Tensor | None, scalar: float) -> Tensor:
    """Digital output rescaling ``y * out_scale * mu * kappa`` (per row ``factor`` or a scalar)."""
    if factor is not None:
        return y.mul_(factor.unsqueeze(1))
    return y.mul_(scalar) if scalar != 1.0 else y
