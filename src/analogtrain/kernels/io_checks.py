"""Checks of the batches of vectors that enter a crossbar (tiles and kernels share them).

The finiteness test of :func:`check_batch` runs in a compiled loop (one call, no torch
operation) for contiguous float32/float64 CPU tensors when numba is installed and the backend
(:mod:`analogtrain.kernels.update.backend`) is not ``"reference"``; otherwise, and for other
tensors, with torch. Both give the same answer and the same errors.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

import torch
from torch import Tensor

from analogtrain.errors import TileError
from analogtrain.kernels.update.backend import get_backend

__all__ = ["all_finite", "check_batch", "non_finite_input_error"]

_COMPILED_DTYPES = (torch.float32, torch.float64)


@functools.cache
def _kernels() -> ModuleType | None:
    """The numba kernels of the MVM (they hold the finiteness loop), or None without numba."""
    try:
        return importlib.import_module("analogtrain.kernels.mvm.cpu_kernels")
    except (ImportError, RuntimeError, OSError):
        return None


def all_finite(t: Tensor) -> bool:
    """Whether every entry of the 2-D tensor ``t`` is finite (neither NaN nor inf)."""
    if (
        t.device.type == "cpu"
        and t.dtype in _COMPILED_DTYPES
        and t.is_contiguous()
        and get_backend() != "reference"
    ):
        kernels = _kernels()
        if kernels is not None:
            return bool(kernels.all_finite((t.detach() if t.requires_grad else t).numpy()))
    # A sum is finite only if every entry is (NaN and inf propagate); it is one cheap
    # reduction instead of an elementwise mask. Only a non-finite sum (a bad entry, or an
    # overflow of huge finite values) takes the exact elementwise test.
    return bool(torch.isfinite(t.sum())) or bool(torch.isfinite(t).all())


def non_finite_input_error(x: Tensor) -> TileError:
    """The error of an MVM whose input ``x`` holds NaN or inf, with their numbers."""
    n_nan = int(torch.isnan(x).sum())
    n_inf = int(torch.isinf(x).sum())
    return TileError(f"input contains non-finite values ({n_nan} NaN, {n_inf} inf)")


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
    if t.numel() and not all_finite(t):
        n_nan, n_inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
        raise TileError(
            f"{what} contains NaN or inf ({n_nan + n_inf} non-finite values: "
            f"{n_nan} NaN, {n_inf} inf)"
        )
    return t
