"""Training loop: metrics, exact resume from a checkpoint, data sets, models, progress bar."""

from __future__ import annotations

import io

import pytest
import torch

from analogtrain.configs import ConstantStepDevice, FloatingPointRPUConfig, build_config
from analogtrain.errors import ArgumentError
from analogtrain.training import (
    History,
    ProgressBar,
    TrainingRun,
    build_model,
    load_checkpoint,
    load_dataset,
    save_checkpoint,
    synthetic_dataset,
)


def _run(config, data, seed=3):
    torch.manual_seed(seed)
    model = build_model("mlp", data.image_shape, data.n_classes, config, hidden=(8,))
    return TrainingRun(model, data, lr=0.1, batch_size=8, seed=seed, max_batches=3)


@pytest.mark.parametrize("algorithm", ["sgd", "c-ttv2"])
def test_resume_from_checkpoint_is_exact(tmp_path, algorithm):
    data = synthetic_dataset(48, 16, image_size=6, seed=1)
    config = build_config(algorithm, ConstantStepDevice, construction_seed=5)
    straight = _run(config, data)
    straight.fit(2, stream=None)

    first = _run(config, data)
    first.fit(1, stream=None)
    path = save_checkpoint(tmp_path / "ck.pt", first, {"note": "x"})
    state = load_checkpoint(path)
    assert state["meta"] == {"note": "x"}
    resumed = _run(config, data, seed=99)  # different init: everything must come from the file
    resumed.load_state_dict(state["run"])
    assert len(resumed.history.epochs) == 1
    resumed.fit(2, stream=None)

    a, b = straight.history.epochs[1], resumed.history.epochs[1]
    for key in ("train_loss", "test_loss", "test_accuracy"):
        assert getattr(a, key) == getattr(b, key), key
    for p, q in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        if isinstance(p, torch.Tensor):
            assert torch.equal(p, q)


def test_floating_point_mlp_learns_synthetic_data():
    data = synthetic_dataset(128, 64, image_size=6, noise=0.3, seed=2)
    torch.manual_seed(0)
    model = build_model("mlp", data.image_shape, 10, FloatingPointRPUConfig(), hidden=(16,))
    run = TrainingRun(model, data, lr=0.2, batch_size=8, seed=0)
    history = run.fit(3, stream=None)
    assert history.epochs[0].test_loss > history.epochs[-1].test_loss
    assert history.final_test_accuracy > 60.0  # 10 classes: chance is 10 %
    assert history.best_test_accuracy >= history.final_test_accuracy
    assert history.seconds > 0


def test_history_round_trip_and_empty_values():
    empty = History()
    assert empty.final_test_accuracy != empty.final_test_accuracy  # NaN
    data = synthetic_dataset(16, 8, image_size=4)
    run = _run(FloatingPointRPUConfig(), data)
    run.fit(1, stream=None)
    again = History.from_list(run.history.to_list())
    assert again == run.history


def test_datasets_and_models_shapes():
    digits = load_dataset("digits")
    assert digits.image_shape == (1, 8, 8) and digits.n_classes == 10
    assert len(digits.y_train) + len(digits.y_test) == 1797
    assert 0.0 <= float(digits.x_train.min()) and float(digits.x_train.max()) <= 1.0
    small = digits.subset(10, 5)
    assert len(small.y_train) == 10 and len(small.y_test) == 5
    fp = FloatingPointRPUConfig()
    for name, shape in (("mlp", (1, 8, 8)), ("lenet", (1, 8, 8)), ("lenet", (1, 28, 28))):
        model = build_model(name, shape, 10, fp)
        assert model(torch.rand(2, *shape)).shape == (2, 10)
    with pytest.raises(ArgumentError, match="unknown model 'resnet'"):
        build_model("resnet", (1, 8, 8), 10, fp)
    with pytest.raises(ArgumentError, match="unknown data set 'cifar'"):
        load_dataset("cifar")
    with pytest.raises(ArgumentError, match="--data PATH"):
        load_dataset("fashion-mnist")


def test_progress_bar_text():
    stream = io.StringIO()
    with ProgressBar(4, "sgd", stream=stream, width=8) as bar:
        bar.update(1)
        assert "[##......] 1/4" in bar.render()
        bar.update(3, "loss=0.5")
    text = stream.getvalue()
    assert text.endswith("\n") and "[########] 4/4" in text and "loss=0.5" in text
    assert "\r" not in text  # not a terminal: one final line only
