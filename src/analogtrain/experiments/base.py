"""Experiments report their progress through *signals*; hooks registered per signal receive
them (aihwkit's ``Signals`` and ``Experiment``)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from analogtrain.errors import ArgumentError

__all__ = ["Experiment", "Signals"]


class Signals(Enum):
    """The moments of an experiment at which hooks are called (aihwkit's values)."""

    EXPERIMENT_START = 1
    EXPERIMENT_END = 2
    EPOCH_START = 10
    EPOCH_END = 11
    TRAIN_EPOCH_START = 20
    TRAIN_EPOCH_END = 21
    TRAIN_EPOCH_BATCH_START = 22
    TRAIN_EPOCH_BATCH_END = 23
    VALIDATION_EPOCH_START = 30
    VALIDATION_EPOCH_END = 31
    VALIDATION_EPOCH_BATCH_START = 32
    VALIDATION_EPOCH_BATCH_END = 33
    INFERENCE_START = 40
    INFERENCE_END = 41
    INFERENCE_REPEAT_START = 50
    INFERENCE_REPEAT_END = 51


class Experiment:
    """Base of the experiments: a list of hooks per :class:`Signals` member."""

    def __init__(self) -> None:
        self.hooks: dict[Signals, list[Callable[..., Any]]] = {signal: [] for signal in Signals}
        self.results: Any = None

    def add_hook(self, key: Signals, hook: Callable[..., Any]) -> None:
        """Call ``hook`` whenever the experiment emits ``key``."""
        if not isinstance(key, Signals):
            raise ArgumentError(f"add_hook: key must be a Signals member, got {key!r}")
        if not callable(hook):
            raise ArgumentError(f"add_hook: hook must be callable, got {hook!r}")
        self.hooks[key].append(hook)

    def clear_hooks(self) -> None:
        """Remove every hook."""
        for key in self.hooks:
            self.hooks[key] = []

    def _call_hook(self, key: Signals, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Call the hooks of ``key``; the dicts they return are merged and returned."""
        merged: dict[str, Any] = {}
        for hook in self.hooks[key]:
            out = hook(*args, **kwargs)
            if isinstance(out, dict):
                merged.update(out)
        return merged
