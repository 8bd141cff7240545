"""Seeding of the random streams a simulation owns.

Every random draw in analogtrain comes from a :class:`torch.Generator` owned by a tile (or
passed explicitly to a kernel), never from torch's global generator, so that runs are
reproducible and checkpoints resume exactly. Seeds of ``0`` mean "not fixed": a seed is then
drawn once from torch's global generator, so ``torch.manual_seed`` still makes the run
reproducible (aihwkit seeds from the clock instead).
"""

from __future__ import annotations

import hashlib

import torch

_SEED_MASK = (1 << 63) - 1


def resolve_seed(seed: int) -> int:
    """Return ``seed`` if it is non-zero, else a fresh seed drawn from torch's global RNG."""
    if seed:
        return int(seed) & _SEED_MASK
    return int(torch.randint(1, 2**62, (1,)).item())


def derive_seed(seed: int, *keys: object) -> int:
    """A stable 63-bit seed derived from ``seed`` and a sequence of keys (names, indices).

    Used to give independent streams to, e.g., the forward and the backward noise of a tile,
    or to the sub-devices of a compound, from one top-level seed.
    """
    text = repr((int(seed),) + tuple(keys)).encode()
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return (int.from_bytes(digest, "little") & _SEED_MASK) or 1


def make_generator(seed: int, device: torch.device | str | None = None) -> torch.Generator:
    """A generator on ``device`` seeded with ``seed`` (which must already be resolved)."""
    dev = torch.device(device) if device is not None else torch.device("cpu")
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed) & _SEED_MASK)
    return gen
