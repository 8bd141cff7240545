"""A small, resumable training loop for classifiers made of analog layers.

One :class:`TrainingRun` owns the model, its :class:`~analogtrain.optim.AnalogSGD`
optimizer, the generator that shuffles the training data and the per-epoch
:class:`History`. Its :meth:`~TrainingRun.state_dict` holds all of them (the analog tiles
save their hidden arrays and random-generator states themselves), so a run stopped after
epoch ``k`` and resumed from its checkpoint continues exactly as an uninterrupted run.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from analogtrain.errors import ArgumentError
from analogtrain.nn.atomic import check_state_values, label_analog_modules
from analogtrain.training.datasets import ImageDataset
from analogtrain.training.progress import ProgressBar

__all__ = ["EpochMetrics", "History", "TrainingRun", "evaluate"]


@dataclass(frozen=True)
class EpochMetrics:
    """Metrics after one epoch (accuracies in percent)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


@dataclass
class History:
    """The per-epoch metrics of a run."""

    epochs: list[EpochMetrics] = field(default_factory=list)

    @property
    def test_accuracies(self) -> list[float]:
        """Test accuracy (%) after every epoch."""
        return [m.test_accuracy for m in self.epochs]

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last epoch (NaN before the first)."""
        return self.epochs[-1].test_accuracy if self.epochs else math.nan

    @property
    def best_test_accuracy(self) -> float:
        """Best test accuracy over the epochs (NaN before the first)."""
        return max(self.test_accuracies) if self.epochs else math.nan

    @property
    def seconds(self) -> float:
        """Total training and evaluation time of the epochs."""
        return sum(m.seconds for m in self.epochs)

    def to_list(self) -> list[dict[str, float]]:
        """The metrics as a list of plain dicts (JSON-ready)."""
        return [asdict(m) for m in self.epochs]

    @classmethod
    def from_list(cls, rows: list[dict[str, Any]]) -> History:
        """Inverse of :meth:`to_list`."""
        return cls([EpochMetrics(**row) for row in rows])


def evaluate(
    model: nn.Module, x: Tensor, y: Tensor, *, batch_size: int = 256
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (%) of ``model`` on ``(x, y)``."""
    if len(x) == 0:
        raise ArgumentError("cannot evaluate on an empty data set")
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            logits = model(xb)  # [b, n_classes]
            loss_sum += float(F.cross_entropy(logits, yb, reduction="sum"))
            correct += int((logits.argmax(dim=1) == yb).sum())
    model.train(was_training)
    return loss_sum / len(x), 100.0 * correct / len(x)


class TrainingRun:
    """Mini-batch training of ``model`` on ``data`` with analog SGD.

    Args:
        model: a classifier (logits out) containing analog layers.
        data: train and test sets.
        lr: learning rate of :class:`~analogtrain.optim.AnalogSGD` (digital and analog).
        batch_size: samples per update.
        seed: seed of the training-data order.
        max_batches: stop each epoch after this many mini-batches (quick tests).
        data_parallel: replicate the model over the default process group
            (:class:`~analogtrain.distributed.AnalogDataParallel`; ``torchrun``). Every rank
            draws the same data order; each global batch of ``batch_size · world_size``
            samples is cut into contiguous per-rank parts in rank order (a final global batch
            with fewer samples than ranks is dropped), so the replicas train like one process
            with the global batch. Metrics are summed over the ranks; the test set is
            evaluated in shards.
    """

    def __init__(
        self,
        model: nn.Module,
        data: ImageDataset,
        *,
        lr: float,
        batch_size: int,
        seed: int = 0,
        max_batches: int | None = None,
        data_parallel: bool = False,
    ) -> None:
        from analogtrain.optim import AnalogSGD

        if not lr > 0:
            raise ArgumentError(f"lr must be > 0, got {lr!r}")
        if batch_size < 1:
            raise ArgumentError(f"batch_size must be >= 1, got {batch_size!r}")
        if max_batches is not None and max_batches < 1:
            raise ArgumentError(f"max_batches must be >= 1, got {max_batches!r}")
        self.model = label_analog_modules(model)  # errors then name the layer's path
        self.data = data
        self.batch_size = int(batch_size)
        self.max_batches = max_batches
        self.replicated: nn.Module | None = None
        if data_parallel:
            from analogtrain.distributed import AnalogDataParallel

            self.replicated = AnalogDataParallel(model)
        self.optimizer = AnalogSGD(model.parameters(), lr=lr)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.history = History()

    @property
    def world_size(self) -> int:
        """Number of replicas (1 without ``data_parallel``)."""
        return 1 if self.replicated is None else int(self.replicated.world_size)

    @property
    def n_batches(self) -> int:
        """Mini-batches (global batches under ``data_parallel``) per epoch."""
        n_train, world = len(self.data.y_train), self.world_size
        n = math.ceil(n_train / (self.batch_size * world))
        if world > 1 and 0 < n_train % (self.batch_size * world) < world:
            n -= 1  # the last global batch has fewer samples than ranks: dropped
        return min(n, self.max_batches) if self.max_batches is not None else n

    def train_epoch(self, progress: ProgressBar | None = None) -> EpochMetrics:
        """One pass over the (shuffled) training data, then evaluation on the test set."""
        start = time.perf_counter()
        self.model.train()
        net, world = self.replicated or self.model, self.world_size
        step = self.batch_size * world
        order = torch.randperm(len(self.data.y_train), generator=self.generator)
        loss_sum, correct, seen = 0.0, 0, 0
        for b in range(self.n_batches):
            idx = order[b * step : (b + 1) * step]
            share = 1.0
            if world > 1:  # this rank's contiguous part; uneven parts weighted by size
                part = idx[_shard(len(idx), world)]
                share, idx = len(part) * world / len(idx), part
            xb, yb = self.data.x_train[idx], self.data.y_train[idx]
            self.optimizer.zero_grad()
            logits = net(xb)
            loss = F.cross_entropy(logits, yb)
            (loss * share if share != 1.0 else loss).backward()
            self.optimizer.step()
            loss_sum += float(loss.detach()) * len(yb)
            correct += int((logits.detach().argmax(dim=1) == yb).sum())
            seen += len(yb)
            if progress is not None:
                progress.update(1, f"loss={loss_sum / seen:.3f}")
        if world > 1:
            test_loss, test_acc = _evaluate_shards(self.model, self.data, world)
            loss_sum, correct, seen = _sum_over_ranks(loss_sum, correct, seen)
        else:
            test_loss, test_acc = evaluate(self.model, self.data.x_test, self.data.y_test)
        metrics = EpochMetrics(
            epoch=len(self.history.epochs) + 1,
            train_loss=loss_sum / seen,
            train_accuracy=100.0 * correct / seen,
            test_loss=test_loss,
            test_accuracy=test_acc,
            seconds=time.perf_counter() - start,
        )
        self.history.epochs.append(metrics)
        return metrics

    def fit(
        self,
        epochs: int,
        *,
        desc: str = "",
        stream: TextIO | None = sys.stderr,
        on_epoch: Any = None,
    ) -> History:
        """Train until ``epochs`` epochs are done in total (a resumed run continues).

        ``on_epoch(run, metrics)`` is called after every epoch (e.g. to save a checkpoint).
        A progress bar per epoch goes to ``stream`` (None: silent).
        """
        while len(self.history.epochs) < epochs:
            epoch = len(self.history.epochs) + 1
            label = f"{desc} epoch {epoch}/{epochs}".strip()
            with ProgressBar(self.n_batches, label, stream=stream) as bar:
                metrics = self.train_epoch(bar)
                bar.set_postfix(
                    f"loss={metrics.train_loss:.3f} test_acc={metrics.test_accuracy:.1f}%"
                )
            if on_epoch is not None:
                on_epoch(self, metrics)
        return self.history

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: model, optimizer, data-order generator, history."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "history": self.history.to_list(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state written by :meth:`state_dict` (same model architecture).

        All or nothing: every part is tried on a copy first (model, optimizer, data-order
        generator, history), so a rejected state leaves the run unchanged.
        """
        if not isinstance(state, dict):
            raise ArgumentError(f"run state must be a dict, got {type(state).__name__}")
        missing = {"model", "optimizer", "generator", "history"} - set(state)
        if missing:
            raise ArgumentError(f"checkpoint lacks {sorted(missing)}")
        check_state_values(state["model"], "checkpoint model state")
        # one deepcopy: the copied optimizer points at the copied model's parameters
        trial_model, trial_opt = copy.deepcopy((self.model, self.optimizer))
        try:
            nn.Module.load_state_dict(trial_model, state["model"])
            trial_opt.load_state_dict(state["optimizer"])
            torch.Generator().set_state(state["generator"])
            history = History.from_list(state["history"])
        except (ArgumentError, RuntimeError, KeyError, TypeError, ValueError) as exc:
            raise ArgumentError(f"checkpoint state rejected (nothing was loaded): {exc}") from exc
        finally:
            del trial_model, trial_opt
        nn.Module.load_state_dict(self.model, state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.history = history


def _shard(n: int, world: int) -> slice:
    from analogtrain.distributed import shard_rows

    return shard_rows(n, torch.distributed.get_rank(), world)


def _sum_over_ranks(loss_sum: float, correct: int, seen: int) -> tuple[float, int, int]:
    from analogtrain.distributed import all_reduce_sums

    total = all_reduce_sums([loss_sum, float(correct), float(seen)])
    return total[0], int(total[1]), int(total[2])


def _evaluate_shards(model: nn.Module, data: ImageDataset, world: int) -> tuple[float, float]:
    """Test loss and accuracy of the replicas, each evaluating its shard of the test set."""
    rows = _shard(len(data.y_test), world)
    x, y = data.x_test[rows], data.y_test[rows]
    loss, acc = evaluate(model, x, y) if len(y) else (0.0, 0.0)
    loss_sum, correct, n = _sum_over_ranks(loss * len(y), round(acc * len(y) / 100.0), len(y))
    return loss_sum / n, 100.0 * correct / n
