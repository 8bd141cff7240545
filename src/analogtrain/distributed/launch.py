"""Launch helpers: a process group from ``torchrun``'s environment, rank-0 checks, sharding.

``torchrun --nproc_per_node N -m analogtrain train ...`` starts N processes with ``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` set; :func:`init_from_environment` turns
them into the default process group (nothing happens for a plain ``python -m`` start).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import Tensor

from analogtrain.errors import ArgumentError

__all__ = [
    "all_reduce_sums",
    "init_from_environment",
    "is_main_process",
    "shard_rows",
    "shutdown",
    "world_size",
]


def init_from_environment(backend: str = "gloo") -> bool:
    """Initialise the default process group from ``torchrun``'s variables if they ask for
    more than one process; returns whether this call created it (then the caller ends it
    with :func:`shutdown`).

    ``backend``: ``"gloo"`` (CPU tensors) or ``"nccl"`` (CUDA tensors). An already
    initialised group is kept as it is (and False returned).
    """
    if dist.is_available() and dist.is_initialized():
        return False
    raw = os.environ.get("WORLD_SIZE")
    if raw is None:
        return False
    try:
        world = int(raw)
    except ValueError:
        raise ArgumentError(f"environment variable WORLD_SIZE={raw!r} is not an integer") from None
    if world <= 1:
        return False
    if not dist.is_available():
        raise ArgumentError(f"WORLD_SIZE={world} but this torch build has no torch.distributed")
    dist.init_process_group(backend)
    return True


def world_size() -> int:
    """Number of processes of the default group (1 without a group)."""
    if dist.is_available() and dist.is_initialized():
        return int(dist.get_world_size())
    return 1


def is_main_process() -> bool:
    """True on rank 0 of the default group, and in a process without a group."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def shutdown() -> None:
    """Destroy the default process group if one is active."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_rows(n: int, rank: int, world: int) -> slice:
    """Rank ``rank``'s contiguous part of ``n`` rows split into ``world`` near-equal parts
    (larger parts first); concatenated in rank order the parts give the rows in order."""
    if world < 1 or not 0 <= rank < world:
        raise ArgumentError(f"shard_rows: need 0 <= rank < world, got rank={rank}, world={world}")
    base, extra = divmod(n, world)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (1 if rank < extra else 0))


def all_reduce_sums(
    values: list[float], group: object = None, device: torch.device | str = "cpu"
) -> list[float]:
    """The element-wise sums of ``values`` over the ranks (float64, one message; ``device``
    must suit the backend: CPU for gloo, the rank's CUDA device for NCCL)."""
    t: Tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM, group=group)
    return t.tolist()
