"""The port-check scripts of examples 10, 13, 14 and 21 (``utils_*.py`` in this folder) run
with small sizes and give the results their aihwkit counterparts give."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


def _script(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(HERE))
    return importlib.import_module(name)


def test_example_10_draws_presets_full_and_compact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    script = _script("utils_10_plot_presets", monkeypatch)
    devices = script.DEVICES[:2]  # all six take a minute on two cores
    written = script.main(str(tmp_path), steps_divisor=50, devices=devices)
    assert len(written) == 2 * len(devices)
    assert all(p.exists() and p.stat().st_size > 1000 for p in written)


def test_example_13_reports_aihwkits_epoch_metrics_and_learns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script("utils_13_experiment_3fc", monkeypatch)
    # one hidden layer and a larger rate than the example's so that 32 updates suffice
    results = script.main(
        epochs=2, n_train=128, n_test=64, hidden_sizes=[64], batch_size=8, learning_rate=0.5
    )
    assert [r["epoch"] for r in results] == [0, 1]
    assert set(results[0]) == {"epoch", "time_epoch", "accuracy", "train_loss", "valid_loss"}
    # ten noisy prototypes: far above the 10 % of guessing (binomial sd of 64 samples <= 6 %)
    assert results[-1]["accuracy"] > 0.4
    assert results[-1]["train_loss"] < results[0]["train_loss"]


def test_example_14_scheduler_halves_the_learning_rate_every_step_size_epochs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script("utils_14_experiment_custom_scheduler", monkeypatch)
    results, rates = script.main(
        epochs=3, n_train=64, n_test=32, hidden_sizes=[16, 16], step_size=1
    )
    assert len(results) == 3
    assert rates == pytest.approx([0.05, 0.025, 0.0125])


def test_example_21_fit_recovers_the_device_that_made_the_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("scipy")
    pytest.importorskip("matplotlib")
    script = _script("utils_21_fit_device_data", monkeypatch)
    result, device, figure = script.main(n_pulses=60, method="least_squares")
    for name, value in script.TRUE_PARAMETERS.items():
        p = result.params[name]
        assert abs(p.value - value) < 4 * p.stderr, (name, p.value, p.stderr)
    assert len(figure.axes[0].get_lines()) == 2  # the fitted device and the data
