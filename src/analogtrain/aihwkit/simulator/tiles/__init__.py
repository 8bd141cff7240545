"""Mirror of ``aihwkit.simulator.tiles``: the analog training tile.

aihwkit's inference tiles (``InferenceTile``, ``TorchInferenceTile``, ...) have no
analogtrain counterpart (inference is not simulated).
"""

from analogtrain.nn import AnalogTileModule

#: aihwkit's ``AnalogTile`` is a tile *module* (tile plus bias, scales and analog context),
#: built as ``AnalogTile(out_size, in_size, rpu_config, bias=False)``: analogtrain's
#: :class:`~analogtrain.nn.AnalogTileModule`.
AnalogTile = AnalogTileModule

__all__ = ["AnalogTile"]
