"""Which tile module class a layer builds for a config (``rpu_config.tile_class``).

Importing this module registers the library's tile module classes by name in
:mod:`analogtrain.configs.tile_classes`: ``AnalogTile`` and ``FloatingPointTile`` (both
:class:`~analogtrain.nn.AnalogTileModule`, the tile behind the module follows from the
config) and ``TorchTransferTile``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from analogtrain.configs.tile_classes import register_tile_class, registered_tile_class
from analogtrain.errors import ConfigError
from analogtrain.nn.tile_module import AnalogTileModule
from analogtrain.nn.transfer_tile import TorchTransferTile

__all__ = ["tile_module_class_of"]

register_tile_class("AnalogTile", AnalogTileModule)
register_tile_class("FloatingPointTile", AnalogTileModule)
register_tile_class("AnalogTileModule", AnalogTileModule)
register_tile_class("TorchTransferTile", TorchTransferTile)


def tile_module_class_of(rpu_config: Any) -> type[nn.Module]:
    """The tile module class named by ``rpu_config.tile_class``: the class itself (an
    ``nn.Module`` subclass), the class registered under a name, or
    :class:`AnalogTileModule` when the field is None or names no registered class (names
    such as aihwkit's ``"InferenceTile"`` are kept for printing only)."""
    tile_class = getattr(rpu_config, "tile_class", None)
    if isinstance(tile_class, type):
        if not issubclass(tile_class, nn.Module):
            raise ConfigError(
                f"rpu_config.tile_class={tile_class!r} is not a torch.nn.Module subclass"
            )
        return tile_class
    if isinstance(tile_class, str):
        return registered_tile_class(tile_class) or AnalogTileModule
    return AnalogTileModule
