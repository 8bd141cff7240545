"""Checks of the batches of vectors that enter a crossbar (tiles and kernels share them).

The finiteness scan of a batch is a reduction over every value: on small layers, where a
call costs microseconds, running it again at every level of one call (layer, tile, kernel)
is a large share of the call. A caller that has already scanned every value it passes down
(the layers' forward, the optimizers' step, each with an error that names the layer or the
parameter group) runs the call inside :class:`values_checked`; :func:`check_batch` then
checks shapes, dtypes and devices only.
"""

from __future__ import annotations

from contextvars import ContextVar
from types import TracebackType

import torch
from torch import Tensor

from analogtrain.errors import TileError

__all__ = ["check_batch", "values_checked", "values_were_checked"]

_CHECKED: ContextVar[bool] = ContextVar("analogtrain_values_checked", default=False)


class values_checked:  # noqa: N801 - used like a function: ``with values_checked():``
    """Mark the block's batches as scanned for NaN/inf by the caller (``checked=True``), or
    re-enable the scan inside such a block (``checked=False``: e.g. after a transformation
    that could overflow). Per thread and per asyncio task (a context variable)."""

    __slots__ = ("_checked", "_token")

    def __init__(self, checked: bool = True) -> None:
        self._checked = checked

    def __enter__(self) -> None:
        self._token = _CHECKED.set(self._checked)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _CHECKED.reset(self._token)


def values_were_checked() -> bool:
    """Whether the running call is inside ``values_checked()`` (finiteness scans skipped)."""
    return _CHECKED.get()


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
    if _CHECKED.get() or not t.numel():
        return t
    if not bool(torch.isfinite(t.sum())) and not bool(torch.isfinite(t).all()):
        n_nan, n_inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
        raise TileError(
            f"{what} contains NaN or inf ({n_nan + n_inf} non-finite values: "
            f"{n_nan} NaN, {n_inf} inf)"
        )
    return t
