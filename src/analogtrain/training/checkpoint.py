"""Checkpoint files of a :class:`~analogtrain.training.loop.TrainingRun`.

A checkpoint is a ``torch.save`` file holding the run state and a ``meta`` dict (the
command-line settings and the configuration as JSON-ready data). Everything in it is plain
data (tensors, numbers, strings, lists, dicts; tile configs are saved through
:func:`~analogtrain.configs.to_dict`), so it is read with ``torch.load(weights_only=True)``:
loading a file never runs code, and a file that would need arbitrary unpickling (a pickled
Python object, e.g. a tile config of a user-defined class) is refused with a
:class:`~analogtrain.errors.CheckpointError`.

Writing goes to ``<name>.tmp`` next to the target and is renamed over it when complete; an
unwritable or full folder raises :class:`~analogtrain.errors.CheckpointError` and removes
the temporary file, so the previous checkpoint stays intact and nothing else is left behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from pathlib import Path
from typing import Any

import torch

from analogtrain.errors import CheckpointError
from analogtrain.training.loop import TrainingRun

__all__ = ["load_checkpoint", "save_checkpoint"]

_FORMAT = "analogtrain-checkpoint"


def save_checkpoint(
    path: str | os.PathLike[str], run: TrainingRun, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``run``'s state and ``meta`` to ``path`` (atomically, via a temporary file)."""
    p = Path(path)
    tmp = p.with_suffix(p.suffix + ".tmp")
    payload = {"format": _FORMAT, "version": 1, "run": run.state_dict(), "meta": meta or {}}
    created = [d for d in (p.parent, *p.parent.parents) if not d.exists()]
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, tmp)
        os.replace(tmp, p)
    except (OSError, RuntimeError, ValueError) as exc:  # full disk: RuntimeError; NUL: ValueError
        with contextlib.suppress(OSError, ValueError):  # ValueError: a NUL in the path
            tmp.unlink(missing_ok=True)
        for folder in created:  # innermost first: leave no folder this call made
            with contextlib.suppress(OSError):
                folder.rmdir()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CheckpointError(f"cannot write checkpoint {p}: {reason}") from exc
    return p


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint: ``{"run": ..., "meta": ...}``; restore with ``run.load_state_dict``.

    The file is loaded with ``torch.load(weights_only=True)``; a file that would need
    arbitrary unpickling raises :class:`~analogtrain.errors.CheckpointError` without
    running any of it.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {p}")
    try:
        with p.open("rb") as f:
            magic = f.read(2)
    except OSError as exc:
        raise CheckpointError(f"checkpoint {p} is not readable ({exc})") from exc
    # torch.save writes a zip archive ("PK"); old-style files start with a pickle protocol mark
    if magic[:2] != b"PK" and magic[:1] != b"\x80":
        raise CheckpointError(f"{p} is not a readable checkpoint (not a file torch.save wrote)")
    try:
        data = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()
        detail = next((line for line in first if "Unsupported" in line), first[0] if first else "")
        raise CheckpointError(
            f"checkpoint {p} refused: the file needs arbitrary unpickling (only tensors and "
            f"plain data are loaded; {detail.strip()})"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise CheckpointError(f"checkpoint {p} is not readable ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise CheckpointError(f"{p} is not an analogtrain checkpoint")
    for key in ("run", "meta"):
        if not isinstance(data.get(key), dict):
            raise CheckpointError(f"{p}: checkpoint entry {key!r} is missing or not a dict")
    return data
