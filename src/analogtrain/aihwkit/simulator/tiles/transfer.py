"""Mirror of ``aihwkit.simulator.tiles.transfer``: ``TorchTransferTile``, the tile module to
set as ``rpu_config.tile_class`` for the chopped / dynamic transfer compounds (see
:mod:`analogtrain.nn.transfer_tile`)."""

from analogtrain.nn.transfer_tile import TorchTransferTile

__all__ = ["TorchTransferTile"]
