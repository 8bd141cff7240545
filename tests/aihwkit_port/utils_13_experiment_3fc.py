"""Port check in the style of aihwkit example 13: a BasicTraining experiment of three
fully connected analog layers, run by a LocalRunner, on random FashionMNIST-shaped data.

Imports: only the ``analogtrain.aihwkit`` mirror, as a ported script has them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import Flatten, LogSoftmax, Sigmoid

from analogtrain.aihwkit.experiments import BasicTraining
from analogtrain.aihwkit.experiments.runners import LocalRunner
from analogtrain.aihwkit.nn import AnalogLinear, AnalogSequential
from analogtrain.aihwkit.simulator.configs import ConstantStepDevice, SingleRPUConfig
from analogtrain.aihwkit.simulator.rpu_base import cuda

DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")
INPUT_SIZE = 784
HIDDEN_SIZES = [256, 128]
OUTPUT_SIZE = 10
EPOCHS = 30
BATCH_SIZE = 64
LEARNING_RATE = 0.05


def random_fashion_mnist(n_train: int, n_test: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Images ``[n, 1, 28, 28]`` in [0, 1] of 10 classes: a noisy prototype per class."""
    gen = torch.Generator().manual_seed(seed)
    prototypes = torch.rand(OUTPUT_SIZE, 1, 28, 28, generator=gen)

    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.randint(0, OUTPUT_SIZE, (n,), generator=gen)
        noise = 0.3 * torch.randn(n, 1, 28, 28, generator=gen)
        return (prototypes[labels] + noise).clamp(0, 1), labels

    return (*draw(n_train), *draw(n_test))


def create_model(hidden_sizes: list[int]) -> AnalogSequential:
    """Flatten, three analog linear layers with sigmoids, log-softmax."""
    sizes = [INPUT_SIZE, *hidden_sizes, OUTPUT_SIZE]
    layers: list[Any] = [Flatten()]
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(
            AnalogLinear(n_in, n_out, True, rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
        )
        layers.append(Sigmoid() if k < len(sizes) - 2 else LogSoftmax(dim=1))
    return AnalogSequential(*layers)


def main(
    epochs: int = EPOCHS,
    n_train: int = 6000,
    n_test: int = 1000,
    hidden_sizes: list[int] | None = None,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
) -> list[dict[str, Any]]:
    """Create and run the experiment; print and return the per-epoch results."""
    torch.manual_seed(1)
    model = create_model(hidden_sizes or HIDDEN_SIZES)
    experiment = BasicTraining(
        dataset=random_fashion_mnist(n_train, n_test),
        model=model,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
    )
    results = LocalRunner(device=DEVICE).run(experiment, stdout=True)
    print(results)
    return results


if __name__ == "__main__":
    main()
