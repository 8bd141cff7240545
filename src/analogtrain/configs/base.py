"""Behaviour shared by every configuration dataclass.

:class:`ConfigBase` is a field-less mixin that gives each configuration dataclass

* strict attribute setting: assigning a name that is not a dataclass field raises
  :class:`~analogtrain.errors.ConfigError` naming the close matches (aihwkit silently stores
  typos such as ``device.dw_mn = 0.1``; we refuse them at the point of the mistake);
* the compact printout of ``str(config)``: a nested constructor call listing only the fields
  that differ from their defaults (spec compounds 2.6); ``repr`` stays the dataclass repr;
* ``validate()``, which checks the whole tree below the object (see
  :mod:`analogtrain.configs.validation`).

Field metadata understood by the printer: ``always_show=True`` (never hidden) and
``hide_if=<value>`` (hidden when the value equals it; used for default-factory fields whose
default would otherwise always print).
"""

from __future__ import annotations

import dataclasses
import difflib
from enum import Enum
from functools import cache
from typing import Any

from analogtrain.errors import ConfigError

__all__ = ["ConfigBase", "config_field_names", "format_config"]

_INDENT = "    "


@cache
def config_field_names(cls: type) -> frozenset[str]:
    """The dataclass field names of ``cls`` (class variables excluded)."""
    return frozenset(f.name for f in dataclasses.fields(cls))


def _indent(text: str) -> str:
    return "\n".join(_INDENT + line for line in text.split("\n"))


def _format_value(value: Any) -> str:
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(_indent(_format_value(v)) for v in value) + "\n]"
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    return str(value)


def _is_hidden(field: dataclasses.Field, value: Any) -> bool:
    if field.metadata.get("always_show", False):
        return False
    if field.default is not dataclasses.MISSING and _equal(value, field.default):
        return True
    if "hide_if" in field.metadata and _equal(value, field.metadata["hide_if"]):
        return True
    return False


def _equal(a: Any, b: Any) -> bool:
    # ``0 == False`` would hide a bool set to 0 in an int field and vice versa; compare types
    # of bools explicitly so a value of the wrong kind is shown.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - exotic user values that cannot be compared
        return False


def format_config(obj: Any) -> str:
    """The diff-from-defaults printout of a configuration dataclass (spec compounds 2.6)."""
    entries = []
    perfect = bool(getattr(obj, "is_perfect", False))
    for field in dataclasses.fields(obj):
        if perfect and field.name != "is_perfect":
            continue
        value = getattr(obj, field.name)
        if _is_hidden(field, value):
            continue
        try:
            text = _format_value(value)
        except Exception:  # noqa: BLE001 - fall back to the plain conversion
            text = str(value)
        entries.append(f"{field.name}={text}")
    name = type(obj).__name__
    if len(entries) > 3 or any("\n" in e for e in entries):
        return name + "(\n" + _indent(",\n".join(entries)) + "\n)"
    return name + "(" + ", ".join(entries) + ")"


class ConfigBase:
    """Mixin of every configuration dataclass: strict fields, compact ``str``, ``validate``."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_analogtrain_read_only"):  # see configs/read_only.py
            raise ConfigError(
                f"{type(self).__name__}.{name}: this config belongs to a built tile and is "
                "read-only; edit analogtrain.configs.editable_copy(config) and build a new "
                "layer with it"
            )
        names = config_field_names(type(self))
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ConfigError(f"{type(self).__name__} has no field {name!r}{hint}")
        object.__setattr__(self, name, value)

    def __str__(self) -> str:
        return format_config(self)

    def validate(self) -> None:
        """Check types, ranges and consistency of this object and everything below it.

        Raises:
            ConfigError: naming the dotted path of the first bad field and its value.
        """
        from analogtrain.configs.validation import validate_config

        validate_config(self)
