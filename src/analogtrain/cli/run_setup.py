"""Options and setup shared by ``train`` and ``compare``: data, model, training settings."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import torch

from analogtrain.errors import ArgumentError

__all__ = [
    "DEFAULTS",
    "RunSettings",
    "add_training_options",
    "device_choice",
    "load_data",
    "make_run",
]

#: Defaults of the main job (``analogtrain compare`` without options): the digits MLP on a
#: soft-bounds device with 240 states (``dw_min = 0.005``) whose reference conductances vary
#: from device to device (``reference_std = 0.1``, i.e. symmetry points offset from zero),
#: the situation c-TTv2/AGAD were designed for (what the tuned comparison shows there is in
#: docs/cli.md: at this offset TTv2 does not degrade and c-TTv2 trails).
#: The device overrides apply only when ``--device`` is not given.
DEFAULTS: dict[str, Any] = {
    "device": "SoftBoundsReference",
    "device_sets": ("dw_min=0.005", "reference_std=0.1"),
    "dataset": None,  # digits, or MNIST-format files when --data is given
    "model": "mlp",
    "epochs": 6,
    "lr": 0.1,
    "batch_size": 16,
}


@dataclass(frozen=True)
class RunSettings:
    """The settings of one training run (besides the RPU config)."""

    dataset: str | None
    data: str | None
    model: str
    epochs: int
    lr: float
    batch_size: int
    limit: int | None = None
    max_batches: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


def add_training_options(p: argparse.ArgumentParser, *, defaults: dict[str, Any]) -> None:
    """``--dataset --data --model --epochs --lr --batch-size`` and the smoke-test options
    ``--limit``, ``--max-batches``."""
    p.add_argument(
        "--dataset",
        default=None,
        help="digits (bundled, default), mnist, fashion-mnist (need --data), synthetic",
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="local MNIST-format data: a directory of IDX files (gzipped or not) or an .npz file",
    )
    p.add_argument(
        "--model",
        default=None,
        choices=("mlp", "lenet"),
        help=f"network (default {defaults['model']})",
    )
    p.add_argument(
        "--epochs", type=int, default=None, help=f"epochs (default {defaults['epochs']})"
    )
    p.add_argument(
        "--lr", type=float, default=None, help=f"learning rate (default {defaults['lr']})"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"mini-batch size (default {defaults['batch_size']})",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="smoke test: use only the first N training and N test images",
    )
    p.add_argument(
        "--max-batches",
        type=int,
        default=None,
        metavar="N",
        help="smoke test: stop every epoch after N mini-batches",
    )


def device_choice(device: str | None, device_sets: list[str]) -> tuple[str, list[str], str]:
    """``(device name, device overrides, label)``: the default device and its overrides when
    ``device`` is None, else the user's."""
    if device is None:
        device, device_sets = DEFAULTS["device"], [*DEFAULTS["device_sets"], *device_sets]
    label = f"{device} ({', '.join(device_sets)})" if device_sets else device
    return device, list(device_sets), label


def settings_from_args(args: argparse.Namespace, base: dict[str, Any]) -> RunSettings:
    """Command-line values, falling back to ``base`` (defaults or a checkpoint's settings)."""

    def pick(name: str) -> Any:
        value = getattr(args, name, None)
        return base.get(name) if value is None else value

    settings = RunSettings(
        dataset=pick("dataset"),
        data=pick("data"),
        model=pick("model"),
        epochs=int(pick("epochs")),
        lr=float(pick("lr")),
        batch_size=int(pick("batch_size")),
        limit=pick("limit"),
        max_batches=pick("max_batches"),
    )
    if settings.epochs < 1:
        raise ArgumentError(f"--epochs must be >= 1, got {settings.epochs}")
    if settings.batch_size < 1:
        raise ArgumentError(f"--batch-size must be >= 1, got {settings.batch_size}")
    if not settings.lr > 0:
        raise ArgumentError(f"--lr must be > 0, got {settings.lr}")
    return settings


def load_data(settings: RunSettings) -> Any:
    """The data set of ``settings`` (subset with the hidden ``--limit``)."""
    from analogtrain.training import load_dataset

    data = load_dataset(settings.dataset, settings.data)
    if settings.limit is not None:
        data = data.subset(settings.limit, settings.limit)
    return data


def make_run(
    rpu_config: Any, data: Any, settings: RunSettings, seed: int, *, data_parallel: bool = False
) -> Any:
    """A fresh :class:`~analogtrain.training.TrainingRun`; torch's global RNG is seeded with
    ``seed`` first, so layer initialisation (and construction seed 0) is reproducible (and
    identical on every rank: ``data_parallel`` replicates the model over the process group)."""
    from analogtrain.training import TrainingRun, build_model

    torch.manual_seed(seed)
    model = build_model(settings.model, data.image_shape, data.n_classes, rpu_config)
    return TrainingRun(
        model,
        data,
        lr=settings.lr,
        batch_size=settings.batch_size,
        seed=seed,
        max_batches=settings.max_batches,
        data_parallel=data_parallel,
    )
