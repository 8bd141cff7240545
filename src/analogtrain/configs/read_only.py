"""Configurations held by a built tile are read-only.

A tile reads its configuration at every operation and derives state from it at
construction (device draws, IO states), so an edit of a built model's config
(``layer.analog_module.rpu_config.forward.out_noise = 0.1``) would be either ignored or
half applied, and an invalid value (NaN) would be accepted with no check at all. The tile
therefore marks its copy of the config tree read-only: assigning a field raises
:class:`~analogtrain.errors.ConfigError` saying how to change a layer's config instead
(build a new layer from :func:`editable_copy`). The config a user passes to a layer is
deep-copied first and stays editable. Lists inside a config (``unit_cell_devices``) are
plain lists; their elements are read-only.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from analogtrain.configs.base import ConfigBase

__all__ = ["READ_ONLY_FLAG", "editable_copy", "freeze_config", "is_read_only"]

READ_ONLY_FLAG = "_analogtrain_read_only"
"""Instance attribute (outside the dataclass fields) marking a read-only config object."""


def _walk(value: Any, read_only: bool) -> None:
    if isinstance(value, ConfigBase) and dataclasses.is_dataclass(value):
        if read_only:
            object.__setattr__(value, READ_ONLY_FLAG, True)
        else:
            value.__dict__.pop(READ_ONLY_FLAG, None)
        for f in dataclasses.fields(value):
            _walk(getattr(value, f.name), read_only)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, read_only)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, read_only)


def freeze_config(config: Any) -> Any:
    """Mark ``config`` and every config object below it read-only; returns ``config``."""
    _walk(config, True)
    return config


def is_read_only(config: Any) -> bool:
    """Whether ``config`` is marked read-only (held by a built tile)."""
    return bool(getattr(config, "__dict__", {}).get(READ_ONLY_FLAG, False))


def editable_copy(config: Any) -> Any:
    """A deep copy of ``config`` with every read-only mark removed (to edit and build a new
    layer from)."""
    new = copy.deepcopy(config)
    _walk(new, False)
    return new
