"""Parity of the pulsed device models with aihwkit 1.1.0 (spec single-tile 2.3-2.7, 2.11).

For every device model and a few presets, a 50x50 tile is built in both libraries, its
weights are set to a constant and then the first half of the rows receives only up pulses,
the second half only down pulses, a known number per cross-point (see
:func:`parity_protocols.pulse_response`). Compared, over the cross-points of each half:
mean and std of the device-to-device parameters (``get_hidden_parameters``), mean and std of
the weights after 10, 100, 500 and 1500 pulses, and the fraction of cross-points whose weight
did not move during the last stretch (saturated at a bound, or a vanishing step).

The same subprocess also runs the explicit weight operations (spec 2.8, 2.9: decay towards
the reset bias, diffusion, column resets, drift, write-noise redraws) on 40x40 tiles and
compares the weight statistics after each operation and the fraction of changed elements.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from parity_helpers import OurTile, Report
from parity_protocols import run_tile_case
from parity_spec import cls

SIZE = 50
BL = 5
#: update calls per checkpoint; each sample is BL pulses -> 10, 100, 500, 1500 pulses
SAMPLES = [2, 18, 80, 200]


def _case(device: dict[str, Any], step: float, w0: float = 0.0) -> dict[str, Any]:
    """A pulse-response case; ``step`` bounds the device granularity from above, so that
    ``lr = 4 BL step`` makes every pulse probability reach 1 (spec 4.3: A = B >= 1)."""
    update = cls(
        "UpdateParameters",
        desired_bl=BL,
        update_management=False,
        update_bl_management=False,
    )
    return {
        "protocol": "pulse_response",
        "config": cls("SingleRPUConfig", device=device, update=update),
        "out_size": SIZE,
        "in_size": SIZE,
        "w0": w0,
        "lr": 4 * BL * step,
        "samples": SAMPLES,
    }


def _dev(name: str, **fields: Any) -> dict[str, Any]:
    return cls(name, construction_seed=1234, **fields)


CASES = {
    "constant_step": _case(_dev("ConstantStepDevice"), 0.001),
    "constant_step_variants": _case(
        _dev(
            "ConstantStepDevice",
            up_down=0.3,
            w_max_dtod=0.1,
            dw_min_dtod_log_normal=True,
            corrupt_devices_prob=0.05,
        ),
        0.001,
    ),
    "linear_step": _case(_dev("LinearStepDevice", gamma_up=0.5, gamma_down=0.3), 0.001, 0.2),
    "linear_step_additive_write_noise": _case(
        _dev(
            "LinearStepDevice",
            gamma_up=0.2,
            gamma_down=0.4,
            mult_noise=False,
            mean_bound_reference=False,
            write_noise_std=3.0,
        ),
        0.001,
    ),
    "soft_bounds": _case(_dev("SoftBoundsDevice"), 0.001),
    "soft_bounds_pmax": _case(_dev("SoftBoundsPmaxDevice"), 0.003),
    "soft_bounds_reference": _case(
        _dev(
            "SoftBoundsReferenceDevice",
            up_down=0.1,
            slope_up_dtod=0.1,
            slope_down_dtod=0.1,
            reference_std=0.05,
            subtract_symmetry_point=True,
        ),
        0.001,
    ),
    "exp_step": _case(_dev("ExpStepDevice"), 0.001),
    "exp_step_complex_noise": _case(
        _dev("ExpStepDevice", dw_min_std_add=0.0005, dw_min_std_slope=0.2), 0.001, 0.1
    ),
    "pow_step": _case(_dev("PowStepDevice", pow_gamma=2.0, pow_up_down=0.2), 0.001),
    "pow_step_reference": _case(
        _dev("PowStepReferenceDevice", reference_std=0.05, subtract_symmetry_point=True), 0.001
    ),
    "piecewise_step": _case(
        _dev(
            "PiecewiseStepDevice",
            piecewise_up=[2.0, 1.5, 1.0, 0.6, 0.3],
            piecewise_down=[0.3, 0.6, 1.0, 1.5, 2.0],
        ),
        0.002,
    ),
    "preset_reram_es": _case(_dev("ReRamESPresetDevice"), 0.002),
    "preset_reram_sb": _case(_dev("ReRamSBPresetDevice"), 0.002),
    "preset_capacitor": _case(_dev("CapacitorPresetDevice"), 0.005),
    "preset_ecram": _case(_dev("EcRamPresetDevice"), 0.002),
    "preset_reram_array_om": _case(_dev("ReRamArrayOMPresetDevice"), 0.1),
}


OPS_SIZE = 40


def _ops(device: dict[str, Any], *operations: list[Any]) -> dict[str, Any]:
    return {
        "protocol": "weight_operations",
        "config": cls("SingleRPUConfig", device=device),
        "out_size": OPS_SIZE,
        "in_size": OPS_SIZE,
        "operations": [list(op) for op in operations],
    }


OPERATION_CASES = {
    "ops_decay": _ops(
        _dev("ConstantStepDevice", lifetime=20.0, lifetime_dtod=0.3, reset=0.2, reset_dtod=0.05),
        ["set", 0.5],
        ["decay", 1.0],
        ["decay", 1.0],
        ["decay", 0.5],
    ),
    "ops_diffusion": _ops(
        _dev("ConstantStepDevice", diffusion=0.01, diffusion_dtod=0.5),
        ["set", 0.1],
        ["diffuse"],
        ["diffuse"],
        ["diffuse"],
    ),
    "ops_reset": _ops(
        _dev("ConstantStepDevice", reset=0.1, reset_dtod=0.05, reset_std=0.01),
        ["set", -0.3],
        ["reset", 0, -1, 1.0],
        ["set", -0.3],
        ["reset", 30, 20, 0.5],
    ),
    "ops_write_noise": _ops(
        _dev("LinearStepDevice", write_noise_std=5.0, lifetime=50.0, diffusion=0.002),
        ["set", 0.2],
        ["decay", 1.0],
        ["diffuse"],
        ["reset", 0, 10, 1.0],
    ),
    "ops_drift": _ops(
        _dev(
            "ConstantStepDevice",
            drift=cls("DriftParameter", nu=0.1, nu_dtod=0.2, nu_std=0.05, w_noise_std=0.001),
        ),
        ["set", 0.4],
        ["drift", 1.0],
        ["drift", 10.0],
        ["drift", 100.0],
    ),
    "ops_ideal_device": _ops(
        cls("IdealDevice", lifetime=10.0, diffusion=0.01, reset_std=0.05),
        ["set", 0.5],
        ["decay", 1.0],
        ["diffuse"],
        ["reset", 0, -1, 1.0],
    ),
}


@pytest.fixture(scope="module")
def reference(reference_runner: Any) -> dict[str, dict[str, np.ndarray]]:
    return reference_runner({**CASES, **OPERATION_CASES})


def _compare_hidden(
    report: Report, ref: dict[str, np.ndarray], ours: dict[str, np.ndarray]
) -> None:
    ref_hidden = [k.split(".", 1)[1] for k in ref if k.startswith("hidden.")]
    our_hidden = [k.split(".", 1)[1] for k in ours if k.startswith("hidden.")]
    if ref_hidden != our_hidden:
        report.problems.append(f"hidden parameter names: aihwkit {ref_hidden} vs {our_hidden}")
    for name in ref_hidden:
        if name in our_hidden:
            key = f"hidden.{name}"
            report.samples(key, ref[key].reshape(-1), ours[key].reshape(-1))


def _compare(report: Report, ref: dict[str, np.ndarray], ours: dict[str, np.ndarray]) -> None:
    _compare_hidden(report, ref, ours)
    halves = {"up rows": slice(0, SIZE // 2), "down rows": slice(SIZE // 2, SIZE)}
    checkpoints = ["init"] + [str(k) for k in range(len(SAMPLES))]
    pulses = np.cumsum([0] + [BL * m for m in SAMPLES])
    steps = {"up rows": "hidden.dwmin_up", "down rows": "hidden.dwmin_down"}
    for half, rows in halves.items():
        for k, (point, n) in enumerate(zip(checkpoints, pulses)):
            w_ref, w_ours = ref[f"w.{point}"][rows], ours[f"w.{point}"][rows]
            report.samples(f"w after {n} pulses, {half}", w_ref.reshape(-1), w_ours.reshape(-1))
            if k > 0:
                report.samples(
                    f"(w - w_init) / own step after {n} pulses, {half}",
                    _in_steps(ref, point, rows, steps[half]),
                    _in_steps(ours, point, rows, steps[half]),
                )
                before = checkpoints[k - 1]
                report.fraction(
                    f"unmoved between {pulses[k - 1]} and {n} pulses, {half}",
                    w_ref == ref[f"w.{before}"][rows],
                    w_ours == ours[f"w.{before}"][rows],
                )


def _in_steps(obs: dict[str, np.ndarray], point: str, rows: slice, step: str) -> np.ndarray:
    """Weight change in units of each cross-point's own mean step ``Δ±_ij``: removes most of
    the device-to-device gain spread, leaving the pulse rule, its noise and the bounds."""
    delta = (obs[f"w.{point}"][rows] - obs["w.init"][rows]).reshape(-1)
    own = np.abs(obs[step][rows]).reshape(-1)
    return delta[own > 0] / own[own > 0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_pulse_response_matches_aihwkit(
    name: str, reference: dict[str, dict[str, np.ndarray]]
) -> None:
    ours = run_tile_case(OurTile, CASES[name])
    report = Report(f"device case {name!r}")
    _compare(report, reference[name], ours)
    report.check()


@pytest.mark.parametrize("name", sorted(OPERATION_CASES))
def test_weight_operations_match_aihwkit(
    name: str, reference: dict[str, dict[str, np.ndarray]]
) -> None:
    case = OPERATION_CASES[name]
    ours = run_tile_case(OurTile, case)
    ref = reference[name]
    report = Report(f"weight-operation case {name!r}")
    _compare_hidden(report, ref, ours)
    for k, (op, *args) in enumerate(case["operations"]):
        what = f"after operation {k} {op}{tuple(args)}"
        report.samples(f"w {what}", ref[f"w.{k}"].reshape(-1), ours[f"w.{k}"].reshape(-1))
        if k > 0:
            report.fraction(
                f"elements changed by operation {k} {op}{tuple(args)}",
                ref[f"w.{k}"] != ref[f"w.{k - 1}"],
                ours[f"w.{k}"] != ours[f"w.{k - 1}"],
            )
    report.check()
