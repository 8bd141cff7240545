"""``aihwkit.nn.modules.conv_mapped`` (re-exported from :mod:`analogtrain.nn.mapped`)."""

from analogtrain.nn.mapped import AnalogConv1dMapped, AnalogConv2dMapped, AnalogConv3dMapped

__all__ = ["AnalogConv1dMapped", "AnalogConv2dMapped", "AnalogConv3dMapped"]
