"""Class-level access to a registered buffer, parameter or sub-module of an ``nn.Module``.

``nn.Module`` keeps its buffers, parameters and sub-modules in dicts of the instance, so an
attribute read such as ``tile.arrays`` or ``array.weight`` first fails the ordinary lookup
(an ``AttributeError`` raised and caught inside Python) and then runs
``nn.Module.__getattr__``: about a microsecond each, and a small layer's training step makes
dozens of them. :func:`module_entry`, declared in the class body under the name the instance
registers, reads the entry from its dict directly. It changes nothing else: registration,
assignment, ``state_dict``, ``.to()``, copies and pickling work on the same dicts as before,
and an instance that holds the name elsewhere (another kind of entry, or a plain attribute)
is answered as ``nn.Module`` answers it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["module_entry"]

_KINDS = ("_buffers", "_parameters", "_modules")


def module_entry(kind: str) -> Any:
    """``name: T = module_entry("_buffers" | "_parameters" | "_modules")`` in a class body:
    reads of ``instance.name`` come from that dict of the instance (typed as ``T``)."""
    if kind not in _KINDS:
        raise ValueError(f"module_entry kind must be one of {_KINDS}, got {kind!r}")
    return _ModuleEntry(kind)


class _ModuleEntry:
    """The descriptor :func:`module_entry` declares."""

    __slots__ = ("kind", "name")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return obj.__dict__[self.kind][self.name]
        except KeyError:  # not (yet) this kind of entry: nn.Module.__getattr__ decides
            raise AttributeError(self.name) from None
