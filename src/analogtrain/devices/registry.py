"""Which :class:`DeviceArray` implements which device config (keyed by config class).

Presets are subclasses of the model configs, so lookup walks the config's MRO and takes the
first registered class. The table maps classes to classes; it holds no instances.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

from analogtrain.devices.base import DeviceArray
from analogtrain.errors import ArgumentError, ConfigError

_ArrayT = TypeVar("_ArrayT", bound=type[DeviceArray])

_IMPLEMENTATIONS: dict[type, type[DeviceArray]] = {}


def register(config_cls: type) -> Callable[[_ArrayT], _ArrayT]:
    """Class decorator: the decorated array class implements ``config_cls`` (and its
    subclasses, unless those are registered themselves)."""
    if not isinstance(config_cls, type):
        raise ArgumentError(f"register() needs a config class, got {config_cls!r}")

    def decorate(array_cls: _ArrayT) -> _ArrayT:
        if not (isinstance(array_cls, type) and issubclass(array_cls, DeviceArray)):
            raise ArgumentError(f"{array_cls!r} is not a DeviceArray subclass")
        previous = _IMPLEMENTATIONS.get(config_cls)
        if previous is not None and previous is not array_cls:
            raise ArgumentError(
                f"{config_cls.__name__} is already implemented by {previous.__name__}"
            )
        _IMPLEMENTATIONS[config_cls] = array_cls
        return array_cls

    return decorate


def implementation_for(config: Any) -> type[DeviceArray]:
    """The array class registered for ``config``'s type (or its nearest registered base)."""
    for cls in type(config).__mro__:
        found = _IMPLEMENTATIONS.get(cls)
        if found is not None:
            return found
    raise ConfigError(
        f"no device array implements config class {type(config).__name__!r} "
        f"(registered: {sorted(c.__name__ for c in _IMPLEMENTATIONS)})"
    )


def create_device_array(
    config: Any,
    out_size: int,
    in_size: int,
    generator: torch.Generator,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> DeviceArray:
    """Build the device array for ``config`` with d2d variation drawn from ``generator``."""
    array_cls = implementation_for(config)
    return array_cls(config, out_size, in_size, generator, device=device, dtype=dtype)
