"""Port check in the style of aihwkit example 14: BasicTraining extended with a StepLR
learning-rate scheduler (overriding ``train`` and ``training_step``).

Imports: only the ``analogtrain.aihwkit`` mirror, as in ``utils_13_experiment_3fc.py``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.optim.lr_scheduler import StepLR
from utils_13_experiment_3fc import create_model, random_fashion_mnist  # this folder

from analogtrain.aihwkit.experiments import BasicTraining
from analogtrain.aihwkit.experiments.runners import LocalRunner
from analogtrain.aihwkit.simulator.rpu_base import cuda

DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")
EPOCHS = 30
BATCH_SIZE = 64
STEP_SIZE = 10


class BasicTrainingWithScheduler(BasicTraining):
    """BasicTraining whose learning rate halves every ``step_size`` epochs."""

    scheduler: StepLR | None = None
    step_size = STEP_SIZE
    learning_rates: list[float]

    def train(  # type: ignore[override]
        self, training_loader, validation_loader, model, optimizer, loss_function, epochs, device
    ):
        self.scheduler = StepLR(optimizer, step_size=self.step_size, gamma=0.5)
        self.learning_rates = []
        return super().train(
            training_loader, validation_loader, model, optimizer, loss_function, epochs, device
        )

    def training_step(self, training_loader, model, optimizer, loss_function, device):  # type: ignore[override]
        super().training_step(training_loader, model, optimizer, loss_function, device)
        self.learning_rates.append(optimizer.param_groups[0]["lr"])
        assert self.scheduler is not None
        self.scheduler.step()


def main(
    epochs: int = EPOCHS,
    n_train: int = 6000,
    n_test: int = 1000,
    hidden_sizes: list[int] | None = None,
    step_size: int = STEP_SIZE,
) -> tuple[list[dict[str, Any]], list[float]]:
    """Run the experiment; returns the results and the learning rate of every epoch."""
    torch.manual_seed(1)
    experiment = BasicTrainingWithScheduler(
        dataset=random_fashion_mnist(n_train, n_test),
        model=create_model(hidden_sizes or [256, 128]),
        epochs=epochs,
        batch_size=BATCH_SIZE,
    )
    experiment.step_size = step_size
    results = LocalRunner(device=DEVICE).run(experiment, stdout=True)
    print(results)
    return results, experiment.learning_rates


if __name__ == "__main__":
    main()
