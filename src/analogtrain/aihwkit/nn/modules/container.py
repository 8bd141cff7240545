"""``aihwkit.nn.modules.container`` (re-exported from :mod:`analogtrain.nn`).

aihwkit's ``AnalogContainerBase`` is analogtrain's :class:`AnalogLayerBase` (the same
helper methods serve layers and containers).
"""

from analogtrain.nn.container import AnalogSequential
from analogtrain.nn.conversion import AnalogWrapper
from analogtrain.nn.layer_base import AnalogLayerBase as AnalogContainerBase

__all__ = ["AnalogContainerBase", "AnalogSequential", "AnalogWrapper"]
