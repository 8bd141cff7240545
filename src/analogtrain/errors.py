"""Exceptions raised by analogtrain.

Every error names the offending value; all of them derive from :class:`AnalogTrainError`.
"""


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
