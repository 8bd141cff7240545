"""Template of the numba pulse kernels; :mod:`analogtrain.kernels.update.rule_codegen` generates one
module per device rule from it. Never imported as it is.

The generated module starts with the device's rule and its ``pulse_train(g, down, count,
key, cells, i, j, tables, scalars, sigma, lo, hi)``: ``count`` same-direction pulses on
cross-point ``(i, j)``, each with its own c2c sample (number ``t`` of stream ``key``; none
when ``sigma == 0``) and the clip to ``[lo, hi]``, the rule's values read from ``cells``
``[k, out, in]``, ``tables`` and ``scalars`` (:mod:`analogtrain.kernels.update.rule_inputs`). The
kernels below call it (see :mod:`analogtrain.kernels.update.cpu.numba_kernels` for the process).
"""
# ruff: noqa: F821  (pulse_train is defined by the generated code placed before this text)

import numba
import numpy as np

from analogtrain.kernels.update.cpu.numba_kernels import (
    active_samples,
    bit_masks_serial,
    popcount,
    serial_and_parallel,
    signs,
    sparse_columns,
)
from analogtrain.kernels.update.cpu.rng import pulse_stream, standard_normal, stream_key


def _apply_counts(  # type: ignore[no-untyped-def]
    w_p,
    w_a,
    counts,
    down,
    b_max,
    b_min,
    cells,
    tables,
    scalars,
    sigma,
    ref,
    has_ref,
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
                w_p[i, j] + offset,
                down[i, j],
                count,
                key,
                cells,
                i,
                j,
                tables,
                scalars,
                sigma,
                b_min[i, j],
                b_max[i, j],
            )
            w_p[i, j] = g - offset
            if wn_sigma > 0.0:
                z = standard_normal(wn_key, np.uint64(i * in_size + j))
                w_a[i, j] = w_p[i, j] + wn_sigma * z


apply_counts_serial, apply_counts = serial_and_parallel(_apply_counts)


def _apply_pulses(  # type: ignore[no-untyped-def]
    w_p,
    w_a,
    row_masks,
    col_masks,
    sign_d,
    sign_x,
    p_x,
    p_d,
    a,
    b,
    bl,
    max_bl,
    x,
    d,
    rates,
    seed,
    b_max,
    b_min,
    cells,
    tables,
    scalars,
    sigma,
    ref,
    has_ref,
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
    clip bounds ``[out, in]``, ``cells [k, out, in]``, ``tables`` and ``scalars`` the rule's
    values (:mod:`analogtrain.kernels.update.rule_inputs`), ``sigma`` the c2c scale, ``ref`` the
    reference (only read if ``has_ref``). With
    ``wn_sigma > 0`` the apparent weights ``w_a`` of pulsed cross-points are redrawn.

    Each row merges its firing samples with the read points in batch order. The write noise of
    a pulsed cross-point is keyed by ``(last pulsed sample, row, column)``: a read and the
    final apparent weight see the same draw when no later pulse hits the cross-point.

    With ``seed >= 0`` (the call's one draw from the torch generator; a small update in one
    call) the kernel first makes the trains and directions itself, in place of the given
    ``row_masks .. sign_x``: the trains of the probabilities ``|p_x| b`` and ``|p_d| a``
    (``bit_masks``; ``bl [m]`` the train lengths, ``max_bl`` their maximum > 0), the
    directions from ``x``, ``d`` and the signed ``rates [m]``, and the four stream keys of the
    call (``stream_key(seed, 0..3)``: column trains, row trains, then ``c2c_key`` and
    ``wn_key``). With ``seed < 0`` those train arguments are not read. One kernel rather than
    a small-update kernel calling this one: numba re-optimises and re-emits the machine code
    of every compiled callee in its caller, which doubled the first-run compile of the
    largest kernel.
    """
    if seed >= 0:
        key = np.uint64(seed)
        c2c_key = stream_key(key, np.uint64(2))
        wn_key = stream_key(key, np.uint64(3))
        n_words = (max_bl + 63) // 64
        col_masks = np.empty((x.shape[0], x.shape[1], n_words), np.uint64)
        row_masks = np.empty((d.shape[0], d.shape[1], n_words), np.uint64)
        col_key, row_key = stream_key(key, np.uint64(0)), stream_key(key, np.uint64(1))
        bit_masks_serial(p_x, p_d, a, b, bl, col_key, row_key, col_masks, row_masks)
        sign_d = signs(d, rates)
        ones = np.empty(x.shape[0], np.float64)  # np.empty: one allocation kernel less
        for s in range(x.shape[0]):
            ones[s] = 1.0
        sign_x = signs(x, ones)
    out_size, in_size = w_p.shape
    m = sign_d.shape[0]
    n_words = row_masks.shape[2]
    n_reads = read_after.shape[0]
    sparse_cols, n_sparse = sparse_columns(col_masks)
    row_start, row_samples = active_samples(row_masks)
    for i in numba.prange(out_size):
        active = row_samples[row_start[i] : row_start[i + 1]]
        n_active = active.shape[0]
        if n_active == 0 and n_reads == 0:
            continue
        g_row = np.empty(in_size, np.float64)
        last = np.empty(in_size, np.int64)  # the last pulsed sample; -1: not pulsed
        hits = np.empty(in_size, np.int64)
        counts = np.empty(in_size, np.int64)
        for j in range(in_size):
            last[j] = -1
            g_row[j] = w_p[i, j]
            if has_ref:
                g_row[j] += ref[i, j]
        r = 0
        for a in range(n_active + 1):
            s = active[a] if a < n_active else m  # the next firing sample (m: the end)
            while r < n_reads and read_after[r] < s:
                j = read_col[r]
                if last[j] >= 0:
                    v = g_row[j]
                    if has_ref:
                        v -= ref[i, j]
                    captured[r, i] = v  # rounded to the weights' dtype, as w_p stores it
                    if wn_sigma > 0.0:
                        z = standard_normal(
                            wn_key, np.uint64((last[j] * out_size + i) * in_size + j)
                        )
                        captured[r, i] = np.float64(captured[r, i]) + wn_sigma * z
                else:
                    captured[r, i] = w_a[i, j]
                r += 1
            if s == m:
                break
            n_hit = 0
            sparse = n_sparse[s] >= 0  # few firing columns: visit only those
            if n_words == 1 and not sparse:
                row = row_masks[s, i, 0]
                for j in range(in_size):  # branch-free compaction
                    c = popcount(row & col_masks[s, j, 0])
                    hits[n_hit] = j
                    counts[n_hit] = c
                    n_hit += c != 0
            else:
                for k in range(n_sparse[s] if sparse else in_size):
                    j = sparse_cols[s, k] if sparse else k
                    c = np.uint64(0)
                    for q in range(n_words):
                        c += popcount(row_masks[s, i, q] & col_masks[s, j, q])
                    hits[n_hit] = j
                    counts[n_hit] = c
                    n_hit += c != 0
            sign_row = sign_d[s, i]
            for h in range(n_hit):
                j = hits[h]
                last[j] = s
                down = sign_row * sign_x[s, j] > 0
                key = pulse_stream(c2c_key, np.uint64((s * out_size + i) * in_size + j))
                g_row[j] = pulse_train(
                    g_row[j],
                    down,
                    counts[h],
                    key,
                    cells,
                    i,
                    j,
                    tables,
                    scalars,
                    sigma,
                    b_min[i, j],
                    b_max[i, j],
                )
        for j in range(in_size):
            if last[j] < 0:
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


apply_pulses_serial, apply_pulses = serial_and_parallel(_apply_pulses)
#: a whole small update in one call: the serial kernel given the call's seed (``seed >= 0``)
pulse_update = apply_pulses_serial
