"""Counter-based random numbers for the numba update kernels.

Every random number of a fast update is a pure function of a 64-bit key: the call's seed
(drawn from the tile's ``torch.Generator``, so the generator stays the single source of
reproducibility) combined with the coordinates of the draw (stream, sample, row, column,
slot or pulse index). Results therefore do not depend on the thread count or on the order in
which threads visit the cross-points.

The mixing function is the SplitMix64 output function (G. L. Steele, D. Lea, C. H. Flood,
"Fast splittable pseudorandom number generators", OOPSLA 2014): a key is advanced along a
Weyl sequence with the odd constant ``GAMMA = 0x9E3779B97F4A7C15`` and then finalised by two
xor-shift-multiply rounds.

Normal samples use the ziggurat method (G. Marsaglia, W. W. Tsang, "The ziggurat method
for generating random variables", J. Stat. Softw. 5(8), 2000): the density is covered by
``N = 128`` horizontal layers of equal area; a point drawn uniformly in a random layer is
accepted at once when it lies under the curve for sure (about 99 % of draws), otherwise it
goes through an exact rejection test (wedges) or the exact sampler of the tail beyond ``r``.
The method is exact (rejection sampling), not an approximation table: the table only fixes
the layer geometry, which is solved here to double precision. Retries draw further words
from the same counter (``h ← mix64(h + GAMMA)``), so a sample stays a pure function of its key.

This module imports numba; only :mod:`.fast_update` imports it, lazily.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "GAMMA",
    "PULSE_BITS",
    "mix64",
    "pulse_stream",
    "stream_key",
    "standard_normal",
    "ziggurat_tables",
]

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_ONE_BIT = np.uint64(1)


@numba.njit(cache=True, inline="always", error_model="numpy")
def mix64(z: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser: a bijective, well-avalanching map of 64-bit integers."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always", error_model="numpy")
def stream_key(key: np.uint64, index: np.uint64) -> np.uint64:
    """The key of sub-stream ``index`` of ``key`` (the ``index``-th Weyl step, mixed)."""
    return mix64(key + (index + np.uint64(1)) * GAMMA)


#: pulses per cross-point and call that get distinct normals in :func:`pulse_stream`
PULSE_BITS = 24
_PULSE_STRIDE = np.uint64((0x9E3779B97F4A7C15 << PULSE_BITS) & ((1 << 64) - 1))


@numba.njit(cache=True, inline="always", error_model="numpy")
def pulse_stream(key: np.uint64, index: np.uint64) -> np.uint64:
    """The key whose sample ``t`` (:func:`standard_normal`) is pulse ``t`` of cross-point visit
    ``index``: the Weyl position ``index * 2**PULSE_BITS + t + 1`` of ``key``, so each pulse
    costs one mixing (no separate mixing of the visit's key). Distinct for ``index < 2**40``
    and ``t < 2**24 - 1`` pulses of one visit."""
    return key + index * _PULSE_STRIDE


def ziggurat_tables(n_layers: int = 128) -> tuple[np.ndarray, np.ndarray, float]:
    """Layer edges ``x [n+1]`` (decreasing, ``x[n] = 0``), ``f(x)`` and the tail start ``r``.

    ``r`` solves the equal-area condition ``v = r f(r) + ∫_r^∞ f = x_i (f(x_{i+1}) − f(x_i))``
    for every layer up to the top one (which must end at ``f(0) = 1``), by bisection;
    ``f(x) = exp(−x²/2)``. ``x[0] = v / f(r)`` is the virtual width of the base layer.
    """

    def f(x: float) -> float:
        return math.exp(-0.5 * x * x)

    def area(r: float) -> float:
        return r * f(r) + math.sqrt(0.5 * math.pi) * math.erfc(r / math.sqrt(2.0))

    def top_excess(r: float) -> float:
        v, x = area(r), r
        for _ in range(n_layers - 2):
            top = v / x + f(x)
            if top >= 1.0:
                return 1.0
            x = math.sqrt(-2.0 * math.log(top))
        return v / x + f(x) - 1.0

    lo, hi = 1.0, 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if top_excess(mid) > 0.0 else (lo, mid)
    r = lo
    v = area(r)
    x = np.zeros(n_layers + 1)
    x[0], x[1] = v / f(r), r
    for i in range(1, n_layers - 1):
        x[i + 1] = math.sqrt(-2.0 * math.log(v / x[i] + f(x[i])))
    fx = np.exp(-0.5 * x * x)
    fx[n_layers] = 1.0
    return x, fx, r


_ZIG_X, _ZIG_F, _ZIG_R = ziggurat_tables(128)
_LAYER_BITS = np.uint64(127)
_S7 = np.uint64(7)
_S11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _unit(h: np.uint64) -> float:
    """A uniform in ``(0, 1)`` from the top 53 bits of ``h``."""
    return (float(h >> _S11) + 0.5) * _TWO_M53


@numba.njit(cache=True, error_model="numpy")
def _ziggurat_slow(h: np.uint64, layer: int, xx: float) -> float:
    """Rejection part of the ziggurat; ``xx`` is the rejected candidate of ``layer``."""
    while True:
        sign = -1.0 if (h >> _S7) & _ONE_BIT else 1.0
        if layer == 0:  # tail beyond r (Marsaglia 1964): exact exponential rejection
            while True:
                h = mix64(h + GAMMA)
                a = -math.log(_unit(h)) / _ZIG_R
                h = mix64(h + GAMMA)
                b = -math.log(_unit(h))
                if b + b > a * a:
                    return sign * (_ZIG_R + a)
        h = mix64(h + GAMMA)
        y = _ZIG_F[layer] + _unit(h) * (_ZIG_F[layer + 1] - _ZIG_F[layer])
        if y < math.exp(-0.5 * xx * xx):
            return sign * xx
        h = mix64(h + GAMMA)  # start over with a fresh layer and point
        layer = int(h & _LAYER_BITS)
        xx = float(h >> _S11) * _TWO_M53 * _ZIG_X[layer]
        if xx < _ZIG_X[layer + 1]:
            return -xx if (h >> _S7) & _ONE_BIT else xx


@numba.njit(cache=True, inline="always", error_model="numpy")
def standard_normal(key: np.uint64, counter: np.uint64) -> float:
    """The N(0, 1) sample number ``counter`` of stream ``key`` (ziggurat, exact)."""
    h = stream_key(key, counter)
    layer = int(h & _LAYER_BITS)
    xx = float(h >> _S11) * _TWO_M53 * _ZIG_X[layer]
    if xx < _ZIG_X[layer + 1]:
        # the sign as a factor +-1 (exact), not a branch: the sign bit is a coin flip, and a
        # mispredicted branch on it cost more than the rest of the draw (8.7 vs 4.0 ns)
        return (1.0 - 2.0 * np.float64((h >> _S7) & _ONE_BIT)) * xx
    return _ziggurat_slow(h, layer, xx)
