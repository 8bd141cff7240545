"""The data forms :class:`~analogtrain.experiments.BasicTraining` accepts (nothing is
downloaded):

* a dataset *class* constructed as aihwkit does, ``dataset(dataset_root, train=True)`` and
  ``train=False`` (``split="train"``/``"test"`` for a class named ``SVHN``), with
  torchvision's ``ToTensor`` as ``transform`` when torchvision is installed;
* a pair ``(training, validation)``, each a ``torch.utils.data.Dataset`` or a pair of tensors
  ``(inputs, labels)``;
* four tensors ``(x_train, y_train, x_validation, y_validation)``;
* an object with ``x_train``, ``y_train``, ``x_test``, ``y_test`` tensors (e.g.
  :class:`analogtrain.training.datasets.ImageDataset`).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor
from torch.utils.data import Dataset, TensorDataset

from analogtrain.errors import ArgumentError

__all__ = ["as_dataset", "split_datasets"]


def as_dataset(data: Any, what: str) -> Dataset:
    """``data`` as a ``Dataset``: a Dataset itself, or ``(inputs, labels)`` tensors."""
    if isinstance(data, Dataset):
        return data
    if (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and all(isinstance(t, Tensor) for t in data)
    ):
        inputs, labels = data
        if inputs.shape[0] != labels.shape[0]:
            raise ArgumentError(
                f"{what}: inputs and labels differ in length ({inputs.shape[0]} vs "
                f"{labels.shape[0]})"
            )
        return TensorDataset(inputs, labels)
    raise ArgumentError(
        f"{what} must be a torch Dataset or a pair of tensors (inputs, labels), got "
        f"{type(data).__name__}"
    )


def split_datasets(
    dataset: Any, train_args: dict[str, Any], test_args: dict[str, Any], root: str, transform: Any
) -> tuple[Dataset, Dataset]:
    """The training and validation datasets of ``dataset`` (see the module docstring)."""
    if isinstance(dataset, type):
        extra = {} if transform is None else {"transform": transform}
        return dataset(root, **extra, **train_args), dataset(root, **extra, **test_args)
    if all(hasattr(dataset, k) for k in ("x_train", "y_train", "x_test", "y_test")):
        return (
            as_dataset((dataset.x_train, dataset.y_train), "training data"),
            as_dataset((dataset.x_test, dataset.y_test), "validation data"),
        )
    if isinstance(dataset, (tuple, list)):
        if len(dataset) == 4 and all(isinstance(t, Tensor) for t in dataset):
            return (
                as_dataset(tuple(dataset[:2]), "training data"),
                as_dataset(tuple(dataset[2:]), "validation data"),
            )
        if len(dataset) == 2 and not all(isinstance(t, Tensor) for t in dataset):
            return as_dataset(dataset[0], "training data"), as_dataset(
                dataset[1], "validation data"
            )
    raise ArgumentError(
        "dataset must be a dataset class, a pair (training, validation) of Datasets or of "
        "(inputs, labels) tensors, four tensors (x_train, y_train, x_val, y_val), or an "
        f"object with x_train/y_train/x_test/y_test; got {type(dataset).__name__}"
    )
