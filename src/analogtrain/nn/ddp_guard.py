"""The refusal of torch's plain ``DistributedDataParallel`` around analog layers.

``torch.nn.parallel.DistributedDataParallel`` all-reduces gradients. An analog tile has none:
its update is the pulsed update of the ``(x, d)`` pairs the optimizer applies, so under plain
DDP every rank would pulse its own tile with its own samples only (and, with
``broadcast_buffers``, rank 0's weights would be copied over the others at every forward
while the tiles' random generators and hidden states drift apart). That is not data-parallel
training of one model, and it fails silently; the layers therefore refuse to run inside a
DDP forward with more than one process and name the wrapper to use instead.
"""

from __future__ import annotations

import torch

from analogtrain.errors import TileError

__all__ = ["check_not_in_ddp"]


def _ddp_world_size() -> int:
    """World size of the DDP module whose forward is running now (0: none)."""
    ddp_cls = torch.nn.parallel.DistributedDataParallel
    active = getattr(ddp_cls, "_active_ddp_module", None)
    if active is None:
        return 0
    group = getattr(active, "process_group", None)
    try:
        return int(torch.distributed.get_world_size(group))
    except (RuntimeError, ValueError):  # pragma: no cover - group already destroyed
        return 0


def check_not_in_ddp(layer: torch.nn.Module) -> None:
    """Raise :class:`TileError` if ``layer`` runs inside a multi-process DDP forward."""
    world = _ddp_world_size()
    if world > 1:
        raise TileError(
            f"{type(layer).__name__} is running inside torch.nn.parallel."
            f"DistributedDataParallel with {world} processes: DDP all-reduces gradients, "
            "but analog tiles are trained by pulsed updates of their (x, d) pairs, so every "
            "rank would train its own tile on its own samples. Wrap the model in "
            "analogtrain.distributed.AnalogDataParallel instead (it exchanges the pairs and "
            "averages the digital gradients as DDP does)"
        )
