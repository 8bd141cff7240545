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


def test_train_bits_follow_the_float_comparison_definition() -> None:
    # Slot 2t of a line fires when p > hi32(h_t) / 2^32, slot 2t + 1 when p > lo32(h_t) / 2^32,
    # h_t = mix64(key + (base + t + 1) GAMMA): recomputed here in Python floats and integers,
    # for lengths across word boundaries (odd, 64, 65, 127), and probabilities placed exactly
    # on, and half a grid step above, a drawn uniform (where an integer threshold off by one
    # either way would show).
    from analogtrain.kernels.update.cpu import numba_kernels as k

    gamma, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1
    lengths = np.array([1, 31, 64, 65, 127, 0], dtype=np.int64)
    m, n_in, n_out = lengths.size, 5, 3
    n_words = 2
    key_x, key_d = 0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321

    def first_word(s: int, j: int) -> int:  # h_0 of column j in sample s
        base = (s * n_in + j) * ((n_words * 64 + 1) // 2)
        return _mix64_python((key_x + (base + 1) * gamma) & mask)

    gen = np.random.default_rng(7)
    x = gen.random((m, n_in))
    x[1, 0] = (first_word(1, 0) >> 32) * 2.0**-32  # a tie on slot 0: must not fire
    x[1, 1] = ((first_word(1, 1) >> 32) + 0.5) * 2.0**-32  # just above: must fire
    x[2, 2] = (first_word(2, 2) & 0xFFFFFFFF) * 2.0**-32  # a tie on slot 1
    x[2, 3] = ((first_word(2, 3) & 0xFFFFFFFF) + 0.5) * 2.0**-32
    x[3, 3] = 1.0  # always fires
    d = gen.random((m, n_out)) * 0.7
    ones = np.ones(m)
    cols = np.empty((m, n_in, n_words), np.uint64)
    rows = np.empty((m, n_out, n_words), np.uint64)
    k.bit_masks_serial(x, d, ones, ones, lengths, np.uint64(key_x), np.uint64(key_d), cols, rows)
    for probs, key, masks, n in ((x, key_x, cols, n_in), (d, key_d, rows, n_out)):
        for s in range(m):
            for j in range(n):
                p = float(probs[s, j])
                base = (s * n + j) * ((n_words * 64 + 1) // 2)
                expected = 0
                for slot in range(int(lengths[s])):
                    h = _mix64_python((key + (base + slot // 2 + 1) * gamma) & mask)
                    half = h >> 32 if slot % 2 == 0 else h & 0xFFFFFFFF
                    if p > half * 2.0**-32:
                        expected |= 1 << slot
                got = int(masks[s, j, 0]) | (int(masks[s, j, 1]) << 64)
                assert got == expected, (s, j)
