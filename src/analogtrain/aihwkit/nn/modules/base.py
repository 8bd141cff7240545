"""``aihwkit.nn.modules.base`` (re-exported from :mod:`analogtrain.nn.layer_base`)."""

from analogtrain.nn.layer_base import AnalogLayerBase

__all__ = ["AnalogLayerBase"]
