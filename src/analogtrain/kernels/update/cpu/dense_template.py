"""Template of the numba kernels of the deterministic pulse types (``MEAN_COUNT``,
``DETERMINISTIC_IMPLICIT``); :mod:`analogtrain.kernels.update.rule_codegen` appends it to the
kernel module it generates per device rule, after :mod:`.pulse_template`. Never imported as
it is; :mod:`.dense_update` calls the generated kernels.

A deterministic update gives cross-point ``(i, j)`` of sample ``s`` the count
``rint(u_d[s, i] u_x[s, j])`` (the factors of
:func:`analogtrain.kernels.update.pulses.dense_factors`, spec single-tile 4.5.4 / 4.5.5), down
where ``sign_d[s, i] sign_x[s, j] > 0``. The kernels form each count where it is applied, so
the ``[m, out, in]`` count tensor of the torch path is never built.
"""
# ruff: noqa: F821  (pulse_train is defined by the generated code placed before this text)

import numba
import numpy as np

from analogtrain.kernels.update.cpu.numba_kernels import serial_and_parallel
from analogtrain.kernels.update.cpu.rng import pulse_stream, standard_normal


@numba.njit(cache=True, inline="always", error_model="numpy")
def dense_row(  # type: ignore[no-untyped-def]
    i,
    w_p,
    w_a,
    u_d,
    u_x,
    sign_d,
    sign_x,
    samples,
    m,
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
    """The update of row ``i``: entry ``k`` of ``u_d``, ``u_x``, ``sign_d``, ``sign_x`` is
    sample ``samples[k]`` (increasing, ``< m``) of the call, which keys its random streams.

    The row walks its samples in order and applies each count through the rule
    (``pulse_train``: c2c noise and the clip after every pulse), storing the weight in the
    weights' dtype after every sample as the reference does. Reads ``r`` (``read_after[r] <
    m``, non-decreasing) record the apparent weight ``(i, read_col[r])`` once the samples up to
    ``read_after[r]`` are applied. The write noise of a pulsed cross-point is keyed by its last
    pulsed sample, as in ``apply_pulses``.
    """
    out_size, in_size = w_p.shape
    n_k = samples.shape[0]
    n_reads = read_after.shape[0]
    touched = np.zeros(in_size, np.bool_)
    last = np.zeros(in_size, np.int64)
    r = 0
    for k in range(n_k + 1):
        s = samples[k] if k < n_k else m  # the next pulsing sample (m: the end)
        while r < n_reads and read_after[r] < s:
            j = read_col[r]
            if touched[j]:
                captured[r, i] = w_p[i, j]  # rounded to the weights' dtype, as w_p stores it
                if wn_sigma > 0.0:
                    z = standard_normal(wn_key, np.uint64((last[j] * out_size + i) * in_size + j))
                    captured[r, i] = np.float64(captured[r, i]) + wn_sigma * z
            else:
                captured[r, i] = w_a[i, j]
            r += 1
        if k == n_k:
            break
        row_factor = u_d[k, i]
        if row_factor <= 0.0:
            continue
        row_sign = sign_d[k, i]
        for j in range(in_size):
            count = np.int64(np.rint(row_factor * u_x[k, j]))
            if count <= 0:
                continue
            offset = ref[i, j] if has_ref else 0.0
            key = pulse_stream(c2c_key, np.uint64((s * out_size + i) * in_size + j))
            g = pulse_train(
                np.float64(w_p[i, j]) + offset,
                row_sign * sign_x[k, j] > 0,
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
            w_p[i, j] = g - offset  # stored after every sample, as the reference does
            touched[j] = True
            last[j] = s
    for j in range(in_size):
        if not touched[j]:
            continue
        if wn_sigma > 0.0:
            z = standard_normal(wn_key, np.uint64((last[j] * out_size + i) * in_size + j))
            w_a[i, j] = w_p[i, j] + wn_sigma * z
        else:
            w_a[i, j] = w_p[i, j]


def _apply_dense(  # type: ignore[no-untyped-def]
    w_p,
    w_a,
    u_d,
    u_x,
    sign_d,
    sign_x,
    samples,
    m,
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
    """The deterministic update of every row (:func:`dense_row`): rows in parallel in
    ``apply_dense``, on the calling thread in ``apply_dense_serial`` (small calls); the result
    does not depend on which runs."""
    for i in numba.prange(w_p.shape[0]):
        dense_row(
            i, w_p, w_a, u_d, u_x, sign_d, sign_x, samples, m, b_max, b_min, cells, tables,
            scalars, sigma, ref, has_ref, c2c_key, wn_sigma, wn_key, read_after, read_col,
            captured,
        )  # fmt: skip


apply_dense_serial, apply_dense = serial_and_parallel(_apply_dense)
