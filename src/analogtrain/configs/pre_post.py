"""Input-range learning (`PrePostProcessingParameter`, `InputRangeParameter`).

An inference / hardware-aware-training feature of aihwkit; it exists here so configurations
port, but enabling it is not simulated (see :mod:`analogtrain.configs.not_simulated`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analogtrain.configs.base import ConfigBase

__all__ = ["InputRangeParameter", "PrePostProcessingParameter"]


@dataclass
class InputRangeParameter(ConfigBase):
    """A learnable digital clip range applied to the layer input before the tile.

    Attributes:
        enable: switch input-range learning on (always printed).
        learn_input_range: train the range by gradient descent.
        init_value: initial range (input units).
        init_from_data: number of batches used to initialise the range from the data.
        init_std_alpha: the data initialisation uses ``alpha`` standard deviations.
        decay: per-step decay of the range towards smaller values.
        input_min_percentage: fraction of inputs that must stay unclipped before decaying.
        manage_output_clipping: also enlarge the range when the outputs clip.
        output_min_percentage: fraction of outputs that must stay unclipped.
        gradient_scale: factor on the range gradient.
        gradient_relative: make that gradient relative to the range.
        calibration_info: free-form calibration data (a dict) or None.
    """

    enable: bool = field(default=False, metadata={"always_show": True})
    learn_input_range: bool = True
    init_value: float = 3.0
    init_from_data: int = 100
    init_std_alpha: float = 3.0
    decay: float = 0.001
    input_min_percentage: float = 0.95
    manage_output_clipping: bool = False
    output_min_percentage: float = 0.95
    gradient_scale: float = 1.0
    gradient_relative: bool = True
    calibration_info: dict[str, Any] | None = None


@dataclass
class PrePostProcessingParameter(ConfigBase):
    """Digital pre-processing of the layer input.

    Attributes:
        input_range: the learnable input clip range.
    """

    input_range: InputRangeParameter = field(default_factory=InputRangeParameter)
