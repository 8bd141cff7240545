"""Mirror of ``aihwkit.simulator.parameters.enums``."""

from analogtrain.configs import (
    AnalogMVType,
    BoundManagementType,
    NoiseManagementType,
    PulseType,
    RPUDataType,
    VectorUnitCellUpdatePolicy,
    WeightClipType,
    WeightModifierType,
    WeightNoiseType,
    WeightRemapType,
)

__all__ = [
    "AnalogMVType",
    "BoundManagementType",
    "NoiseManagementType",
    "PulseType",
    "RPUDataType",
    "VectorUnitCellUpdatePolicy",
    "WeightClipType",
    "WeightModifierType",
    "WeightNoiseType",
    "WeightRemapType",
]
