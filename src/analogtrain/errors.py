"""Exceptions raised by analogtrain.

Every error names the offending value; all of them derive from :class:`AnalogTrainError`.
Checks shared by several packages live here too, so that the same bad input gets the same
message everywhere (this module stays free of torch; tensor checks are in
:mod:`analogtrain.kernels.io_checks`).
"""

from __future__ import annotations


class AnalogTrainError(Exception):
    """Base class of every analogtrain error."""


class ArgumentError(AnalogTrainError, ValueError):
    """A function argument has a value that is not allowed (e.g. an unknown algorithm name)."""


class ConfigError(AnalogTrainError, ValueError):
    """A configuration object is invalid: wrong type, out-of-range value, unknown field."""


class NotSimulatedError(ConfigError):
    """A configuration field exists (for compatibility) but its non-default value is not
    simulated yet."""


class TileError(AnalogTrainError, RuntimeError):
    """A tile operation failed (wrong shape, mismatching state, rejected update)."""


class TileModuleError(TileError):
    """A tile module (the torch module around a tile) was used wrongly (aihwkit's name)."""


class ModuleError(AnalogTrainError, RuntimeError):
    """An analog layer or model was used wrongly (aihwkit's name)."""


class CudaError(AnalogTrainError, RuntimeError):
    """A CUDA operation was requested where CUDA is not available (aihwkit's name)."""


# ---------------------------------------------------------------------- shared argument checks
def check_positive_int(value: object, name: str) -> int:
    """``value`` if it is an ``int`` (not a bool) ``>= 1``, else ArgumentError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be a positive int, got {value!r}")
    return value


class CheckpointError(AnalogTrainError, OSError):
    """A checkpoint file could not be written or read safely (unwritable or full folder, a
    file that is not an analogtrain checkpoint, or one that would need arbitrary unpickling)."""


class UnknownArgumentError(ArgumentError, TypeError):
    """A keyword argument that the function does not take (a TypeError, as Python raises
    for unknown keywords, and an :class:`ArgumentError`)."""
