"""Mirror of ``aihwkit.simulator.tiles.analog``."""

from analogtrain.tiles import AnalogTile

__all__ = ["AnalogTile"]
