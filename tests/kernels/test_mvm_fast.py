"""The compiled CPU MVM (``kernels/mvm/fast.py``) against the torch reference: bit-identical
outputs, generator states and IO states over a grid of IO settings, directions, dtypes and
awkward rows (zero, tiny, saturating); declines visible under "auto" and "fast"."""

from __future__ import annotations

import warnings

import pytest
import torch

pytest.importorskip("numba")

from analogtrain.configs.enums import (  # noqa: E402
    AnalogMVType,
    BoundManagementType,
    NoiseManagementType,
    WeightNoiseType,
)
from analogtrain.configs.parameters import IOParameters  # noqa: E402
from analogtrain.errors import TileError  # noqa: E402
from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state  # noqa: E402
from analogtrain.kernels.update import backend  # noqa: E402
from analogtrain.kernels.update.backend import use_backend  # noqa: E402

NM, BM = NoiseManagementType, BoundManagementType

CASES = {
    "default": {},
    "noise_off": {"out_noise": 0.0},
    "inp_noise": {"inp_noise": 0.05},
    "inp_noise_asym": {"inp_noise": 0.05, "inp_asymmetry": 0.1},
    "inp_asym": {"inp_asymmetry": 0.2},
    "out_asym": {"out_asymmetry": 0.15},
    "no_quantization": {"inp_res": 0.0, "out_res": -1.0},
    "steps_as_counts": {"inp_res": 17, "out_res": 300},
    "sto_round": {"inp_sto_round": True, "out_sto_round": True},
    "out_unbounded": {"out_bound": 0.0},
    "out_bound_small": {"out_bound": 0.5},
    "nm_none_inp_unbounded": {"noise_management": NM.NONE, "inp_bound": 0.0},
    "nm_none_bounded": {"noise_management": NM.NONE, "out_bound": 2.0},
    "nm_max": {"noise_management": NM.MAX},
    "nm_constant": {"noise_management": NM.CONSTANT, "nm_thres": 0.7},
    "nm_abs_max_thres": {"nm_thres": 0.5},
    "nm_np_sum": {"noise_management": NM.ABS_MAX_NP_SUM},
    "nm_average": {"noise_management": NM.AVERAGE_ABS_MAX},
    "bm_none": {"bound_management": BM.NONE},
    "bm_worst_case": {"bound_management": BM.ITERATIVE_WORST_CASE, "out_bound": 3.0},
    "bm_worst_case_nm_none": {
        "bound_management": BM.ITERATIVE_WORST_CASE,
        "noise_management": NM.NONE,
        "out_bound": 2.0,
    },
    "bm_last_decides": {"bm_test_negative_bound": False, "out_bound": 3.0},
    "bm_limit": {"max_bm_factor": 4, "out_bound": 1.0},
    "out_noise_std": {"out_noise_std": 0.3},
    "nonlinearity": {
        "out_nonlinearity": 0.5,
        "out_nonlinearity_std": 0.2,
        "slope_calibration": 0.5,
    },
    "out_scale": {"out_scale": 2.5, "out_noise": 0.2},
    "perfect": {"is_perfect": True, "out_scale": 1.5},
    "ir_drop": {"ir_drop": 1.0, "ir_drop_g_ratio": 50.0},
    "v_offset": {"v_offset_std": 0.1},
    "r_series": {"r_series": 0.1, "v_offset_w_min": 0.0},
    "w_noise_additive": {"w_noise": 0.05, "w_noise_type": WeightNoiseType.ADDITIVE_CONSTANT},
    "w_noise_pcm": {"w_noise": 0.05, "w_noise_type": WeightNoiseType.PCM_READ},
    "pos_neg": {"mv_type": AnalogMVType.POS_NEG_SEPARATE, "ir_drop": 1.0, "out_bound": 3.0},
    "pos_neg_asymmetry": {
        "mv_type": AnalogMVType.POS_NEG_SEPARATE,
        "w_read_asymmetry_dtod": 0.2,
        "w_noise": 0.02,
        "w_noise_type": WeightNoiseType.ADDITIVE_CONSTANT,
    },
    "digital_sum": {
        "mv_type": AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM,
        "v_offset_std": 0.1,
        "out_bound": 2.0,
    },
    "digital_sum_nm_none": {
        "mv_type": AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM,
        "noise_management": NM.NONE,
        "out_scale": 0.5,
        "out_bound": 1.5,
    },
}

TINY = {torch.float32: 1e-41, torch.float64: 1e-310}


def _operands(dtype: torch.dtype, backward: bool, m: int = 9, n_in: int = 24, n_out: int = 10):
    g = torch.Generator().manual_seed(11)
    w = (torch.rand(n_out, n_in, generator=g) * 2 - 1).to(dtype)
    weight = w.t() if backward else w
    x = torch.randn(m, weight.shape[1], generator=g).to(dtype)
    x[1] = 0.0  # zero row
    x[2] = TINY[dtype] * torch.sign(x[2])  # subnormal row: lifted
    x[3] = 5.0 * torch.sign(weight[0])  # saturates output 0 positively
    x[4] = -5.0 * torch.sign(weight[1])  # saturates output 1 negatively
    x[5, :3] = 40.0  # a few large entries
    return weight, x


def _run(name: str, kwargs: dict, weight, x, backward: bool, path: str):
    io = IOParameters(**kwargs)
    state = init_io_state(io, *weight.shape, torch.Generator().manual_seed(3), dtype=x.dtype)
    if name == "nm_average":
        state["average_abs_max"].fill_(0.8)
    gen = torch.Generator().manual_seed(5)
    with use_backend(path):
        y = analog_mvm(weight, x, io, state, gen, is_backward=backward)
        y2 = analog_mvm(weight, x[:5], io, state, gen, is_backward=backward)
    return y, y2, gen.get_state(), {key: v.clone() for key, v in state.items()}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("name", list(CASES))
def test_fast_mvm_is_bit_identical_to_the_reference(name, backward, dtype) -> None:
    weight, x = _operands(dtype, backward)
    ref = _run(name, CASES[name], weight, x, backward, "reference")
    fast = _run(name, CASES[name], weight, x, backward, "fast")
    assert torch.equal(ref[0], fast[0])
    assert torch.equal(ref[1], fast[1])
    assert torch.equal(ref[2], fast[2])  # the same draws from the generator
    assert ref[3].keys() == fast[3].keys()
    for key in ref[3]:
        assert torch.equal(ref[3][key], fast[3][key])


@pytest.mark.parametrize("size", [(16, 64, 32), (33, 70, 17)])
def test_fast_mvm_is_bit_identical_at_layer_sizes(size) -> None:
    m, n_in, n_out = size
    weight, x = _operands(torch.float32, False, m, n_in, n_out)
    ref = _run("default", {}, weight, x, False, "reference")
    fast = _run("default", {}, weight, x, False, "fast")
    assert torch.equal(ref[0], fast[0]) and torch.equal(ref[2], fast[2])


def test_bound_management_retries_happen_in_the_grid() -> None:
    """The saturating rows of the grid really take retries (else the grid tests little)."""
    weight, x = _operands(torch.float32, False)
    io = IOParameters(out_noise=0.0)
    state = init_io_state(io, *weight.shape, torch.Generator())
    with use_backend("fast"):
        y = analog_mvm(weight, x, io, state, torch.Generator().manual_seed(0))
    exact = x @ weight.T
    assert y[3, 0] > io.out_bound and y[4, 1] < -io.out_bound  # beyond the ADC range
    assert torch.allclose(y[3:5], exact[3:5], atol=0.1 * float(x[3:5].abs().max()))
    assert torch.equal(y[1], torch.zeros_like(y[1]))  # zero input row: exactly zero


def test_noise_free_mvm_equals_the_quantized_product_by_hand() -> None:
    """Inputs and weights on exact binary grids: the result is the ADC-rounded exact
    product, rescaled by the row's abs-max (no bound-management retry: outputs < 12)."""
    g = torch.Generator().manual_seed(2)
    w = torch.randint(-32, 33, (7, 12), generator=g).double() / 64  # exact in float64
    levels = torch.randint(-63, 64, (5, 12), generator=g).double()
    levels[:, 0] = 63  # abs-max of every row is exactly 63 steps
    amax = torch.tensor([0.5, 1.0, 2.0, 4.0, 0.25], dtype=torch.float64)
    x = levels / 63 * amax[:, None]
    io = IOParameters(out_noise=0.0)
    with use_backend("fast"):
        y = analog_mvm(w, x, io, {}, torch.Generator())
    analog = (levels / 63) @ w.T  # DAC exact: x / amax is on the grid
    step = 24 / 510
    expected = torch.round(analog / step) * step * amax[:, None]
    assert torch.allclose(y, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("path", ["fast", "reference"])
@pytest.mark.parametrize("case", ["default", "sto_round", "nm_np_sum"])
def test_non_finite_input_raises_the_same_error_and_draws_nothing(path, case) -> None:
    weight, x = _operands(torch.float32, False)
    x[4, 7] = float("nan")
    x[6, 1] = float("inf")
    io = IOParameters(**CASES[case])
    gen = torch.Generator().manual_seed(1)
    before = gen.get_state()
    with use_backend(path), pytest.raises(TileError, match=r"\(1 NaN, 1 inf\)"):
        analog_mvm(weight, x, io, {}, gen)
    assert torch.equal(gen.get_state(), before)


def test_backend_fast_raises_naming_the_reason_and_changes_nothing() -> None:
    weight, x = _operands(torch.float32, False)
    weight.requires_grad_(True)
    io = IOParameters(out_noise_std=0.2, noise_management=NM.AVERAGE_ABS_MAX)
    state = init_io_state(io, *weight.shape, torch.Generator().manual_seed(0))
    saved = {key: v.clone() for key, v in state.items()}
    gen = torch.Generator().manual_seed(1)
    before = gen.get_state()
    with use_backend("fast"), pytest.raises(backend.FastPathUnavailable, match="differentiable"):
        analog_mvm(weight, x, io, state, gen)
    assert torch.equal(gen.get_state(), before)
    assert all(torch.equal(saved[key], state[key]) for key in saved)


def test_backend_fast_raises_for_cpu_tensors_of_other_dtypes() -> None:
    weight, x = _operands(torch.float32, False)
    with use_backend("fast"), pytest.raises(backend.FastPathUnavailable, match="bfloat16"):
        analog_mvm(weight.bfloat16(), x.bfloat16(), IOParameters(), {}, torch.Generator())


def test_backend_auto_warns_once_per_reason_and_gives_the_reference_result(monkeypatch) -> None:
    monkeypatch.setattr(backend, "_warned", set())
    weight, x = _operands(torch.float32, False)
    weight.requires_grad_(True)
    io = IOParameters()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with use_backend("auto"):
            ys = [analog_mvm(weight, x, io, {}, torch.Generator().manual_seed(2)) for _ in "ab"]
    ours = [w for w in seen if issubclass(w.category, backend.FastPathWarning)]
    assert len(ours) == 1 and "differentiable" in str(ours[0].message)
    with use_backend("reference"), torch.no_grad():
        ref = analog_mvm(weight, x, io, {}, torch.Generator().manual_seed(2))
    assert torch.equal(ys[0].detach(), ref) and torch.equal(ys[1].detach(), ref)


def test_changing_a_field_of_the_same_config_object_changes_the_result() -> None:
    """The memoised plans follow the field values, not the object."""
    weight, x = _operands(torch.float32, False)
    io = IOParameters(out_noise=0.0)
    with use_backend("fast"):
        a = analog_mvm(weight, x, io, {}, torch.Generator())
        io.out_scale = 3.0
        b = analog_mvm(weight, x, io, {}, torch.Generator())
    assert torch.allclose(b, a * 3.0, rtol=1e-6, atol=1e-30)  # (y mu) 3 vs y (3 mu)
