"""The numba kernels of the fast CPU pulsed update (compiled lazily, cached on disk).

The main kernels, each compiled once per dtype signature (:func:`update_scales`
and :func:`signs` prepare a call):

* :func:`bit_masks` draws the stochastic pulse trains of rows and columns in one launch
  (spec single-tile 4.5.2): for every line (column ``j`` with probability ``p^x_j``, or row
  ``i`` with ``p^d_i``) and every sample ``s``, slot ``k < BL_s`` fires when ``P > U``. The
  slots of one line and sample are the bits of ``n_words`` 64-bit words, so the coincidence
  count of cross-point ``(i, j)`` is ``popcount(row_i & col_j)``, distributed
  ``Binomial(BL_s, p^d_i p^x_j)``.
* :func:`apply_pulses` walks the rows in parallel. For row ``i`` it visits only the samples
  in which the row fires at all, in batch order; per sample it counts the coincidences of the
  whole row (vectorisable ``and`` + popcount) and applies each cross-point's ``count`` pulses
  one after the other through the model rule, each with a fresh c2c normal and the clip to
  ``[b_min, b_max]`` (spec 2.5, 4.6). The row's weights stay in a float64 buffer for the
  whole batch. Cross-points that received a pulse get their apparent weight redrawn once,
  after their last pulse (spec 2.7 rule 1: only the last redraw is observable). Reads of
  columns between samples (the chopped compounds' captured reads) are taken on the way.
* :func:`apply_counts` applies one given matrix of coincidence counts (the fast version of
  ``PulsedDeviceArray.apply_pulse_counts``), one cross-point per iteration, rows in parallel.

All random numbers are counter-based (:mod:`.fast_cpu_rng`), keyed by the call's seeds and
the coordinates ``(sample, row, column, pulse)``: the result is independent of the number of
threads and of the order in which they run.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from analogtrain.kernels.fast_cpu_models import pulse_train
from analogtrain.kernels.fast_cpu_rng import (
    pulse_stream,
    split_uniforms,
    standard_normal,
    stream_key,
)

__all__ = [
    "apply_counts",
    "apply_pulses",
    "bit_masks",
    "pair_visits",
    "signs",
    "update_scales",
]

_ONE = np.uint64(1)


@intrinsic
def _popcount(typingctx, value):  # type: ignore[no-untyped-def]
    """Number of set bits of a uint64 (the CPU's popcount instruction via LLVM ``ctpop``)."""
    if value != types.uint64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@numba.njit(cache=True, inline="always", error_model="numpy")
def _train_bits(p, n, length, key, masks, s, j):  # type: ignore[no-untyped-def]
    """Slots ``k < length`` of line ``j`` (of ``n``) in sample ``s``: bit set when ``p > U``."""
    n_words = masks.shape[2]
    for q in range(n_words):
        masks[s, j, q] = np.uint64(0)
    if p <= 0.0 or length <= 0:
        return
    if p >= 1.0:  # P > U for every U in [0, 1)
        for k in range(length):
            masks[s, j, k >> 6] |= _ONE << np.uint64(k & 63)
        return
    base = np.uint64((s * n + j) * ((n_words * 64 + 1) // 2))
    for pair in range((length + 1) // 2):
        u0, u1 = split_uniforms(stream_key(key, base + np.uint64(pair)))
        k = 2 * pair
        if p > u0:
            masks[s, j, k >> 6] |= _ONE << np.uint64(k & 63)
        if k + 1 < length and p > u1:
            masks[s, j, (k + 1) >> 6] |= _ONE << np.uint64((k + 1) & 63)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def update_scales(x, d, lr, scalar_lr, g, desired_bl, fixed_bl, um, ublm, um_grad_scale):  # type: ignore[no-untyped-def]
    """``(bl, a, b)`` per sample, the float64 formulas of
    :func:`analogtrain.kernels.pulses.update_scales` (spec 4.3, 4.4) in the same order,
    for ``x [m, in]``, ``d [m, out]`` (float32) and one rate per sample ``lr [m]`` (float64,
    its sign ignored; ``scalar_lr``: the call had one rate for all). Used by the fast path to
    skip ~40 small torch operations per call. The train lengths are identical; ``a`` and ``b``
    agree to the last bit or two (torch evaluates some quotients through reciprocals; the one
    ``scalar / tensor`` quotient is reproduced that way)."""
    m, n_in = x.shape
    n_out = d.shape[1]
    bl = np.zeros(m, np.int64)
    a = np.zeros(m, np.float64)
    b = np.zeros(m, np.float64)
    for s in numba.prange(m):
        rate = abs(lr[s])
        if rate == 0.0:
            continue
        scale = np.sqrt(rate / (g * desired_bl)) if desired_bl > 0 else 0.0
        length = desired_bl
        if not (fixed_bl or ublm) and g * desired_bl < rate:
            length = max(int(np.ceil(rate / g)), 1)
            scale = 1.0
        x_max = 0.0
        for j in range(n_in):
            x_max = max(x_max, np.float64(abs(x[s, j])))
        d_max = 0.0
        for i in range(n_out):
            d_max = max(d_max, np.float64(abs(d[s, i])))
        scale_a = scale
        scale_b = scale
        if um or ublm:
            d_val = um_grad_scale * d_max
            k = rate * x_max * d_val / g
            if ublm:
                length = int(min(np.ceil(k), np.float64(desired_bl)))
                denominator = g * np.float64(max(length, 1))
                if scalar_lr:
                    scale_a = np.sqrt(rate * (1.0 / denominator))
                else:
                    scale_a = np.sqrt(rate / denominator)
                scale_b = scale_a
            if k > desired_bl:
                d_val = d_val * desired_bl / k
            usable = x_max > 0.0 and d_val > 0.0
            if usable:
                scale_a = scale_a * np.sqrt(x_max / d_val)
                scale_b = scale_b * np.sqrt(d_val / x_max)
        else:
            usable = x_max > 0.0 and d_max > 0.0
        if usable and length > 0:
            bl[s] = length
            a[s] = scale_a
            b[s] = scale_b
    return bl, a, b


@numba.njit(cache=True, parallel=True, error_model="numpy")
def bit_masks(x, d, a, b, bl, key_x, key_d, col_masks, row_masks):  # type: ignore[no-untyped-def]
    """Fill the column trains ``col_masks [m, in, n_words]`` (uint64) of the probabilities
    ``|x| b`` and the row trains ``row_masks [m, out, n_words]`` of ``|d| a`` in one launch
    (float64 products, as the torch path forms them; given probabilities pass ``a = b = 1``).

    ``bl [m]`` (int64) is each sample's train length, ``key_x``/``key_d`` (uint64) the stream
    keys. Slot ``k`` of line ``j`` in sample ``s`` is bit ``k % 64`` of word ``k // 64``; it is
    set when ``P > U`` with ``U`` the counter-based uniform of ``(s, j, k)``.
    """
    m, n_in = x.shape
    n_out = d.shape[1]
    n_lines = n_in + n_out
    # one flat parallel loop, samples outer and lines inner: each thread walks a contiguous
    # stretch of the (sample, line) grid, so the values and masks it touches are contiguous
    # in memory (the trains do not depend on the visiting order)
    for index in numba.prange(m * n_lines):
        s = index // n_lines
        line = index - s * n_lines
        if line < n_in:
            p = np.float64(abs(x[s, line])) * b[s]
            _train_bits(p, n_in, bl[s], key_x, col_masks, s, line)
        else:
            p = np.float64(abs(d[s, line - n_in])) * a[s]
            _train_bits(p, n_out, bl[s], key_d, row_masks, s, line - n_in)


@numba.njit(cache=True, error_model="numpy")
def signs(v, lr):  # type: ignore[no-untyped-def]
    """``sign(v)`` as int8 ``[m, n]``, negated in the samples whose rate ``lr[s]`` is negative."""
    m, n = v.shape
    out = np.zeros((m, n), np.int8)
    for s in range(m):
        flip = lr[s] < 0.0
        for j in range(n):
            value = v[s, j]
            sign = 1 if value > 0 else (-1 if value < 0 else 0)
            out[s, j] = -sign if flip else sign
    return out


@numba.njit(cache=True, error_model="numpy")
def pair_visits(row_masks, col_masks):  # type: ignore[no-untyped-def]
    """The number of cross-points the pulse kernels visit at most: the sum over samples of
    (firing rows) x (firing columns). Serial; a cheap scan of the trains that sizes a call."""
    m, out_size, n_words = row_masks.shape
    in_size = col_masks.shape[1]
    total = 0
    for s in range(m):
        rows = 0
        for i in range(out_size):
            fires = False
            for q in range(n_words):
                fires |= row_masks[s, i, q] != 0
            rows += fires
        cols = 0
        for j in range(in_size):
            fires = False
            for q in range(n_words):
                fires |= col_masks[s, j, q] != 0
            cols += fires
        total += rows * cols
    return total


@numba.njit(cache=True, error_model="numpy")
def _sparse_columns(col_masks):  # type: ignore[no-untyped-def]
    """Per sample, the columns whose train fires at all, where they are few.

    Returns ``cols [m, in]`` (the firing columns of sample ``s`` first, ascending) and
    ``n [m]``: their number where it is below a quarter of the columns, else -1 (the kernel
    then scans every column, which is faster for dense inputs). Skipping columns that never
    fire changes no count.
    """
    m, in_size, n_words = col_masks.shape
    cols = np.empty((m, in_size), np.int64)
    n = np.full(m, -1, np.int64)
    for s in range(m):
        k = 0
        for j in range(in_size):
            for q in range(n_words):
                if col_masks[s, j, q] != 0:
                    cols[s, k] = j
                    k += 1
                    break
        if 4 * k < in_size:
            n[s] = k
    return cols, n


@numba.njit(cache=True, error_model="numpy")
def _active_samples(row_masks):  # type: ignore[no-untyped-def]
    """The samples in which each row fires, in batch order, as ``(start [out + 1], samples)``:
    row ``i``'s are ``samples[start[i]:start[i + 1]]``. Serial, two passes in memory order
    (samples outer), instead of a strided scan of every sample per row."""
    m, out_size, n_words = row_masks.shape
    fires = np.zeros((m, out_size), np.bool_)
    start = np.zeros(out_size + 1, np.int64)
    for s in range(m):
        for i in range(out_size):
            for q in range(n_words):
                if row_masks[s, i, q] != 0:
                    fires[s, i] = True
                    start[i + 1] += 1
                    break
    for i in range(out_size):
        start[i + 1] += start[i]
    fill = start[:-1].copy()
    samples = np.empty(start[out_size], np.int64)
    for s in range(m):
        for i in range(out_size):
            if fires[s, i]:
                samples[fill[i]] = s
                fill[i] += 1
    return start, samples


@numba.njit(cache=True, parallel=True, error_model="numpy")
def apply_counts(  # type: ignore[no-untyped-def]
    w_p,
    w_a,
    counts,
    down,
    model,
    b_max,
    b_min,
    dw_up,
    dw_dn,
    e_up,
    e_dn,
    ref,
    has_ref,
    consts,
    nodes_up,
    nodes_dn,
    c2c_key,
    wn_sigma,
    wn_key,
):
    """Apply ``counts [out, in]`` (int64 >= 0) pulses in direction ``down [out, in]`` (True =
    decrease) to every cross-point of ``w_p``, in place; the arguments as in
    :func:`apply_pulses`. This is one sample's coincidences given from outside (compounds
    that route shared coincidences to several arrays)."""
    out_size, in_size = w_p.shape
    for i in numba.prange(out_size):
        for j in range(in_size):
            count = counts[i, j]
            if count <= 0:
                continue
            offset = ref[i, j] if has_ref else 0.0
            key = pulse_stream(c2c_key, np.uint64(i * in_size + j))
            g = pulse_train(
                model,
                w_p[i, j] + offset,
                down[i, j],
                count,
                key,
                b_max[i, j],
                b_min[i, j],
                dw_up[i, j],
                dw_dn[i, j],
                e_up[i, j],
                e_dn[i, j],
                consts,
                nodes_up,
                nodes_dn,
            )
            w_p[i, j] = g - offset
            if wn_sigma > 0.0:
                z = standard_normal(wn_key, np.uint64(i * in_size + j))
                w_a[i, j] = w_p[i, j] + wn_sigma * z


@numba.njit(cache=True, parallel=True, error_model="numpy")
def apply_pulses(  # type: ignore[no-untyped-def]
    w_p,
    w_a,
    row_masks,
    col_masks,
    sign_d,
    sign_x,
    model,
    b_max,
    b_min,
    dw_up,
    dw_dn,
    e_up,
    e_dn,
    ref,
    has_ref,
    consts,
    nodes_up,
    nodes_dn,
    c2c_key,
    wn_sigma,
    wn_key,
    read_after,
    read_col,
    captured,
):
    """Apply the coincidences of a batch to the persistent weights ``w_p [out, in]`` in place,
    recording ``captured[r, i]`` = the apparent weight ``(i, read_col[r])`` right after sample
    ``read_after[r]`` (non-decreasing; none: empty arrays) was applied.

    ``row_masks [m, out, n_words]`` and ``col_masks [m, in, n_words]`` are the pulse trains;
    ``sign_d [m, out]`` and ``sign_x [m, in]`` (int8, the lr sign folded into ``sign_d``) give
    the direction, down where ``sign_d * sign_x > 0``. ``b_max .. e_dn`` and ``ref`` are the
    per-cross-point model parameters ``[out, in]`` (``ref`` only read if ``has_ref``). With
    ``wn_sigma > 0`` the apparent weights ``w_a`` of pulsed cross-points are redrawn.

    Each row merges its firing samples with the read points in batch order. The write noise of
    a pulsed cross-point is keyed by ``(last pulsed sample, row, column)``: a read and the
    final apparent weight see the same draw when no later pulse hits the cross-point.
    """
    out_size, in_size = w_p.shape
    m = sign_d.shape[0]
    n_words = row_masks.shape[2]
    n_reads = read_after.shape[0]
    sparse_cols, n_sparse = _sparse_columns(col_masks)
    row_start, row_samples = _active_samples(row_masks)
    for i in numba.prange(out_size):
        active = row_samples[row_start[i] : row_start[i + 1]]
        n_active = active.shape[0]
        if n_active == 0 and n_reads == 0:
            continue
        g_row = np.empty(in_size, np.float64)
        touched = np.zeros(in_size, np.bool_)
        last = np.zeros(in_size, np.int64)
        hits = np.empty(in_size, np.int64)
        counts = np.empty(in_size, np.int64)
        for j in range(in_size):
            g_row[j] = w_p[i, j]
            if has_ref:
                g_row[j] += ref[i, j]
        r = 0
        for a in range(n_active + 1):
            s = active[a] if a < n_active else m  # the next firing sample (m: the end)
            while r < n_reads and read_after[r] < s:
                j = read_col[r]
                if touched[j]:
                    v = g_row[j]
                    if has_ref:
                        v -= ref[i, j]
                    wp = np.float32(v)
                    if wn_sigma > 0.0:
                        z = standard_normal(
                            wn_key, np.uint64((last[j] * out_size + i) * in_size + j)
                        )
                        captured[r, i] = np.float32(np.float64(wp) + wn_sigma * z)
                    else:
                        captured[r, i] = wp
                else:
                    captured[r, i] = w_a[i, j]
                r += 1
            if s == m:
                break
            n_hit = 0
            if n_sparse[s] >= 0:  # few firing columns
                for k in range(n_sparse[s]):
                    j = sparse_cols[s, k]
                    c = np.uint64(0)
                    for q in range(n_words):
                        c += _popcount(row_masks[s, i, q] & col_masks[s, j, q])
                    hits[n_hit] = j
                    counts[n_hit] = c
                    n_hit += c != 0
            elif n_words == 1:
                row = row_masks[s, i, 0]
                for j in range(in_size):  # branch-free compaction
                    c = _popcount(row & col_masks[s, j, 0])
                    hits[n_hit] = j
                    counts[n_hit] = c
                    n_hit += c != 0
            else:
                for j in range(in_size):
                    c = np.uint64(0)
                    for q in range(n_words):
                        c += _popcount(row_masks[s, i, q] & col_masks[s, j, q])
                    hits[n_hit] = j
                    counts[n_hit] = c
                    n_hit += c != 0
            sign_row = sign_d[s, i]
            for h in range(n_hit):
                j = hits[h]
                touched[j] = True
                last[j] = s
                down = sign_row * sign_x[s, j] > 0
                key = pulse_stream(c2c_key, np.uint64((s * out_size + i) * in_size + j))
                g_row[j] = pulse_train(
                    model,
                    g_row[j],
                    down,
                    counts[h],
                    key,
                    b_max[i, j],
                    b_min[i, j],
                    dw_up[i, j],
                    dw_dn[i, j],
                    e_up[i, j],
                    e_dn[i, j],
                    consts,
                    nodes_up,
                    nodes_dn,
                )
        for j in range(in_size):
            if not touched[j]:
                continue
            v = g_row[j]
            if has_ref:
                v -= ref[i, j]
            w_p[i, j] = v
            if wn_sigma > 0.0:
                z = standard_normal(wn_key, np.uint64((last[j] * out_size + i) * in_size + j))
                w_a[i, j] = w_p[i, j] + wn_sigma * z
            else:
                w_a[i, j] = w_p[i, j]
