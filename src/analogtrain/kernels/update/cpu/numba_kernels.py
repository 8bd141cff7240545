"""The numba kernels of the fast CPU pulsed update (compiled lazily, cached on disk).

The main kernels, each compiled once per dtype signature (:func:`update_scales`
and :func:`signs` prepare a call):

* :func:`bit_masks` draws the stochastic pulse trains of rows and columns in one launch
  (spec single-tile 4.5.2): for every line (column ``j`` with probability ``p^x_j``, or row
  ``i`` with ``p^d_i``) and every sample ``s``, slot ``k < BL_s`` fires when ``P > U``. The
  slots of one line and sample are the bits of ``n_words`` 64-bit words, so the coincidence
  count of cross-point ``(i, j)`` is ``popcount(row_i & col_j)``, distributed
  ``Binomial(BL_s, p^d_i p^x_j)``.
* ``apply_pulses`` (in the kernel module generated per device rule from
  :mod:`.pulse_template`) walks the rows in parallel. For row ``i`` it visits only
  the samples in which the row fires at all, in batch order; per sample it counts the
  coincidences of the whole row (vectorisable ``and`` + popcount) and applies each
  cross-point's ``count`` pulses one after the other through the model's rule, each with a
  fresh c2c normal and the clip to ``[b_min, b_max]`` (spec 2.5, 4.6). The row's weights stay
  in a float64 buffer for the whole batch. Cross-points that received a pulse get their
  apparent weight redrawn once, after their last pulse (spec 2.7 rule 1: only the last redraw
  is observable). Reads of columns between samples (the chopped compounds' captured reads)
  are taken on the way.
* ``apply_counts`` (same module) applies one given matrix of coincidence counts (the fast
  version of ``PulsedDeviceArray.apply_pulse_counts``), one cross-point per iteration, rows
  in parallel.

All random numbers are counter-based (:mod:`.rng`), keyed by the call's seeds and
the coordinates ``(sample, row, column, pulse)``: the result is independent of the number of
threads and of the order in which they run.
"""

from __future__ import annotations

import math
from types import FunctionType
from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from analogtrain.kernels.update.cpu import rule_overloads  # noqa: F401  (registers overloads)
from analogtrain.kernels.update.cpu.rng import stream_key
from analogtrain.kernels.update.scales import sample_scales

__all__ = [
    "active_samples",
    "bit_masks",
    "bit_masks_serial",
    "popcount",
    "pair_visits",
    "serial_and_parallel",
    "signs",
    "sparse_columns",
    "update_scales",
]

_ONE = np.uint64(1)
_S32 = np.uint64(32)
_TWO32 = np.uint64(1 << 32)
_LOW32 = np.uint64(0xFFFFFFFF)
_ALL64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_ZERO = np.uint64(0)


def _renamed_copy(fn: FunctionType, suffix: str) -> FunctionType:
    """A copy of the plain function ``fn`` named ``<name><suffix>``, to compile with other
    options: numba's on-disk cache is keyed by the function's qualified name, not by its
    compile options."""
    copy = FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__
    )
    copy.__qualname__ = fn.__qualname__ + suffix
    copy.__doc__ = fn.__doc__
    copy.__module__ = fn.__module__
    return copy


def serial_and_parallel(fn: FunctionType) -> tuple[Any, Any]:
    """``(serial, parallel)``: the plain function ``fn`` compiled without and with
    ``parallel=True`` (its ``numba.prange`` loops run on the calling thread in the first).

    Small calls take the serial kernel, so they never wake numba's worker threads (tens of
    microseconds idle, up to a scheduler tick on a busy machine) and no thread count is
    changed. The serial one compiles a copy of ``fn`` named ``<name>_serial``
    (:func:`_renamed_copy`).
    """
    serial = numba.njit(cache=True, error_model="numpy")(_renamed_copy(fn, "_serial"))
    parallel = numba.njit(cache=True, parallel=True, error_model="numpy")(fn)
    return serial, parallel


@intrinsic
def popcount(typingctx, value):  # type: ignore[no-untyped-def]
    """Number of set bits of a uint64 (the CPU's popcount instruction via LLVM ``ctpop``)."""
    if value != types.uint64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


#: random words one train word may take at most: one per bit of the 32-bit thresholds
TRAIN_LEVELS = 32


@numba.njit(cache=True, inline="always", error_model="numpy")
def _threshold(p):  # type: ignore[no-untyped-def]
    """``T`` with ``p > K / 2^32`` exactly when ``K < T``, for every 32-bit integer ``K``:
    ``ceil(p 2^32)`` (exact: ``p 2^32`` is exact in float64), 0 for ``p <= 0`` or NaN (NaN
    fires nowhere, as NaN > U is false) and ``2^32`` for ``p >= 1``."""
    if not p > 0.0:
        return _ZERO
    if p >= 1.0:
        return _TWO32
    return np.uint64(math.ceil(p * 4294967296.0))


@numba.njit(cache=True, inline="always", error_model="numpy")
def _fire_word(t0, t1, lanes0, lanes1, key, counter):  # type: ignore[no-untyped-def]
    """One 64-bit word of train slots: slot ``l`` in ``lanes0`` fires when its uniform 32-bit
    integer ``K_l < t0``, a slot in ``lanes1`` (disjoint) when ``K_l < t1``.

    The slots are compared together, most significant bit first ("bit-sliced"): random word
    ``v`` (``stream_key(key, counter + v)``) holds bit ``31 - v`` of every slot's ``K``. A
    slot whose bit differs from its threshold's is decided (it fires when its bit is 0 and
    the threshold's 1); the undecided slots go on to the next bit, and the word is done when
    none is left (slots tied after 32 bits have ``K = T`` and do not fire). Every ``K`` is
    thus a uniform 32-bit integer independent of the other slots', drawn lazily: a slot fires
    with probability ``T / 2^32`` exactly, and a word takes about ``log2(slots) + 1.3``
    random words instead of one per two slots. Thresholds ``0`` and ``2^32`` are decided
    without drawing."""
    word = _ZERO
    undecided = _ZERO
    if t0 >= _TWO32:
        word |= lanes0
    elif t0 > _ZERO:
        undecided |= lanes0
    if t1 >= _TWO32:
        word |= lanes1
    elif t1 > _ZERO:
        undecided |= lanes1
    level = 0
    while undecided != _ZERO and level < TRAIN_LEVELS:
        v = stream_key(key, counter + np.uint64(level))
        shift = np.uint64(31 - level)
        t = ((_ZERO - ((t0 >> shift) & _ONE)) & lanes0) | (
            (_ZERO - ((t1 >> shift) & _ONE)) & lanes1
        )  # each slot's threshold bit, spread over its lane
        word |= undecided & ~v & t
        undecided &= ~(v ^ t)
        level += 1
    return word


#: trains of at most this many slots take one random word per slot of two lines
#: (:func:`_short_pair`)
SHORT_TRAIN = 8


@numba.njit(cache=True, inline="always", error_model="numpy")
def _short_pair(p0, p1, pair, length, key, counter, masks, s, j):  # type: ignore[no-untyped-def]
    """Word 0 of the trains of lines ``j`` and (``pair``) ``j + 1``, ``length <=
    SHORT_TRAIN`` slots: slot ``u`` of line ``j`` takes the high 32 bits ``K`` of
    ``stream_key(key, counter + u)``, that of line ``j + 1`` the low 32 bits, and fires when
    ``K < p 2^32`` (a float64 comparison, exact: ``p 2^32`` is exact and ``K`` an integer
    below 2^53; NaN never fires, ``p >= 1`` always)."""
    w0 = _ZERO
    w1 = _ZERO
    q0 = p0 * 4294967296.0
    q1 = p1 * 4294967296.0
    for u in range(length):
        h = stream_key(key, counter + np.uint64(u))
        w0 |= np.uint64(np.float64(np.int64(h >> _S32)) < q0) << np.uint64(u)
        w1 |= np.uint64(np.float64(np.int64(h & _LOW32)) < q1) << np.uint64(u)
    masks[s, j, 0] = w0
    if pair:
        masks[s, j + 1, 0] = w1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _train_lines(probs, scale, n, length, key, masks, s, j):  # type: ignore[no-untyped-def]
    """The trains of lines ``j`` and ``j + 1`` (where ``j + 1 < n``) of sample ``s``: slot
    ``k < length`` of line ``j`` fires when ``P > U``, ``P = |probs[s, j]| scale`` (a float64
    product), ``U`` its uniform (see :func:`_fire_word`); slot ``k`` is bit ``k % 64`` of word
    ``k // 64`` of ``masks[s, j]``.

    Word ``q`` of line ``j`` draws from counters ``c(j, q) = ((s n + j) n_words + q) 32``
    on. Trains of at most :data:`SHORT_TRAIN` slots of two lines share one random word per
    slot (:func:`_short_pair`, counters ``c(j, 0)`` on); other trains of ``length <= 32``
    share one random word per level: line ``j`` in the low 32 lanes, line ``j + 1`` in the
    high ones, counters ``c(j, 0)`` on."""
    n_words = masks.shape[2]
    pair = j + 1 < n
    base = np.uint64((s * n + j) * n_words * TRAIN_LEVELS)
    if length <= 0:
        for q in range(n_words):
            masks[s, j, q] = _ZERO
            if pair:
                masks[s, j + 1, q] = _ZERO
        return
    if length <= SHORT_TRAIN:  # one random word per two slots is cheaper here
        p1 = np.float64(abs(probs[s, j + 1])) * scale if pair else 0.0
        _short_pair(np.float64(abs(probs[s, j])) * scale, p1, pair, length, key, base, masks, s, j)
        for q in range(1, n_words):
            masks[s, j, q] = _ZERO
            if pair:
                masks[s, j + 1, q] = _ZERO
        return
    t0 = _threshold(np.float64(abs(probs[s, j])) * scale)
    t1 = _threshold(np.float64(abs(probs[s, j + 1])) * scale) if pair else _ZERO
    shared = length <= 32  # one word for both lines; else one per line and train word
    lanes = _ALL64 >> np.uint64(64 - length) if shared else _ALL64
    for item in range(1 if shared else (2 if pair else 1) * n_words):
        line = item // n_words
        q = item - line * n_words
        if shared:  # one call site of the (inlined) word function: less to compile
            lanes0, lanes1, ta, tb, counter = lanes, lanes << _S32 if pair else _ZERO, t0, t1, base
        else:
            n_bits = min(64, length - q * 64)
            if n_bits <= 0:
                masks[s, j + line, q] = _ZERO
                continue
            lanes0, lanes1 = _ALL64 >> np.uint64(64 - n_bits), _ZERO
            ta, tb = (t1 if line else t0), _ZERO
            counter = base + np.uint64(item * TRAIN_LEVELS)
        w = _fire_word(ta, tb, lanes0, lanes1, key, counter)
        if not shared:
            masks[s, j + line, q] = w
            continue
        masks[s, j, 0] = w & lanes
        if pair:
            masks[s, j + 1, 0] = w >> _S32
        for r in range(1, n_words):
            masks[s, j, r] = _ZERO
            if pair:
                masks[s, j + 1, r] = _ZERO


_sample_scales = numba.njit(error_model="numpy")(sample_scales)


@numba.njit(cache=True, error_model="numpy")
def update_scales(x, d, lr, scalar_lr, g, desired_bl, fixed_bl, um, ublm, um_grad_scale):  # type: ignore[no-untyped-def]
    """``(bl, a, b)`` per sample for ``x [m, in]``, ``d [m, out]`` (float32/64) and one rate per
    sample ``lr [m]`` (float64, its sign ignored; ``scalar_lr``: the call had one rate for
    all): the one definition of the scales,
    :func:`analogtrain.kernels.update.scales.sample_scales` (spec 4.3, 4.4), which
    :func:`analogtrain.kernels.update.pulses.update_scales` runs in torch. Used by the fast
    path to skip ~40 small torch operations per call."""
    m, n_in = x.shape
    n_out = d.shape[1]
    bl = np.empty(m, np.int64)
    a = np.empty(m, np.float64)
    b = np.empty(m, np.float64)
    for s in range(m):
        rate = abs(lr[s])
        if rate == 0.0:
            bl[s], a[s], b[s] = 0, 0.0, 0.0
            continue
        x_max = 0.0
        for j in range(n_in):
            x_max = max(x_max, np.float64(abs(x[s, j])))
        d_max = 0.0
        for i in range(n_out):
            d_max = max(d_max, np.float64(abs(d[s, i])))
        length, a[s], b[s] = _sample_scales(
            rate, x_max, d_max, g, desired_bl, fixed_bl, um, ublm, um_grad_scale, scalar_lr
        )
        bl[s] = int(length)
    return bl, a, b


#: blocks of samples (or of lines) per side that the parallel :func:`bit_masks` shares out: a
#: constant (numba.get_num_threads() in a kernel would stop numba caching it), enough for
#: 16 threads; the trains do not depend on it
TRAIN_BLOCKS = 16


@numba.njit(cache=True, error_model="numpy")
def _train_samples(probs, scale, bl, key, masks, s0, s1, start, stop):  # type: ignore[no-untyped-def]
    """The trains of lines ``start .. stop - 1`` (``start`` even) of samples ``s0 .. s1 - 1``
    of ``probs [m, n]`` (:func:`_train_lines`, two lines at a time; ``scale`` and ``bl`` per
    sample). An ordinary, called function that both train kernels call, so the line routine
    is compiled once. A call covers a whole block of samples: measured on 64 x 512 lines,
    one call per pair of lines cost 2.5x the inlined loop, one per sample 1.5x, one per block
    of samples about 1x."""
    n = probs.shape[1]
    for s in range(s0, s1):
        for j in range(start, stop, 2):
            _train_lines(probs, scale[s], n, bl[s], key, masks, s, j)


def _bit_masks(x, d, a, b, bl, key_x, key_d, col_masks, row_masks):  # type: ignore[no-untyped-def]
    """Fill the column trains ``col_masks [m, in, n_words]`` (uint64) of the probabilities
    ``|x| b`` and the row trains ``row_masks [m, out, n_words]`` of ``|d| a`` in one launch
    (float64 products, as the torch path forms them; given probabilities pass ``a = b = 1``).

    ``bl [m]`` (int64) is each sample's train length, ``key_x``/``key_d`` (uint64) the stream
    keys. Slot ``k`` of line ``j`` in sample ``s`` is bit ``k % 64`` of word ``k // 64``; it is
    set when ``P > U`` with ``U`` the counter-based uniform of ``(s, j, k)`` (:func:`_fire_word`;
    lines of up to 32 slots are drawn in pairs).
    """
    m, n_in = x.shape
    n_out = d.shape[1]
    # blocks of samples (contiguous in memory), each split into blocks of lines only where
    # the samples are fewer than TRAIN_BLOCKS; columns and rows apart
    n_s = max(1, min(m, TRAIN_BLOCKS))
    n_l = (TRAIN_BLOCKS + n_s - 1) // n_s
    for unit in numba.prange(2 * n_s * n_l):
        rows = unit % 2
        k = unit // 2 // n_l
        block = unit // 2 - k * n_l
        s0, s1 = k * m // n_s, (k + 1) * m // n_s
        n = n_out if rows else n_in
        pairs = (n + 1) // 2
        start = 2 * (block * pairs // n_l)
        stop = min(n, 2 * ((block + 1) * pairs // n_l))
        if rows:
            _train_samples(d, a, bl, key_d, row_masks, s0, s1, start, stop)
        else:
            _train_samples(x, b, bl, key_x, col_masks, s0, s1, start, stop)


bit_masks = numba.njit(cache=True, parallel=True, error_model="numpy")(_bit_masks)


@numba.njit(cache=True, error_model="numpy")
def bit_masks_serial(x, d, a, b, bl, key_x, key_d, col_masks, row_masks):  # type: ignore[no-untyped-def]
    """:func:`bit_masks` on the calling thread (the same trains): one :func:`_train_samples` call
    for all columns and one for all rows."""
    m, n_in = x.shape
    n_out = d.shape[1]
    _train_samples(x, b, bl, key_x, col_masks, 0, m, 0, n_in)
    _train_samples(d, a, bl, key_d, row_masks, 0, m, 0, n_out)


@numba.njit(cache=True, error_model="numpy")
def signs(v, lr):  # type: ignore[no-untyped-def]
    """``sign(v)`` as int8 ``[m, n]``, negated in the samples whose rate ``lr[s]`` is negative."""
    m, n = v.shape
    out = np.empty((m, n), np.int8)  # every entry is written
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
        cols = 0
        if n_words == 1:  # branch-free counts (vectorised): the usual case, BL <= 64
            for i in range(out_size):
                rows += row_masks[s, i, 0] != 0
            for j in range(in_size):
                cols += col_masks[s, j, 0] != 0
        else:
            for i in range(out_size):
                w = row_masks[s, i, 0]
                for q in range(1, n_words):
                    w |= row_masks[s, i, q]
                rows += w != 0
            for j in range(in_size):
                w = col_masks[s, j, 0]
                for q in range(1, n_words):
                    w |= col_masks[s, j, q]
                cols += w != 0
        total += rows * cols
    return total


@numba.njit(cache=True, error_model="numpy")
def sparse_columns(col_masks):  # type: ignore[no-untyped-def]
    """Per sample, the columns whose train fires at all, where they are few.

    Returns ``cols [m, in]`` (the firing columns of sample ``s`` first, ascending) and
    ``n [m]``: their number where it is below a quarter of the columns, else -1 (the kernel
    then scans every column, which is faster for dense inputs). Skipping columns that never
    fire changes no count.
    """
    m, in_size, n_words = col_masks.shape
    cols = np.empty((m, in_size), np.int64)
    n = np.empty(m, np.int64)
    for s in range(m):
        k = 0
        for j in range(in_size):
            w = col_masks[s, j, 0]
            for q in range(1, n_words):
                w |= col_masks[s, j, q]
            cols[s, k] = j  # branch-free compaction: kept only where the column fires
            k += w != 0
        n[s] = k if 4 * k < in_size else -1
    return cols, n


@numba.njit(cache=True, error_model="numpy")
def active_samples(row_masks):  # type: ignore[no-untyped-def]
    """The samples in which each row fires, in batch order, as ``(start [out + 1], samples)``:
    row ``i``'s are ``samples[start[i]:start[i + 1]]``. Serial, two passes in memory order
    (samples outer), instead of a strided scan of every sample per row."""
    m, out_size, n_words = row_masks.shape
    # plain np.empty and the dtypes of the other kernels' scratch arrays: every distinct
    # allocation (dtype, rank) or np.zeros/np.full is one more function for numba to compile
    fires = np.empty((m, out_size), np.int8)
    start = np.empty(out_size + 1, np.int64)
    for i in range(out_size + 1):
        start[i] = 0
    for s in range(m):
        for i in range(out_size):  # branch-free: the firing rows are unpredictable
            w = row_masks[s, i, 0]
            for q in range(1, n_words):
                w |= row_masks[s, i, q]
            f = np.int8(w != 0)
            fires[s, i] = f
            start[i + 1] += f
    fill = np.empty(out_size, np.int64)
    for i in range(out_size):
        start[i + 1] += start[i]
        fill[i] = start[i]
    spare = start[out_size]
    samples = np.empty(spare + 1, np.int64)  # one spare slot takes the silent rows' writes
    for s in range(m):
        for i in range(out_size):
            f = fires[s, i]
            samples[fill[i] if f else spare] = s  # a select, not a branch
            fill[i] += f
    return start, samples[:spare]
