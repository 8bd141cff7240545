"""Mirror of ``aihwkit.exceptions``, mapped onto analogtrain's error hierarchy.

``AihwkitException`` is :class:`~analogtrain.errors.AnalogTrainError`, the base of every
analogtrain error, so ``except AihwkitException`` catches what analogtrain raises. aihwkit's
two configuration sub-errors, ``AnalogBiasConfigError`` and ``TorchTileConfigError``, are
:class:`~analogtrain.errors.ConfigError` itself (analogtrain raises ``ConfigError`` for both
situations).
"""

from analogtrain.errors import (
    AnalogTrainError,
    ArgumentError,
    ConfigError,
    CudaError,
    ModuleError,
    NotSimulatedError,
    TileError,
    TileModuleError,
)

AihwkitException = AnalogTrainError
AnalogBiasConfigError = ConfigError
TorchTileConfigError = ConfigError

__all__ = [
    "AihwkitException",
    "AnalogBiasConfigError",
    "ArgumentError",
    "ConfigError",
    "CudaError",
    "ModuleError",
    "NotSimulatedError",
    "TileError",
    "TileModuleError",
    "TorchTileConfigError",
]
