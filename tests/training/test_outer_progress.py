"""The progress over algorithms x seeds: one line per run in a log, one bar with ETA on a tty."""

from __future__ import annotations

import io

from analogtrain.training.progress import OuterProgress, format_seconds


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_stream_gets_one_line_per_run_with_eta():
    stream = io.StringIO()
    p = OuterProgress(2, 3, stream=stream)
    for run in ("sgd seed 1", "sgd seed 2"):
        for e in range(3):
            p.epoch_done(f"{run} epoch {e + 1}/3")
        p.run_done(run, "test 90.0%")
    p.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[1/2] sgd seed 1: test 90.0% (ETA ")
    assert lines[1] == "[2/2] sgd seed 2: test 90.0% (ETA 0 s)"
    assert len(lines) == 2 and "\r" not in stream.getvalue()


def test_terminal_gets_one_redrawn_bar_with_eta_and_label():
    stream = _Tty()
    p = OuterProgress(1, 2, stream=stream)
    p.bar.min_interval = 0.0
    p.epoch_done("c-ttv2 seed 1 epoch 1/2")
    p.run_done("c-ttv2 seed 1", "test 50.0%")
    p.close()
    text = stream.getvalue()
    assert text.startswith("\rruns [") and "ETA" in text and "c-ttv2 seed 1 epoch 1/2" in text
    assert text.endswith("\n") and text.count("\n") == 1  # no per-run lines on a terminal


def test_format_seconds():
    assert format_seconds(42.4) == "42 s"
    assert format_seconds(185) == "3 min 05 s"
    assert format_seconds(3720) == "1 h 02 min"
