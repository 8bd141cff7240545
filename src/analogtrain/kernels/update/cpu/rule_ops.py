"""The operations of the rule language (:data:`analogtrain.devices.rule.OPERATIONS`) for
numba: scalar functions that the generated kernels inline into their pulse loops.

Imported only by the generated kernel modules (:mod:`analogtrain.kernels.update.rule_codegen`).
"""

from __future__ import annotations

import builtins
import math

import numba
import numpy as np

from analogtrain.devices.rule import OPERATIONS

__all__ = sorted(OPERATIONS)  # every operation of the rule language

_ABS = builtins.abs
_MIN = builtins.min
_MAX = builtins.max


@numba.njit(cache=True, inline="always", error_model="numpy")
def where(c, a, b):  # type: ignore[no-untyped-def]
    return a if c else b


@numba.njit(cache=True, inline="always", error_model="numpy")
def minimum(a, b):  # type: ignore[no-untyped-def]
    return _MIN(a, b)


@numba.njit(cache=True, inline="always", error_model="numpy")
def maximum(a, b):  # type: ignore[no-untyped-def]
    return _MAX(a, b)


@numba.njit(cache=True, inline="always", error_model="numpy")
def abs(x):  # type: ignore[no-untyped-def]  # noqa: A001
    return _ABS(x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def exp(x):  # type: ignore[no-untyped-def]
    return math.exp(x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def log(x):  # type: ignore[no-untyped-def]
    return math.log(x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def sqrt(x):  # type: ignore[no-untyped-def]
    return math.sqrt(x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def floor(x):  # type: ignore[no-untyped-def]
    return np.floor(x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def pow(a, b):  # type: ignore[no-untyped-def]  # noqa: A001
    return a**b


@numba.njit(cache=True, inline="always", error_model="numpy")
def sigmoid(x):  # type: ignore[no-untyped-def]
    return 1.0 / (1.0 + math.exp(-x))


@numba.njit(cache=True, inline="always", error_model="numpy")
def tanh(x):  # type: ignore[no-untyped-def]
    return math.tanh(x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def take(table, k):  # type: ignore[no-untyped-def]
    return table[int(k)]
