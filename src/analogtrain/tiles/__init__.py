"""Analog tiles: the objects that hold simulation state.

:func:`create_tile` builds the tile that simulates an RPU config: :class:`AnalogTile` for a
single device, a registered compound tile (see :func:`register_tile`) for unit cells,
transfer compounds and mixed precision.
"""

from analogtrain.tiles.analog import AnalogTile
from analogtrain.tiles.base import AnalogTileBase
from analogtrain.tiles.factory import create_tile, register_tile, tile_class_for
from analogtrain.tiles.io_states import TensorState

__all__ = [
    "AnalogTile",
    "AnalogTileBase",
    "TensorState",
    "create_tile",
    "register_tile",
    "tile_class_for",
]
