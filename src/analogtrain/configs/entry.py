"""Type checks where a configuration enters: layer constructors and ``build_config``.

A wrong kind of object (a device where an RPU config is expected, a class instead of an
instance, a dict, a string) is reported at the call that received it, saying what was
expected and how to get it, instead of an ``AttributeError`` deep inside the tile.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.compounds import DigitalRankUpdateCell, UnitCell
from analogtrain.configs.devices import FloatingPointDevice, IdealDevice, PulsedDevice
from analogtrain.configs.io import IOParameters
from analogtrain.configs.update import UpdateParameters
from analogtrain.errors import ArgumentError

__all__ = [
    "DEVICE_TYPES",
    "SEED_LIMIT",
    "check_build_argument",
    "check_rpu_config",
    "check_seed",
]

DEVICE_TYPES: tuple[type, ...] = (
    PulsedDevice,
    IdealDevice,
    FloatingPointDevice,
    UnitCell,
    DigitalRankUpdateCell,
)
"""The configuration classes that describe a device (single devices and compounds)."""

SEED_LIMIT = 2**63
"""Seeds are used modulo nothing: ``0 <= seed < 2**63`` (torch generators take 63 bits here;
larger values would silently alias smaller ones)."""


def _is_rpu_config(value: Any) -> bool:
    return (
        isinstance(value, ConfigBase)
        and dataclasses.is_dataclass(value)
        and "mapping" in {f.name for f in dataclasses.fields(value)}
    )


def _describe(value: Any) -> str:
    if isinstance(value, type):
        return f"the class {value.__name__}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_rpu_config(value: Any, where: str) -> None:
    """ArgumentError unless ``value`` is an RPU config instance (SingleRPUConfig,
    UnitCellRPUConfig, DigitalRankUpdateRPUConfig, FloatingPointRPUConfig or a preset)."""
    if _is_rpu_config(value):
        return
    hint = ""
    if isinstance(value, type) and _is_rpu_config_class(value):
        hint = f"; pass an instance: {value.__name__}()"
    elif isinstance(value, DEVICE_TYPES) or (
        isinstance(value, type) and issubclass(value, DEVICE_TYPES)
    ):
        hint = "; wrap the device: SingleRPUConfig(device=...) or build_config('sgd', device)"
    elif isinstance(value, dict):
        hint = "; a saved config dict is read with analogtrain.configs.from_dict(...)"
    elif isinstance(value, str):
        hint = "; build a config by name with build_config(algorithm, device)"
    raise ArgumentError(
        f"{where}: expected an RPU configuration instance (e.g. SingleRPUConfig()), got "
        f"{_describe(value)}{hint}"
    )


def _is_rpu_config_class(cls: type) -> bool:
    return (
        issubclass(cls, ConfigBase)
        and dataclasses.is_dataclass(cls)
        and "mapping" in {f.name for f in dataclasses.fields(cls)}
    )


_EXPECTED = {
    "device": (DEVICE_TYPES, "a device (e.g. ConstantStepDevice) or compound"),
    "io_parameters": ((IOParameters,), "IOParameters"),
    "up_parameters": ((UpdateParameters,), "UpdateParameters"),
}


def check_build_argument(arg: Any, name: str) -> None:
    """ArgumentError unless ``arg`` (the ``name`` argument of ``build_config``) is an
    instance or subclass of the expected kind, or a non-class callable (a factory)."""
    kinds, text = _EXPECTED[name]
    if isinstance(arg, kinds):
        return
    if isinstance(arg, type):
        if issubclass(arg, kinds):
            return
        raise ArgumentError(f"build_config({name}=...): expected {text}, got {_describe(arg)}")
    if isinstance(arg, ConfigBase) or not callable(arg):
        raise ArgumentError(f"build_config({name}=...): expected {text}, got {_describe(arg)}")


def check_seed(seed: Any, where: str) -> int:
    """``seed`` if it is an int with ``0 <= seed < 2**63``, else ArgumentError."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ArgumentError(f"{where} must be an integer, got {seed!r}")
    if not 0 <= seed < SEED_LIMIT:
        raise ArgumentError(f"{where} must satisfy 0 <= seed < 2**63, got {seed!r}")
    return seed
