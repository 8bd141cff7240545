"""Choice between the reference pulsed update and registered fast implementations.

:func:`analogtrain.kernels.update.pulsed.pulsed_update` is the reference: plain torch, one sample
after the other. A fast implementation (numba on CPU, Triton on CUDA) registers itself for a
device-array class and a torch device type with :func:`register_fast_update`. The backend,
chosen in the manner of torch.optim's ``foreach=``/``fused=`` flags, is one of

* ``"auto"`` (the default): the fast update where one is registered for the array and the
  tensors' device type and it takes the call; otherwise the reference runs and a
  :class:`FastPathWarning` names the reason, once per reason and process;
* ``"fast"``: the same, but a call the fast path cannot take raises
  :class:`FastPathUnavailable` naming the reason (nothing changed): the way to show that a
  configuration runs compiled;
* ``"reference"``: always the reference path (the tests that hold fast paths to it).

Select it process-wide with :func:`set_backend` or for a block with :func:`use_backend`
(:func:`use_reference` is ``use_backend("reference")``).

A fast update is called as ``fn(array, x, d, lr, granularity, up, generator)`` after the
inputs were validated, only for pulse types that generate pulse trains, and returns ``True``
when it performed the update, or a falsy value to hand the call to the reference path:
``Declined(reason)`` (preferred: the reason reaches the user) or ``False``. It must not modify
anything when it declines.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from analogtrain.errors import AnalogTrainError, ArgumentError

__all__ = [
    "BACKENDS",
    "Declined",
    "FastPathUnavailable",
    "FastPathWarning",
    "FastUpdate",
    "fast_update_for",
    "get_backend",
    "register_fast_update",
    "report_decline",
    "set_backend",
    "use_backend",
    "use_reference",
]

#: The backend names :func:`set_backend` accepts.
BACKENDS = ("auto", "fast", "reference")


class FastPathUnavailable(AnalogTrainError):
    """Backend ``"fast"``: a call that no fast path can take (the message says why)."""


class FastPathWarning(UserWarning):
    """Backend ``"auto"``: a call ran on the reference path (once per reason)."""


class Declined:
    """A fast update's "not done", with the reason; falsy, like ``False``."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = str(reason)

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Declined({self.reason!r})"


#: ``fn(array, x, d, lr, granularity, up, generator) -> bool`` (True = done).
FastUpdate = Callable[..., bool]

_state: dict[str, str] = {"backend": "auto"}
_fast_updates: dict[tuple[type, str], FastUpdate] = {}
#: classes whose registration also covers their subclasses (the function checks them)
_covers_subclasses: set[tuple[type, str]] = set()
#: the reasons already warned about under "auto"
_warned: set[str] = set()


def set_backend(name: str) -> None:
    """Select ``"auto"``, ``"fast"`` or ``"reference"`` (module docstring) process-wide."""
    if name not in BACKENDS:
        raise ArgumentError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    _state["backend"] = name


def get_backend() -> str:
    """The backend currently selected (``"auto"``, ``"fast"`` or ``"reference"``)."""
    return _state["backend"]


@contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Run the enclosed code with backend ``name``, restoring the previous one after."""
    if name not in BACKENDS:
        raise ArgumentError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    previous = _state["backend"]
    _state["backend"] = name
    try:
        yield
    finally:
        _state["backend"] = previous


@contextmanager
def use_reference() -> Iterator[None]:
    """Run the enclosed code with the reference backend, restoring the previous one after."""
    with use_backend("reference"):
        yield


def register_fast_update(
    array_cls: type, fn: FastUpdate, *, device_type: str = "cpu", subclasses: bool = False
) -> None:
    """Register ``fn`` as the fast pulsed update of ``array_cls`` on ``device_type`` tensors.

    Registering again for the same key replaces the previous function. Subclasses of
    ``array_cls`` are covered only with ``subclasses=True``, and then ``fn`` must decline the
    ones it cannot simulate (a subclass may change the pulse response).
    """
    if not isinstance(array_cls, type):
        raise ArgumentError(f"array_cls must be a class; got {array_cls!r}")
    if not callable(fn):
        raise ArgumentError(f"fn must be callable; got {fn!r}")
    key = (array_cls, str(device_type))
    _fast_updates[key] = fn
    if subclasses:
        _covers_subclasses.add(key)
    else:
        _covers_subclasses.discard(key)


def _registered(array: Any, device_type: str) -> FastUpdate | None:
    exact = _fast_updates.get((type(array), device_type))
    if exact is not None:
        return exact
    for cls in type(array).__mro__[1:]:
        if (cls, device_type) in _covers_subclasses:
            return _fast_updates.get((cls, device_type))
    return None


def fast_update_for(array: Any, device_type: str) -> FastUpdate | None:
    """The fast update to use for ``array`` on ``device_type``, or None for the reference
    (under ``"reference"``, or when none is registered: see :func:`report_decline`)."""
    if _state["backend"] == "reference":
        return None
    return _registered(array, device_type)


def report_decline(result: Any, what: str) -> Any:
    """Handle a fast path's decline ``result`` (falsy) of call ``what``; returns it.

    Under ``"fast"`` raises :class:`FastPathUnavailable`; under ``"auto"`` warns with a
    :class:`FastPathWarning` the first time a reason occurs; under ``"reference"`` (nothing
    was tried) does nothing.
    """
    backend = _state["backend"]
    if backend == "reference":
        return result
    reason = result.reason if isinstance(result, Declined) else "the fast update declined"
    message = f"{what}: no fast path ({reason}); ran on the reference path"
    if backend == "fast":
        raise FastPathUnavailable(
            f"{what}: backend 'fast' but the fast path cannot take this call: {reason}"
        )
    if reason not in _warned:
        _warned.add(reason)
        warnings.warn(message, FastPathWarning, stacklevel=3)
    return result
