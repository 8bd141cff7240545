"""Data-parallel analog training on ``torch.distributed`` (see docs/distributed.md).

:class:`AnalogDataParallel` replicates an analog model over the processes of a group: the
tiles exchange their update pairs so that every replica applies the same pulsed update
(bit-identical replicas, trained like one process on the global batch); digital gradients are
averaged as in DDP; each rank draws its MVM noise from a stream of its own.
"""

from analogtrain.distributed.data_parallel import AnalogDataParallel
from analogtrain.distributed.digest import ReplicaDivergenceError
from analogtrain.distributed.launch import (
    all_reduce_sums,
    init_from_environment,
    is_main_process,
    shard_rows,
    shutdown,
    world_size,
)
from analogtrain.distributed.pair_exchange import ExchangeStats, PairExchange

__all__ = [
    "AnalogDataParallel",
    "ExchangeStats",
    "PairExchange",
    "ReplicaDivergenceError",
    "all_reduce_sums",
    "init_from_environment",
    "is_main_process",
    "shard_rows",
    "shutdown",
    "world_size",
]
