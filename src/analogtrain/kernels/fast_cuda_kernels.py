"""Triton kernels of the fast CUDA pulsed update (compiled just in time by Triton).

Imported lazily by :mod:`analogtrain.kernels.fast_cuda` on the first CUDA update, so a CPU
installation never imports Triton. With ``TRITON_INTERPRET=1`` set before this module is
imported, Triton runs the same kernels in its numpy interpreter on CPU tensors: that is how
the test suite holds them to the reference path on machines without a GPU.

Kernels (one program = ``BLOCK`` cross-points of the flattened ``[out, in]`` array):

* :func:`pulse_segment` applies the coincidences of ``n_samples`` consecutive samples.
  ``counts [S, out*in]`` holds each sample's signed coincidence count (``sign · n``, the
  sign being that of ``d_i x_j`` with the learning-rate sign folded in: positive means the
  pulses depress the weight, spec 2.5). Every cross-point keeps its weight in a register,
  walks the samples in batch order and applies its ``n`` pulses one after the other through
  the model's update-once rule, each with a fresh cycle-to-cycle normal and the clip to
  ``[b_min, b_max]`` (spec 2.5, 4.6). ``last`` records the last sample that pulsed the
  cross-point (for the write-noise redraw of spec 2.7).
* :func:`redraw_apparent` sets the apparent weight of every cross-point pulsed in this call
  to ``w_p + σ_wn ξ`` (spec 2.7 rule 1: only the redraw after the last pulse is observable).
* the captured reads of the chopped compounds (analog reads of chosen columns in the middle
  of a batch) are taken inside :func:`pulse_segment`, right after their sample: a read sees
  ``w_p + σ_wn ξ(last)`` on a cross-point pulsed earlier in the call (the value the final
  redraw gives if no later pulse hits it) and the apparent weight from before the call on
  one not pulsed yet.

Random numbers are Philox-4x32-10 (J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw,
"Parallel random numbers: as easy as 1, 2, 3", SC 2011), counter-based: the counter is
``(cross-point, sample, pulse, stream)`` under one key drawn per call from the tile's
``torch.Generator``. Results therefore do not depend on the launch configuration, and a run
is reproducible from its seed. Normals use the Box-Muller transform with a 53-bit uniform
for the radius (tail exact to 8.6 standard deviations) and a 24-bit uniform for the angle.
"""

from __future__ import annotations

import os

import triton
import triton.language as tl

from analogtrain.kernels import fast_cpu_ids as ids


def _patch_interpreter_scalars() -> None:
    """Let Triton's interpreter use scalar tensors as loop bounds under numpy >= 2.4.

    The interpreter (Triton 3.x) holds a scalar as a one-element numpy array and converts it
    with ``int(array)``, which numpy 2.4 refuses for arrays with a dimension. The patch
    converts through ``reshape(-1)[0]`` instead; it only touches interpreter mode.
    """
    from triton.runtime import interpreter

    original = interpreter._patch_lang_tensor
    if getattr(original, "_analogtrain_patched", False):
        return

    def patched(tensor, scope):  # type: ignore[no-untyped-def]
        original(tensor, scope)
        scope.set_attr(tensor, "__index__", lambda self: int(self.handle.data.reshape(-1)[0]))

    patched._analogtrain_patched = True  # type: ignore[attr-defined]
    interpreter._patch_lang_tensor = patched


if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
    _patch_interpreter_scalars()

__all__ = ["pulse_segment", "redraw_apparent"]

CONSTANT_STEP: tl.constexpr = tl.constexpr(ids.CONSTANT_STEP)
LINEAR_STEP: tl.constexpr = tl.constexpr(ids.LINEAR_STEP)
SOFT_BOUNDS_REFERENCE: tl.constexpr = tl.constexpr(ids.SOFT_BOUNDS_REFERENCE)
EXP_STEP: tl.constexpr = tl.constexpr(ids.EXP_STEP)
POW_STEP: tl.constexpr = tl.constexpr(ids.POW_STEP)
PIECEWISE_STEP: tl.constexpr = tl.constexpr(ids.PIECEWISE_STEP)

#: stream numbers (fourth Philox counter word)
STREAM_C2C: tl.constexpr = tl.constexpr(0)
STREAM_WRITE_NOISE: tl.constexpr = tl.constexpr(1)


@triton.jit
def _normal(seed, offs, sample, pulse, stream: tl.constexpr):
    """The N(0, 1) sample of counter ``(offs, sample, pulse, stream)`` under key ``seed``."""
    c0 = offs.to(tl.uint32)
    c1 = (offs * 0 + sample).to(tl.uint32)
    c2 = (offs * 0 + pulse).to(tl.uint32)
    c3 = (offs * 0 + stream).to(tl.uint32)
    r0, r1, r2, _ = tl.random.philox(seed, c0, c1, c2, c3)
    bits = (r0.to(tl.uint64) << 21) ^ (r2.to(tl.uint64) >> 11)  # 53 random bits
    u1 = (bits.to(tl.float64) + 0.5) * 1.1102230246251565e-16  # (0, 1)
    radius = tl.sqrt(-2.0 * tl.log(u1)).to(tl.float32)
    u2 = (r1 >> 8).to(tl.float32) * 5.960464477539063e-08  # [0, 1)
    return radius * tl.cos(6.283185307179586 * u2)


@triton.jit
def _pulse_once(
    g, down, xi, sigma, hi, lo, up, dn, eu, ed, nodes_up_ptr, nodes_dn_ptr, n_nodes,
    a_up, a_dn, gamma_up, gamma_dn, exp_a, exp_b, std_add, std_slope,
    MODEL: tl.constexpr, MULT_NOISE: tl.constexpr, COMPLEX_NOISE: tl.constexpr,
):  # fmt: skip
    """One pulse of the model's update-once rule, unclipped (the numba rules, vectorised)."""
    if MODEL == CONSTANT_STEP:
        step = tl.where(down, -dn, up)
        new = g + step * (1.0 + sigma * xi)
    elif MODEL == LINEAR_STEP:
        step = tl.where(down, -dn, up)
        slope = tl.where(down, -ed, eu)
        if MULT_NOISE:
            new = g + (slope * g + step) * (1.0 + sigma * xi)
        else:
            new = g + slope * g + step * (1.0 + sigma * xi)
    elif MODEL == SOFT_BOUNDS_REFERENCE:
        bound = tl.where(down, lo, hi)
        step = tl.where(down, -dn, up)
        usable = tl.where(down, bound < 0.0, bound > 0.0)
        safe = tl.where(usable, bound, 1.0)
        factor = 1.0 - tl.where(usable, g / safe, 0.0)
        if MULT_NOISE:
            new = g + step * factor * (1.0 + sigma * xi)
        else:
            new = g + step * (factor + sigma * xi)
    elif MODEL == EXP_STEP:
        span = hi - lo
        safe_span = tl.where(span > 0.0, span, 1.0)
        z = 2.0 * exp_a * g / safe_span + exp_b
        dw_up = tl.maximum(1.0 - a_up * tl.exp(gamma_up * z), 0.0) * up
        dw_dn = -tl.maximum(1.0 - a_dn * tl.exp(-gamma_dn * z), 0.0) * dn
        dw = tl.where(down, dw_dn, dw_up)
        if COMPLEX_NOISE:
            spread = tl.abs(dw) + std_add + std_slope * tl.abs(g)
            new = g + dw + sigma * spread * xi
        else:
            new = g + dw * (1.0 + sigma * xi)
        new = tl.where(span > 0.0, new, g)
    elif MODEL == POW_STEP:
        span = hi - lo
        safe_span = tl.where(span != 0.0, span, 1.0)
        distance = tl.maximum(tl.where(down, g - lo, hi - g), 0.0) / safe_span
        exponent = tl.where(down, ed, eu)
        # distance ** exponent, with 0 ** e = 0 for e > 0 and 1 for e == 0 (as numpy)
        safe_distance = tl.where(distance > 0.0, distance, 1.0)
        power = tl.exp(exponent * tl.log(safe_distance))
        power = tl.where(distance > 0.0, power, tl.where(exponent == 0.0, 1.0, 0.0))
        step = tl.where(down, -dn, up) * power
        new = tl.where(span != 0.0, g + step * (1.0 + sigma * xi), g)
    else:  # PIECEWISE_STEP
        n_seg = n_nodes - 1
        span = hi - lo
        ok = (span > 0.0) & (n_seg > 0)
        safe_span = tl.where(ok, span, 1.0)
        s = tl.maximum((g - lo) / safe_span * n_seg, 0.0)
        k_float = tl.minimum(tl.floor(s), n_seg - 1.0)
        t = tl.where(ok, tl.minimum(s - k_float, 1.0), 0.0)
        k = tl.where(ok, k_float, 0.0).to(tl.int32)
        k_next = tl.minimum(k + 1, n_seg)
        node_k = tl.where(down, tl.load(nodes_dn_ptr + k), tl.load(nodes_up_ptr + k))
        node_n = tl.where(down, tl.load(nodes_dn_ptr + k_next), tl.load(nodes_up_ptr + k_next))
        factor = (1.0 - t) * node_k + t * node_n
        step = tl.where(down, -dn, up)
        new = g + step * factor * (1.0 + sigma * xi)
    return new


@triton.jit
def pulse_segment(
    wp_ptr, ref_ptr, hi_ptr, lo_ptr, up_ptr, dn_ptr, eu_ptr, ed_ptr,
    nodes_up_ptr, nodes_dn_ptr, n_nodes,
    counts_ptr, last_ptr, n, n_samples, sample_base, seed, sigma,
    a_up, a_dn, gamma_up, gamma_dn, exp_a, exp_b, std_add, std_slope,
    wa_ptr, read_start_ptr, read_cols_ptr, captured_ptr, in_size, out_size, wn_seed, wn_sigma,
    MODEL: tl.constexpr, HAS_REF: tl.constexpr, NOISE: tl.constexpr,
    MULT_NOISE: tl.constexpr, COMPLEX_NOISE: tl.constexpr, READS: tl.constexpr,
    WRITE_NOISE: tl.constexpr, BLOCK: tl.constexpr,
):  # fmt: skip
    """Apply the signed counts of ``n_samples`` samples to ``BLOCK`` cross-points.

    With ``READS``, reads ``read_start[s] .. read_start[s + 1] - 1`` are taken right after
    sample ``s`` of this launch: ``captured[r, i]`` = the apparent weight of cross-point
    ``(i, read_cols[r])`` at that moment (module docstring).
    """
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    w = tl.load(wp_ptr + offs, mask=mask, other=0.0)
    if HAS_REF:
        ref = tl.load(ref_ptr + offs, mask=mask, other=0.0)
        g = w + ref
    else:
        g = w
    hi = tl.load(hi_ptr + offs, mask=mask, other=0.0)
    lo = tl.load(lo_ptr + offs, mask=mask, other=0.0)
    up = tl.load(up_ptr + offs, mask=mask, other=0.0)
    dn = tl.load(dn_ptr + offs, mask=mask, other=0.0)
    eu = tl.load(eu_ptr + offs, mask=mask, other=0.0)
    ed = tl.load(ed_ptr + offs, mask=mask, other=0.0)
    last = tl.load(last_ptr + offs, mask=mask, other=-1)
    row = offs.to(tl.int64)
    for s in range(n_samples):
        c = tl.load(counts_ptr + s * n + row, mask=mask, other=0.0).to(tl.int32)
        down = c > 0
        count = tl.abs(c)
        n_max = tl.max(count, axis=0)
        for t in range(n_max):
            if NOISE:
                xi = _normal(seed, offs, sample_base + s, t, STREAM_C2C)
            else:
                xi = tl.zeros_like(g)
            new = _pulse_once(
                g, down, xi, sigma, hi, lo, up, dn, eu, ed, nodes_up_ptr, nodes_dn_ptr,
                n_nodes, a_up, a_dn, gamma_up, gamma_dn, exp_a, exp_b, std_add, std_slope,
                MODEL, MULT_NOISE, COMPLEX_NOISE,
            )  # fmt: skip
            new = tl.minimum(tl.maximum(new, lo), hi)
            g = tl.where(count > t, new, g)
        last = tl.where(count > 0, sample_base + s, last)
        if READS:
            first = tl.load(read_start_ptr + s)
            stop = tl.load(read_start_ptr + s + 1)
            for r in range(first, stop):
                col = tl.load(read_cols_ptr + r)
                hit = mask & (offs % in_size == col)
                if HAS_REF:
                    value = g - ref
                else:
                    value = g
                if WRITE_NOISE:
                    old = tl.load(wa_ptr + offs, mask=hit, other=0.0)
                    xi = _normal(wn_seed, offs, last, 0, STREAM_WRITE_NOISE)
                    value = tl.where(last >= 0, value + wn_sigma * xi, old)
                tl.store(captured_ptr + r * out_size + offs // in_size, value, mask=hit)
    if HAS_REF:
        w = g - ref
    else:
        w = g
    tl.store(wp_ptr + offs, w, mask=mask)
    tl.store(last_ptr + offs, last, mask=mask)


@triton.jit
def redraw_apparent(wp_ptr, wa_ptr, last_ptr, n, seed, wn_sigma, BLOCK: tl.constexpr):
    """``w_a = w_p + σ ξ(last)`` where the cross-point was pulsed in this call."""
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    last = tl.load(last_ptr + offs, mask=mask, other=-1)
    touched = mask & (last >= 0)
    w = tl.load(wp_ptr + offs, mask=touched, other=0.0)
    xi = _normal(seed, offs, last, 0, STREAM_WRITE_NOISE)
    tl.store(wa_ptr + offs, w + wn_sigma * xi, mask=touched)
