"""The exchange of update pairs between replicas, and each rank's own MVM noise stream.

An analog tile is not trained by a gradient but by a pulsed update of all ``(x, d)`` rows of a
step, sample after sample (spec single-tile 4). N processes with ``m`` rows each therefore
train like one process with ``N·m`` rows only if every replica applies the *same* update:
all ``N·m`` rows, in one order, with the same random draws. :class:`PairExchange` is the hook
each :class:`~analogtrain.nn.tile_module.AnalogTileModule` calls before its pulsed update
(``module.data_parallel``): it all-gathers the rows of every rank in rank order and divides
``d`` by the world size (the averaging DDP applies to gradients), so all replicas pulse the
same global batch with their (identical) runtime generators and stay bit-identical without
ever sending a weight.

The forward and backward MVMs are different: every rank reads its own samples, and if all
ranks drew the MVM noise from the shared runtime stream, sample ``i`` of rank 0 and sample
``i`` of rank 1 would get the *same* noise, a correlation one process never has (and the
streams would then differ for the update). So the MVMs of rank ``r`` draw from a generator
of their own, seeded from the tile's runtime seed, ``r`` and the runtime generator's position
when the stream is (re)created: independent across ranks and tiles, reproducible, and fresh
after a checkpoint is loaded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import Tensor

from analogtrain.distributed.digest import ReplicaDivergenceError, generator_digest, tile_digest
from analogtrain.errors import ArgumentError
from analogtrain.rng import derive_seed, make_generator

if TYPE_CHECKING:  # pragma: no cover
    from analogtrain.nn.tile_module import AnalogTileModule

__all__ = ["ExchangeStats", "PairExchange"]


@dataclass
class ExchangeStats:
    """What the exchanges of one model cost so far.

    ``calls``: update calls exchanged; ``rows``: rows of all ranks together; ``bytes``: size
    of the gathered pair tensors (every rank's rows, padded to the longest; a rank receives
    ``(N - 1) / N`` of it); ``seconds``: host wall-clock time from the first collective to
    the last (with an asynchronous backend such as NCCL, synchronise before reading it).
    """

    calls: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def reset(self) -> None:
        """Zero all counters."""
        self.calls, self.rows, self.bytes, self.seconds = 0, 0, 0, 0.0


def _none() -> None:
    return None


class PairExchange:
    """The data-parallel hook shared by the tile modules of one replicated model.

    Args:
        group: the process group (None: the default group).
        names: qualified name of every tile module, by ``id`` (for error messages).
        check_every: compare every tile's state digest across ranks on every
            ``check_every``-th update of that tile (0: never); rides on the size exchange
            the update needs anyway, so it costs a hash, no extra message.
    """

    def __init__(self, group: Any, names: dict[int, str], check_every: int = 0) -> None:
        self.group = group
        self.rank = dist.get_rank(group)
        self.world_size = dist.get_world_size(group)
        self.names = dict(names)
        self.check_every = int(check_every)
        self.stats = ExchangeStats()
        self._mvm: dict[int, torch.Generator] = {}
        self._updates: dict[int, int] = {}

    # A replica's copy (deepcopy, pickle) is not part of the group: it gets no hook.
    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None

    def __reduce__(self) -> Any:
        return (_none, ())

    # ------------------------------------------------------------------ MVM noise
    def mvm_generator(self, module: AnalogTileModule) -> torch.Generator:
        """This rank's MVM noise stream for ``module``'s tile (created on first use)."""
        gen = self._mvm.get(id(module))
        tile = module.tile
        if gen is None or gen.device != tile.device:
            seed = derive_seed(
                tile.seed, "data-parallel-mvm", self.rank, generator_digest(tile.generator)
            )
            gen = make_generator(seed, tile.device)
            self._mvm[id(module)] = gen
        return gen

    def reset_mvm_stream(self, module: AnalogTileModule) -> None:
        """Forget ``module``'s MVM stream; the next MVM re-seeds it from the current state
        (called after ``load_state_dict``)."""
        self._mvm.pop(id(module), None)

    # ------------------------------------------------------------------ update pairs
    def gather_pairs(self, module: AnalogTileModule, x: Tensor, d: Tensor) -> tuple[Tensor, Tensor]:
        """All ranks' rows of this update call, in rank order: ``(X [Σm, x_size], D / N)``.

        Every rank must call it for the same tile in the same order (the optimizer does).
        Raises :class:`ReplicaDivergenceError` (on every rank alike, before anything changes)
        when a due state check finds the replicas different.
        """
        name = self.names.get(id(module), type(module).__name__)
        if x.dim() != 2 or d.dim() != 2 or x.shape[0] != d.shape[0] or x.dtype != d.dtype:
            raise ArgumentError(
                f"{name}: update pairs must be x [m, in] and d [m, out] of one dtype, got "
                f"x {tuple(x.shape)} {x.dtype} and d {tuple(d.shape)} {d.dtype}"
            )
        start = time.perf_counter()
        n_update = self._updates.get(id(module), 0) + 1
        due = self.check_every > 0 and n_update % self.check_every == 0
        digest = tile_digest(module) if due else 0
        header = torch.tensor(
            [x.shape[0], x.shape[1], d.shape[1], int(due), digest],
            dtype=torch.int64,
            device=x.device,
        )
        headers = [torch.empty_like(header) for _ in range(self.world_size)]
        dist.all_gather(headers, header, group=self.group)
        table = torch.stack(headers).cpu().tolist()
        self._check_headers(name, n_update, table)
        sizes = [row[0] for row in table]
        width = x.shape[1] + d.shape[1]
        rows = torch.cat([x, d], dim=1)
        longest = max(sizes)
        if rows.shape[0] < longest:
            rows = torch.cat([rows, rows.new_zeros(longest - rows.shape[0], width)])
        parts = [torch.empty_like(rows) for _ in range(self.world_size)]
        dist.all_gather(parts, rows.contiguous(), group=self.group)
        every = torch.cat([p[:s] for p, s in zip(parts, sizes)]) if len(parts) > 1 else parts[0]
        x_all = every[:, : x.shape[1]].contiguous()
        d_all = every[:, x.shape[1] :] / self.world_size
        self._updates[id(module)] = n_update
        stats = self.stats
        stats.calls += 1
        stats.rows += int(sum(sizes))
        stats.bytes += longest * width * rows.element_size() * self.world_size
        stats.seconds += time.perf_counter() - start
        return x_all, d_all

    def _check_headers(self, name: str, n_update: int, table: list[list[int]]) -> None:
        shapes = {(row[1], row[2]) for row in table}
        if len(shapes) > 1:
            raise ReplicaDivergenceError(
                f"{name}: the ranks sent update pairs of different widths {sorted(shapes)} "
                "(not the same model on every rank?)"
            )
        flags = {row[3] for row in table}
        digests = [row[4] for row in table]
        if len(flags) > 1:
            raise ReplicaDivergenceError(
                f"{name}: the ranks are at different update counts (rank {self.rank} at "
                f"{n_update}); replicas updated this tile a different number of times"
            )
        if flags == {1} and len(set(digests)) > 1:
            differing = [r for r, g in enumerate(digests) if g != digests[0]]
            raise ReplicaDivergenceError(
                f"{name}: tile state differs between ranks before update {n_update} "
                f"(ranks {differing} differ from rank 0); something changed one replica "
                "only (a call on one rank, a different checkpoint, a different seed)"
            )
