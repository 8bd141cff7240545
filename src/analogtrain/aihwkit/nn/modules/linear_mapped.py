"""``aihwkit.nn.modules.linear_mapped`` (re-exported from :mod:`analogtrain.nn.mapped`)."""

from analogtrain.nn.mapped import AnalogLinearMapped

__all__ = ["AnalogLinearMapped"]
