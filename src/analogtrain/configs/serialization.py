"""Saving and loading configurations as plain data (dicts / JSON files).

Format (version 1)::

    {"format": "analogtrain-config", "version": 1, "config": OBJECT}

where a configuration object is ``{"class": "<ClassName>", "fields": {name: VALUE, ...}}``, an
enum member is ``{"enum": "<EnumName>", "value": "<string value>"}`` (the aihwkit string
values), a plain dict is ``{"dict": {...}}``, and lists, strings, numbers, booleans and None
are themselves. Every field is written, so a file does not depend on the defaults of the
version that reads it; fields missing from a file take their defaults.

Loading never executes code: class and enum names are looked up in a table of known classes
(the configuration classes of :mod:`analogtrain.configs`, plus those registered with
:func:`register_config_class`: the presets of :mod:`analogtrain.presets` register themselves
when that package is imported, user-defined devices when they are defined); anything else is
rejected with a :class:`~analogtrain.errors.ConfigError`. No pickle, no ``eval``, no import by
name.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from enum import Enum
from functools import cache
from typing import Any

from analogtrain.configs import compounds, devices, enums, parameters, rpu_configs
from analogtrain.configs.base import ConfigBase
from analogtrain.configs.tile_classes import registered_tile_class, tile_class_name
from analogtrain.configs.validation import validate_config
from analogtrain.errors import ConfigError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "from_dict",
    "load_config",
    "register_config_class",
    "save_config",
    "to_dict",
]

FORMAT = "analogtrain-config"
FORMAT_VERSION = 1


def _public_classes(module: Any, base: type) -> list[type]:
    return [
        getattr(module, name) for name in module.__all__ if issubclass(getattr(module, name), base)
    ]


#: configuration classes registered from outside this package (presets, custom devices)
_REGISTERED: dict[str, type] = {}


@cache
def _builtin_classes() -> dict[str, type]:
    classes: list[type] = []
    for module in (parameters, devices, compounds, rpu_configs):
        classes += _public_classes(module, ConfigBase)
    return {cls.__name__: cls for cls in classes}


def _config_classes() -> dict[str, type]:
    return {**_builtin_classes(), **_REGISTERED}


def register_config_class(cls: type) -> type:
    """Make configuration class ``cls`` known to :func:`to_dict` / :func:`from_dict` under its
    name (also usable as a class decorator). Registering the same class again is a no-op, a
    class of the same module and qualified name replaces it (a script run again); another
    class under a taken name is an error."""
    if not (isinstance(cls, type) and issubclass(cls, ConfigBase)) or not dataclasses.is_dataclass(
        cls
    ):
        raise ConfigError(f"register_config_class needs a ConfigBase dataclass, got {cls!r}")
    known = _config_classes().get(cls.__name__)
    redefined = known is not None and (known.__module__, known.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    )  # the same definition run again (a reloaded script): the new class replaces it
    if known is not None and known is not cls and not redefined:
        raise ConfigError(
            f"a different configuration class is already known as {cls.__name__!r} "
            f"({known.__module__}.{known.__qualname__})"
        )
    _REGISTERED[cls.__name__] = cls
    return cls


@cache
def _enum_classes() -> dict[str, type[Enum]]:
    return {cls.__name__: cls for cls in _public_classes(enums, Enum)}


def _encode(value: Any, path: str) -> Any:
    if isinstance(value, ConfigBase) and dataclasses.is_dataclass(value):
        name = type(value).__name__
        if _config_classes().get(name) is not type(value):
            raise ConfigError(f"{path or 'config'}: class {name} is not a known configuration")
        return {
            "class": name,
            "fields": {
                f.name: _encode(getattr(value, f.name), f"{path}.{f.name}".lstrip("."))
                for f in dataclasses.fields(value)
            },
        }
    if isinstance(value, Enum):
        if _enum_classes().get(type(value).__name__) is not type(value):
            raise ConfigError(f"{path}: enum {type(value).__name__} is not known")
        return {"enum": type(value).__name__, "value": value.value}
    if isinstance(value, list):
        return [_encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ConfigError(f"{path}: only dicts with string keys can be saved, got {value!r}")
        return {"dict": {k: _encode(v, f"{path}.{k}") for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, type) and tile_class_name(value) is not None:
        return {"tile_class": tile_class_name(value)}
    raise ConfigError(f"{path}: cannot save a value of type {type(value).__name__}: {value!r}")


def to_dict(config: Any) -> dict[str, Any]:
    """The JSON-compatible plain-data form of a configuration object (every field)."""
    if not isinstance(config, ConfigBase):
        raise ConfigError(f"to_dict expects a configuration object, got {config!r}")
    return {"format": FORMAT, "version": FORMAT_VERSION, "config": _encode(config, "")}


MAX_DEPTH = 64
"""Deepest nesting of a saved configuration that is decoded (real configs use < 15)."""


def _decode(data: Any, path: str, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ConfigError(f"{path or 'config'}: nested deeper than {MAX_DEPTH} levels")
    depth += 1
    if isinstance(data, list):
        return [_decode(v, f"{path}[{i}]", depth) for i, v in enumerate(data)]
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: unexpected value {data!r}")
    keys = set(data)
    if keys == {"class", "fields"}:
        return _decode_object(data, path, depth)
    if keys == {"enum", "value"}:
        enum_cls = _enum_classes().get(data["enum"])
        if enum_cls is None:
            raise ConfigError(f"{path}: unknown enum {data['enum']!r}")
        try:
            return enum_cls(data["value"])
        except ValueError:
            raise ConfigError(
                f"{path}: {data['value']!r} is not a value of {enum_cls.__name__}"
            ) from None
    if keys == {"tile_class"} and isinstance(data["tile_class"], str):
        cls = registered_tile_class(data["tile_class"])
        if cls is None:
            raise ConfigError(f"{path}: unknown tile class {data['tile_class']!r}")
        return cls
    if keys == {"dict"} and isinstance(data["dict"], dict):
        return {k: _decode(v, f"{path}.{k}", depth) for k, v in data["dict"].items()}
    raise ConfigError(f"{path or 'config'}: unrecognised entry with keys {sorted(keys)}")


def _decode_object(data: dict[str, Any], path: str, depth: int) -> Any:
    name = data["class"]
    cls = _config_classes().get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"{path or 'config'}: unknown configuration class {name!r}")
    values = data["fields"]
    if not isinstance(values, dict):
        raise ConfigError(f"{path or 'config'}: fields of {name} must be a mapping")
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    for key in values:
        if key not in known:
            raise ConfigError(f"{path or name}: {name} has no field {key!r}")
    kwargs = {k: _decode(v, f"{path}.{k}".lstrip("."), depth) for k, v in values.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:  # a __post_init__ refusing a value
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{path or name}: {exc}") from None


def from_dict(data: dict[str, Any], *, validate: bool = True) -> Any:
    """Rebuild a configuration object from :func:`to_dict` output.

    With ``validate`` (the default) the result is checked like ``config.validate()``:
    every field's type and range, the error naming its dotted path (``forward.out_noise
    must be of type float, got '0.06x'``). ``validate=False`` only decodes (for tools that
    inspect invalid configs).

    Raises:
        ConfigError: wrong format or version, an unknown class, enum or field, a value of
            the wrong type or out of range.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"not an analogtrain configuration (format must be {FORMAT!r})")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise ConfigError(
            f"unsupported configuration format version {version!r} (this is {FORMAT_VERSION})"
        )
    config = _decode(data.get("config"), "")
    if not isinstance(config, ConfigBase):
        raise ConfigError(f"the saved configuration is not a configuration object: {config!r}")
    if validate:
        validate_config(config)  # every field's type and range, with its dotted path
    return config


def save_config(config: Any, path: str | os.PathLike[str]) -> None:
    """Write ``config`` to ``path`` as standard JSON (see the module docstring for the
    format). A NaN or infinite value is refused with a ConfigError naming its field (JSON
    has no literal for it); nothing is written then."""
    data = to_dict(config)
    bad = _non_finite_path(data["config"], "")
    if bad is not None:
        raise ConfigError(
            f"save_config: {bad[0]} is {bad[1]!r}; standard JSON cannot hold NaN or infinity"
        )
    text = json.dumps(data, indent=2, allow_nan=False)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


def _non_finite_path(data: Any, path: str) -> tuple[str, float] | None:
    """The dotted field path and value of the first non-finite float in encoded data."""
    if isinstance(data, float) and not math.isfinite(data):
        return path or "config", data
    if isinstance(data, list):
        for i, v in enumerate(data):
            if (hit := _non_finite_path(v, f"{path}[{i}]")) is not None:
                return hit
    elif isinstance(data, dict):
        items = data["fields"].items() if set(data) == {"class", "fields"} else data.items()
        for k, v in items:
            sub = path if k == "dict" and set(data) == {"dict"} else f"{path}.{k}".lstrip(".")
            if (hit := _non_finite_path(v, sub)) is not None:
                return hit
    return None


def load_config(path: str | os.PathLike[str]) -> Any:
    """Read a configuration written by :func:`save_config`."""
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh, parse_constant=_refuse_constant)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{os.fspath(path)} is not valid JSON: {err}") from None
        except RecursionError:
            raise ConfigError(f"{os.fspath(path)}: JSON nested too deeply") from None
    try:
        return from_dict(data)
    except ConfigError as err:
        raise ConfigError(f"{os.fspath(path)}: {err}") from None


def _refuse_constant(name: str) -> float:
    raise ConfigError(f"the non-standard JSON literal {name} is not accepted in a config file")
