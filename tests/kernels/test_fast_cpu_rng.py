"""The counter-based random numbers of the numba update: ziggurat geometry and normal samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from analogtrain.kernels.update.cpu import rng  # noqa: E402


def test_ziggurat_layers_have_equal_area_and_close_at_the_top() -> None:
    x, fx, r = rng.ziggurat_tables(128)
    # Marsaglia & Tsang (2000) publish r = 3.442619855899 for 128 layers.
    assert r == pytest.approx(3.442619855899, abs=1e-9)
    v = r * math.exp(-0.5 * r * r) + math.sqrt(0.5 * math.pi) * math.erfc(r / math.sqrt(2.0))
    assert x[0] * fx[1] == pytest.approx(v, rel=1e-12)  # base layer incl. tail
    areas = x[1:-1] * (fx[2:] - fx[1:-1])  # layers 1 .. 127
    np.testing.assert_allclose(areas, v, rtol=1e-9)
    assert x[-1] == 0.0 and fx[-1] == 1.0
    assert np.all(np.diff(x) < 0)


@numba.njit
def _normals(key, n):  # type: ignore[no-untyped-def]
    out = np.empty(n)
    for k in range(n):
        out[k] = rng.standard_normal(key, np.uint64(k))
    return out


def _tail(z: float) -> float:
    return math.erfc(z / math.sqrt(2.0))  # P(|N(0,1)| > z)


def test_standard_normal_moments_and_tails() -> None:
    n = 400_000
    z = _normals(np.uint64(12345), n)
    assert abs(z.mean()) < 5.0 / math.sqrt(n)
    assert abs(z.var() - 1.0) < 5.0 * math.sqrt(2.0 / n)
    assert abs((z**4).mean() - 3.0) < 5.0 * math.sqrt(96.0 / n)  # Var(z^4) = 105 - 9
    assert abs((z**3).mean()) < 5.0 * math.sqrt(15.0 / n)
    # tail beyond the base layer (r = 3.44) exercises the exact tail sampler
    for level in (0.5, 1.0, 2.0, 3.0, 3.4426, 4.0):
        p = _tail(level)
        count = int((np.abs(z) > level).sum())
        assert abs(count - n * p) < 5.0 * math.sqrt(n * p * (1 - p)) + 1, level
    assert abs(z).max() > 4.0
    # neighbouring counters are uncorrelated
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 5.0 / math.sqrt(n)


def test_streams_differ_and_repeat() -> None:
    a = _normals(np.uint64(1), 1000)
    np.testing.assert_array_equal(a, _normals(np.uint64(1), 1000))
    b = _normals(np.uint64(2), 1000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5.0 / math.sqrt(1000)


def _mix64_python(z: int) -> int:
    """SplitMix64's finaliser in Python integers (an oracle independent of the kernels)."""
    mask = (1 << 64) - 1
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def _slot_integers(key: int, counter: int, n_lanes: int) -> list[int]:
    """The 32-bit integers ``K_l`` of the lanes of one train word, recomputed in Python: bit
    ``31 - v`` of ``K_l`` is bit ``l`` of ``mix64(key + (counter + v + 1) GAMMA)``."""
    gamma, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1
    words = [_mix64_python((key + (counter + v + 1) * gamma) & mask) for v in range(32)]
    return [sum(((words[v] >> lane) & 1) << (31 - v) for v in range(32)) for lane in range(n_lanes)]


def test_train_bits_follow_the_float_comparison_definition() -> None:
    # Slot k of line j fires when p > K / 2^32, K the slot's 32-bit integer. Lines of up to
    # SHORT_TRAIN (8) slots, in pairs, take K from the halves of one random word per slot
    # (line 2u the high half, 2u + 1 the low one). Longer ones spread K's bits over random
    # words (one word per bit, most significant first): lines of up to 32 slots share their
    # words in pairs (line 2u in the low lanes, 2u + 1 in the high ones); longer lines use one
    # word per bit and train word. Recomputed here in Python
    # floats and integers from the full 32 words, for lengths across word boundaries (odd,
    # 32, 33, 64, 65, 127), odd line counts (an unpaired last line), and probabilities placed
    # exactly on, and half a grid step above, a slot's K (where an integer threshold off by
    # one either way, or a lazily stopped comparison, would show).
    from analogtrain.kernels.update.cpu import numba_kernels as k

    lengths = np.array([1, 31, 32, 33, 64, 65, 127, 0, 8, 9], dtype=np.int64)
    m, n_in, n_out = lengths.size, 5, 4
    n_words = 2
    key_x, key_d = 0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321
    gamma, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1

    def integers(key: int, n: int, s: int, j: int, q: int) -> list[int]:
        """The K of word q's slots of line j in sample s (lanes as the line stores them)."""
        length = int(lengths[s])
        if length <= k.SHORT_TRAIN:
            first = j - j % 2
            words = [
                _mix64_python((key + ((s * n + first) * n_words * 32 + u + 1) * gamma) & mask)
                for u in range(length)
            ]
            return [w & 0xFFFFFFFF if j % 2 else w >> 32 for w in words]
        if length <= 32:
            first = j - j % 2
            ks = _slot_integers(key, (s * n + first) * n_words * 32, 64)
            return ks[32:] if j % 2 else ks
        return _slot_integers(key, ((s * n + j) * n_words + q) * 32, 64)

    gen = np.random.default_rng(7)
    x = gen.random((m, n_in))
    x[1, 0] = integers(key_x, n_in, 1, 0, 0)[0] * 2.0**-32  # a tie on slot 0: must not fire
    x[1, 1] = (integers(key_x, n_in, 1, 1, 0)[0] + 0.5) * 2.0**-32  # just above: must fire
    x[3, 2] = integers(key_x, n_in, 3, 2, 0)[5] * 2.0**-32  # a tie in a long line
    x[3, 3] = (integers(key_x, n_in, 3, 3, 0)[40] + 0.5) * 2.0**-32
    x[2, 4] = 1.0  # always fires (the unpaired last line)
    x[8, 2] = integers(key_x, n_in, 8, 2, 0)[7] * 2.0**-32  # short trains: a tie, high half
    x[8, 3] = (integers(key_x, n_in, 8, 3, 0)[7] + 0.5) * 2.0**-32  # just above, low half
    x[0, 1] = integers(key_x, n_in, 0, 1, 0)[0] * 2.0**-32
    x[4, 0] = 0.0  # never fires
    d = gen.random((m, n_out)) * 0.7
    d[6, 1] = integers(key_d, n_out, 6, 1, 1)[3] * 2.0**-32  # a tie in a second word
    ones = np.ones(m)
    cols = np.empty((m, n_in, n_words), np.uint64)
    rows = np.empty((m, n_out, n_words), np.uint64)
    for masks_fn in (k.bit_masks_serial, k.bit_masks):
        cols.fill(np.uint64(0xDEAD))  # stale values must be overwritten
        rows.fill(np.uint64(0xDEAD))
        masks_fn(x, d, ones, ones, lengths, np.uint64(key_x), np.uint64(key_d), cols, rows)
        for probs, key, masks, n in ((x, key_x, cols, n_in), (d, key_d, rows, n_out)):
            for s in range(m):
                for j in range(n):
                    p = float(probs[s, j])
                    expected = 0
                    for slot in range(int(lengths[s])):
                        q, lane = divmod(slot, 64)
                        if p > integers(key, n, s, j, q)[lane] * 2.0**-32:
                            expected |= 1 << slot
                    got = int(masks[s, j, 0]) | (int(masks[s, j, 1]) << 64)
                    assert got == expected, (masks_fn, s, j)


@pytest.mark.parametrize("m", [1, 3, 16, 17, 40])
def test_parallel_trains_equal_serial_ones_for_any_sample_blocking(m: int) -> None:
    # the parallel kernel shares out blocks of samples (TRAIN_BLOCKS of them), split into
    # blocks of lines when the samples are fewer; the serial kernel draws every line of every
    # sample in one call, as the oracle test above checks: each partition must give its trains
    from analogtrain.kernels.update.cpu import numba_kernels as k

    gen = np.random.default_rng(m)
    n_in, n_out = 37, 6  # odd: an unpaired last column
    x = gen.random((m, n_in))
    d = gen.random((m, n_out))
    a, b = gen.random(m), gen.random(m)
    bl = gen.integers(0, 70, m).astype(np.int64)  # empty, short, bit-sliced, two-word trains
    words = (int(bl.max()) + 63) // 64 or 1
    masks = []
    for kernel in (k.bit_masks, k.bit_masks_serial):
        cols = np.full((m, n_in, words), 7, dtype=np.uint64)  # garbage a missed line would keep
        rows = np.full((m, n_out, words), 7, dtype=np.uint64)
        kernel(x, d, a, b, bl, np.uint64(11), np.uint64(12), cols, rows)
        masks.append((cols, rows))
    np.testing.assert_array_equal(masks[0][0], masks[1][0])
    np.testing.assert_array_equal(masks[0][1], masks[1][1])
    assert masks[1][0].any() and not (masks[1][0] == 7).all()
