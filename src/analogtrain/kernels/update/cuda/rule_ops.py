"""The operations of the rule language (:data:`analogtrain.devices.rule.OPERATIONS`) for
Triton: elementwise functions on blocks, inlined by Triton into the generated pulse kernel.

Imported only by the generated kernel modules (:mod:`analogtrain.kernels.update.rule_codegen`), so a
CPU installation never imports Triton. A table parameter arrives as a pointer; ``take``
loads from it.
"""

from __future__ import annotations

import triton
import triton.language as tl

from analogtrain.devices.rule import OPERATIONS

__all__ = sorted(OPERATIONS)  # every operation of the rule language


@triton.jit
def where(c, a, b):  # type: ignore[no-untyped-def]
    return tl.where(c, a, b)


@triton.jit
def minimum(a, b):  # type: ignore[no-untyped-def]
    return tl.minimum(a, b)


@triton.jit
def maximum(a, b):  # type: ignore[no-untyped-def]
    return tl.maximum(a, b)


@triton.jit
def abs(x):  # type: ignore[no-untyped-def]  # noqa: A001
    return tl.abs(x)


@triton.jit
def exp(x):  # type: ignore[no-untyped-def]
    return tl.exp(x)


@triton.jit
def log(x):  # type: ignore[no-untyped-def]
    return tl.log(x)


@triton.jit
def sqrt(x):  # type: ignore[no-untyped-def]
    return tl.sqrt(x)


@triton.jit
def floor(x):  # type: ignore[no-untyped-def]
    return tl.floor(x)


@triton.jit
def pow(a, b):  # type: ignore[no-untyped-def]  # noqa: A001
    """``a ** b`` for ``a >= 0``, with ``0 ** b = 0`` for ``b > 0`` and ``1`` for ``b == 0``."""
    positive = a > 0.0
    power = tl.exp(b * tl.log(tl.where(positive, a, 1.0)))
    return tl.where(positive, power, tl.where(b == 0.0, 1.0, 0.0))


@triton.jit
def sigmoid(x):  # type: ignore[no-untyped-def]
    return 1.0 / (1.0 + tl.exp(-x))


@triton.jit
def tanh(x):  # type: ignore[no-untyped-def]
    return 2.0 / (1.0 + tl.exp(-2.0 * x)) - 1.0


@triton.jit
def take(table, k):  # type: ignore[no-untyped-def]
    return tl.load(table + k.to(tl.int32))
