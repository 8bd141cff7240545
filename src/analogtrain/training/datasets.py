"""Data sets for the training loop, as tensors ``[n, channels, height, width]`` in ``[0, 1]``.

* ``"digits"``: scikit-learn's bundled 8x8 digits (offline; :mod:`analogtrain.data.digits`);
* ``"mnist"``, ``"fashion-mnist"``: from local files given by ``path``
  (:mod:`analogtrain.data.mnist`; nothing is downloaded);
* ``"synthetic"``: a small, learnable, generated 10-class image set (noisy class prototypes)
  for smoke tests and examples without data files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import Tensor

from analogtrain.errors import ArgumentError

__all__ = ["DATASETS", "ImageDataset", "load_dataset", "synthetic_dataset"]

DATASETS: tuple[str, ...] = ("digits", "mnist", "fashion-mnist", "synthetic")


@dataclass(frozen=True)
class ImageDataset:
    """Train and test images ``[n, c, h, w]`` (float32 in [0, 1]) and labels ``[n]`` (int64)."""

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    n_classes: int

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)``."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def subset(self, n_train: int | None = None, n_test: int | None = None) -> ImageDataset:
        """The first ``n_train`` / ``n_test`` samples (None keeps all)."""
        for name, n in (("n_train", n_train), ("n_test", n_test)):
            if n is not None and n < 1:
                raise ArgumentError(f"{name} must be >= 1, got {n}")
        return ImageDataset(
            self.name,
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_test[:n_test],
            self.y_test[:n_test],
            self.n_classes,
        )


def synthetic_dataset(
    n_train: int = 512,
    n_test: int = 256,
    *,
    image_size: int = 28,
    n_classes: int = 10,
    noise: float = 0.3,
    seed: int = 0,
) -> ImageDataset:
    """Noisy copies of ``n_classes`` random prototype images (learnable in a few epochs)."""
    gen = torch.Generator().manual_seed(int(seed))
    prototypes = (torch.rand(n_classes, 1, image_size, image_size, generator=gen) > 0.7).float()

    def draw(n: int) -> tuple[Tensor, Tensor]:
        labels = torch.randint(0, n_classes, (n,), generator=gen)
        x = prototypes[labels] + noise * torch.randn(n, 1, image_size, image_size, generator=gen)
        return x.clamp(0.0, 1.0), labels

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return ImageDataset("synthetic", x_train, y_train, x_test, y_test, n_classes)


def _from_mnist_files(name: str, path: str | os.PathLike[str]) -> ImageDataset:
    from analogtrain.data.mnist import load_mnist

    s = load_mnist(path)

    def images(a: object) -> Tensor:
        return torch.as_tensor(a).to(torch.float32).div_(255.0).unsqueeze(1)

    return ImageDataset(
        name,
        images(s.train_images),
        torch.as_tensor(s.train_labels),
        images(s.test_images),
        torch.as_tensor(s.test_labels),
        10,
    )


def load_dataset(
    name: str | None = "digits",
    path: str | os.PathLike[str] | None = None,
    *,
    seed: int = 0,
) -> ImageDataset:
    """Load a data set by name (see the module docstring); ``path`` for local files.

    With only ``path`` given, the files are read as MNIST-format data (IDX directory or
    ``.npz``), which covers Fashion-MNIST too.
    """
    key = (name or ("mnist" if path is not None else "digits")).lower().replace("_", "-")
    if key == "fashionmnist":
        key = "fashion-mnist"
    if key == "digits":
        if path is not None:
            raise ArgumentError("the digits data set is bundled; it takes no --data path")
        from analogtrain.data.digits import load_digits

        d = load_digits(seed=seed)
        return ImageDataset(
            "digits",
            d.x_train.reshape(-1, 1, 8, 8),
            d.y_train,
            d.x_test.reshape(-1, 1, 8, 8),
            d.y_test,
            10,
        )
    if key in ("mnist", "fashion-mnist"):
        if path is None:
            raise ArgumentError(
                f"the {key} data set is read from local files: give --data PATH (a directory "
                "with the four IDX files, gzipped or not, or an .npz file); nothing is "
                "downloaded"
            )
        return _from_mnist_files(key, path)
    if key == "synthetic":
        return synthetic_dataset(seed=seed)
    raise ArgumentError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
