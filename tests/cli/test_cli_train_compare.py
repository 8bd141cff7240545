"""`analogtrain train` and `analogtrain compare` with tiny settings, run in-process."""

from __future__ import annotations

import csv
import json

import numpy as np

from analogtrain.cli import main
from analogtrain.configs import load_config
from analogtrain.data.idx import write_idx
from analogtrain.data.mnist import MNIST_FILES

TINY = ["--epochs", "1", "--limit", "32", "--batch-size", "8", "--quiet"]


def test_train_writes_everything_and_resumes_exactly(tmp_path, capsys, png_check):
    out = tmp_path / "run"
    args = [
        "train",
        "-a",
        "sgd",
        "-d",
        "ConstantStep",
        "--set",
        "forward.out_noise=0.02",
        "--limit",
        "32",
        "--batch-size",
        "8",
        "--quiet",
    ]
    assert main(args + ["--epochs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch   1:" in text and "final test accuracy" in text
    for name in ("checkpoint.pt", "metrics.csv", "metrics.json", "config.json"):
        assert (out / name).is_file()
    png_check(out / "learning_curve.png")
    assert load_config(out / "config.json").forward.out_noise == 0.02

    assert main(["train", "--resume", str(out / "checkpoint.pt"), "--epochs", "2", "--quiet"]) == 0
    resumed = json.loads((out / "metrics.json").read_text())["epochs"]
    assert [m["epoch"] for m in resumed] == [1, 2]

    straight = tmp_path / "straight"
    assert main(args + ["--epochs", "2", "--out", str(straight)]) == 0
    direct = json.loads((straight / "metrics.json").read_text())["epochs"]
    for key in ("train_loss", "test_loss", "test_accuracy"):
        assert resumed[1][key] == direct[1][key], key


def test_train_errors(tmp_path, capsys):
    assert (
        main(["train", "-a", "sgd", "--set", "update.desired_bl=x", *TINY, "--out", str(tmp_path)])
        == 2
    )
    assert "update.desired_bl: expected int" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "none.pt"), "--lr", "0.5"]) == 2
    assert "only --epochs and --out" in capsys.readouterr().err
    assert main(["train", "-a", "sgd", "--dataset", "mnist", *TINY]) == 2
    assert "give --data PATH" in capsys.readouterr().err
    assert main(["train", "-a", "sgd", "--data", str(tmp_path / "missing"), *TINY]) == 2
    assert "data path not found" in capsys.readouterr().err


def test_train_lenet_on_local_mnist_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    arrays = {
        "train_images": rng.integers(0, 256, (16, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 16, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 8, dtype=np.uint8),
    }
    for key, stem in MNIST_FILES.items():
        write_idx(folder / (stem + ".gz"), arrays[key], compress=True)
    code = main(
        [
            "train",
            "-a",
            "sgd",
            "-d",
            "ConstantStep",
            "--model",
            "lenet",
            "--data",
            str(folder),
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--max-batches",
            "1",
            "--quiet",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    assert "mnist (16 train / 8 test), lenet" in capsys.readouterr().out


def test_compare_table_csv_json_png(tmp_path, capsys, png_check):
    out = tmp_path / "cmp"
    code = main(
        [
            "compare",
            "--algorithms",
            "sgd,c-ttv2,fp",
            "--device",
            "SoftBounds",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--limit",
            "24",
            "--batch-size",
            "8",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    for alg in ("sgd", "c-ttv2", "fp"):
        assert f"\n{alg} " in table
    assert "final test acc" in table and "wall time" in table
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 * 2 * 2  # algorithms x seeds x epochs
    assert {r["algorithm"] for r in rows} == {"sgd", "c-ttv2", "fp"}
    data = json.loads((out / "results.json").read_text())
    assert data["seeds"] == [1, 2]
    s = data["summary"]["c-ttv2"]
    assert len(s["final_test_accuracy"]) == 2
    assert s["best_mean"] >= s["final_mean"]
    png_check(out / "compare.png", min_width=600)


def test_compare_rejects_bad_algorithm_before_training(tmp_path, capsys):
    assert main(["compare", "--algorithms", "sgd,ttv7", *TINY, "--out", str(tmp_path)]) == 2
    assert "ttv7" in capsys.readouterr().err
    assert not (tmp_path / "results.csv").exists()
    assert main(["compare", "--set", "device.fast_lr=1", *TINY, "--out", str(tmp_path)]) == 2
    assert "unknown configuration path 'device.fast_lr'" in capsys.readouterr().err


def test_compare_same_seed_same_result(tmp_path, capsys):
    args = [
        "compare",
        "--algorithms",
        "ttv2",
        "--epochs",
        "1",
        "--limit",
        "16",
        "--batch-size",
        "8",
        "--quiet",
    ]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    data = json.loads((tmp_path / "a" / "results.json").read_text())
    # without --device: the default device with its overrides, recorded in the results
    assert data["device"] == "SoftBoundsReference"
    assert data["device_sets"] == ["dw_min=0.005", "reference_std=0.1"]
    a = data["histories"]
    b = json.loads((tmp_path / "b" / "results.json").read_text())["histories"]
    assert a["ttv2"][0]["epochs"][0]["test_loss"] == b["ttv2"][0]["epochs"][0]["test_loss"]
