"""``aihwkit.nn.modules.linear`` (re-exported from :mod:`analogtrain.nn.linear`)."""

from analogtrain.nn.linear import AnalogLinear

__all__ = ["AnalogLinear"]
