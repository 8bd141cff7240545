"""``--set PATH=VALUE`` overrides of configuration objects, checked against their fields.

A path is a dotted walk through the configuration tree from a root object: field names, and
list indices for list fields (``device.unit_cell_devices.0.dw_min``; ``[0]`` works too). The
value text is converted to the field's declared type:

* ``bool``: ``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case);
* ``int``: an integer literal; ``float``: any float literal (integers accepted);
* enums: the member name or its value, any case (``NONE``, ``AbsMax``, ``ABS_MAX``,
  ``NoiseManagementType.ABS_MAX``);
* ``list[float]`` / ``list[int]``: ``[1, 0.5]`` or ``1,0.5``;
* optional fields: ``none`` / ``null`` for None;
* a nested configuration field: the name of a configuration class (``ConstantStepDevice``),
  which replaces the value by a default instance of that class.

An unknown path or a value of the wrong type raises :class:`~analogtrain.errors.ConfigError`
listing the closest valid names (difflib).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import json
import re
import types
import typing
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from analogtrain.errors import ConfigError

__all__ = ["apply_overrides", "parse_assignment", "set_path", "config_paths"]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null"}


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``"a.b=value"`` into ``("a.b", "value")``."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ConfigError(f"--set expects PATH=VALUE, got {text!r}")
    return path.strip(), value.strip()


def _split_path(path: str) -> list[str]:
    parts = [p for p in re.split(r"\.|\[|\]", path) if p != ""]
    if not parts:
        raise ConfigError(f"empty configuration path {path!r}")
    return parts


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def config_paths(obj: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted path below ``obj`` (fields, nested fields, list items)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            name = f"{prefix}{f.name}"
            yield name
            yield from config_paths(getattr(obj, f.name), name + ".")
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            name = f"{prefix}{i}"
            yield name
            yield from config_paths(item, name + ".")


def _unknown(root: Any, full: str, path: str, parent: Any, segment: str) -> ConfigError:
    candidates = list(config_paths(root))
    close = difflib.get_close_matches(full, candidates, n=5, cutoff=0.6)
    if not close and full != path:
        close = difflib.get_close_matches(path, candidates, n=5, cutoff=0.6)
    if not close and dataclasses.is_dataclass(parent):
        names = [f.name for f in dataclasses.fields(parent)]
        close = difflib.get_close_matches(segment, names, n=5, cutoff=0.5)
        stem = path[: len(path) - len(segment)] if path.endswith(segment) else ""
        close = [stem + c for c in close]
    where = type(parent).__name__
    hint = f"; closest valid names: {', '.join(close)}" if close else ""
    return ConfigError(
        f"unknown configuration path {full!r} ({where} has no field {segment!r}){hint}"
    )


def _resolve(root: Any, path: str) -> tuple[Any, str | int, Any]:
    """Walk to the parent of the last segment: (parent, key, declared type of the target)."""
    parts = _split_path(path)
    obj: Any = root
    declared: Any = type(root)
    for depth, part in enumerate(parts):
        so_far = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(obj, list):
            if not part.isdigit() or int(part) >= len(obj):
                raise ConfigError(
                    f"bad list index {part!r} in {so_far!r}: the list has {len(obj)} items "
                    f"(valid: {', '.join(str(i) for i in range(len(obj))) or 'none'})"
                )
            key: str | int = int(part)
            args = typing.get_args(declared)
            declared = args[0] if args else Any
            if last:
                return obj, key, declared
            obj = obj[key]
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            names = {f.name for f in dataclasses.fields(obj)}
            if part not in names:
                raise _unknown(root, path, so_far, obj, part)
            declared = _hints(type(obj)).get(part, Any)
            if last:
                return obj, part, declared
            obj = getattr(obj, part)
        else:
            raise ConfigError(
                f"cannot descend into {'.'.join(parts[:depth])!r}: it is a "
                f"{type(obj).__name__} value ({obj!r}), not a configuration object"
            )
    raise AssertionError("unreachable")


def _options(tp: Any) -> tuple[list[Any], bool]:
    """The non-None members of a (possibly optional / union) type, and whether None is allowed."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = list(typing.get_args(tp))
        return [a for a in args if a is not type(None)], type(None) in args
    return [tp], False


def _parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("expected a boolean (true/false)")


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        value = float(text)  # "1e3" -> 1000 is fine, "1.5" is not
        if not value.is_integer():
            raise ValueError("expected an integer") from None
        return int(value)


def _parse_enum(cls: type[enum.Enum], text: str) -> enum.Enum:
    stem = text.split(".", 1)[1] if text.startswith(cls.__name__ + ".") else text
    for member in cls:
        if stem.lower() in (member.name.lower(), str(member.value).lower()):
            return member
    names = [m.name for m in cls]
    close = difflib.get_close_matches(stem.upper(), names, n=3, cutoff=0.4)
    hint = f"closest: {', '.join(close)}; " if close else ""
    raise ValueError(f"not a {cls.__name__} member ({hint}valid: {', '.join(names)})")


def _parse_list(item_type: Any, text: str) -> list[Any]:
    body = text.strip()
    if body.startswith("["):
        try:
            raw = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a list literal ({exc.msg})") from None
        if not isinstance(raw, list):
            raise ValueError("expected a list")
        items = [str(v) for v in raw]
    else:
        items = [t.strip() for t in body.split(",") if t.strip()]
    return [_parse_scalar(item_type, t) for t in items]


def _config_class(name: str) -> type:
    import analogtrain.configs as configs

    cls = getattr(configs, name, None)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        return cls
    names = [n for n in configs.__all__ if dataclasses.is_dataclass(getattr(configs, n))]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" (closest: {', '.join(close)})" if close else ""
    raise ValueError(f"{name!r} is not a configuration class of analogtrain.configs{hint}")


def _parse_scalar(tp: Any, text: str) -> Any:
    if tp is bool:
        return _parse_bool(text)
    if tp is int:
        return _parse_int(text)
    if tp is float:
        return float(text)
    if tp is str:
        return text
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _parse_enum(tp, text)
    if typing.get_origin(tp) is list:
        args = typing.get_args(tp)
        return _parse_list(args[0] if args else float, text)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        cls = _config_class(text)
        if not issubclass(cls, tp):
            raise ValueError(f"{cls.__name__} is not a {tp.__name__}")
        return cls()
    if tp is Any:
        return text
    raise ValueError(f"values of type {tp!r} cannot be given on the command line")


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("analogtrain.configs.", "")


def parse_value(tp: Any, text: str, path: str) -> Any:
    """Convert ``text`` to a value of the declared type ``tp`` (error names ``path``)."""
    options, optional = _options(tp)
    if optional and text.lower() in _NONE:
        return None
    errors = []
    for option in options:
        try:
            return _parse_scalar(option, text)
        except ValueError as exc:
            errors.append(str(exc))
    expected = " or ".join(_type_name(o) for o in options) + (" or None" if optional else "")
    detail = "; ".join(dict.fromkeys(e for e in errors if e))
    raise ConfigError(
        f"{path}: expected {expected}, got {text!r}" + (f" ({detail})" if detail else "")
    )


def set_path(root: Any, path: str, text: str) -> None:
    """Set the field at dotted ``path`` below ``root`` from its command-line text."""
    parent, key, declared = _resolve(root, path)
    value = parse_value(declared, text, path)
    if isinstance(parent, list):
        parent[key] = value  # type: ignore[index]
    else:
        setattr(parent, str(key), value)


def apply_overrides(root: Any, assignments: Iterable[str], *, validate: bool = True) -> Any:
    """Apply ``PATH=VALUE`` assignments to ``root`` (in place) and validate the result.

    Returns ``root`` for convenience.
    """
    for text in assignments:
        path, value = parse_assignment(text)
        set_path(root, path, value)
    if validate and hasattr(root, "validate"):
        root.validate()
    return root
