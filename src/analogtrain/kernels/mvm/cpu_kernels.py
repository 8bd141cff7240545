"""numba kernels of the fast CPU analog MVM (:mod:`.fast`); compiled lazily, cached on disk.

The converters of one ONE_PASS MVM (spec single-tile 3.3) in two calls around the torch
product ``v @ W.T``: :func:`dac` (finiteness check, noise-management scale ``mu`` per row,
lift of tiny rows, scaling, quantization, clip) and :func:`adc` (output non-linearity,
asymmetry, output noise from a tensor drawn by torch, quantization, the bound-management test,
clip, digital rescaling). :func:`dac_rows` is the DAC of the bound-management retries.

Every operation is the one the torch reference (:mod:`.mvm`) performs, in the same order and
in the array's own precision: the constants arrive as arrays of that dtype (a Python float
``c`` is used as ``dtype(c)``, as torch casts a scalar operand), so the results are
bit-identical to the reference for the same drawn noise. None of the kernels is parallel:
they run on the calling thread.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

__all__ = [
    "BM_LAST_DECIDES",
    "BM_NEGATIVE",
    "BM_NONE",
    "NM_ABS_MAX",
    "NM_CONSTANT",
    "NM_GIVEN",
    "NM_MAX",
    "NM_NONE",
    "NOISE_FUSED",
    "NOISE_NONE",
    "NOISE_PER_OUTPUT",
    "NOISE_PLAIN",
    "adc",
    "all_finite",
    "dac",
    "dac_rows",
    "fma",
    "row_abs_max",
]

# noise-management modes of dac (NM_GIVEN: mu computed by torch and passed in)
NM_NONE, NM_ABS_MAX, NM_MAX, NM_CONSTANT, NM_GIVEN = 0, 1, 2, 3, 4
# output-noise modes of adc: y + alpha n fused (one rounding) or not; y + n * value_j
NOISE_NONE, NOISE_FUSED, NOISE_PLAIN, NOISE_PER_OUTPUT = 0, 1, 2, 3
# bound-management tests of adc: none; max |y| <= bound; aihwkit's "last saturated decides"
BM_NONE, BM_NEGATIVE, BM_LAST_DECIDES = 0, 1, 2

# dac constants (c[k]): nm_thres, inp_step, inp_bound, 1 - inp_asymmetry, tiny-row threshold,
# lift factor, the CONSTANT scale, 1, 0.5
(DAC_THRES, DAC_STEP, DAC_BOUND, DAC_ASYM, DAC_TINY, DAC_LIFT, DAC_CONST, DAC_ONE, DAC_HALF) = (
    range(9)
)
# adc constants: nonlinearity factor F, 1 - out_asymmetry, out_noise, out_step, out_bound,
# output scale (out_scale * kappa), 1, 0.5
ADC_NL_F, ADC_ASYM, ADC_ALPHA, ADC_STEP, ADC_BOUND, ADC_SCALE, ADC_ONE, ADC_HALF = range(8)
# rows of the per-row work array ``rows`` [4, m]: mu, lift, zero-output flag, passed flag
ROW_MU, ROW_LIFT, ROW_ZERO, ROW_PASSED = range(4)


@intrinsic
def fma(typingctx, a, b, c):  # type: ignore[no-untyped-def]
    """``a * b + c`` with one rounding (LLVM ``llvm.fma``), as torch's vectorised
    ``add(alpha=)``."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.fma(*args)

    return a(a, b, c), codegen


@numba.njit(cache=True)
def all_finite(a):  # type: ignore[no-untyped-def]
    """Whether every entry of the 2-D array ``a`` (any layout) is finite."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if not np.isfinite(a[i, j]):
                return False
    return True


@numba.njit(cache=True)
def any_at_least(a, limit):  # type: ignore[no-untyped-def]
    """Whether some entry of the 2-D array ``a`` has ``|a_ij| >= limit`` or is NaN."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            v = a[i, j]
            if not abs(v) < limit:
                return True
    return False


@numba.njit(cache=True)
def row_abs_max(x, out):  # type: ignore[no-untyped-def]
    """``out[i] = max_j |x_ij|``; False (``out`` undefined) if an entry is not finite."""
    for i in range(x.shape[0]):
        a = abs(x[i, 0])  # the rows have at least one entry
        for j in range(x.shape[1]):
            xv = x[i, j]
            if not np.isfinite(xv):
                return False
            if abs(xv) > a:
                a = abs(xv)
        out[i] = a
    return True


@numba.njit(cache=True, inline="always")
def _convert(xv, s, step, bound, half, asym_f, uv, sto, asym):  # type: ignore[no-untyped-def]
    """The DAC of one scaled input: ``x s`` quantized (``rint``, ties to even, optionally
    stochastic with ``uv``), clipped, and the input asymmetry if ``asym``."""
    v = xv * s
    if step > 0:
        v = v / step
        if sto:
            v = v + uv
            v = v - half
        v = np.rint(v) * step
    if v < -bound:
        v = -bound
    if v > bound:
        v = bound
    if asym and v < 0:
        v = v * asym_f
    return v


@numba.njit(cache=True)
def dac(x, mu_given, u, c, nm_mode, zero_mode, sto, asym, v, rows):  # type: ignore[no-untyped-def]
    """First pass of the DAC of ``x`` [m, n] into ``v`` [m, n]; False if ``x`` is not finite.

    Writes ``rows[ROW_MU]`` (the scale ``mu``: nonpositive values replaced by 1, tiny ones
    lifted), ``rows[ROW_LIFT]`` (the lift factor, 1 for most rows) and ``rows[ROW_ZERO]`` (1
    where the output is forced to 0: ``mu <= 0`` and ``zero_mode``).
    """
    m, n = x.shape
    one, thres, tiny, lift_value = c[DAC_ONE], c[DAC_THRES], c[DAC_TINY], c[DAC_LIFT]
    step, bound, half, asym_f = c[DAC_STEP], c[DAC_BOUND], c[DAC_HALF], c[DAC_ASYM]
    for i in range(m):
        a = abs(x[i, 0])  # the rows have at least one entry
        b = x[i, 0]
        finite = True
        for j in range(n):
            xv = x[i, j]
            finite = finite and np.isfinite(xv)
            a = max(a, abs(xv))
            b = max(b, xv)
        if not finite:
            return False
        if nm_mode == NM_ABS_MAX:
            mu = a
        elif nm_mode == NM_MAX:
            mu = b
        elif nm_mode == NM_CONSTANT:
            mu = c[DAC_CONST]
        elif nm_mode == NM_GIVEN:
            mu = mu_given[i]
        else:
            mu = one
        if (nm_mode == NM_ABS_MAX or nm_mode == NM_MAX) and thres > 0 and mu > thres:
            mu = thres
        zero = one * 0
        lift = one
        if nm_mode != NM_NONE:
            if not mu > 0:
                if zero_mode:
                    zero = one
                mu = one
            if mu < tiny:
                lift = lift_value
                mu = mu * lift
        rows[ROW_MU, i] = mu
        rows[ROW_LIFT, i] = lift
        rows[ROW_ZERO, i] = zero
        s = one / mu if nm_mode != NM_NONE else one
        for j in range(n):
            v[i, j] = _convert(x[i, j] * lift, s, step, bound, half, asym_f, u[i, j], sto, asym)
    return True


@numba.njit(cache=True)
def dac_rows(x, index, mu, lift, kappa, c, scaled, sto, asym, u, v):  # type: ignore[no-untyped-def]
    """DAC of the bound-management retry of rows ``index`` of ``x`` into ``v`` [k, n]:
    input ``x lift`` times ``(1 / mu) / kappa`` (``scaled``) or ``1 / kappa`` (no noise
    management; ``kappa`` [2] holds ``kappa`` and ``1 / kappa``)."""
    step, bound, half, asym_f = c[DAC_STEP], c[DAC_BOUND], c[DAC_HALF], c[DAC_ASYM]
    for r in range(index.shape[0]):
        i = index[r]
        if scaled:
            s = (c[DAC_ONE] / mu[r]) / kappa[0]
        else:
            s = kappa[1]
        for j in range(x.shape[1]):
            v[r, j] = _convert(x[i, j] * lift[r], s, step, bound, half, asym_f, u[r, j], sto, asym)


@numba.njit(cache=True)
def adc(y, noise, values, u, nl, c, has_nl, asym, noise_mode, sto, bm_mode, rows):  # type: ignore[no-untyped-def]
    """ADC of the analog result ``y`` [k, out], in place; returns the number of rows that
    failed the bound-management test (``rows[ROW_PASSED]`` 0 for them).

    Per output: non-linearity ``F y / (1 + |n_j y|)``, asymmetry, noise (``noise`` drawn by
    torch; ``alpha n`` fused or not, or ``n values_j``), quantization, the test, clip to
    ``±out_bound``, then ``y * (mu * scale)`` (0 for zero rows) divided by the row's lift.
    """
    one, bound, step, half = c[ADC_ONE], c[ADC_BOUND], c[ADC_STEP], c[ADC_HALF]
    nl_f, asym_f, alpha, scale = c[ADC_NL_F], c[ADC_ASYM], c[ADC_ALPHA], c[ADC_SCALE]
    n = y.shape[1]
    failed = 0
    for i in range(y.shape[0]):
        # one simple (vectorisable) loop per stage, the stages in the reference's order
        if has_nl:
            for j in range(n):
                y[i, j] = (y[i, j] * nl_f) / (abs(y[i, j] * nl[j]) + one)
        if asym:
            for j in range(n):
                if y[i, j] < 0:
                    y[i, j] = y[i, j] * asym_f
        if noise_mode == NOISE_FUSED:
            for j in range(n):
                y[i, j] = fma(alpha, noise[i, j], y[i, j])
        elif noise_mode == NOISE_PLAIN:
            for j in range(n):
                y[i, j] = y[i, j] + alpha * noise[i, j]
        elif noise_mode == NOISE_PER_OUTPUT:
            for j in range(n):
                y[i, j] = y[i, j] + noise[i, j] * values[j]
        if step > 0:
            if sto:
                for j in range(n):
                    y[i, j] = np.rint((y[i, j] / step + u[i, j]) - half) * step
            else:
                for j in range(n):
                    y[i, j] = np.rint(y[i, j] / step) * step
        fail = False
        if bm_mode == BM_NEGATIVE:
            ok = True
            for j in range(n):
                ok = ok and abs(y[i, j]) <= bound  # NaN fails, as torch's amax
            fail = not ok
        elif bm_mode == BM_LAST_DECIDES:
            for j in range(n):
                if y[i, j] > bound:
                    fail = True
                elif y[i, j] < -bound:
                    fail = False
        zero = rows[ROW_ZERO, i] != 0
        f = one * 0 if zero else rows[ROW_MU, i] * scale
        inv_lift = one / rows[ROW_LIFT, i]  # a power of two: y / lift == y * (1 / lift)
        for j in range(n):
            yv = min(max(y[i, j], -bound), bound) if not np.isnan(y[i, j]) else y[i, j]
            y[i, j] = (yv * f) * inv_lift
        if fail and not zero:
            rows[ROW_PASSED, i] = 0
            failed += 1
        else:
            rows[ROW_PASSED, i] = one
    return failed
