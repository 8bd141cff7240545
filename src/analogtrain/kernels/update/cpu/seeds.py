"""The random streams of one compiled CPU update call, in plain Python.

A call draws one seed from the tile's torch generator and splits it into independent stream
keys with SplitMix64 (the kernels' ``stream_key(seed, k)`` of :mod:`.rng`): ``k = 0`` column
trains, ``1`` row trains, ``2`` cycle-to-cycle noise, ``3`` write noise. The stochastic
(:mod:`.fast_update`) and the deterministic (:mod:`.dense_update`) updates share them.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["SERIAL_VISITS", "SERIAL_WORK", "draw_seed", "stream_keys"]

_MASK64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
#: the four independent streams of one call: column trains, row trains, c2c, write noise
_N_STREAMS = 4
#: below this much work (cross-points of a call, or the visits the pulse kernel makes) a call
#: runs on the serial variant of a kernel, which never wakes numba's worker threads: that
#: costs tens of microseconds on an idle machine and up to a scheduler tick (milliseconds) on
#: a busy one. Measured on the 2-core VM at 512 x 512 (light load), 2^17 against 2^19: ttv2
#: 11.0 vs 14.5 ms and tt 7.2 vs 10.9 ms idle. The result does not depend on the variant.
SERIAL_WORK = 1 << 17
#: a large call (at least SERIAL_WORK) applies its pulses on the parallel kernel from this many
#: cross-point visits on (firing rows x firing columns, plus one per row and sample): every
#: visit may carry pulses, each with its own rule step and normal draw. Measured on the 2-core
#: VM on LeNet-5's c-ttv2 updates, serial against parallel ms: 14k visits 0.97 vs 0.69,
#: 22k 0.83 vs 0.38, 100k 3.9 vs 2.2 (all of which ran serially under SERIAL_WORK).
SERIAL_VISITS = 1 << 14


def _mix64(z: int) -> int:
    """SplitMix64 finaliser (the same function as the kernels' ``mix64``)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def draw_seed(generator: torch.Generator) -> int:
    """The call's one draw from ``generator``: a seed in ``[0, 2**63 - 1)``."""
    return int(
        torch.randint(
            0, 2**63 - 1, (1,), generator=generator, dtype=torch.int64, device=generator.device
        ).item()
    )


def stream_keys(seed: int) -> list[np.uint64]:
    """The stream keys ``k = 0 .. 3`` of a call's ``seed``: column trains, row trains, c2c,
    write noise."""
    return [np.uint64(_mix64((seed + (k + 1) * _GAMMA) & _MASK64)) for k in range(_N_STREAMS)]
