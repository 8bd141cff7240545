"""MNIST / Fashion-MNIST loader on small files written by the tests."""

from __future__ import annotations

import numpy as np
import pytest

from analogtrain.data.idx import write_idx
from analogtrain.data.mnist import MNIST_FILES, load_mnist
from analogtrain.errors import ArgumentError


def _arrays(n_train: int = 12, n_test: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def _write_dir(directory, arrays, compress=False):
    directory.mkdir(parents=True, exist_ok=True)
    for key, stem in MNIST_FILES.items():
        name = stem + (".gz" if compress else "")
        write_idx(directory / name, arrays[key], compress=compress)


@pytest.mark.parametrize("compress", [False, True])
def test_directory_of_idx_files(tmp_path, compress):
    arrays = _arrays()
    _write_dir(tmp_path / "mnist", arrays, compress)
    splits = load_mnist(tmp_path / "mnist")
    np.testing.assert_array_equal(splits.train_images, arrays["train_images"])
    np.testing.assert_array_equal(splits.test_labels, arrays["test_labels"])
    assert splits.train_labels.dtype == np.int64
    assert splits.test_images.shape == (5, 28, 28)


def test_torchvision_raw_layout(tmp_path):
    arrays = _arrays()
    _write_dir(tmp_path / "FashionMNIST" / "raw", arrays, compress=True)
    splits = load_mnist(tmp_path / "FashionMNIST")
    np.testing.assert_array_equal(splits.train_labels, arrays["train_labels"])


def test_npz_keras_layout(tmp_path):
    a = _arrays()
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=a["train_images"],
        y_train=a["train_labels"],
        x_test=a["test_images"],
        y_test=a["test_labels"],
    )
    splits = load_mnist(path)
    np.testing.assert_array_equal(splits.test_images, a["test_images"])


def test_npz_float_pixels_are_rounded(tmp_path):
    a = _arrays()
    path = tmp_path / "f.npz"
    np.savez(
        path,
        train_images=a["train_images"].astype(np.float32),
        train_labels=a["train_labels"],
        test_images=a["test_images"].astype(np.float64),
        test_labels=a["test_labels"],
    )
    splits = load_mnist(path)
    assert splits.train_images.dtype == np.uint8
    np.testing.assert_array_equal(splits.train_images, a["train_images"])


def test_missing_path(tmp_path):
    with pytest.raises(ArgumentError, match="data path not found"):
        load_mnist(tmp_path / "absent")


def test_missing_one_file(tmp_path):
    _write_dir(tmp_path / "m", _arrays())
    (tmp_path / "m" / MNIST_FILES["test_labels"]).unlink()
    with pytest.raises(ArgumentError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path / "m")


def test_count_mismatch(tmp_path):
    a = _arrays()
    a["train_labels"] = a["train_labels"][:-1]
    _write_dir(tmp_path / "m", a)
    with pytest.raises(ArgumentError, match="12 train images but 11 labels"):
        load_mnist(tmp_path / "m")


def test_wrong_dims(tmp_path):
    a = _arrays()
    a["test_images"] = a["test_images"].reshape(5, 784)
    _write_dir(tmp_path / "m", a)
    with pytest.raises(ArgumentError, match=r"test images must have 3 dimensions.*\(5, 784\)"):
        load_mnist(tmp_path / "m")


def test_label_out_of_range(tmp_path):
    a = _arrays()
    a["train_labels"][3] = 10
    _write_dir(tmp_path / "m", a)
    with pytest.raises(ArgumentError, match=r"labels must lie in \[0, 9\]"):
        load_mnist(tmp_path / "m")


def test_truncated_file_in_directory(tmp_path):
    _write_dir(tmp_path / "m", _arrays())
    f = tmp_path / "m" / MNIST_FILES["train_images"]
    f.write_bytes(f.read_bytes()[:-7])
    with pytest.raises(ArgumentError, match="train-images-idx3-ubyte: IDX file truncated"):
        load_mnist(tmp_path / "m")


def test_npz_wrong_keys_and_garbage(tmp_path):
    np.savez(tmp_path / "w.npz", a=np.zeros(3))
    with pytest.raises(ArgumentError, match=r"has arrays \['a'\]"):
        load_mnist(tmp_path / "w.npz")
    (tmp_path / "g.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(ArgumentError, match="not a readable .npz"):
        load_mnist(tmp_path / "g.npz")
