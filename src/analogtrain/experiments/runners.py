"""Runners execute experiments (aihwkit's ``Runner`` and ``LocalRunner``)."""

from __future__ import annotations

from typing import Any

import torch

from analogtrain.errors import ArgumentError
from analogtrain.experiments.base import Experiment, Signals
from analogtrain.experiments.metrics import LocalMetric
from analogtrain.experiments.training import BasicTraining

__all__ = ["LocalRunner", "Runner"]


class Runner:
    """Base of the runners."""

    def run(self, experiment: Experiment, **kwargs: Any) -> Any:
        """Run ``experiment``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement run()")


class LocalRunner(Runner):
    """Runs an experiment in this process, on ``device`` (default: where the model is).

    Unlike aihwkit's, it never downloads a dataset: the experiment's ``dataset`` must be
    at hand (see :mod:`analogtrain.experiments.datasets`).
    """

    def __init__(self, device: torch.device | str | None = None) -> None:
        self.device = device

    def run(  # type: ignore[override]
        self,
        experiment: BasicTraining,
        max_elements_train: int = 0,
        dataset_root: str = "/tmp/datasets",
        stdout: bool = False,
    ) -> list[dict[str, Any]]:
        """Run ``experiment`` with a :class:`LocalMetric` attached (replacing its hooks);
        returns one dict per epoch: ``epoch``, ``time_epoch``, ``accuracy``,
        ``train_loss``, ``valid_loss``."""
        if not isinstance(experiment, BasicTraining):
            raise ArgumentError(
                f"LocalRunner.run needs a BasicTraining, got {type(experiment).__name__}"
            )
        metric = LocalMetric(stdout=stdout)
        experiment.clear_hooks()
        experiment.add_hook(Signals.EPOCH_START, metric.receive_epoch_start)
        experiment.add_hook(Signals.EPOCH_END, metric.receive_epoch_end)
        experiment.add_hook(Signals.TRAIN_EPOCH_END, metric.receive_train_epoch_end)
        experiment.add_hook(Signals.TRAIN_EPOCH_BATCH_END, metric.receive_train_epoch_batch_end)
        experiment.add_hook(
            Signals.VALIDATION_EPOCH_BATCH_END, metric.receive_validation_epoch_batch_end
        )
        experiment.add_hook(Signals.VALIDATION_EPOCH_END, metric.receive_validation_epoch_end)
        return experiment.run(max_elements_train, dataset_root, self.device)
