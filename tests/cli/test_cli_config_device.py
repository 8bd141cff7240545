"""`analogtrain config` and `analogtrain device`, run in-process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analogtrain.cli import main
from analogtrain.configs import load_config


def test_config_prints_compact_form(capsys):
    assert main(["config", "c-ttv2", "SoftBounds", "--set", "forward.out_noise=0.02"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("UnitCellRPUConfig(")
    assert "forward=IOParameters(out_noise=0.02)" in out
    assert "ChoppedTransferCompound(" in out and "SoftBoundsDevice()" in out


def test_config_json_and_export_reload(tmp_path, capsys):
    path = tmp_path / "cfg.json"
    code = main(
        [
            "config",
            "agad",
            "ReRamSB",
            "--json",
            "--out",
            str(path),
            "--device-set",
            "dw_min=0.004",
            "--set",
            "device.fast_lr=0.2",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["config"]["class"] == "UnitCellRPUConfig"
    config = load_config(path)
    assert type(config.device).__name__ == "DynamicTransferCompound"
    assert config.device.fast_lr == 0.2
    assert [d.dw_min for d in config.device.unit_cell_devices] == [0.004, 0.004]
    assert type(config.device.unit_cell_devices[0]).__name__ == "ReRamSBPresetDevice"


def test_config_errors_list_closest_names(capsys):
    assert main(["config", "ttv2", "SoftBounds", "--set", "device.fastlr=1"]) == 2
    err = capsys.readouterr().err
    assert "unknown configuration path 'device.fastlr'" in err
    assert "closest valid names: device.fast_lr" in err
    assert main(["config", "ttv2", "SoftBounds", "--set", "device.fast_lr=fast"]) == 2
    assert "device.fast_lr: expected float, got 'fast'" in capsys.readouterr().err
    assert main(["config", "ttv9", "SoftBounds"]) == 2
    assert "ttv9" in capsys.readouterr().err
    assert main(["config", "sgd", "SoftBund"]) == 2
    assert "did you mean SoftBounds" in capsys.readouterr().err


def test_device_summary_and_plot(tmp_path, capsys, png_check):
    out = tmp_path / "dev.png"
    code = main(
        [
            "device",
            "SoftBounds",
            "ConstantStep",
            "--set",
            "up_down=0.2",
            "--set",
            "dw_min=0.005",
            "--n-devices",
            "3",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["device"] for r in rows] == ["SoftBoundsDevice", "ConstantStepDevice"]
    soft, const = rows
    assert soft["n_states"] == pytest.approx(1.2 / 0.005)
    assert soft["granularity"] == pytest.approx(0.005)
    # up_down = 0.2 shrinks the down step by 20 % (dtod and noise make it approximate)
    assert soft["asymmetry"] == pytest.approx(0.2, abs=0.08)
    # soft bounds settle above 0 (w* = 0.2/(1/0.6 + 0.8/0.6) = 0.067 for mean parameters)
    assert 0.02 < soft["symmetry_point"] < 0.12
    # a constant-step device with up_down > 0 drifts to its upper bound instead
    assert const["symmetry_point"] > 0.3
    png_check(out, min_height=500)


def test_device_table_and_unknown_device(tmp_path, capsys):
    assert main(["device", "GokmenVlasov", "--no-plot", "--n-devices", "2", "--pulses", "20"]) == 0
    out = capsys.readouterr().out
    assert "GokmenVlasovPresetDevice" in out and "1250" in out
    assert main(["device", "Nope", "--no-plot"]) == 2
    assert "unknown device 'Nope'" in capsys.readouterr().err
    assert main(["device", "IdealDevice", "--no-plot"]) == 2
    assert "not a pulsed device model" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "analogtrain", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("analogtrain ")
