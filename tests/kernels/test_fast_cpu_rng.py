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
