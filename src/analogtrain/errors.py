"""Exceptions raised by analogtrain.

Every error names the offending value; all of them derive from :class:`AnalogTrainError`.
The checks shared by several packages (sizes, batches of vectors) live here too, so that
the same bad input gets the same message everywhere.
"""

from __future__ import annotations

import torch
from torch import Tensor


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


# ---------------------------------------------------------------------- shared argument checks
def check_positive_int(value: object, name: str) -> int:
    """``value`` if it is an ``int`` (not a bool) ``>= 1``, else ArgumentError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be a positive int, got {value!r}")
    return value


def check_batch(t: object, width: int, what: str, *, like: Tensor, context: str = "") -> Tensor:
    """``t`` if it is a finite ``[m, width]`` tensor with the dtype and device of ``like``.

    Otherwise TileError naming ``what``, the bad shape, dtype or device, or the number of
    non-finite entries; ``context`` (e.g. the tile's sizes) is appended to a shape error.
    """
    if not isinstance(t, Tensor):
        raise TileError(f"{what} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() != 2 or t.shape[1] != width:
        raise TileError(
            f"{what} must be [m, {width}] (2-D, {width} columns), got shape {tuple(t.shape)}"
            + (f" ({context})" if context else "")
        )
    if t.dtype != like.dtype:
        raise TileError(f"{what} has dtype {t.dtype}, expected {like.dtype}")
    if t.device != like.device:
        raise TileError(f"{what} is on {t.device}, expected {like.device}")
    if not bool(torch.isfinite(t).all()):
        n_nan, n_inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
        raise TileError(
            f"{what} contains NaN or inf ({n_nan + n_inf} non-finite values: "
            f"{n_nan} NaN, {n_inf} inf)"
        )
    return t
