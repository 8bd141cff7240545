"""Cheap fingerprints of replica state, compared across ranks to prove replicas identical.

A digest is a 63-bit BLAKE2b hash of the exact bytes of tensors (and of the ``repr`` of plain
values), so two replicas have equal digests only if their state is bit-identical (up to hash
collisions, probability ``2^-63`` per comparison).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from analogtrain.errors import TileError

__all__ = ["ReplicaDivergenceError", "generator_digest", "state_digest", "tile_digest"]

_MASK = (1 << 63) - 1


class ReplicaDivergenceError(TileError):
    """The replicas of a data-parallel analog model are no longer bit-identical."""


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, Tensor):
        t = value.detach()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            flat = t.to("cpu").contiguous().reshape(-1)
            h.update(flat.view(torch.uint8).numpy().tobytes())
    elif isinstance(value, Mapping):
        h.update(b"{")
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            _feed(h, value[key])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for item in value:
            _feed(h, item)
        h.update(b"]")
    else:
        h.update(repr(value).encode())


def state_digest(value: Any) -> int:
    """Digest of a tensor, a (nested) mapping or sequence of tensors and plain values."""
    h = hashlib.blake2b(digest_size=8)
    _feed(h, value)
    return int.from_bytes(h.digest(), "little") & _MASK


def generator_digest(generator: torch.Generator) -> int:
    """Digest of a generator's state (position in its stream)."""
    return state_digest(generator.get_state())


def tile_digest(module: torch.nn.Module) -> int:
    """Digest of everything that makes a tile module's future: its ``state_dict`` (weights,
    hidden parameters, device draws, IO state, mapping scales, and the tile's extra state
    with counters, seeds and the runtime generator's state)."""
    return state_digest(module.state_dict())
