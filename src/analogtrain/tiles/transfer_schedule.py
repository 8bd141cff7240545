"""When a transfer compound transfers, and which columns it reads (spec compounds 3.5, 3.7).

Pure functions over the config values; the tiles keep the counters. A transfer compound with
devices ``k = 0..n-1`` counts vector updates (one ``(x, d)`` pair each) and transfers from
device ``k`` to ``k+1`` whenever the count is a multiple of the device's period::

    period_k = ceil(transfer_every_vec[k] * m)   if units_in_mbatch (m = rows of the call)
               round(transfer_every_vec[k])      otherwise            (both floored at 0)

so that with ``units_in_mbatch`` and ``transfer_every = 1`` the transfer happens once per
mini-batch, at its last vector. Each transfer reads ``n_reads_per_transfer`` consecutive
columns (or rows), cycling through the ``in_size`` of the transfer direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from analogtrain.errors import ConfigError

__all__ = [
    "auto_transfer_period",
    "cycle_indices",
    "firing_offsets",
    "firing_offsets_array",
    "resolve_gamma_vec",
    "resolve_transfer_every_vec",
    "resolve_transfer_lr_vec",
    "round_half_away",
    "transfer_period",
]


def round_half_away(value: float) -> int:
    """C's ``round``: to the nearest integer, halves away from zero (Python rounds to even)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def transfer_period(every: float, m: int, units_in_mbatch: bool) -> int:
    """Transfer period in vector updates for one device (0 = never), spec 3.5."""
    if units_in_mbatch:
        period = math.ceil(every * m)
    else:
        period = round_half_away(every)
    return max(int(period), 0)


def auto_transfer_period(every: float, n_states: float, in_size: int) -> int:
    """Period of a chopped compound with ``transfer_every < 0`` (spec 3.7).

    ``max(1, floor(n_states(A) / in_size * |transfer_every|))``: one full pass over the columns
    per ``|transfer_every|`` device ranges. The floor is the CUDA rule (the CPU engine rounds);
    spec 3.12 recommends it.
    """
    return max(1, math.floor(n_states / in_size * abs(every)))


def resolve_gamma_vec(gamma: float, gamma_vec: Sequence[float], n: int) -> tuple[list[float], bool]:
    """The reduction weights ``gamma_k`` of a transfer compound and whether it is fully hidden.

    Empty ``gamma_vec``: ``gamma_k = gamma ** (n - 1 - k)`` (so ``[gamma, 1]`` for two devices,
    ``0 ** 0 = 1``). Fully hidden (only the last device visible): ``gamma == 0`` and
    ``gamma_vec[n-1] == 1``; with an explicit vector ``gamma`` is the sum of all but the last.
    """
    if gamma_vec:
        vec = [float(g) for g in gamma_vec]
        if len(vec) != n:
            raise ConfigError(
                f"gamma_vec must have one entry per device ({n}), got {len(vec)}: {vec}"
            )
        if vec[-1] == 0.0:
            raise ConfigError(f"the last entry of gamma_vec must not be 0, got {vec}")
        gamma = sum(vec[:-1])
    else:
        vec = [float(gamma) ** (n - 1 - k) for k in range(n)]
    return vec, (gamma == 0.0 and vec[-1] == 1.0)


def resolve_transfer_lr_vec(
    transfer_lr: float, transfer_lr_vec: Sequence[float], n: int
) -> list[float]:
    """Transfer learning rate per device (``transfer_lr`` for all when the vector is empty)."""
    vec = [float(v) for v in transfer_lr_vec] if transfer_lr_vec else [float(transfer_lr)] * n
    if len(vec) != n:
        raise ConfigError(
            f"transfer_lr_vec must have one entry per device ({n}), got {len(vec)}: {vec}"
        )
    return vec


def resolve_transfer_every_vec(
    transfer_every: float,
    transfer_every_vec: Sequence[float],
    n: int,
    out_size: int,
    n_reads_per_transfer: int,
    no_self_transfer: bool,
) -> list[float]:
    """Transfer period per device, in units of vector updates or mini-batches (spec 3.5).

    Empty vector: device ``k`` transfers every ``transfer_every * (out_size / n_reads)^k``
    (each slower device waits until the previous one has been read completely; ``out_size``
    is the output size of the transfer direction, as in aihwkit's code, not its docstring),
    and the last device does not transfer onto itself when ``no_self_transfer``.
    """
    if transfer_every_vec:
        vec = [float(v) for v in transfer_every_vec]
        if len(vec) != n:
            raise ConfigError(
                f"transfer_every_vec must have one entry per device ({n}), got {len(vec)}: {vec}"
            )
        return vec
    vec = []
    t = float(transfer_every)
    for _ in range(n):
        vec.append(t)
        t *= out_size / n_reads_per_transfer
    if no_self_transfer:
        vec[-1] = 0.0
    return vec


def cycle_indices(start: int, count: int, size: int) -> list[int]:
    """``count`` consecutive indices from ``start``, wrapping modulo ``size``."""
    return [(start + t) % size for t in range(count)]


def firing_offsets(count_before: int, m: int, period: int) -> list[int]:
    """Offsets ``b`` in ``0..m-1`` of the vector updates after which a transfer fires.

    The count after vector ``b`` of the call is ``count_before + b + 1``; a transfer fires
    when it is a positive multiple of ``period`` (``period <= 0``: never).
    """
    return firing_offsets_array(count_before, m, period).tolist()  # type: ignore[no-any-return]


def firing_offsets_array(count_before: int, m: int, period: int) -> np.ndarray:
    """:func:`firing_offsets` as an int64 array (a call can have thousands of reads)."""
    if period <= 0:
        return np.empty(0, dtype=np.int64)
    first = (-count_before - 1) % period  # smallest b with (count_before + b + 1) % period == 0
    return np.arange(first, m, period, dtype=np.int64)
