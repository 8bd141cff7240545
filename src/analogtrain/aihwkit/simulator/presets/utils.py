"""Mirror of ``aihwkit.simulator.presets.utils`` (preset IO and update parameters)."""

from analogtrain.presets import PresetIOParameters, PresetUpdateParameters, StandardIOParameters

__all__ = [
    "PresetIOParameters",
    "PresetUpdateParameters",
    "StandardIOParameters",
]
