"""Checkpoint files: loaded without unpickling code, refused with a clear error when they
would need it; writing to a bad folder fails cleanly and leaves no temporary file."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from analogtrain.configs import FloatingPointRPUConfig
from analogtrain.errors import AnalogTrainError, CheckpointError
from analogtrain.training import (
    TrainingRun,
    build_model,
    load_checkpoint,
    save_checkpoint,
    synthetic_dataset,
)


def _run() -> TrainingRun:
    torch.manual_seed(0)
    data = synthetic_dataset(16, 8, image_size=4, seed=1)
    model = build_model(
        "mlp", data.image_shape, data.n_classes, FloatingPointRPUConfig(), hidden=(4,)
    )
    return TrainingRun(model, data, lr=0.1, batch_size=8, seed=0, max_batches=1)


class _Payload:
    """An object whose unpickling would run code (appends to a list in this module)."""

    def __reduce__(self):
        return (RAN.append, ("code ran",))


RAN: list[str] = []


def test_checkpoint_loads_with_weights_only(tmp_path, monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    path = save_checkpoint(tmp_path / "ck.pt", _run(), {"note": "x"})
    assert load_checkpoint(path)["meta"] == {"note": "x"}
    assert calls == [True]


def test_checkpoint_needing_unpickling_is_refused_without_running_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "analogtrain-checkpoint", "run": {}, "meta": _Payload()}, path)
    RAN.clear()
    with pytest.raises(CheckpointError, match="needs arbitrary unpickling"):
        load_checkpoint(path)
    assert RAN == []


def test_plain_pickle_file_is_refused(tmp_path):
    path = tmp_path / "pickle.pt"
    with open(path, "wb") as f:
        pickle.dump(_Payload(), f)
    RAN.clear()
    with pytest.raises(CheckpointError, match=str(path.name)):
        load_checkpoint(path)
    assert RAN == []


def test_missing_checkpoint_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "absent.pt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_folder_gives_checkpoint_error_and_no_tmp(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CheckpointError, match="cannot write checkpoint"):
            save_checkpoint(folder / "checkpoint.pt", _run())
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_failed_write_removes_tmp_and_keeps_previous_checkpoint(tmp_path, monkeypatch):
    run = _run()
    path = save_checkpoint(tmp_path / "checkpoint.pt", run, {"n": 1})
    real_save = torch.save

    def full_disk(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)  # the temporary file exists ...
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(CheckpointError, match="file write failed"):
        save_checkpoint(path, run, {"n": 2})
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]
    assert load_checkpoint(path)["meta"] == {"n": 1}


def test_folder_path_that_is_a_file_gives_checkpoint_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AnalogTrainError, match="cannot write checkpoint"):
        save_checkpoint(blocker / "sub" / "checkpoint.pt", _run())
