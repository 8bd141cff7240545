"""Mirror of ``aihwkit.simulator.tiles``: the analog training tile.

aihwkit's inference tiles (``InferenceTile``, ``TorchInferenceTile``, ...) have no
analogtrain counterpart (inference is not simulated).
"""

from analogtrain.tiles import AnalogTile

__all__ = ["AnalogTile"]
