"""``aihwkit.nn``: the analog layers (re-exported from :mod:`analogtrain.nn`)."""

from analogtrain.nn import (
    AnalogConv1d,
    AnalogConv1dMapped,
    AnalogConv2d,
    AnalogConv2dMapped,
    AnalogConv3d,
    AnalogConv3dMapped,
    AnalogGRUCell,
    AnalogLinear,
    AnalogLinearMapped,
    AnalogLSTMCell,
    AnalogLSTMCellCombinedWeight,
    AnalogRNN,
    AnalogSequential,
    AnalogVanillaRNNCell,
    AnalogWrapper,
)

__all__ = [
    "AnalogConv1d",
    "AnalogConv1dMapped",
    "AnalogConv2d",
    "AnalogConv2dMapped",
    "AnalogConv3d",
    "AnalogConv3dMapped",
    "AnalogGRUCell",
    "AnalogLSTMCell",
    "AnalogLSTMCellCombinedWeight",
    "AnalogLinear",
    "AnalogLinearMapped",
    "AnalogRNN",
    "AnalogSequential",
    "AnalogVanillaRNNCell",
    "AnalogWrapper",
]
