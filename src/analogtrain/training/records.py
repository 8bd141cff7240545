"""What a run folder records about how it was made, and the guard against overwriting one.

:func:`environment` (package versions, the kernel backend, the machine), :func:`command_line`
(the exact command), :func:`kernel_backend` (which pulsed-update implementation the layers of
a model get) and :func:`claim_output_folder` (refuse to write into a folder that already
holds a run unless told to overwrite; check that it is writable before any training).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

from torch import nn

from analogtrain.errors import ArgumentError

__all__ = ["claim_output_folder", "command_line", "environment", "kernel_backend"]


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Versions (analogtrain, torch, numba, numpy, python), platform and CPU count."""
    import torch

    from analogtrain import __version__
    from analogtrain.kernels import get_backend

    return {
        "analogtrain": __version__,
        "torch": str(torch.__version__),  # a plain str: checkpoints load with weights_only
        "numba": _version("numba"),
        "numpy": _version("numpy"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "kernel_backend_selected": get_backend(),
    }


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed (``sys.argv`` by default), shell-quoted."""
    argv = list(sys.argv if argv is None else argv)
    if argv and argv[0].endswith(("__main__.py", "analogtrain")):
        argv[0] = "analogtrain"
    return shlex.join(argv)


def kernel_backend(model: nn.Module) -> dict[str, int]:
    """How many device arrays of ``model`` get each pulsed-update path as things stand:
    ``"numba"`` / ``"triton"`` (the backend is ``"auto"`` and a fast update is registered for
    the array's class on its tensors' device) or ``"reference"`` (plain torch)."""
    from analogtrain.devices.base import DeviceArray
    from analogtrain.kernels.update.backend import fast_update_for

    counts: dict[str, int] = {}
    for module in model.modules():
        if not isinstance(module, DeviceArray):
            continue
        tensors = [*module.parameters(), *module.buffers()]
        device = tensors[0].device.type if tensors else "cpu"
        fast = fast_update_for(module, device)
        name = "reference" if fast is None else ("triton" if device == "cuda" else "numba")
        counts[name] = counts.get(name, 0) + 1
    return counts


def claim_output_folder(out: Path, markers: tuple[str, ...], *, overwrite: bool) -> None:
    """Make sure ``out`` can take a new run: it must not hold one of ``markers`` (unless
    ``overwrite``), and a file must be writable in it. Raises ArgumentError otherwise."""
    if out.exists() and not out.is_dir():
        raise ArgumentError(f"output folder {out} exists and is not a folder")
    present = [m for m in markers if (out / m).exists()]
    if present and not overwrite:
        raise ArgumentError(
            f"{out} already holds a run ({', '.join(present)}); pass --overwrite to replace "
            "it or choose another --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".analogtrain-write-test"
        probe.write_bytes(b"0" * 4096)
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ArgumentError(f"cannot write to output folder {out}: {reason}") from None
