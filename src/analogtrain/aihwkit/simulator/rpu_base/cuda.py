"""``cuda.is_compiled()`` of aihwkit's compiled module: whether torch has a CUDA device."""

from __future__ import annotations

import torch

__all__ = ["is_compiled"]


def is_compiled() -> bool:
    """True when torch can use a CUDA device (analogtrain's tiles then run there)."""
    return torch.cuda.is_available()
