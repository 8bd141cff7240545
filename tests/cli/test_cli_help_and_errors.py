"""Every help example of the command line runs; every user error exits 2 with one line."""

from __future__ import annotations

import argparse
import errno
import json
import re
import shlex
from pathlib import Path

import pytest

from analogtrain.cli import build_parser, main

TINY = ["--epochs", "1", "--limit", "24", "--batch-size", "8", "--max-batches", "2", "--quiet"]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _epilog_examples() -> list[tuple[str, list[str]]]:
    out = []
    for name, sub in _subparsers().items():
        for line in (sub.epilog or "").splitlines():
            line = line.strip()
            if line.startswith("analogtrain "):
                out.append((name, shlex.split(line)[1:]))
    return out


def _option_examples() -> list[tuple[str, str, str]]:
    """``(subcommand, option, example)`` for every "e.g. PATH=VALUE" in an option's help."""
    out = []
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if not action.help or not action.option_strings:
                continue
            for example in re.findall(r"e\.g\. ([^\s,;)]+=[^\s,;)]+)", action.help):
                out.append((name, action.option_strings[0], example))
    return out


def _tiny(command: list[str], tmp: Path) -> list[str]:
    """The example made quick: tiny data and epochs, output in ``tmp``."""
    name = command[0]
    if name == "train" and "--resume" in command:
        return [*command, "--epochs", "2", "--quiet"]
    if name == "train":
        return [*command, *TINY, "--out", str(tmp / "runs" / "train"), "--overwrite"]
    if name == "compare":
        return [*command, *TINY, "--seeds", "1", "--out", str(tmp / "cmp"), "--overwrite"]
    if name == "device":
        return [*command, "--n-devices", "2", "--pulses", "20", "--out", str(tmp / "d.png")]
    return command


def test_every_subcommand_has_help_examples():
    names = {name for name, _ in _epilog_examples()}
    assert names == {"compare", "train", "device", "config"}
    assert len(_option_examples()) >= 6


def test_epilog_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name, command in _epilog_examples():
        if name == "compare" and "--device" in command:
            command = [*command, "--algorithms", "sgd"]
        code = main(_tiny(command, tmp_path))
        err = capsys.readouterr().err
        assert code == 0, (command, err)


@pytest.mark.parametrize("name,option,example", _option_examples())
def test_option_help_example_runs(name, option, example, tmp_path, capsys):
    base = {
        "compare": ["compare", "--algorithms", "sgd,c-ttv2", "--no-tune"],
        "train": ["train", "-a", "c-ttv2"],
        "device": ["device", "SoftBounds", "--no-plot"],
        "config": ["config", "c-ttv2", "SoftBounds"],
    }[name]
    code = main(_tiny([*base, option, example], tmp_path))
    assert code == 0, (name, option, example, capsys.readouterr().err)


def test_help_lists_smoke_test_options(capsys):
    for name in ("train", "compare"):
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = capsys.readouterr().out
        assert "--limit N" in text and "--max-batches N" in text, name


def _config_file(tmp: Path) -> Path:
    path = tmp / "cfg.json"
    assert main(["config", "sgd", "ConstantStep", "--out", str(path)]) == 0
    return path


def _error_cases(tmp: Path) -> list[tuple[list[str], str]]:
    (tmp / "a_file").write_text("x")
    (tmp / "bad.json").write_text("{bad")
    cfg = _config_file(tmp)
    out = ["--out", str(tmp / "o")]
    return [
        (["train", "--config", str(tmp / "missing.json"), *TINY, *out], "not found"),
        (["train", "--config", str(tmp), *TINY, *out], "is not a file"),
        (["train", "--config", str(tmp / "bad.json"), *TINY, *out], "not valid JSON"),
        (["train", "-a", "sgd", "-d", str(tmp / "missing.json"), *TINY, *out], "not found"),
        (["train", "--resume", str(tmp / "bad.json")], "not a readable checkpoint"),
        (["train", "-a", "sgd", *TINY, "--out", str(tmp / "a_file" / "x")], "output folder"),
        (["compare", *TINY, "--out", str(tmp / "a_file")], "not a folder"),
        (["device", "SoftBounds", "--out", str(tmp / "a_file" / "x.png")], "Not a directory"),
        (["train", "-a", "sgd", "-d", str(cfg), *TINY, *out], "not a device model"),
        (["compare", "--device", str(cfg), *TINY, *out], "not a device model"),
        (["device", str(cfg), "--no-plot"], "not a device model"),
        (["train", "-a", "sgd", "-d", "NoSuchDevice", *TINY, *out], "unknown device"),
        (["compare", "--device", "NoSuchDevice", *TINY, *out], "unknown device"),
        (["train", "-a", "sgd", "--set", "forward.nope=1", *TINY, *out], "forward.nope"),
        (["train", "-a", "sgd", "--set", "forward.out_noise", *TINY, *out], "PATH=VALUE"),
        (["compare", "--set", "c-tv2:device.fast_lr=1", *TINY, *out], "'c-tv2' is not one"),
        (["compare", "--set", "sgd:lr=-1", *TINY, *out], "learning rate"),
        (["compare", "--set", "sgd:device.fast_lr=1", *TINY, *out], "[sgd]"),
    ]


def test_user_errors_exit_2_with_one_line(tmp_path, capsys):
    for command, needle in _error_cases(tmp_path):
        capsys.readouterr()
        code = main(command)
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert code == 2, (command, err)
        assert len(lines) == 1 and lines[0].startswith(f"analogtrain {command[0]}: error: ")
        assert needle in lines[0], (command, lines[0])
        assert "Traceback" not in err


def test_full_output_folder_exits_2_with_one_line(tmp_path, capsys, monkeypatch):
    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    code = main(["train", "-a", "sgd", *TINY, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "cannot write to output folder" in err[0] and "No space left" in err[0]


def test_full_disk_while_writing_results_exits_2(tmp_path, capsys, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    code = main(["compare", "--algorithms", "sgd", "--no-tune", *TINY, "--seeds", "1",
                 "--out", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].endswith("results.json: No space left on device")


def test_resume_with_fewer_epochs_than_saved_says_so(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "-a", "sgd", *TINY[2:], "--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out / "checkpoint.pt"), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "--epochs 1 is fewer than the 2 epochs already saved" in err


def test_ctrl_c_writes_metrics_so_far_and_prints_resume_command(tmp_path, capsys, monkeypatch):
    from analogtrain.training import TrainingRun

    original = TrainingRun.train_epoch

    def interrupted_second_epoch(self, progress=None):
        if len(self.history.epochs) == 1:
            raise KeyboardInterrupt
        return original(self, progress)

    monkeypatch.setattr(TrainingRun, "train_epoch", interrupted_second_epoch)
    out = tmp_path / "run"
    code = main(["train", "-a", "sgd", *TINY[2:], "--epochs", "3", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 130
    saved = json.loads((out / "metrics.json").read_text())
    assert [m["epoch"] for m in saved["epochs"]] == [1]
    assert f"analogtrain train --resume {out / 'checkpoint.pt'} --epochs 3" in err
