"""The digits loader the examples use (scikit-learn's bundled copy)."""

from __future__ import annotations

import builtins

import pytest
import torch

from analogtrain.data import load_digits
from analogtrain.errors import ArgumentError


def test_digits_splits_are_scaled_disjoint_and_seeded():
    a = load_digits(seed=3)
    assert a.x_train.shape == (1438, 64) and a.x_test.shape == (359, 64)
    assert a.x_train.dtype == torch.float32 and a.y_train.dtype == torch.int64
    assert float(a.x_train.min()) == 0.0 and float(a.x_train.max()) == 1.0
    assert set(a.y_test.tolist()) == set(range(10))
    b = load_digits(seed=3)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    c = load_digits(seed=4)
    assert not torch.equal(a.y_test, c.y_test)
    # no test image is also a train image of the same split (up to true duplicates)
    train = {tuple(r) for r in a.x_train.tolist()}
    overlap = sum(tuple(r) in train for r in a.x_test.tolist())
    assert overlap <= 5


def test_digits_errors(monkeypatch):
    with pytest.raises(ArgumentError, match="1.5"):
        load_digits(test_fraction=1.5)
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"analogtrain\[data\]"):
        load_digits()
