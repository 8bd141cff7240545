"""Choice between the reference pulsed update and registered fast implementations.

:func:`analogtrain.kernels.update.pulsed_update` is the reference: plain torch, one sample
after the other. A fast implementation (numba on CPU, later a GPU kernel) registers itself
for one device-array class and one torch device type with :func:`register_fast_update`;
with the backend ``"auto"`` (the default) it is used whenever it is registered for the
array's exact class and the tensors' device type, and ``"reference"`` forces the reference
path (used by the tests that hold fast paths to the reference).

A fast update is called as ``fn(array, x, d, lr, granularity, up, generator)`` after the
inputs were validated, only for pulse types that generate pulse trains, and returns ``True``
when it performed the update or ``False`` to hand the call to the reference path (e.g. for
a pulse type it does not implement). It must not modify anything when it returns ``False``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from analogtrain.errors import ArgumentError

__all__ = [
    "BACKENDS",
    "FastUpdate",
    "fast_update_for",
    "get_backend",
    "register_fast_update",
    "set_backend",
    "use_reference",
]

#: The backend names :func:`set_backend` accepts.
BACKENDS = ("auto", "reference")

#: ``fn(array, x, d, lr, granularity, up, generator) -> bool`` (True = done).
FastUpdate = Callable[..., bool]

_state: dict[str, str] = {"backend": "auto"}
_fast_updates: dict[tuple[type, str], FastUpdate] = {}


def set_backend(name: str) -> None:
    """Select ``"auto"`` (fast implementations where registered) or ``"reference"``."""
    if name not in BACKENDS:
        raise ArgumentError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    _state["backend"] = name


def get_backend() -> str:
    """The backend currently selected (``"auto"`` or ``"reference"``)."""
    return _state["backend"]


@contextmanager
def use_reference() -> Iterator[None]:
    """Run the enclosed code with the reference backend, restoring the previous one after."""
    previous = _state["backend"]
    _state["backend"] = "reference"
    try:
        yield
    finally:
        _state["backend"] = previous


def register_fast_update(array_cls: type, fn: FastUpdate, *, device_type: str = "cpu") -> None:
    """Register ``fn`` as the fast pulsed update of ``array_cls`` on ``device_type`` tensors.

    Registering again for the same key replaces the previous function. Subclasses of
    ``array_cls`` are not covered: a subclass may change the pulse response.
    """
    if not isinstance(array_cls, type):
        raise ArgumentError(f"array_cls must be a class; got {array_cls!r}")
    if not callable(fn):
        raise ArgumentError(f"fn must be callable; got {fn!r}")
    _fast_updates[(array_cls, str(device_type))] = fn


def fast_update_for(array: Any, device_type: str) -> FastUpdate | None:
    """The fast update to use for ``array`` on ``device_type``, or None for the reference."""
    if _state["backend"] != "auto":
        return None
    return _fast_updates.get((type(array), device_type))
