"""BasicTraining + LocalRunner: aihwkit's per-epoch result structure on user-given data."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from analogtrain.configs import FloatingPointRPUConfig
from analogtrain.errors import ArgumentError
from analogtrain.experiments import BasicTraining, LocalRunner, Signals
from analogtrain.nn import AnalogLinear, AnalogSequential

KEYS = {"epoch", "time_epoch", "accuracy", "train_loss", "valid_loss"}


def _data(n: int = 96, seed: int = 0) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(seed)
    centers = 3.0 * torch.randn(3, 8, generator=gen)
    y = torch.arange(n) % 3
    x = centers[y] + torch.randn(n, 8, generator=gen)
    return x[: n // 2 + n // 4], y[: n // 2 + n // 4], x[n // 2 + n // 4 :], y[n // 2 + n // 4 :]


def _model() -> nn.Module:
    torch.manual_seed(1)
    return AnalogSequential(
        AnalogLinear(8, 3, rpu_config=FloatingPointRPUConfig()), nn.LogSoftmax(dim=1)
    )


def test_local_runner_returns_aihwkits_per_epoch_metrics() -> None:
    x, y, xv, yv = _data()
    experiment = BasicTraining((x, y, xv, yv), _model(), batch_size=8, epochs=3, learning_rate=0.1)
    torch.manual_seed(2)
    results = LocalRunner().run(experiment)
    assert [r["epoch"] for r in results] == [0, 1, 2]
    assert all(set(r) == KEYS for r in results)
    assert results[-1]["train_loss"] < results[0]["train_loss"]
    # the reported accuracy and loss are those of the trained model on the validation set
    with torch.no_grad():
        out = experiment.model(xv)
    assert results[-1]["accuracy"] == pytest.approx(float((out.argmax(1) == yv).float().mean()))
    assert results[-1]["valid_loss"] == pytest.approx(float(nn.NLLLoss()(out, yv)), rel=1e-5)
    assert results[-1]["accuracy"] > 0.9  # three well separated clusters


def test_local_runner_prints_aihwkits_lines_when_stdout(capsys: Any) -> None:
    experiment = BasicTraining(_data(), _model(), batch_size=16, epochs=1)
    LocalRunner().run(experiment, stdout=True)
    out = capsys.readouterr().out
    assert "Epoch: 0, loss:" in out and "Number of images: 24, accuracy:" in out


def test_datasets_may_be_dataset_pairs_tensor_pairs_or_image_dataset_objects() -> None:
    x, y, xv, yv = _data()

    class Holder:
        x_train, y_train, x_test, y_test = x, y, xv, yv

    forms: list[Any] = [
        (TensorDataset(x, y), TensorDataset(xv, yv)),
        ((x, y), (xv, yv)),
        Holder(),
    ]
    for form in forms:
        experiment = BasicTraining(form, _model(), batch_size=16, epochs=1)
        train, valid = experiment.get_data_loaders(form, 16)
        assert len(train.dataset) == 72 and len(valid.dataset) == 24


def test_a_dataset_class_is_constructed_with_aihwkits_arguments() -> None:
    calls = []
    x, y, _, _ = _data()

    class Recorded(Dataset):
        def __init__(self, root: str, train: bool = True) -> None:
            calls.append((root, train))
            self.n = 40 if train else 10

        def __len__(self) -> int:
            return self.n

        def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
            return x[i], y[i]

    experiment = BasicTraining(Recorded, _model(), batch_size=8, epochs=1)
    results = LocalRunner().run(experiment, max_elements_train=16, dataset_root="/data/here")
    assert calls == [("/data/here", True), ("/data/here", False)]
    assert len(results) == 1 and 0.0 <= results[0]["accuracy"] <= 1.0


def test_max_elements_limits_both_sets_and_hooks_see_every_batch() -> None:
    experiment = BasicTraining(_data(), _model(), batch_size=5, epochs=1)
    seen = []
    experiment.add_hook(Signals.TRAIN_EPOCH_BATCH_END, lambda n, loss: seen.append(n))
    results = experiment.run(max_elements=12)
    assert seen == [5, 5, 2]
    assert results == [{"epoch": 0}]  # no metric hooks: only the epoch number, as aihwkit


def test_bad_arguments_are_rejected_with_clear_errors() -> None:
    with pytest.raises(ArgumentError, match="dataset"):
        BasicTraining("mnist", _model()).get_data_loaders("mnist", 8)
    with pytest.raises(ArgumentError, match="epochs"):
        BasicTraining(_data(), _model(), epochs=0)
    with pytest.raises(ArgumentError, match="learning_rate"):
        BasicTraining(_data(), _model(), learning_rate=-1.0)
    with pytest.raises(ArgumentError, match="Signals"):
        BasicTraining(_data(), _model()).add_hook("epoch", print)  # type: ignore[arg-type]
