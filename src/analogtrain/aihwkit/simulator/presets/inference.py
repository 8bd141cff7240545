"""Mirror of ``aihwkit.simulator.presets.inference``: ``FloatingPointPreset`` only.

aihwkit's ``StandardHWATrainingPreset`` needs its inference configuration (noise model,
drift compensation), which analogtrain does not simulate.
"""

from analogtrain.presets import FloatingPointPreset

__all__ = [
    "FloatingPointPreset",
]
