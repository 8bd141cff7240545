"""Parity of the transfer compounds' bookkeeping with aihwkit 1.1.0 (spec compounds 6).

Protocol of compounds.md 6 item 2: ``AnalogLinear(4, 3, bias=False)`` with
``build_config(algorithm, ConstantStepDevice())``, ``AnalogSGD(lr=0.1)``, 5 optimizer steps
on batches of 10 (50 vector updates), the same weights and inputs in both libraries. The
counters that do not depend on random draws must agree exactly: number of vector updates,
transfer slice index, completed transfer passes, the running input magnitude ``m_x`` (a
function of the inputs only), the product ``count_lr · m_x · m_d`` (= ``fast_lr · desired_bl
· dw_min``, item 3) and AGAD's regular input choppers. A tile-level run checks AGAD's warm-up
(item 10): no visible weight change during the first ``(N + 1) · in_size = 44`` updates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from parity_helpers import OurLayer, OurTile, Report, seeded
from parity_protocols import layer_training, run_tile_case
from parity_spec import cls

IN, OUT = 4, 3


def _inputs() -> dict[str, list]:
    gen = seeded(5)
    return {
        "weight": (torch.rand(OUT, IN, generator=gen) - 0.5).tolist(),
        "batches": torch.randn(5, 10, IN, generator=gen).tolist(),
    }


INPUTS = _inputs()


def _layer_case(algorithm: str) -> dict[str, Any]:
    return {
        "protocol": "layer_training",
        "config": cls("build_config", algorithm=algorithm, device=cls("ConstantStepDevice")),
        "in_size": IN,
        "out_size": OUT,
        "lr": 0.1,
        **INPUTS,
    }


#: counters compared exactly per algorithm (the others are random or absent)
EXACT = {
    "c-ttv2": ["update_count", "slice_index", "transfer_counter", "m_x"],
    "ttv2": ["update_count", "slice_index", "transfer_counter", "count_lr", "in_chopper"],
    "agad": [
        "update_count",
        "slice_index",
        "transfer_counter",
        "m_x",
        "in_chopper",
        "in_chopper_switched",
    ],
    "tt": ["update_count", "slice_index"],
}
AUTO_SCALED = ("c-ttv2", "agad")

AGAD_WARMUP = {
    "protocol": "visible_changes",
    "config": cls(
        "build_config",
        algorithm="agad",
        device=cls("ConstantStepDevice"),
        attrs={"device.transfer_forward": cls("IOParameters", is_perfect=True)},
    ),
    "out_size": OUT,
    "in_size": IN,
    "x": [1.0, 0.8, -0.6, 0.4],
    "d": [0.5, -1.0, 0.3],
    "lr": 0.1,
    "vectors": 80,
}

CASES = {**{alg: _layer_case(alg) for alg in EXACT}, "agad_warmup": AGAD_WARMUP}


@pytest.fixture(scope="module")
def reference(reference_runner: Any) -> dict[str, dict[str, np.ndarray]]:
    return reference_runner(CASES)


def _ours(make: Any, case: dict[str, Any]) -> Any:
    """Build analogtrain's side (an error raised by analogtrain fails the test)."""
    return make(case)


@pytest.mark.parametrize("algorithm", sorted(EXACT))
def test_compound_counters_match_aihwkit(
    algorithm: str, reference: dict[str, dict[str, np.ndarray]]
) -> None:
    case = CASES[algorithm]
    ours = layer_training(_ours(OurLayer, case), case)
    ref = reference[algorithm]
    report = Report(f"{algorithm} after 5 steps of batch 10")
    for name in EXACT[algorithm]:
        report.exact(name, ref[f"counter.{name}"], ours[f"counter.{name}"])
    if algorithm in AUTO_SCALED:
        product = {
            side: obs["counter.count_lr"] * obs["counter.m_x"] * obs["counter.m_d"]
            for side, obs in (("ref", ref), ("ours", ours))
        }
        report.exact("count_lr * m_x * m_d", product["ref"], product["ours"], rtol=1e-4)
    report.check()


def test_agad_warmup_matches_aihwkit(reference: dict[str, dict[str, np.ndarray]]) -> None:
    ours = _ours(lambda c: run_tile_case(OurTile, c), AGAD_WARMUP)["changed"]
    ref = reference["agad_warmup"]["changed"]
    warmup = (10 + 1) * IN
    report = Report("agad warm-up (compounds 6 item 10)")
    report.exact(f"visible changes in the first {warmup} updates", ref[:warmup], ours[:warmup])
    report.exact("visible weight changed at all", ref.any(), ours.any())
    report.check()
