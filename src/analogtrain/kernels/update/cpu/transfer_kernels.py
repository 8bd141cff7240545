"""The buffer steps of all transfer reads of one update call of a chopped compound, compiled.

The batched process of the chopped compounds (:mod:`analogtrain.tiles.chopped_batch`) has
the reads of a call, ``R`` of them, in read order, each of one column (the columns run
cyclically from ``start``). Read ``r`` of column ``c`` updates the digital buffer ``H[:, c]``
and yields the write counts of ``C[:, c]``; consecutive reads of one column depend on each
other through ``H``, so torch works through them in rounds of distinct columns, a few tensor
operations per round (about 185 rounds for a LeNet-5 convolution at batch 8).
:func:`chopped_reads` runs all reads in one compiled loop instead, cross-point by
cross-point, through the scalar rules of :mod:`analogtrain.tiles.transfer_rules` (their one
definition, compiled by numba through :mod:`.rule_overloads`):

* :func:`~analogtrain.tiles.transfer_rules.buffer_input` adds the demodulated read;
* :func:`~analogtrain.tiles.transfer_rules.threshold_buffer` thresholds it;
* for AGAD, :func:`~analogtrain.tiles.transfer_rules.agad_reference` picks the reference the
  read is compared with and :func:`~analogtrain.tiles.transfer_rules.running_mean_step`
  advances the running mean; a column's ``switched`` flag becomes the chopper flip of its read
  for the next one, and reads before the end of the warm-up write nothing.

Every number that enters arithmetic arrives in the tile's dtype (``params``), so a float32
tile computes in float32 as torch does, and the result equals the rounds bit for bit (held
by ``tests/tiles/test_chopped_batch.py``, batched against the per-vector process).

Imports numba; imported on the first batched call (backend ``"auto"``) through
:func:`analogtrain.tiles.chopped.transfer_kernels`, which watches its kernels for the one-time
compile notice (:mod:`analogtrain.kernels.compile_notice`).
"""

from __future__ import annotations

import numba
import numpy as np

from analogtrain.kernels.update.cpu import rule_overloads  # noqa: F401  (registers overloads)
from analogtrain.tiles.transfer_rules import (
    agad_reference,
    auto_scale_emas,
    buffer_input,
    running_mean_step,
    threshold_buffer,
)

__all__ = [
    "PARAMETERS",
    "auto_scale_rates",
    "chopped_call",
    "chopped_reads",
    "compiled_emas",
]

#: the order of the numbers in ``params`` (the tile's dtype)
PARAMETERS = ("unit", "max_steps", "keep", "momentum", "cap", "keep_mean", "beta")

_emas = numba.njit(error_model="numpy", inline="always")(auto_scale_emas)


@numba.njit(cache=True, error_model="numpy")
def compiled_emas(running, values, m, momentum):  # type: ignore[no-untyped-def]
    """:func:`~analogtrain.tiles.transfer_rules.auto_scale_emas` compiled (the same float64
    steps)."""
    return _emas(running, values, m, momentum)


_threshold = numba.njit(error_model="numpy", inline="always")(threshold_buffer)
_input = numba.njit(error_model="numpy", inline="always")(buffer_input)
_reference = numba.njit(error_model="numpy", inline="always")(agad_reference)
_mean_step = numba.njit(error_model="numpy", inline="always")(running_mean_step)


@numba.njit(cache=True, error_model="numpy")
def chopped_reads(  # type: ignore[no-untyped-def]
    buffer,
    values,
    signs,
    scales,
    start,
    params,
    forget_buffer,
    no_buffer,
    agad,
    running_mean,
    past_mean,
    switched,
    flips,
    writes,
    steps,
):
    """The buffer steps of reads ``r = 0..R-1`` of columns ``(start + r) % t_in``, in order.

    ``buffer``, ``running_mean``, ``past_mean``: ``[t_out, t_in]`` (updated in place; the two
    means only for ``agad``); ``values``, ``signs``: the raw reads and their demodulation
    signs ``[R, t_out]``; ``scales [R]``: the factor of each read to threshold units;
    ``params``: the numbers of :data:`PARAMETERS`; ``switched [t_in]`` (bool, AGAD, in place),
    ``flips [R]`` (bool): the input chopper flip right after each read; ``writes [R]``
    (bool): whether the read writes (AGAD's warm-up); ``steps [R, t_out]``: out, the counts
    to write on ``C``.
    """
    unit, max_steps, keep, momentum = params[0], params[1], params[2], params[3]
    cap, keep_mean, beta = params[4], params[5], params[6]
    zero = params[0] - params[0]  # 0 in the tile's dtype
    n_reads, t_out = values.shape
    t_in = buffer.shape[1]
    for r in range(n_reads):
        c = (start + r) % t_in
        was_switched = switched[c] if agad else False
        for j in range(t_out):
            v = values[r, j]
            if agad:
                mean = running_mean[j, c]
                reference = _reference(was_switched, mean, past_mean[j, c])
                past_mean[j, c] = reference
                read = v - reference
            else:
                read = v
            h0 = zero if no_buffer else buffer[j, c]
            h = _input(h0, signs[r, j], scales[r], read)
            n_steps, kept = _threshold(h, unit, max_steps, keep, momentum, forget_buffer, cap)
            buffer[j, c] = kept
            if agad:
                running_mean[j, c] = _mean_step(mean, v, keep_mean, beta)
            steps[r, j] = n_steps if writes[r] else zero
        if agad:
            switched[c] = flips[r]



@numba.njit(cache=True, error_model="numpy")
def chopped_call(x, signs, flips, after, start, out, per_read, final):  # type: ignore[no-untyped-def]
    """The input chopping of one update call in one pass: ``out [m, n]`` = the inputs
    ``x [m, n]`` times the sign each vector sees, ``per_read [R]`` the sign of the column of
    read ``r`` when it is read, ``final [n]`` the signs after the call (both float64).

    ``signs [n]`` (float64 +-1) are the signs before the call; read ``r`` reads column
    ``(start + r) % n`` right after vector ``after[r]`` (non-decreasing, below ``m``) and, when
    ``flips[r]``, turns that column's sign for the vectors after it. Products with +-1 are
    exact, so this equals the numpy and torch formations bit for bit."""
    m, n = x.shape
    n_reads = flips.shape[0]
    current = signs.copy()
    scaled = np.empty(n, dtype=x.dtype)
    for j in range(n):
        scaled[j] = current[j]
    r = 0
    for b in range(m):
        for j in range(n):
            out[b, j] = x[b, j] * scaled[j]
        while r < n_reads and after[r] <= b:
            c = (start + r) % n
            per_read[r] = current[c]
            if flips[r]:
                current[c] = -current[c]
                scaled[c] = -scaled[c]
            r += 1
    for j in range(n):
        final[j] = current[j]


@numba.njit(error_model="numpy", inline="always")
def _row_abs_max(v):  # type: ignore[no-untyped-def]
    """``max_j |v[b, j]|`` of each row, float64 (exact: a maximum of magnitudes)."""
    out = np.zeros(v.shape[0])
    for b in range(v.shape[0]):
        for j in range(v.shape[1]):
            a = abs(np.float64(v[b, j]))
            if a > out[b]:
                out[b] = a
    return out


@numba.njit(cache=True, error_model="numpy")
def auto_scale_rates(x, d, m_x, m_d, momentum, base, factor, rates):  # type: ignore[no-untyped-def]
    """The chopped compounds' ``auto_scale`` pulse-count rate of each vector of a call
    (spec 3.7): ``rates [m]`` = ``base / (m_x m_d) * factor`` with the running abs-max
    estimates after each vector (:func:`~analogtrain.tiles.transfer_rules.auto_scale_emas` of
    the rows' abs maxima, float64), ``base * factor`` while an estimate is still zero
    (``factor``: the SGD rate with ``scale_fast_lr``, else 1). Returns the estimates after the
    call ``(m_x, m_d)``. The float64 steps of the torch/numpy formation, in the same order."""
    m = x.shape[0]
    run_x = _emas(m_x, _row_abs_max(x), m, momentum)
    run_d = _emas(m_d, _row_abs_max(d), m, momentum)
    for b in range(m):
        if run_x[b] > 0 and run_d[b] > 0:
            rates[b] = base / (run_x[b] * run_d[b]) * factor
        else:
            rates[b] = base * factor
    return run_x[m - 1], run_d[m - 1]


def parameters(
    dtype: np.dtype,
    unit: float,
    max_steps: int,
    momentum: float,
    cap: float,
    beta: float = 0.0,
) -> np.ndarray:
    """The ``params`` array of :func:`chopped_reads` in ``dtype``: what torch computes with
    when it multiplies a tensor of that dtype by these numbers (``keep = 1 - momentum`` and
    ``keep_mean = 1 - beta`` formed in double first, as the torch rules do)."""
    return np.array(
        [unit, float(max_steps), 1.0 - momentum, momentum, cap, 1.0 - beta, beta], dtype=dtype
    )
