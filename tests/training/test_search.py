"""Successive halving (analogtrain.training.search) against closed-form schedules."""

from __future__ import annotations

import pytest

from analogtrain.errors import ArgumentError
from analogtrain.training.search import rung_epochs, successive_halving


def test_rung_epochs_follow_max_over_eta_powers():
    # K = 1 + floor(log3 n) rungs at ceil(E / 3^k), duplicates dropped
    assert rung_epochs(6, 1) == [6]
    assert rung_epochs(6, 4) == [2, 6]
    assert rung_epochs(6, 9) == [1, 2, 6]
    assert rung_epochs(6, 12) == [1, 2, 6]
    assert rung_epochs(27, 27) == [1, 3, 9, 27]
    assert rung_epochs(2, 27) == [1, 2]  # ceil(2/27) = ceil(2/9) = 1, dropped twice
    with pytest.raises(ArgumentError, match="max_epochs"):
        rung_epochs(0, 3)


class _FakeRun:
    """Score = quality * epochs trained; records every fit target."""

    def __init__(self, params):
        self.params = params
        self.epochs = 0
        self.fits = []

    def fit(self, epochs, stream=None):
        assert stream is None
        self.fits.append(epochs)
        self.epochs = epochs


def test_successive_halving_keeps_best_third_and_continues_runs():
    made = []

    def make(params):
        made.append(_FakeRun(params))
        return made[-1]

    qualities = [0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.8, 0.4, 0.6]
    result = successive_halving(
        [{"q": q} for q in qualities],
        make,
        lambda r: (r.params["q"] * r.epochs, 0.0),
        max_epochs=6,
    )
    assert result.rungs == [1, 2, 6]
    assert result.best == {"q": 0.9}
    # 9 runs x 1 epoch, best 3 (0.9, 0.8, 0.7) +1 epoch, best 1 +4 epochs
    assert result.epochs_trained == 9 + 3 + 4
    fits = {r.params["q"]: r.fits for r in made}
    assert fits[0.9] == [1, 2, 6]
    assert fits[0.8] == [1, 2] and fits[0.7] == [1, 2]
    assert all(fits[q] == [1] for q in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6))


def test_successive_halving_ties_go_to_the_earlier_candidate_then_lower_loss():
    result = successive_halving(
        [{"i": 0}, {"i": 1}, {"i": 2}],
        _FakeRun,
        lambda r: (50.0, 1.0 if r.params["i"] < 2 else 0.5),
        max_epochs=2,
    )
    assert result.best == {"i": 2}  # same accuracy, lower loss
    result = successive_halving(
        [{"i": 0}, {"i": 1}], _FakeRun, lambda r: (50.0, 1.0), max_epochs=2
    )
    assert result.best == {"i": 0}
