"""`analogtrain compare`: per-algorithm overrides, the tuner on a tiny budget, run records."""

from __future__ import annotations

import json

import numba
import pytest
import torch

import analogtrain
from analogtrain.cli import main
from analogtrain.cli.scoped_sets import split_sets
from analogtrain.cli.tuning import SEARCH_SPACES, search_space, validation_split
from analogtrain.errors import ArgumentError
from analogtrain.training import synthetic_dataset

TINY = ["--epochs", "2", "--limit", "40", "--batch-size", "8", "--quiet"]


def test_split_sets_sorts_common_per_algorithm_and_learning_rates():
    s = split_sets(
        ["forward.out_noise=0.02", "C-TTv2:device.fast_lr=0.5", "sgd:lr=0.3"], ["sgd", "c-ttv2"]
    )
    assert s.common == ["forward.out_noise=0.02"]
    assert s.for_algorithm("c-ttv2") == ["forward.out_noise=0.02", "device.fast_lr=0.5"]
    assert s.for_algorithm("sgd") == ["forward.out_noise=0.02"]
    assert s.lr == {"sgd": 0.3}
    assert s.fixed_paths("c-ttv2") == {"forward.out_noise", "device.fast_lr"}
    assert "lr" in s.fixed_paths("sgd")
    assert split_sets(["lr=0.2"], ["sgd", "tt"]).lr == {"sgd": 0.2, "tt": 0.2}


def test_split_sets_rejects_unknown_algorithm_and_bad_learning_rate():
    with pytest.raises(ArgumentError, match="'ttv9' is not one of the compared"):
        split_sets(["ttv9:device.fast_lr=1"], ["sgd", "tt"])
    with pytest.raises(ArgumentError, match="learning rate must be a number > 0"):
        split_sets(["sgd:lr=zero"], ["sgd"])


def test_search_space_drops_fixed_paths():
    assert search_space("c-ttv2", {"device.fast_lr"}) == {"lr": SEARCH_SPACES["c-ttv2"]["lr"]}
    assert search_space("sgd", {"lr"}) == {}
    assert set(search_space("mp", ())) == {"lr", "device.granularity"}
    assert set(search_space("ttv2", ())) == {"lr", "device.fast_lr"}


def test_validation_split_is_disjoint_part_of_training_data():
    data = synthetic_dataset(n_train=100, n_test=10, image_size=4)
    split = validation_split(data, 0.2, seed=3)
    assert len(split.y_train) == 80 and len(split.y_test) == 20
    rows = {tuple(x.flatten().tolist()) for x in data.x_train}
    tr = {tuple(x.flatten().tolist()) for x in split.x_train}
    va = {tuple(x.flatten().tolist()) for x in split.x_test}
    assert not tr & va and tr | va <= rows
    with pytest.raises(ArgumentError, match="--no-tune"):
        validation_split(data.subset(2, 2), 0.2)


def _field(saved: dict, path: str):
    """A field of a config saved with ``analogtrain.configs.to_dict``."""
    node = saved["config"]
    for name in path.split("."):
        node = node["fields"][name]
    return node


def _compare(tmp_path, *extra):
    out = tmp_path / "cmp"
    code = main(["compare", "--algorithms", "sgd,c-ttv2", *TINY, "--out", str(out), *extra])
    assert code == 0
    return json.loads((out / "results.json").read_text())


def test_compare_tunes_on_a_tiny_budget_and_records_the_choice(tmp_path, capsys):
    data = _compare(tmp_path, "--seeds", "2")
    table = capsys.readouterr().out
    assert "search budget: 16 settings" in table  # 4 for sgd, 4 x 3 for c-ttv2
    t = data["tuning"]["c-ttv2"]
    assert t["rungs"] == [1, 2] and t["epochs_trained"] == 12 + 4 * 1
    best = t["best"]
    assert best["lr"] in SEARCH_SPACES["c-ttv2"]["lr"]
    assert best["device.fast_lr"] in SEARCH_SPACES["c-ttv2"]["device.fast_lr"]
    # the chosen setting is what the final runs used
    assert _field(data["configs"]["c-ttv2"], "device.fast_lr") == best["device.fast_lr"]
    assert data["summary"]["c-ttv2"]["lr"] == best["lr"]
    assert f"lr={best['lr']:g} fast_lr={best['device.fast_lr']:g}" in table
    assert data["dataset"] == {
        "name": "digits",
        "train": 40,
        "test": 40,
        "tuning_train": 32,
        "validation": 8,
        "validation_seed": 1,
    }
    assert data["seeds"] == [1, 2] and len(data["summary"]["sgd"]["final_test_accuracy"]) == 2


def test_compare_records_versions_backend_command_and_times(tmp_path):
    data = _compare(tmp_path, "--seeds", "1", "--no-tune")
    env = data["environment"]
    assert env["analogtrain"] == analogtrain.__version__
    assert env["torch"] == torch.__version__
    assert env["numba"] == numba.__version__
    # the MLP has two analog layers: one device array each for sgd, two (A and C) for c-ttv2
    assert data["kernel_backend"] == {"sgd": {"numba": 2}, "c-ttv2": {"numba": 4}}
    assert data["numba_kernels_loaded"] is True
    assert data["command"].startswith("analogtrain compare --algorithms sgd,c-ttv2 --epochs 2")
    assert data["tuned"] is False and data["tuning"] == {}
    for key in ("total_seconds", "compile_seconds", "tuning_seconds", "final_runs_seconds"):
        assert data[key] >= 0
    assert _field(data["configs"]["sgd"], "device.dw_min") == 0.005


def test_per_algorithm_override_applies_to_one_algorithm_and_is_not_tuned(tmp_path, capsys):
    data = _compare(
        tmp_path, "--seeds", "1", "--set", "c-ttv2:device.fast_lr=0.5", "--set", "sgd:lr=0.3"
    )
    assert _field(data["configs"]["c-ttv2"], "device.fast_lr") == 0.5
    assert "fast_lr" not in str(data["configs"]["sgd"])
    assert set(data["tuning"]["c-ttv2"]["space"]) == {"lr"}
    assert data["tuning"]["sgd"]["space"] == {} and data["summary"]["sgd"]["lr"] == 0.3
    table = capsys.readouterr().out
    assert "lr=0.3*" in table and "fast_lr=0.5*" in table


def test_compare_refuses_to_overwrite_a_run_unless_told(tmp_path, capsys):
    _compare(tmp_path, "--seeds", "1", "--no-tune")
    first = (tmp_path / "cmp" / "results.json").read_text()
    code = main(["compare", "--algorithms", "sgd", *TINY, "--out", str(tmp_path / "cmp")])
    assert code == 2
    assert "already holds a run (results.json, results.csv, compare.png)" in (
        capsys.readouterr().err
    )
    assert (tmp_path / "cmp" / "results.json").read_text() == first
    _compare(tmp_path, "--seeds", "1", "--no-tune", "--overwrite")
    assert (tmp_path / "cmp" / "results.json").read_text() != first


def test_compare_reports_torch_start_up_apart_from_the_kernel_warm_up(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["--epochs", "1", "--limit", "40", "--batch-size", "8", "--no-tune", "--seeds", "1"]
    assert main(["compare", "--algorithms", "sgd", *args, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    # torch's one-time optimizer start-up is reported first, on a line of its own
    assert err.index("torch start-up (its first optimizer):") < err.index("kernel warm-up")
