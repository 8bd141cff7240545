"""Peripheral presets: IO and update parameters used by the preset RPU configs.

Spec single-tile 2.11 (aihwkit 1.1.0 ``presets/utils.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from analogtrain.configs.enums import (
    BoundManagementType,
    NoiseManagementType,
    PulseType,
    WeightNoiseType,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.update import UpdateParameters

__all__ = ["PresetIOParameters", "PresetUpdateParameters", "StandardIOParameters"]


@dataclass
class PresetIOParameters(IOParameters):
    """The IO of the preset configs: 7-bit DAC, 9-bit ADC over ±20, output noise 0.1."""

    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    inp_res: float = 1.0 / (2**7 - 2)
    inp_sto_round: bool = False
    out_bound: float = 20.0
    out_noise: float = 0.1
    out_res: float = 1.0 / (2**9 - 2)
    w_noise: float = 0.0
    w_noise_type: WeightNoiseType = WeightNoiseType.NONE


@dataclass
class StandardIOParameters(IOParameters):
    """A common alternative IO: 8-bit DAC and ADC, ADC range ±10, output noise 0.04."""

    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    inp_res: float = 1.0 / (2**8 - 2)
    inp_sto_round: bool = False
    out_bound: float = 10.0
    out_noise: float = 0.04
    out_res: float = 1.0 / (2**8 - 2)
    w_noise: float = 0.0
    w_noise_type: WeightNoiseType = WeightNoiseType.NONE


@dataclass
class PresetUpdateParameters(UpdateParameters):
    """The update of the preset configs (identical to the UpdateParameters defaults)."""

    desired_bl: int = 31
    pulse_type: PulseType = PulseType.STOCHASTIC_COMPRESSED
    update_bl_management: bool = True
    update_management: bool = True
