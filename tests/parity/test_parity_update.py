"""Parity of the pulsed update with aihwkit 1.1.0 (spec single-tile 4.3-4.5, 6 item 5).

A 3x3 tile of an ideal constant-step device (no device-to-device spread, no cycle-to-cycle
noise, step ``dw_min = 2⁻¹⁰`` so that weights are exact multiples of it, far-away bounds)
receives identical samples ``x = [1, 0.5, -0.25]``, ``d = [1, -0.3, 0.1]``; the mean weight
change per sample divided by the ideal ``-lr d xᵀ`` is compared element by element, for
several values of ``k = lr·max|x|·max|d| / dw_min`` (spec 4.4: unbiased for ``k <= 31``,
0.62 for the largest-``d`` row at ``k = 50``), with and without update management, for
every pulse type and for probability resolutions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from parity_helpers import OurTile, Report
from parity_protocols import run_tile_case
from parity_spec import cls, enum

DW_MIN = 2.0**-10
X = [1.0, 0.5, -0.25]
D = [1.0, -0.3, 0.1]
CHUNKS = 20
SAMPLES = 50

DEVICE = cls(
    "ConstantStepDevice",
    construction_seed=77,
    dw_min=DW_MIN,
    dw_min_dtod=0.0,
    dw_min_std=0.0,
    up_down_dtod=0.0,
    w_max=1000.0,
    w_min=-1000.0,
    w_max_dtod=0.0,
    w_min_dtod=0.0,
)


def _case(k: float, **update: Any) -> dict[str, Any]:
    config = cls("SingleRPUConfig", device=DEVICE, update=cls("UpdateParameters", **update))
    return {
        "protocol": "update_ratios",
        "config": config,
        "out_size": len(D),
        "in_size": len(X),
        "x": X,
        "d": D,
        "lr": k * DW_MIN,
        "chunks": CHUNKS,
        "samples": SAMPLES,
    }


def _pulse(name: str) -> dict[str, str]:
    return enum("PulseType", name)


NO_MANAGEMENT = {"update_management": False, "update_bl_management": False}

CASES = {
    "k2.5": _case(2.5),
    "k10.3": _case(10.3),
    "k50": _case(50.0),
    "k50_no_management": _case(50.0, **NO_MANAGEMENT),
    "k50_no_management_free_bl": _case(50.0, fixed_bl=False, **NO_MANAGEMENT),
    "k20_desired_bl10": _case(20.3, desired_bl=10),
    "k50_um_grad_scale": _case(50.0, um_grad_scale=0.5),
    "k10.3_um_only": _case(10.3, update_bl_management=False),
    "k10.3_stochastic": _case(10.3, pulse_type=_pulse("STOCHASTIC")),
    "k10.3_mean_count": _case(10.3, pulse_type=_pulse("MEAN_COUNT")),
    "k10.3_deterministic_implicit": _case(10.3, pulse_type=_pulse("DETERMINISTIC_IMPLICIT")),
    "k10.3_implicit_resolutions": _case(
        10.3,
        pulse_type=_pulse("DETERMINISTIC_IMPLICIT"),
        x_res_implicit=0.1,
        d_res_implicit=0.2,
    ),
    "k10.3_res": _case(10.3, res=0.1),
    "k10.3_res_sto_round": _case(10.3, res=0.1, sto_round=True),
    "k0.7_none_with_device": _case(0.7, pulse_type=_pulse("NONE_WITH_DEVICE")),
}


@pytest.fixture(scope="module")
def reference(reference_runner: Any) -> dict[str, dict[str, np.ndarray]]:
    return reference_runner(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_update_ratio_matches_aihwkit(
    name: str, reference: dict[str, dict[str, np.ndarray]]
) -> None:
    ours = run_tile_case(OurTile, CASES[name])
    report = Report(f"update case {name!r}")
    # element [i, j]: ΔW_ij per sample / (-lr d_i x_j), statistics over the chunks
    report.samples("ratio", reference[name]["ratio"], ours["ratio"])
    report.check()
