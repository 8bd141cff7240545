"""analogtrain: simulate training of neural networks on analog in-memory computing hardware.

Public modules: :mod:`analogtrain.configs`, :mod:`analogtrain.presets`, :mod:`analogtrain.nn`,
:mod:`analogtrain.optim`.
"""

from analogtrain.errors import (
    AnalogTrainError,
    ArgumentError,
    ConfigError,
    NotSimulatedError,
    TileError,
)

__version__ = "0.1.0"

__all__ = [
    "AnalogTrainError",
    "ArgumentError",
    "ConfigError",
    "NotSimulatedError",
    "TileError",
    "__version__",
]
