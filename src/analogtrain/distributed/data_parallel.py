"""`AnalogDataParallel`: data-parallel training of analog models on ``torch.distributed``.

Usage mirrors :class:`torch.nn.parallel.DistributedDataParallel`::

    dist.init_process_group("gloo")            # or "nccl"; torchrun sets the environment
    torch.manual_seed(0)                       # the same on every rank: identical replicas
    model = AnalogDataParallel(build_model())
    opt = AnalogSGD(model.parameters(), lr=0.1)
    for x, y in loader:                        # a DistributedSampler shards the data
        opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    if dist.get_rank() == 0:
        torch.save(model.module.state_dict(), "ckpt.pt")

What is exchanged (see docs/distributed.md): each tile's ``(x, d)`` rows of an update call
(all-gathered, in rank order, ``d`` divided by the world size), and the gradients of the
digital parameters (all-reduced and averaged in the backward pass, as DDP does). Weights are
never sent: every replica applies the same pulsed update with the same runtime generator
state, so replicas stay bit-identical, and train like one process whose batch is the
concatenation of the ranks' batches in rank order.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from analogtrain.configs.enums import NoiseManagementType
from analogtrain.distributed.digest import ReplicaDivergenceError, state_digest, tile_digest
from analogtrain.distributed.pair_exchange import ExchangeStats, PairExchange
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.nn.context import AnalogContext
from analogtrain.nn.tile_module import AnalogTileModule

__all__ = ["AnalogDataParallel"]

_INIT_SYNC = ("check", "broadcast")


class AnalogDataParallel(nn.Module):
    """Replicate an analog model over the processes of a group (one replica per process).

    Args:
        module: the model (analog layers, digital layers, any nesting).
        process_group: the group to replicate over (None: the default group).
        init_sync: ``"check"`` (default) verifies that every rank built a bit-identical
            model (weights, device draws, generator states; seed every rank the same) and
            raises otherwise; ``"broadcast"`` copies rank 0's complete state to the others.
        check_every: verify every tile's state across ranks on every ``check_every``-th
            update of it and raise :class:`ReplicaDivergenceError` on a difference
            (0: never; :meth:`check_replicas` checks on demand).
        broadcast_buffers: copy rank 0's buffers of *digital* modules (e.g. batch-norm
            statistics) to every rank before each training forward, as DDP does; tiles
            never need it.

    Raises:
        ArgumentError: no initialised process group, a bad argument, or ``module`` already
            wrapped.
        ConfigError: a tile configuration whose state would differ per rank
            (``noise_management=AVERAGE_ABS_MAX`` keeps a running value of each rank's batch).
        ReplicaDivergenceError: ``init_sync="check"`` found different replicas.
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        process_group: Any = None,
        init_sync: str = "check",
        check_every: int = 0,
        broadcast_buffers: bool = True,
    ) -> None:
        super().__init__()
        if not (dist.is_available() and dist.is_initialized()):
            raise ArgumentError(
                "AnalogDataParallel needs an initialised torch.distributed process group "
                "(torch.distributed.init_process_group, e.g. under torchrun)"
            )
        if not isinstance(module, nn.Module):
            raise ArgumentError(f"AnalogDataParallel: module must be an nn.Module, got {module!r}")
        if isinstance(module, (AnalogDataParallel, nn.parallel.DistributedDataParallel)):
            raise ArgumentError(
                f"AnalogDataParallel: module is already a {type(module).__name__}; wrap the "
                "bare model once"
            )
        if init_sync not in _INIT_SYNC:
            raise ArgumentError(
                f"AnalogDataParallel: init_sync must be one of {_INIT_SYNC}, got {init_sync!r}"
            )
        if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 0:
            raise ArgumentError(
                f"AnalogDataParallel: check_every must be an int >= 0, got {check_every!r}"
            )
        tiles = [(n, m) for n, m in module.named_modules() if isinstance(m, AnalogTileModule)]
        for name, tile_module in tiles:
            _check_replicable(name or "module", tile_module)
        self.module = module
        self.process_group = process_group
        self.rank = dist.get_rank(process_group)
        self.world_size = dist.get_world_size(process_group)
        self.broadcast_buffers = bool(broadcast_buffers)
        self._tile_modules = tiles
        if init_sync == "broadcast":
            self._broadcast_state()
        self.check_replicas(what="at construction")
        self.exchange = PairExchange(process_group, {id(m): n for n, m in tiles}, check_every)
        self._handles: list[Any] = []
        for _, tile_module in tiles:
            tile_module.data_parallel = self.exchange
            self._handles.append(tile_module.register_load_state_dict_post_hook(self._after_load))
        tile_tensors = {id(t) for _, m in tiles for t in (*m.parameters(), *m.buffers())}
        self._digital_buffers = [b for b in module.buffers() if id(b) not in tile_tensors]
        for p in module.parameters():
            if p.requires_grad and not isinstance(p, AnalogContext):
                self._handles.append(p.register_hook(self._average_gradient))

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped module (after syncing digital buffers from rank 0 in training)."""
        if self.training and self.broadcast_buffers and self._digital_buffers:
            src = dist.get_global_rank(self.process_group, 0) if self.process_group else 0
            for buf in self._digital_buffers:
                dist.broadcast(buf, src=src, group=self.process_group)
        return self.module(*args, **kwargs)

    @property
    def exchange_stats(self) -> ExchangeStats:
        """Calls, rows, bytes and host seconds of the pair exchanges so far."""
        return self.exchange.stats

    # ------------------------------------------------------------------ gradients
    def _average_gradient(self, grad: Tensor) -> Tensor:
        total = grad.detach().clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=self.process_group)
        return total.div_(self.world_size)

    # ------------------------------------------------------------------ state
    def _after_load(self, tile_module: nn.Module, _incompatible: Any) -> None:
        # a deep copy (e.g. the trial load of nn.atomic) carries no exchange: nothing to reseed
        if self.exchange is not None:
            self.exchange.reset_mvm_stream(tile_module)  # type: ignore[arg-type]

    def _broadcast_state(self) -> None:
        src = dist.get_global_rank(self.process_group, 0) if self.process_group else 0
        payload = [self.module.state_dict() if self.rank == 0 else None]
        dist.broadcast_object_list(payload, src=src, group=self.process_group)
        if self.rank != 0:
            self.module.load_state_dict(payload[0])

    def check_replicas(self, what: str = "now") -> None:
        """Compare every tile's complete state and every digital parameter and buffer across
        ranks (one hash each, one small message); raise :class:`ReplicaDivergenceError`
        naming what differs."""
        entries = [(n or "module", tile_digest(m)) for n, m in self._tile_modules]
        for name, t in self.module.state_dict(keep_vars=True).items():
            if not _inside_tile(name, self._tile_modules):
                entries.append((name, state_digest(t)))
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, entries, group=self.process_group)
        reference = gathered[0]
        for rank, other in enumerate(gathered):
            if [n for n, _ in other] != [n for n, _ in reference]:
                raise ReplicaDivergenceError(
                    f"AnalogDataParallel {what}: rank {rank} holds a model with different "
                    "modules than rank 0"
                )
            differing = [n for (n, a), (_, b) in zip(reference, other) if a != b]
            if differing:
                raise ReplicaDivergenceError(
                    f"AnalogDataParallel {what}: rank {rank} differs from rank 0 in "
                    f"{', '.join(differing[:5])}{' ...' if len(differing) > 5 else ''}; seed "
                    "every rank identically before building the model (torch.manual_seed) "
                    "or pass init_sync='broadcast'"
                )

    def unwrap(self) -> nn.Module:
        """Detach the hooks and return the bare module (this wrapper is unusable after)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for _, tile_module in self._tile_modules:
            tile_module.data_parallel = None
        return self.module


def _inside_tile(key: str, tiles: list[tuple[str, nn.Module]]) -> bool:
    return any(name == "" or key.startswith(name + ".") for name, _ in tiles)


def _check_replicable(name: str, tile_module: AnalogTileModule) -> None:
    if tile_module.data_parallel is not None:
        raise ArgumentError(
            f"AnalogDataParallel: tile module {name} is already part of another "
            "AnalogDataParallel (unwrap() it first)"
        )
    config = tile_module.rpu_config
    for direction in ("forward", "backward"):
        io = getattr(config, direction, None)
        if io is not None and io.noise_management == NoiseManagementType.AVERAGE_ABS_MAX:
            raise ConfigError(
                f"AnalogDataParallel: tile module {name} has {direction}.noise_management="
                "AVERAGE_ABS_MAX, whose running value follows each rank's own batch, so the "
                "replicas would differ; use ABS_MAX (the default) or another per-sample rule"
            )
