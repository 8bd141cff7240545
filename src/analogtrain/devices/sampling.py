"""Random draws for the device arrays, always from an explicit :class:`torch.Generator`.

Samples are drawn on the generator's own device and then moved next to the tensor they are
meant for, so the same generator gives the same numbers whatever device the array lives on.
"""

from __future__ import annotations

import torch

from analogtrain.errors import ArgumentError


def _require(generator: torch.Generator | None, what: str) -> torch.Generator:
    if generator is None:
        raise ArgumentError(f"{what} needs a torch.Generator, got generator=None")
    return generator


def standard_normal(
    shape: tuple[int, ...] | torch.Size,
    generator: torch.Generator | None,
    *,
    like: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Independent N(0, 1) samples of ``shape``; on ``like``'s device and dtype if given."""
    gen = _require(generator, "drawing normal samples")
    out_dtype = like.dtype if like is not None else dtype
    xi = torch.randn(tuple(shape), generator=gen, device=gen.device, dtype=out_dtype)
    return xi.to(like.device) if like is not None else xi


def uniform(
    shape: tuple[int, ...] | torch.Size,
    generator: torch.Generator | None,
    *,
    like: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Independent U[0, 1) samples of ``shape``; on ``like``'s device and dtype if given."""
    gen = _require(generator, "drawing uniform samples")
    out_dtype = like.dtype if like is not None else dtype
    u = torch.rand(tuple(shape), generator=gen, device=gen.device, dtype=out_dtype)
    return u.to(like.device) if like is not None else u
