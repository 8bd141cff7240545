"""Enumerations used by the configuration objects.

Member names and string values are those of aihwkit 1.1.0, so that configurations (and their
JSON files) port unchanged. Members print as ``EnumClass.MEMBER``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

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


class NoiseManagementType(Enum):
    """How the input vector of an analog MVM is scaled before the DAC (spec single-tile 3.4)."""

    NONE = "None"
    ABS_MAX = "AbsMax"
    ABS_MAX_NP_SUM = "AbsMaxNPSum"
    MAX = "Max"
    CONSTANT = "Constant"
    AVERAGE_ABS_MAX = "AverageAbsMax"


class BoundManagementType(Enum):
    """What the forward pass does when the ADC saturates (spec single-tile 3.5)."""

    NONE = "None"
    ITERATIVE = "Iterative"
    ITERATIVE_WORST_CASE = "IterativeWorstCase"
    SHIFT = "Shift"


class WeightNoiseType(Enum):
    """Kind of output-referred weight noise added during an MVM (spec single-tile 3.7.1)."""

    NONE = "None"
    ADDITIVE_CONSTANT = "AdditiveConstant"
    PCM_READ = "PCMRead"


class PulseType(Enum):
    """How the pulse trains of a pulsed update are generated (spec single-tile 4.5)."""

    NONE = "None"
    STOCHASTIC_COMPRESSED = "StochasticCompressed"
    STOCHASTIC = "Stochastic"
    NONE_WITH_DEVICE = "NoneWithDevice"
    MEAN_COUNT = "MeanCount"
    DETERMINISTIC_IMPLICIT = "DeterministicImplicit"


class AnalogMVType(Enum):
    """How signed inputs are applied to the crossbar (spec single-tile 3.6)."""

    IDEAL = "Ideal"
    ONE_PASS = "OnePass"
    POS_NEG_SEPARATE = "PosNegSeparate"
    POS_NEG_SEPARATE_DIGITAL_SUM = "PosNegSeparateDigitalSum"
    SPLIT_MODE = "SplitMode"
    BIT_WISE = "BitWise"


class WeightModifierType(Enum):
    """Weight perturbation used in hardware-aware training (spec single-tile 5.3)."""

    NONE = "None"
    DISCRETIZE = "Discretize"
    MULT_NORMAL = "MultNormal"
    ADD_NORMAL = "AddNormal"
    DISCRETIZE_ADD_NORMAL = "DiscretizeAddNormal"
    DOREFA = "DoReFa"
    POLY = "Poly"
    PCM_NOISE = "PCMNoise"
    PROG_NOISE = "ProgNoise"
    DROP_CONNECT = "DropConnect"
    COPY = "Copy"


class WeightClipType(Enum):
    """Weight clipping applied after an optimizer step (spec single-tile 5.2)."""

    NONE = "None"
    FIXED_VALUE = "FixedValue"
    LAYER_GAUSSIAN = "LayerGaussian"
    AVERAGE_CHANNEL_MAX = "AverageChannelMax"


class WeightRemapType(Enum):
    """Weight re-mapping applied after an optimizer step (spec single-tile 5.4)."""

    NONE = "None"
    LAYERWISE_SYMMETRIC = "LayerwiseSymmetric"
    CHANNELWISE_SYMMETRIC = "ChannelwiseSymmetric"


class VectorUnitCellUpdatePolicy(Enum):
    """Which sub-device(s) of a vector unit cell receive the pulses (spec compounds 3.2)."""

    ALL = "All"
    SINGLE_FIXED = "SingleFixed"
    SINGLE_SEQUENTIAL = "SingleSequential"
    SINGLE_RANDOM = "SingleRandom"


class RPUDataType(Enum):
    """Floating-point precision of the simulated tile state."""

    FLOAT = "float"
    DOUBLE = "double"
    HALF = "half"

    def as_torch(self) -> Any:
        """The matching ``torch.dtype`` (float32, float64, float16); torch is imported here
        so that the configuration package itself does not need it."""
        import torch

        return {"float": torch.float32, "double": torch.float64, "half": torch.float16}[self.value]
