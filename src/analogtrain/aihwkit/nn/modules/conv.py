"""``aihwkit.nn.modules.conv`` (re-exported from :mod:`analogtrain.nn`)."""

from analogtrain.nn.conv import AnalogConv1d, AnalogConv2d
from analogtrain.nn.conv3d import AnalogConv3d

__all__ = ["AnalogConv1d", "AnalogConv2d", "AnalogConv3d"]
