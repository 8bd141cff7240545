"""One line on stderr the first time a process really compiles numba kernels.

A fresh install (empty numba cache and ``ANALOGTRAIN_CACHE_DIR``) spends seconds compiling
the kernels of the first updates; without a word that looks like a hang and is charged to
whatever is being timed. The modules that define the library's numba kernels are handed to
:func:`watch_kernels` where they are imported (``cpu/fast_update.py`` for
``cpu/numba_kernels.py``, ``update/rule_codegen.py`` for each generated rule module). For
each kernel defined there, the call that meets a new argument signature (the only one that
compiles or loads from numba's on-disk cache) listens for numba's ``"numba:compile"`` event,
which numba raises only when it really compiles, not when it loads a cached kernel. The first
such event of the process prints :data:`COMPILE_MESSAGE` once.

Nothing process-wide changes: the listener is installed only for the duration of such a
first call and removed after it, and only the library's own kernel objects are wrapped.
Calls with a known signature never reach the wrapper (numba's dispatcher resolves them in
compiled code), so a warm process pays nothing.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

__all__ = ["COMPILE_MESSAGE", "compile_announced", "watch_kernels"]

#: the line printed (on stderr) at the first compilation of a process
COMPILE_MESSAGE = (
    "analogtrain: compiling kernels (one-time; later runs load them from the on-disk cache)"
)

_state = {"announced": False}
_listener: list[Any] = []  # the one listener object, built on first use


def compile_announced() -> bool:
    """Whether this process has printed :data:`COMPILE_MESSAGE`."""
    return _state["announced"]


def _announce() -> None:
    if not _state["announced"]:
        _state["announced"] = True
        sys.stderr.write(COMPILE_MESSAGE + "\n")
        sys.stderr.flush()


def _get_listener() -> Any:
    if not _listener:
        from numba.core import event

        class _CompileListener(event.Listener):  # type: ignore[misc]
            def on_start(self, event: Any) -> None:
                _announce()

            def on_end(self, event: Any) -> None:
                pass

        _listener.append(_CompileListener())
    return _listener[0]


def _watch(dispatcher: Any) -> None:
    """Make ``dispatcher``'s calls with a new signature listen for a real compile."""
    if getattr(dispatcher, "_analogtrain_watched", False):
        return
    resolve = dispatcher._compile_for_args  # numba calls it only for unseen signatures

    def compile_for_args(*args: Any, **kwargs: Any) -> Any:
        if _state["announced"]:
            return resolve(*args, **kwargs)
        from numba.core import event

        with event.install_listener("numba:compile", _get_listener()):
            return resolve(*args, **kwargs)

    dispatcher._compile_for_args = compile_for_args
    dispatcher._analogtrain_watched = True


def watch_kernels(module: ModuleType) -> ModuleType:
    """Watch the numba kernels *defined* in ``module`` (module docstring); returns it."""
    from numba.core.registry import CPUDispatcher

    for value in list(vars(module).values()):
        if isinstance(value, CPUDispatcher) and value.py_func.__module__ == module.__name__:
            _watch(value)
    return module
