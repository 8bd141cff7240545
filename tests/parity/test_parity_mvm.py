"""Parity of the analog MVM with aihwkit 1.1.0 (spec single-tile 3.2-3.8).

An ``IdealDevice`` tile (so that weights are stored exactly) gets a fixed weight and three
fixed input vectors, each repeated 4000 times in one batch; for every (vector, output)
element the mean and std of the output over the repeats are compared. Variants cover the
defaults, output/input/weight noise, DAC/ADC grids with and without stochastic rounding,
every noise-management type, bound management in saturation, MV types, asymmetries, IR
drop, output non-linearity, series resistance and the backward pass.

The same subprocess runs ``AnalogLinear`` layers (spec 3.9, compounds 4.4-4.7): outputs and
input gradients with digital and analog bias, mapping scales (``weight_scaling_omega``, also
per column), a split into a tile grid and the output-bound gradient mask.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from parity_helpers import OurLayer, OurTile, Report, seeded
from parity_protocols import layer_mvm, run_tile_case
from parity_spec import cls, enum

OUT, IN = 8, 16
REPEATS = 4000


def _inputs() -> dict[str, list]:
    gen = seeded(31)
    weight = torch.rand(OUT, IN, generator=gen) * 0.8 - 0.4
    uniform = torch.rand(IN, generator=gen) * 2 - 1
    large = 2.5 * (torch.rand(IN, generator=gen) * 2 - 1)
    sparse = torch.full((IN,), 0.05)
    sparse[3] = 1.0
    sparse[11] = -0.3
    positive_weight = 0.4 + 0.2 * torch.rand(OUT, IN, generator=gen)
    positive_weight[OUT - 1] = -positive_weight[OUT - 1]  # one output saturates negative
    ramp = torch.linspace(0.1, 1.0, IN)
    backward = torch.rand(3, OUT, generator=gen) * 2 - 1
    backward[1] *= 3.0
    return {
        "weight": weight.tolist(),
        "x": torch.stack([uniform, large, sparse]).tolist(),
        "positive_weight": positive_weight.tolist(),
        "x_saturating": torch.stack([ramp, 0.3 * ramp, ramp.flip(0) * 0.05]).tolist(),
        "d": backward.tolist(),
    }


INPUTS = _inputs()
NO_RES = {"inp_res": -1.0, "out_res": -1.0}


def _case(
    io: dict[str, Any], *, saturating: bool = False, direction: str = "forward"
) -> dict[str, Any]:
    io_spec = cls("IOParameters", **io)
    config = cls(
        "SingleRPUConfig",
        device=cls("IdealDevice"),
        **({"forward": io_spec} if direction == "forward" else {"backward": io_spec}),
    )
    if direction == "backward":
        x = INPUTS["d"]
    else:
        x = INPUTS["x_saturating"] if saturating else INPUTS["x"]
    return {
        "protocol": "mvm_outputs",
        "config": config,
        "out_size": OUT,
        "in_size": IN,
        "weight": INPUTS["positive_weight"] if saturating else INPUTS["weight"],
        "x": x,
        "repeats": REPEATS,
        "direction": direction,
    }


def _nm(name: str, **io: Any) -> dict[str, Any]:
    return _case({"noise_management": enum("NoiseManagementType", name), **io})


def _bm(name: str, **io: Any) -> dict[str, Any]:
    io = {"bound_management": enum("BoundManagementType", name), "out_bound": 2.0, **io}
    return _case(io, saturating=True)


GRIDS = {"inp_res": 1 / 30, "out_res": 1 / 100, "out_bound": 4.0, "out_noise": 0.0}

CASES = {
    "default": _case({}),
    "gaussian_out_noise": _case({"out_noise": 0.2, **NO_RES}),
    "out_scale": _case({"out_scale": 2.5, "out_noise": 0.1}),
    "w_noise_additive": _case(
        {
            "w_noise": 0.05,
            "w_noise_type": enum("WeightNoiseType", "ADDITIVE_CONSTANT"),
            "out_noise": 0.0,
            **NO_RES,
        }
    ),
    "w_noise_pcm_read": _case(
        {
            "w_noise": 0.05,
            "w_noise_type": enum("WeightNoiseType", "PCM_READ"),
            "out_noise": 0.0,
            **NO_RES,
        }
    ),
    "inp_noise": _case({"inp_noise": 0.05, "out_noise": 0.0, **NO_RES}),
    "grids": _case(GRIDS),
    "grids_stochastic_rounding": _case({**GRIDS, "inp_sto_round": True, "out_sto_round": True}),
    "nm_none": _nm("NONE"),
    "nm_max": _nm("MAX"),
    "nm_constant": _nm("CONSTANT", nm_thres=2.0),
    "nm_abs_max_threshold": _nm("ABS_MAX", nm_thres=0.8),
    "nm_abs_max_np_sum": _nm("ABS_MAX_NP_SUM", out_bound=3.0),
    "nm_average_abs_max": _nm("AVERAGE_ABS_MAX"),
    "bm_iterative_saturating": _bm("ITERATIVE"),
    "bm_iterative_worst_case": _bm("ITERATIVE_WORST_CASE"),
    "bm_none_clips": _bm("NONE"),
    "bm_positive_test_only": _bm("ITERATIVE", bm_test_negative_bound=False),
    "mv_pos_neg_separate": _case(
        {"mv_type": enum("AnalogMVType", "POS_NEG_SEPARATE"), "inp_noise": 0.05}
    ),
    "mv_pos_neg_digital_sum": _case(
        {"mv_type": enum("AnalogMVType", "POS_NEG_SEPARATE_DIGITAL_SUM"), "out_noise": 0.1}
    ),
    "asymmetries": _case({"inp_asymmetry": 0.2, "out_asymmetry": 0.3, "out_noise": 0.02}),
    "ir_drop": _case({"ir_drop": 1.0, "ir_drop_g_ratio": 100.0, "out_noise": 0.0, **NO_RES}),
    "out_nonlinearity": _case(
        {"out_nonlinearity": 0.5, "slope_calibration": 0.5, "out_noise": 0.02}
    ),
    "r_series": _case({"r_series": 0.05, "out_noise": 0.02}),
    "perfect": _case({"is_perfect": True}),
    "backward_default": _case({}, direction="backward"),
    "backward_noisy_unquantized": _case({"out_noise": 0.1, **NO_RES}, direction="backward"),
}


def _layer_case(
    mapping: dict[str, Any] | None = None, *, saturating: bool = False, **io: Any
) -> dict[str, Any]:
    config = cls(
        "SingleRPUConfig",
        device=cls("IdealDevice"),
        forward=cls("IOParameters", **io),
        mapping=cls("MappingParameter", **(mapping or {})),
    )
    gen = seeded(47)
    weight = torch.tensor(INPUTS["positive_weight" if saturating else "weight"])
    x = torch.tensor(INPUTS["x"])
    if saturating:  # |x| up to 10 and positive weights: outputs beyond the ADC's ±12
        x = 10.0 * x.abs()
    return {
        "protocol": "layer_mvm",
        "config": config,
        "in_size": IN,
        "out_size": OUT,
        "weight": (weight if saturating else 2.5 * weight).tolist(),
        "bias": (torch.rand(OUT, generator=gen) - 0.5).tolist(),
        "x": x.tolist(),
        "grad": (torch.rand(3, OUT, generator=gen) * 2 - 1).tolist(),
        "repeats": REPEATS,
    }


LAYER_CASES = {
    "layer_default": _layer_case(),
    "layer_mapping_omega": _layer_case({"weight_scaling_omega": 0.6}),
    "layer_mapping_columnwise": _layer_case(
        {"weight_scaling_omega": 0.6, "weight_scaling_columnwise": True}
    ),
    "layer_analog_bias": _layer_case({"digital_bias": False}, out_noise=0.1),
    "layer_split_into_tiles": _layer_case({"max_input_size": 6, "max_output_size": 5}),
    "layer_out_bound_gradient_mask": _layer_case(saturating=True),
}


@pytest.fixture(scope="module")
def reference(reference_runner: Any) -> dict[str, dict[str, np.ndarray]]:
    return reference_runner({**CASES, **LAYER_CASES})


@pytest.mark.parametrize("name", sorted(CASES))
def test_mvm_output_statistics_match_aihwkit(
    name: str, reference: dict[str, dict[str, np.ndarray]]
) -> None:
    ours = run_tile_case(OurTile, CASES[name])
    report = Report(f"MVM case {name!r}")
    # element [v, i]: vector v, output i; statistics over the repeats
    report.samples("output", reference[name]["y"], ours["y"])
    report.check()


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_layer_forward_and_input_gradient_match_aihwkit(
    name: str, reference: dict[str, dict[str, np.ndarray]]
) -> None:
    case = LAYER_CASES[name]
    ours = layer_mvm(OurLayer(case), case)
    report = Report(f"layer case {name!r}")
    report.samples("output", reference[name]["y"], ours["y"])
    report.samples("input gradient", reference[name]["x_grad"], ours["x_grad"])
    report.check()
