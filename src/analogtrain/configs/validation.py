"""Validation of configuration trees: types, ranges and consistency.

:func:`validate_config` walks a configuration object and everything below it. For each field it
checks the value against the field's annotation (an ``int`` is accepted for a ``float``, a
``bool`` is not accepted for a number, floats must be finite, enums must be members of the
annotated enum, lists are checked element-wise), then applies the range and consistency rules
of the object's class (:data:`_RULES`, in :mod:`analogtrain.configs.rules`). The first
violation raises :class:`~analogtrain.errors.ConfigError` naming the dotted field path and the
bad value, e.g. ``device.dw_min must be > 0, got -0.001``.

Rules that aihwkit applies only when a tile is built (a fatal engine error) are checked here,
so a bad configuration is reported before any simulation starts.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from enum import Enum
from functools import cache
from typing import Any

from analogtrain.configs.base import ConfigBase
from analogtrain.errors import ConfigError

__all__ = ["MAX_INT", "MAX_MAGNITUDE", "join_path", "validate_config"]


def join_path(path: str, name: str | int) -> str:
    """``path.name`` (or ``path[i]`` for an index); just ``name`` at the top level."""
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _matches(value: Any, tp: Any) -> bool:
    """Whether ``value`` is acceptable for annotation ``tp`` (shallow for config objects)."""
    if tp is Any:
        return True
    if tp is type(None):
        return value is None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(tp))
    if origin is list:
        return isinstance(value, list)
    if origin is dict:
        return isinstance(value, dict)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is bool:
        return isinstance(value, bool)
    return isinstance(value, tp)


MAX_MAGNITUDE = 1e30
"""Largest ``|value|`` of a number in a configuration. Values beyond it (1e300, 10**400)
overflow later inside the simulation (float32 products, pulse counts) instead of failing
here; no physical parameter needs them."""

MAX_INT = 2**63 - 1
"""Largest integer field value (integers are used as int64 counts and seeds)."""


def _check_number(value: Any, path: str) -> None:
    """Finite, ``|value| <= MAX_MAGNITUDE`` for floats, ``|value| <= MAX_INT`` for ints;
    ``construction_seed`` fields: ``0 <= seed < 2**63``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, int):
        if path.rsplit(".", 1)[-1] == "construction_seed":
            if not 0 <= value <= MAX_INT:
                raise ConfigError(f"{path} must satisfy 0 <= seed < 2**63, got {value!r}")
        elif abs(value) > MAX_INT:
            raise ConfigError(f"{path} must be at most 2**63 - 1 in magnitude, got {value!r}")
        return
    if not math.isfinite(value):
        raise ConfigError(f"{path} must be a finite number, got {value!r}")
    if abs(value) > MAX_MAGNITUDE:
        raise ConfigError(f"{path} must be at most {MAX_MAGNITUDE:g} in magnitude, got {value!r}")


def _check_value(value: Any, tp: Any, path: str) -> None:
    if not _matches(value, tp):
        raise ConfigError(f"{path} must be of type {_type_name(tp)}, got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and tp is float:
        if abs(value) > MAX_MAGNITUDE:  # also keeps float(value) from overflowing
            raise ConfigError(
                f"{path} must be at most {MAX_MAGNITUDE:g} in magnitude, got {value!r}"
            )
    _check_number(value, path)
    if isinstance(value, list):
        args = [a for a in _union_args(tp) if typing.get_origin(a) is list]
        item_tp = typing.get_args(args[0])[0] if args and typing.get_args(args[0]) else Any
        for i, item in enumerate(value):
            _check_value(item, item_tp, join_path(path, i))
    elif isinstance(value, ConfigBase):
        validate_config(value, path)
    elif isinstance(value, Enum) and not isinstance(value, tuple(_enum_types(tp))):
        raise ConfigError(f"{path} must be a {_type_name(tp)}, got {value!r}")


def _union_args(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def _enum_types(tp: Any) -> list[type]:
    return [a for a in _union_args(tp) if isinstance(a, type) and issubclass(a, Enum)] or [Enum]


def validate_config(obj: Any, path: str = "") -> None:
    """Validate ``obj`` (a configuration object) and its whole tree.

    Args:
        obj: any configuration dataclass.
        path: dotted path of ``obj`` inside an enclosing object (for the messages).

    Raises:
        ConfigError: the first violation, naming the dotted path and the value.
    """
    from analogtrain.configs.rule_table import ABSTRACT, rules_for

    if not isinstance(obj, ConfigBase) or not dataclasses.is_dataclass(obj):
        raise ConfigError(f"{path or 'value'} must be a configuration object, got {obj!r}")
    if type(obj) in ABSTRACT:
        name = type(obj).__name__
        raise ConfigError(f"{path or name} is the abstract {name}; choose one of its subclasses")
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        _check_value(getattr(obj, f.name), hints[f.name], join_path(path, f.name))
    for rule in rules_for(type(obj)):
        rule(obj, path)

