"""Checks of the batches of vectors that enter a crossbar (tiles and kernels share them).

The finiteness scan of a batch is a reduction over every value: on small layers, where a
call costs microseconds, running it again at every level of one call (layer, tile, kernel)
is a large share of the call. A caller that has already scanned every value it passes down
(the layers' forward, the optimizers' step, each with an error that names the layer or the
parameter group) runs the call inside :class:`values_checked`; :func:`check_batch` then
checks shapes, dtypes and devices only.

The finiteness tests (:func:`check_batch`, :func:`all_finite`, :func:`all_tensors_finite`)
run in a compiled loop (one call, no torch operation) for contiguous float32/float64 CPU
tensors when numba is installed and the backend (:mod:`analogtrain.kernels.update.backend`)
is not ``"reference"``; otherwise, and for other tensors, with torch. Both give the same
answer and the same errors.
"""

from __future__ import annotations

import functools
import importlib
from contextvars import ContextVar
from types import ModuleType, TracebackType

import torch
from torch import Tensor

from analogtrain.errors import TileError
from analogtrain.kernels.update.backend import get_backend

__all__ = [
    "all_finite",
    "all_tensors_finite",
    "check_batch",
    "non_finite_input_error",
    "values_checked",
    "values_were_checked",
]

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


_COMPILED_DTYPES = (torch.float32, torch.float64)


@functools.cache
def _kernels() -> ModuleType | None:
    """The numba kernels of the MVM (they hold the finiteness loop), or None without numba."""
    try:
        return importlib.import_module("analogtrain.kernels.mvm.cpu_kernels")
    except (ImportError, RuntimeError, OSError):
        return None


def _compiled_scan(t: Tensor) -> bool | None:
    """The compiled finiteness scan of ``t`` (any shape), or None where it does not apply
    (not a contiguous float32/float64 CPU tensor, no numba); the backend is checked by the
    caller."""
    if t.device.type != "cpu" or t.dtype not in _COMPILED_DTYPES or not t.is_contiguous():
        return None
    kernels = _kernels()
    if kernels is None:
        return None
    values = (t.detach() if t.requires_grad else t).numpy()
    if values.ndim != 2:  # a numpy view (contiguous), cheaper than a torch reshape
        values = values.reshape(1, -1)  # the kernel scans 2-D arrays
    return bool(kernels.all_finite(values))


def all_finite(t: Tensor) -> bool:
    """Whether every entry of the tensor ``t`` is finite (neither NaN nor inf)."""
    if get_backend() != "reference":
        scanned = _compiled_scan(t)
        if scanned is not None:
            return scanned
    # A sum is finite only if every entry is (NaN and inf propagate); it is one cheap
    # reduction instead of an elementwise mask. Only a non-finite sum (a bad entry, or an
    # overflow of huge finite values) takes the exact elementwise test.
    return bool(torch.isfinite(t.sum())) or bool(torch.isfinite(t).all())


def all_tensors_finite(tensors: list[Tensor]) -> bool:
    """Whether every entry of every tensor is finite: one compiled scan per tensor where
    :func:`all_finite` has one, else a few reductions (the tensors' sums stacked and summed
    per device; a False there, a bad entry or an overflow of huge finite values, only sends
    the caller to an exact per-tensor count)."""
    compiled = get_backend() != "reference"
    by_device: dict[torch.device, list[Tensor]] = {}
    for t in tensors:
        if not t.numel():
            continue
        scanned = _compiled_scan(t) if compiled else None
        if scanned is None:
            by_device.setdefault(t.device, []).append(t.sum())
        elif not scanned:
            return False
    return all(bool(torch.isfinite(torch.stack(sums).sum())) for sums in by_device.values())


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
    if _CHECKED.get() or not t.numel():
        return t
    if not all_finite(t):
        n_nan, n_inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
        raise TileError(
            f"{what} contains NaN or inf ({n_nan + n_inf} non-finite values: "
            f"{n_nan} NaN, {n_inf} inf)"
        )
    return t
