"""Checkpoint files of a :class:`~analogtrain.training.loop.TrainingRun`.

A checkpoint is a ``torch.save`` file holding the run state and a ``meta`` dict (the
command-line settings and the configuration as JSON-ready data). Analog tile states contain
Python objects, so the file is loaded with ``weights_only=False``: load only checkpoints you
trust, as with any pickle.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from analogtrain.errors import ArgumentError
from analogtrain.training.loop import TrainingRun

__all__ = ["load_checkpoint", "save_checkpoint"]

_FORMAT = "analogtrain-checkpoint"


def save_checkpoint(
    path: str | os.PathLike[str], run: TrainingRun, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``run``'s state and ``meta`` to ``path`` (atomically, via a temporary file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    torch.save({"format": _FORMAT, "version": 1, "run": run.state_dict(), "meta": meta or {}}, tmp)
    os.replace(tmp, p)
    return p


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint: ``{"run": ..., "meta": ...}``; restore with ``run.load_state_dict``."""
    p = Path(path)
    if not p.is_file():
        raise ArgumentError(f"checkpoint not found: {p}")
    try:
        data = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise ArgumentError(f"{p}: not a readable checkpoint ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ArgumentError(f"{p}: not an analogtrain checkpoint")
    return data
