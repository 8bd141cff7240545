"""The 8x8 handwritten digits bundled with scikit-learn (1797 images, 10 classes).

Read offline from scikit-learn's package data (``sklearn.datasets.load_digits``); pixel
values ``0..16`` are scaled to ``[0, 1]``. The train/test split is a fixed permutation drawn
from a :class:`torch.Generator` seeded with ``seed``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from analogtrain.errors import ArgumentError

__all__ = ["DigitsSplits", "load_digits"]


class DigitsSplits(NamedTuple):
    """Train and test sets: images ``[n, 64]`` float32 in ``[0, 1]``, labels ``[n]`` int64."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor


def load_digits(seed: int = 0, test_fraction: float = 0.2) -> DigitsSplits:
    """scikit-learn's digits, split into train and test sets.

    Args:
        seed: seed of the permutation that chooses the test samples.
        test_fraction: fraction of the 1797 samples held out for testing, in ``(0, 1)``.

    Raises:
        ImportError: scikit-learn is not installed (``pip install analogtrain[data]``).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ArgumentError(f"test_fraction={test_fraction!r} must be in (0, 1)")
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as exc:
        raise ImportError(
            "load_digits needs scikit-learn; install the 'data' extra: "
            "pip install 'analogtrain[data]'"
        ) from exc
    bunch = sklearn_load_digits()
    images = torch.as_tensor(bunch.data, dtype=torch.float32) / 16.0  # [1797, 64]
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    gen = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(len(labels), generator=gen)
    n_test = round(test_fraction * len(labels))
    test, train = order[:n_test], order[n_test:]
    return DigitsSplits(images[train], labels[train], images[test], labels[test])
