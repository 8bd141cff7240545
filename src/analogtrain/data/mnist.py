"""MNIST and Fashion-MNIST from local files (nothing is ever downloaded).

Two layouts are accepted for ``path``:

* a directory holding the four IDX files of the original distribution, gzipped or not,
  directly or in a ``raw/`` sub-directory (torchvision's layout)::

      train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
      t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]

  (Fashion-MNIST uses the same file names);
* one ``.npz`` archive with the arrays ``x_train, y_train, x_test, y_test`` (the layout of
  ``keras.datasets.mnist``); ``train_images, train_labels, test_images, test_labels`` are
  accepted as well.

Images come back as ``uint8`` arrays ``[n, rows, cols]`` and labels as ``int64`` ``[n]``.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from analogtrain.data.idx import read_idx
from analogtrain.errors import ArgumentError

__all__ = ["ImageSplits", "load_mnist", "MNIST_FILES"]

MNIST_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_NPZ_KEYS: tuple[tuple[str, ...], ...] = (
    ("x_train", "y_train", "x_test", "y_test"),
    ("train_images", "train_labels", "test_images", "test_labels"),
)


class ImageSplits(NamedTuple):
    """Train and test split of an image classification data set (numpy arrays)."""

    train_images: np.ndarray  # [n_train, rows, cols] uint8
    train_labels: np.ndarray  # [n_train] int64
    test_images: np.ndarray  # [n_test, rows, cols] uint8
    test_labels: np.ndarray  # [n_test] int64


def _find_idx(directory: Path, stem: str) -> Path:
    for folder in (directory, directory / "raw"):
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    raise ArgumentError(
        f"{directory}: missing MNIST file {stem!r} (or {stem}.gz); expected the four files "
        f"{', '.join(MNIST_FILES.values())}"
    )


def _load_directory(directory: Path) -> ImageSplits:
    arrays = {key: read_idx(_find_idx(directory, stem)) for key, stem in MNIST_FILES.items()}
    return ImageSplits(**arrays)


def _load_npz(path: Path) -> ImageSplits:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            for keys in _NPZ_KEYS:
                if names.issuperset(keys):
                    return ImageSplits(*(np.asarray(archive[k]) for k in keys))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ArgumentError(f"{path}: not a readable .npz archive ({exc})") from exc
    raise ArgumentError(
        f"{path}: .npz archive has arrays {sorted(names)}; expected "
        f"{' or '.join(str(list(k)) for k in _NPZ_KEYS)}"
    )


def _check(splits: ImageSplits, source: str, n_classes: int) -> ImageSplits:
    out = []
    for part in ("train", "test"):
        images = getattr(splits, f"{part}_images")
        labels = getattr(splits, f"{part}_labels")
        if images.ndim != 3:
            raise ArgumentError(
                f"{source}: {part} images must have 3 dimensions [n, rows, cols], "
                f"got shape {images.shape}"
            )
        if labels.ndim != 1:
            raise ArgumentError(
                f"{source}: {part} labels must have 1 dimension, got shape {labels.shape}"
            )
        if images.shape[0] != labels.shape[0]:
            raise ArgumentError(
                f"{source}: {images.shape[0]} {part} images but {labels.shape[0]} labels"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise ArgumentError(f"{source}: {part} labels have dtype {labels.dtype}, not integer")
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ArgumentError(
                f"{source}: {part} labels must lie in [0, {n_classes - 1}], "
                f"got range [{labels.min()}, {labels.max()}]"
            )
        if images.dtype != np.uint8:
            if not np.issubdtype(images.dtype, np.number):
                raise ArgumentError(f"{source}: {part} images have dtype {images.dtype}")
            lo, hi = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
            if lo < 0 or hi > 255:
                raise ArgumentError(
                    f"{source}: {part} images must be pixel values in [0, 255], "
                    f"got range [{lo}, {hi}]"
                )
            images = np.rint(images).astype(np.uint8)
        out += [images, labels.astype(np.int64)]
    return ImageSplits(*out)


def load_mnist(path: str | os.PathLike[str], *, n_classes: int = 10) -> ImageSplits:
    """Load MNIST or Fashion-MNIST from a local directory of IDX files or an ``.npz`` file.

    Raises :class:`~analogtrain.errors.ArgumentError` for a missing path, a missing file in
    the directory, or a corrupt / inconsistent file (the message names the file).
    """
    p = Path(path)
    if p.is_dir():
        splits = _load_directory(p)
    elif p.is_file():
        splits = _load_npz(p)
    else:
        raise ArgumentError(
            f"data path not found: {p} (give a directory of MNIST IDX files or an .npz file)"
        )
    return _check(splits, str(p), n_classes)
