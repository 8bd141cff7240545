"""Per-algorithm hyper-parameter search of ``analogtrain compare``.

Each algorithm has its own small grid (:data:`SEARCH_SPACES`): the optimizer learning rate
``lr`` for all; for the transfer compounds also ``device.fast_lr`` (the learning rate of the
fast array ``A``; together with ``lr``, which scales the transfer ``λ_t = transfer_lr · lr``,
the grid spans the rate of ``A`` and the transfer rate independently); for ``mp`` the
threshold of the digital accumulator, ``device.granularity`` (1, 2 and 4 times the device's
``dw_min``). The grid is searched by successive halving
(:func:`analogtrain.training.search.successive_halving`, ``eta = 3``) on a validation split
carved from the training data (the test set is never looked at); the chosen setting is then
trained on the full training split.

A path fixed by the user (``--set PATH=VALUE`` or ``--set ALG:PATH=VALUE``; ``--lr`` fixes
``lr``) is left out of that algorithm's search.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import torch

from analogtrain.errors import ArgumentError
from analogtrain.training.datasets import ImageDataset
from analogtrain.training.search import SearchResult, successive_halving

__all__ = [
    "ETA",
    "SEARCH_SPACES",
    "VALIDATION_FRACTION",
    "candidates",
    "search_space",
    "tune",
    "validation_split",
]

#: Reduction factor of successive halving (the best third goes on).
ETA = 3

#: Share of the training data held out for validation while tuning.
VALIDATION_FRACTION = 0.2

_LR = (0.05, 0.1, 0.2, 0.4)

#: The grid of every algorithm: path -> values. ``"dw_min*k"`` means k times the device's
#: ``dw_min`` (resolved on the built config).
SEARCH_SPACES: dict[str, dict[str, tuple[Any, ...]]] = {
    "fp": {"lr": _LR},
    "sgd": {"lr": _LR},
    "mp": {"lr": (0.05, 0.1, 0.2), "device.granularity": ("dw_min*1", "dw_min*2", "dw_min*4")},
    "tt": {"lr": _LR, "device.fast_lr": (0.3, 1.0, 3.0)},
    "ttv2": {"lr": _LR, "device.fast_lr": (0.3, 1.0, 3.0)},
    "c-ttv2": {"lr": _LR, "device.fast_lr": (0.1, 0.3, 1.0)},
    "agad": {"lr": _LR, "device.fast_lr": (0.1, 0.3, 1.0)},
}


def search_space(algorithm: str, fixed: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """The grid of ``algorithm`` without the ``fixed`` paths (any other algorithm: ``lr``)."""
    space = SEARCH_SPACES.get(algorithm.lower(), {"lr": _LR})
    fixed = set(fixed)
    return {path: values for path, values in space.items() if path not in fixed}


def candidates(space: dict[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Every combination of the grid (a single empty setting for an empty grid)."""
    paths = list(space)
    return [dict(zip(paths, combo)) for combo in itertools.product(*space.values())]


def resolve_value(value: Any, config: Any) -> Any:
    """A grid value made concrete for ``config`` (``"dw_min*k"`` -> k * the device's dw_min)."""
    if isinstance(value, str) and value.startswith("dw_min*"):
        device = getattr(config.device, "device", config.device)
        dw_min = getattr(device, "dw_min", None)
        if dw_min is None:
            raise ArgumentError(
                f"cannot tune a multiple of dw_min: {type(device).__name__} has no dw_min"
            )
        return float(value.split("*", 1)[1]) * float(dw_min)
    return value


def validation_split(
    data: ImageDataset, fraction: float = VALIDATION_FRACTION, seed: int = 0
) -> ImageDataset:
    """A data set whose training part is ``1 - fraction`` of ``data``'s training data and
    whose "test" part is the rest (a random split drawn with ``seed``)."""
    n = len(data.y_train)
    n_val = int(round(n * fraction))
    if not 0 < fraction < 1 or n_val < 1 or n - n_val < 1:
        raise ArgumentError(
            f"cannot hold out {fraction:g} of {n} training images for validation "
            "(use more data or --no-tune)"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))
    val, train = order[:n_val], order[n_val:]
    return ImageDataset(
        f"{data.name} (validation split)",
        data.x_train[train],
        data.y_train[train],
        data.x_train[val],
        data.y_train[val],
        data.n_classes,
    )


def tune(
    space: dict[str, tuple[Any, ...]],
    make_run: Callable[[dict[str, Any]], Any],
    *,
    max_epochs: int,
    on_rung: Callable[..., None] | None = None,
) -> SearchResult:
    """Successive halving over the grid; ``make_run(setting)`` builds a run on the
    validation split whose history's last test entry is the validation score."""

    def score(run: Any) -> tuple[float, float]:
        last = run.history.epochs[-1]
        return last.test_accuracy, last.test_loss

    return successive_halving(
        candidates(space), make_run, score, max_epochs=max_epochs, eta=ETA, on_rung=on_rung
    )
