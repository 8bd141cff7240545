"""numba overloads of the torch operations of :mod:`analogtrain.devices.rule`, so that numba
compiles a plain function written with them (:func:`analogtrain.kernels.update.scales.
sample_scales`, the transfer rules of :mod:`analogtrain.tiles.transfer_rules`) on scalars.
Only the operations such functions use are overloaded.

Imports numba; imported by :mod:`.numba_kernels` before it compiles anything.
"""

from __future__ import annotations

import builtins
import math

import numpy as np
from numba.extending import overload

from analogtrain.devices import rule

__all__: list[str] = []  # registers overloads only

_MIN = builtins.min
_MAX = builtins.max


@overload(rule.where)
def _where(c, a, b):  # type: ignore[no-untyped-def]
    return lambda c, a, b: a if c else b


@overload(rule.minimum)
def _minimum(a, b):  # type: ignore[no-untyped-def]
    return lambda a, b: _MIN(a, b)


@overload(rule.maximum)
def _maximum(a, b):  # type: ignore[no-untyped-def]
    return lambda a, b: _MAX(a, b)


@overload(rule.sqrt)
def _sqrt(x):  # type: ignore[no-untyped-def]
    return lambda x: math.sqrt(x)


@overload(rule.floor)
def _floor(x):  # type: ignore[no-untyped-def]
    return lambda x: np.floor(x)


@overload(rule.abs)
def _abs(x):  # type: ignore[no-untyped-def]
    return lambda x: builtins.abs(x)
