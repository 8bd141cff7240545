"""Mirror of ``aihwkit.simulator.parameters.inference`` (weight clip/modifier/remap, drift)."""

from analogtrain.configs import (
    DriftParameter,
    SimpleDriftParameter,
    WeightClipParameter,
    WeightModifierParameter,
    WeightRemapParameter,
)

__all__ = [
    "DriftParameter",
    "SimpleDriftParameter",
    "WeightClipParameter",
    "WeightModifierParameter",
    "WeightRemapParameter",
]
