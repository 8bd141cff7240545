"""Per-epoch metrics collected from an experiment's signals (aihwkit's ``LocalMetric``)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

__all__ = ["LocalMetric"]


class LocalMetric:
    """Sums losses and counts over an epoch; ``receive_epoch_end`` returns the epoch's
    ``epoch``, ``time_epoch`` (s), ``accuracy`` (fraction), ``train_loss`` and
    ``valid_loss`` (means per sample). ``stdout=True`` prints a line per phase."""

    def __init__(self, stdout: bool = True) -> None:
        self.epochs: list[dict[str, Any]] = []
        self.current_epoch: dict[str, Any] = {}
        self.stdout = stdout
        self._started = 0.0

    def receive_epoch_start(self, epoch: int) -> None:
        """Hook for ``EPOCH_START``."""
        self._started = time.perf_counter()
        self.current_epoch = {
            "number": epoch,
            "start_time": datetime.now(timezone.utc),
            "total_loss": 0.0,
            "training_images": 0,
            "validation_images": 0,
            "validation_correct": 0,
            "validation_loss": 0.0,
        }

    def receive_train_epoch_batch_end(self, total: int, train_loss: float) -> None:
        """Hook for ``TRAIN_EPOCH_BATCH_END``: samples in the batch and their summed loss."""
        self.current_epoch["training_images"] += total
        self.current_epoch["total_loss"] += train_loss

    def receive_validation_epoch_batch_end(
        self, total: int, correct: int, validation_loss: float
    ) -> None:
        """Hook for ``VALIDATION_EPOCH_BATCH_END``."""
        self.current_epoch["validation_images"] += total
        self.current_epoch["validation_correct"] += int(correct)
        self.current_epoch["validation_loss"] += validation_loss

    @staticmethod
    def _ratio(num: float, den: float) -> float:
        return num / den if den else float("nan")

    def receive_train_epoch_end(self) -> None:
        """Hook for ``TRAIN_EPOCH_END``."""
        if self.stdout:
            c = self.current_epoch
            loss = self._ratio(c["total_loss"], c["training_images"])
            print(f"Epoch: {c['number']}, loss: {loss:.8f}")

    def receive_validation_epoch_end(self) -> None:
        """Hook for ``VALIDATION_EPOCH_END``."""
        if self.stdout:
            c = self.current_epoch
            acc = self._ratio(c["validation_correct"], c["validation_images"])
            loss = self._ratio(c["validation_loss"], c["validation_images"])
            print(
                f"Number of images: {c['validation_images']}, accuracy: {acc:.6%}, "
                f"validation loss: {loss:.8f}"
            )

    def receive_epoch_end(self) -> dict[str, Any]:
        """Hook for ``EPOCH_END``: the epoch's metrics."""
        c = self.current_epoch
        elapsed = time.perf_counter() - self._started
        if self.stdout:
            print(f"Time for epoch {c['number']}: {elapsed:.4}s")
        self.epochs.append(c)
        return {
            "epoch": c["number"],
            "time_epoch": elapsed,
            "accuracy": self._ratio(c["validation_correct"], c["validation_images"]),
            "train_loss": self._ratio(c["total_loss"], c["training_images"]),
            "valid_loss": self._ratio(c["validation_loss"], c["validation_images"]),
        }
