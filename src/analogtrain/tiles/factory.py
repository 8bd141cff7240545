"""Which tile class simulates which configuration, and the one entry point that builds it.

Single devices (``SingleRPUConfig``, ``FloatingPointRPUConfig``) are simulated by
:class:`~analogtrain.tiles.analog.AnalogTile`. Compound devices (``UnitCellRPUConfig``,
``DigitalRankUpdateRPUConfig``) are found in a table keyed by the *device config class*:
each compound tile module registers itself with :func:`register_tile`, and lookup walks the
MRO of ``type(rpu_config.device)`` so that subclasses (presets) find their base's tile. The
table maps classes to classes; it holds no instances.

A compound config whose ``update.pulse_type`` is ``NONE`` is not built as a compound at all:
the tile is a plain floating-point ``AnalogTile`` (spec compounds 3.0).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from analogtrain.configs import (
    DigitalRankUpdateRPUConfig,
    FloatingPointDevice,
    FloatingPointRPUConfig,
    IdealDevice,
    PulsedDevice,
    SingleRPUConfig,
    UnitCellRPUConfig,
)
from analogtrain.configs.enums import PulseType
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.tiles.analog import AnalogTile
from analogtrain.tiles.base import AnalogTileBase

__all__ = ["create_tile", "register_tile", "tile_class_for"]

_TileT = TypeVar("_TileT", bound=type[AnalogTileBase])

_TILES: dict[type, type[AnalogTileBase]] = {}

#: modules of the package that register compound tiles (imported on first lookup)
_COMPOUND_MODULES = ("vector", "onesided", "transfer", "chopped", "dynamic", "mixed_precision")


def register_tile(device_config_cls: type) -> Callable[[_TileT], _TileT]:
    """Class decorator: the decorated tile class simulates configs whose ``device`` is an
    instance of ``device_config_cls`` (or of a subclass not registered itself)."""
    if not isinstance(device_config_cls, type):
        raise ArgumentError(
            f"register_tile() needs a device config class, got {device_config_cls!r}"
        )

    def decorate(tile_cls: _TileT) -> _TileT:
        if not (isinstance(tile_cls, type) and issubclass(tile_cls, AnalogTileBase)):
            raise ArgumentError(f"{tile_cls!r} is not an AnalogTileBase subclass")
        previous = _TILES.get(device_config_cls)
        if previous is not None and previous is not tile_cls:
            raise ArgumentError(
                f"{device_config_cls.__name__} is already simulated by {previous.__name__}"
            )
        _TILES[device_config_cls] = tile_cls
        return tile_cls

    return decorate


def _import_compound_tiles() -> None:
    """Import the package's compound tile modules so that their registrations exist."""
    for name in _COMPOUND_MODULES:
        module = f"{__package__}.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a compound not written yet; real errors surface
            if exc.name != module:
                raise


def tile_class_for(rpu_config: Any) -> type[AnalogTileBase]:
    """The tile class that simulates ``rpu_config`` (ConfigError if there is none)."""
    if isinstance(rpu_config, (SingleRPUConfig, FloatingPointRPUConfig)):
        return AnalogTile
    if not isinstance(rpu_config, (UnitCellRPUConfig, DigitalRankUpdateRPUConfig)):
        raise ConfigError(
            f"cannot build a tile for {type(rpu_config).__name__!r}: expected SingleRPUConfig, "
            "UnitCellRPUConfig, DigitalRankUpdateRPUConfig or FloatingPointRPUConfig"
        )
    device = rpu_config.device
    if rpu_config.update.pulse_type == PulseType.NONE:
        return AnalogTile
    _import_compound_tiles()
    for cls in type(device).__mro__:
        found = _TILES.get(cls)
        if found is not None:
            return found
    if isinstance(device, (PulsedDevice, IdealDevice, FloatingPointDevice)):
        return AnalogTile
    raise ConfigError(
        f"no tile simulates device config {type(device).__name__!r} of "
        f"{type(rpu_config).__name__} (registered: {sorted(c.__name__ for c in _TILES)})"
    )


def create_tile(
    rpu_config: Any,
    out_size: int,
    in_size: int,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> AnalogTileBase:
    """Build the tile that simulates ``rpu_config`` with ``[out_size, in_size]`` weights."""
    tile_cls = tile_class_for(rpu_config)
    return tile_cls(out_size, in_size, rpu_config, device=device, dtype=dtype)
