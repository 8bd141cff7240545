"""``BasicTraining``: a plain train/validate loop over epochs (aihwkit's experiment).

The loop is aihwkit's: per epoch, one pass over the training loader (``zero_grad``,
forward, loss, ``backward``, ``AnalogSGD.step``) then one pass over the validation loader
(accuracy = arg-max of the output against the label), each batch reported through the
experiment's signals. The per-epoch results are the dicts the hooks of ``EPOCH_END``
return (with :class:`~analogtrain.experiments.LocalRunner`: epoch, time, accuracy, train and
validation loss), each with ``"epoch"``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset

from analogtrain.errors import ArgumentError
from analogtrain.experiments.base import Experiment, Signals
from analogtrain.experiments.datasets import split_datasets

__all__ = ["BasicTraining"]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"BasicTraining: {name} must be a positive int, got {value!r}")
    return value


class BasicTraining(Experiment):
    """Train ``model`` on ``dataset`` for ``epochs`` epochs with analog SGD.

    Args:
        dataset: the data (see :mod:`analogtrain.experiments.datasets` for the forms).
        model: the network (analog, digital or mixed).
        batch_size: samples per batch of both loaders.
        loss_function: the loss *class* (instantiated without arguments when run).
        epochs: number of epochs.
        learning_rate: learning rate of :class:`~analogtrain.optim.AnalogSGD`.
    """

    def __init__(
        self,
        dataset: Any,
        model: nn.Module,
        batch_size: int = 64,
        loss_function: type = nn.NLLLoss,
        epochs: int = 30,
        learning_rate: float = 0.05,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise ArgumentError(f"BasicTraining: model must be an nn.Module, got {type(model)}")
        if not callable(loss_function):
            raise ArgumentError(
                f"BasicTraining: loss_function must be a class, got {loss_function!r}"
            )
        if (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, (int, float))
            or not learning_rate > 0
        ):
            raise ArgumentError(f"BasicTraining: learning_rate must be > 0, got {learning_rate!r}")
        self.dataset = dataset
        self.model = model
        self.batch_size = _positive_int("batch_size", batch_size)
        self.loss_function = loss_function
        self.epochs = _positive_int("epochs", epochs)
        self.learning_rate = float(learning_rate)
        super().__init__()

    def get_dataset_arguments(self, dataset: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Constructor arguments of a dataset class for its training and test parts."""
        if getattr(dataset, "__name__", "") == "SVHN":
            return {"split": "train"}, {"split": "test"}
        return {"train": True}, {"train": False}

    def get_dataset_transform(self, dataset: Any) -> Any:
        """torchvision's ``ToTensor`` for dataset classes when torchvision is installed
        (with aihwkit's normalisation for classes named ``FashionMNIST`` and ``SVHN``)."""
        try:
            from torchvision.transforms import Compose, Normalize, ToTensor
        except ImportError:
            return None
        name = getattr(dataset, "__name__", "")
        if name == "FashionMNIST":
            return Compose([ToTensor(), Normalize((0.2860,), (0.3205,))])
        if name == "SVHN":
            return Compose(
                [ToTensor(), Normalize((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970))]
            )
        return Compose([ToTensor()])

    def get_data_loaders(
        self,
        dataset: Any,
        batch_size: int,
        max_elements_train: int = 0,
        dataset_root: str = "/tmp/datasets",
    ) -> tuple[DataLoader, DataLoader]:
        """Shuffled training and validation loaders; ``max_elements_train > 0`` keeps only
        the first that many samples of each."""
        if (
            isinstance(max_elements_train, bool)
            or not isinstance(max_elements_train, int)
            or max_elements_train < 0
        ):
            raise ArgumentError(
                f"BasicTraining: max_elements_train must be an int >= 0, got {max_elements_train!r}"
            )
        train_args, test_args = self.get_dataset_arguments(dataset)
        transform = self.get_dataset_transform(dataset) if isinstance(dataset, type) else None
        training, validation = split_datasets(
            dataset, train_args, test_args, dataset_root, transform
        )
        if max_elements_train:
            training = Subset(training, range(min(max_elements_train, len(training))))
            validation = Subset(validation, range(min(max_elements_train, len(validation))))
        return (
            DataLoader(training, batch_size=batch_size, shuffle=True),
            DataLoader(validation, batch_size=batch_size, shuffle=True),
        )

    def get_optimizer(self, learning_rate: float, model: nn.Module) -> torch.optim.Optimizer:
        """``AnalogSGD`` over the model's parameters."""
        from analogtrain.optim import AnalogSGD

        optimizer = AnalogSGD(model.parameters(), lr=learning_rate)
        optimizer.regroup_param_groups(model)
        return optimizer

    def training_step(
        self,
        training_loader: DataLoader,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_function: nn.Module,
        device: torch.device | None,
    ) -> None:
        """One pass over the training data."""
        model.train()
        for inputs, labels in training_loader:
            if device:
                inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_function(model(inputs), labels)
            loss.backward()
            optimizer.step()
            count = int(labels.size(0))
            self._call_hook(Signals.TRAIN_EPOCH_BATCH_END, count, loss.item() * count)

    def validation_step(
        self,
        validation_loader: DataLoader,
        model: nn.Module,
        loss_function: nn.Module,
        device: torch.device | None,
    ) -> None:
        """One pass over the validation data (no gradients)."""
        model.eval()
        with torch.no_grad():
            for inputs, labels in validation_loader:
                if device:
                    inputs, labels = inputs.to(device), labels.to(device)
                prediction = model(inputs)
                loss = loss_function(prediction, labels)
                correct = int((prediction.argmax(dim=1) == labels).sum().item())
                count = int(labels.size(0))
                self._call_hook(
                    Signals.VALIDATION_EPOCH_BATCH_END, count, correct, loss.item() * count
                )

    def train(
        self,
        training_loader: DataLoader,
        validation_loader: DataLoader,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_function: nn.Module,
        epochs: int,
        device: torch.device | None,
    ) -> list[dict[str, Any]]:
        """The epoch loop; returns one dict per epoch."""
        results = []
        for epoch in range(epochs):
            self._call_hook(Signals.EPOCH_START, epoch)
            self._call_hook(Signals.TRAIN_EPOCH_START, epoch)
            self.training_step(training_loader, model, optimizer, loss_function, device)
            self._call_hook(Signals.TRAIN_EPOCH_END)
            self._call_hook(Signals.VALIDATION_EPOCH_START, epoch)
            self.validation_step(validation_loader, model, loss_function, device)
            self._call_hook(Signals.VALIDATION_EPOCH_END)
            row: dict[str, Any] = {"epoch": epoch}
            row.update(self._call_hook(Signals.EPOCH_END))
            results.append(row)
        return results

    def run(
        self,
        max_elements: int = 0,
        dataset_root: str = "/tmp/data",
        device: torch.device | str | None = None,
    ) -> list[dict[str, Any]]:
        """Build the loaders and the optimizer, train, keep the trained model; the results."""
        training_loader, validation_loader = self.get_data_loaders(
            self.dataset,
            self.batch_size,
            max_elements_train=max_elements,
            dataset_root=dataset_root,
        )
        model = self.model.to(device) if device else self.model
        optimizer = self.get_optimizer(self.learning_rate, model)
        dev = torch.device(device) if device else None
        results = self.train(
            training_loader,
            validation_loader,
            model,
            optimizer,
            self.loss_function(),
            self.epochs,
            dev,
        )
        self.model = model
        self.results = results
        return results

    def __str__(self) -> str:
        data = getattr(self.dataset, "__name__", type(self.dataset).__name__)
        loss = getattr(self.loss_function, "__name__", self.loss_function)
        return (
            f"{type(self).__name__}(dataset={data}, batch_size={self.batch_size}, "
            f"loss_function={loss}, epochs={self.epochs}, "
            f"learning_rate={self.learning_rate}, model={self.model})"
        )
