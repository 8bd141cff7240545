"""Mirror of ``aihwkit.simulator.presets.compounds``."""

from analogtrain.presets import PCMPresetUnitCell

__all__ = [
    "PCMPresetUnitCell",
]
