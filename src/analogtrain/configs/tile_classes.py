"""The classes an RPU config's ``tile_class`` field may name (aihwkit keeps the class itself in
``rpu_config.tile_class`` and builds tiles with ``rpu_config.tile_class(out, in, rpu_config)``).

Configs never import their implementation, so the tile module classes register themselves
here under their names when :mod:`analogtrain.nn` is imported, and a config refers to them by
name until they are needed:

* ``tile_class`` holds a registered class (``rpu_config.tile_class = TorchTransferTile``) or
  a name; the defaults are :class:`TileClassName` strings (``"AnalogTile"``,
  ``"FloatingPointTile"``) that, called like a class, build the registered tile module;
* a saved config stores a registered class by its name (``{"tile_class": name}``) and loads
  it back as the class, so ``to_dict``/``from_dict`` round-trips it.
"""

from __future__ import annotations

import importlib
from typing import Any

from analogtrain.errors import ConfigError

__all__ = ["TileClassName", "register_tile_class", "registered_tile_class", "tile_class_name"]

_CLASSES: dict[str, type] = {}

#: the module whose import registers the library's tile module classes
_REGISTERING_MODULE = "analogtrain.nn.tile_class"


def register_tile_class(name: str, cls: type) -> None:
    """Register ``cls`` as the tile module class called ``name`` (ConfigError if the name is
    taken by another class)."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"register_tile_class: name must be a non-empty string, got {name!r}")
    if not isinstance(cls, type):
        raise ConfigError(f"register_tile_class({name!r}): expected a class, got {cls!r}")
    previous = _CLASSES.get(name)
    if previous is not None and previous is not cls:
        raise ConfigError(f"tile class name {name!r} is already registered for {previous!r}")
    _CLASSES[name] = cls


def registered_tile_class(name: str) -> type | None:
    """The class registered under ``name`` (the library's classes are registered on first
    use), or None."""
    if name not in _CLASSES:
        importlib.import_module(_REGISTERING_MODULE)
    return _CLASSES.get(name)


def tile_class_name(cls: type) -> str | None:
    """The name ``cls`` is registered under (the first, when it has several), or None."""
    if not _CLASSES:
        importlib.import_module(_REGISTERING_MODULE)
    return next((name for name, known in _CLASSES.items() if known is cls), None)


class TileClassName(str):
    """A tile class given by name that can be called like the class it names (the default
    ``tile_class`` of the RPU configs): ``rpu_config.tile_class(out_size, in_size,
    rpu_config)`` builds the registered tile module, as with aihwkit's classes."""

    __slots__ = ()

    def resolve(self) -> type:
        """The registered class (ConfigError naming the registered names if there is none)."""
        cls = registered_tile_class(str(self))
        if cls is None:
            raise ConfigError(
                f"tile_class {str(self)!r} names no registered tile module class "
                f"(registered: {sorted(_CLASSES)})"
            )
        return cls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)
