"""aihwkit-style training scripts run through ``analogtrain.aihwkit`` with aihwkit's results.

Each script in ``scripts/`` is written in the style of one of aihwkit's training examples
(01, 02, 03, 04, 07, 08, 09, 11, 12, 17, 18, 26), with epochs cut and datasets replaced by
random tensors of the same shape, importing only from ``analogtrain.aihwkit.*``; it prints
``RESULT <metric> <value>`` last. The bands below come from running the same scripts under
aihwkit 1.1.0 (the reference venv, imports rewritten ``analogtrain.aihwkit`` -> ``aihwkit``)
with seeds 0, 1, 2:

    ex01 0.0145 0.0086 0.0047   ex02 0.0206 0.0127 0.0161   ex03 2.3137 2.3187 2.3170
    ex04 2.3114 2.3108 2.3050   ex07 0.0126 0.0144 0.0114   ex08 0.0063 0.0040 0.0042
    ex09 0.0159 0.0134 0.0090   ex12 0.0074 0.0120 0.0132   ex17 0.0806 0.1772 0.0782
    ex26 0.0191 0.0194 0.0795 (a separation, not a loss; seeds 3-5: 0.0592 0.0401 0.0591)
    ex11 2.3868 2.3316 2.3635, seeds 3-5: 2.4072 2.4392 2.2655 (the band is over seeds 0-5:
         a chance-level loss of 3 steps whose seeds spread by 0.17; analogtrain's seeds 0-5
         gave 2.2480 2.2737 2.3704 2.3780 2.2959 2.4273)
    ex18 2.3486 2.4629 2.5106, seeds 3-5: 2.2651 2.3439 2.3353 (band over seeds 0-5 as for
         ex11; analogtrain's seeds 0-5 gave 2.3704 2.4537 2.3236 2.3126 2.3563 2.3216)

A small final loss must lie within a factor 2.5 of aihwkit's seed range (the three seeds
already spread by a factor of up to 3); the chance-level losses of the two short
classification runs (ex03, ex04, ex11, ex18) within 0.03 of aihwkit's range (seed spread
0.014 for ex03/ex04; ex11/ex18 use six seeds for their larger spread). ex11 and ex18 take
10-15 s each on 2 shared cores and are marked slow.
Here the scripts run with seed 0, in this process (so compiled kernels are shared).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "analogtrain.aihwkit.nn", reason="the aihwkit.nn mirror is built on the layers branch"
)

SCRIPTS = Path(__file__).resolve().parent / "scripts"

#: script -> (aihwkit 1.1.0 minimum, maximum over seeds 0-2, kind of band)
AIHWKIT_RANGE: dict[str, tuple[float, float, str]] = {
    "ex01_simple_layer.py": (0.004718, 0.014508, "relative"),
    "ex02_multiple_layer.py": (0.012739, 0.020635, "relative"),
    "ex03_mnist_mlp.py": (2.313689, 2.318712, "absolute"),
    "ex04_lenet5.py": (2.304984, 2.311431, "absolute"),
    "ex07_other_devices.py": (0.011396, 0.014377, "relative"),
    "ex08_tiki_taka.py": (0.003964, 0.006323, "relative"),
    "ex09_deterministic_pulses.py": (0.008962, 0.015901, "relative"),
    "ex12_mixed_precision.py": (0.007368, 0.013191, "relative"),
    "ex17_convert_to_analog.py": (0.078206, 0.177221, "relative"),
    "ex26_correlation_detection.py": (0.019109, 0.079480, "relative"),
    "ex11_vgg8.py": (2.265451, 2.439190, "absolute"),
    "ex18_resnet.py": (2.265059, 2.510592, "absolute"),
}
SLOW = {"ex03_mnist_mlp.py", "ex04_lenet5.py", "ex11_vgg8.py", "ex18_resnet.py"}


def _band(low: float, high: float, kind: str) -> tuple[float, float]:
    return (low / 2.5, high * 2.5) if kind == "relative" else (low - 0.03, high + 0.03)


def _run(script: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> float:
    monkeypatch.setattr(sys, "argv", [str(script), "0"])
    runpy.run_path(str(script), run_name="__main__")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    tag, _, value = last.split()
    assert tag == "RESULT"
    return float(value)


def test_every_script_has_a_reference_range() -> None:
    assert sorted(p.name for p in SCRIPTS.glob("ex*.py")) == sorted(AIHWKIT_RANGE)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in AIHWKIT_RANGE],
)
def test_script_metric_is_in_aihwkit_range(name: str, capsys, monkeypatch) -> None:
    low, high = _band(*AIHWKIT_RANGE[name])
    value = _run(SCRIPTS / name, capsys, monkeypatch)
    assert low <= value <= high, f"{name}: {value} outside aihwkit's band [{low}, {high}]"


def test_scripts_import_only_the_aihwkit_mirror() -> None:
    for path in SCRIPTS.glob("ex*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("from analogtrain", "import analogtrain")):
                assert line.startswith("from analogtrain.aihwkit."), f"{path.name}: {line}"
