"""Checks of the batches of vectors that enter a crossbar (tiles and kernels share them)."""

from __future__ import annotations

import torch
from torch import Tensor

from analogtrain.errors import TileError

__all__ = ["check_batch"]


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
    # A sum is finite only if every entry is (NaN and inf propagate); it is one cheap
    # reduction instead of an elementwise mask. Only a non-finite sum (a bad entry, or an
    # overflow of huge finite values) takes the exact elementwise test.
    if t.numel() and not bool(torch.isfinite(t.sum())) and not bool(torch.isfinite(t).all()):
        n_nan, n_inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
        raise TileError(
            f"{what} contains NaN or inf ({n_nan + n_inf} non-finite values: "
            f"{n_nan} NaN, {n_inf} inf)"
        )
    return t
