"""Template of the Triton pulse kernels; :mod:`analogtrain.kernels.update.rule_codegen` generates
one module per device rule from it. Never imported as it is.

The generated module starts with the device's rule and its ``rule_step(g, down, xi,
cells_ptr, tables_ptr, table_len, scalars_ptr, n, offs, mask)``: one pulse of the rule on the
block ``offs`` of the flattened ``[out, in]`` array, unclipped, with the rule's values loaded
from ``cells [k, n]``, ``tables [., table_len]`` and ``scalars``
(:mod:`analogtrain.kernels.update.rule_inputs`). The kernels below call it.

The generated module is imported by :mod:`.fast_update` on the first CUDA
update, so a CPU installation never imports Triton. With ``TRITON_INTERPRET=1`` set before
Triton is imported, Triton runs the same kernels in its numpy interpreter on CPU tensors:
that is how the test suite holds them to the reference path on machines without a GPU.

Kernels (one program = ``BLOCK`` cross-points of the flattened ``[out, in]`` array):

* :func:`pulse_segment` applies the coincidences of ``n_samples`` consecutive samples.
  ``counts [S, out*in]`` holds each sample's signed coincidence count (``sign · n``, the
  sign being that of ``d_i x_j`` with the learning-rate sign folded in: positive means the
  pulses depress the weight, spec 2.5). Every cross-point keeps its weight in a register,
  walks the samples in batch order and applies its ``n`` pulses one after the other through
  the model's rule (``rule_step``), each with a fresh cycle-to-cycle normal and the clip to
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

# ruff: noqa: F821  (rule_step is defined by the generated code placed before this text)

import triton
import triton.language as tl

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
def pulse_segment(
    wp_ptr, ref_ptr, hi_ptr, lo_ptr, cells_ptr, tables_ptr, table_len, scalars_ptr,
    counts_ptr, last_ptr, n, n_samples, sample_base, seed,
    wa_ptr, read_start_ptr, read_cols_ptr, captured_ptr, in_size, out_size, wn_seed, wn_sigma,
    HAS_REF: tl.constexpr, NOISE: tl.constexpr, READS: tl.constexpr,
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
            new = rule_step(
                g, down, xi, cells_ptr, tables_ptr, table_len, scalars_ptr, n, offs, mask
            )
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
