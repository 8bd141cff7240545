"""Second, independent oracles (closed forms and numbers worked by hand, never generated from
the device rules or the kernels) for behaviours that one test held so far: the c2c noise of
the fast update, ExpStep's slope noise, input noise, IR drop and the bound-management rule."""

from __future__ import annotations

import math

import pytest
import torch

from analogtrain.configs import ConstantStepDevice, ExpStepDevice
from analogtrain.configs.enums import BoundManagementType, NoiseManagementType
from analogtrain.configs.parameters import IOParameters
from analogtrain.devices import create_device_array
from analogtrain.kernels import use_reference
from analogtrain.kernels.mvm.mvm import analog_mvm

NO_DTOD = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0)
OUT, IN = 40, 100  # 4000 cross-points per sample


def _quiet(**kw) -> IOParameters:
    base = dict(
        out_noise=0.0,
        inp_res=0.0,
        out_res=0.0,
        noise_management=NoiseManagementType.NONE,
        bound_management=BoundManagementType.NONE,
    )
    return IOParameters(**{**base, **kw})


def _apply(array, n: int, *, fast: bool) -> None:
    counts = torch.full((OUT, IN), n, dtype=torch.int64)
    down = torch.zeros(OUT, IN, dtype=torch.bool)
    gen = torch.Generator().manual_seed(11)
    if fast:
        numba = pytest.importorskip("numba")  # noqa: F841
        from analogtrain.kernels.update.cpu.fast_update import fast_apply_pulse_counts

        assert fast_apply_pulse_counts(array, counts, down, gen)
    else:
        with use_reference():
            array.apply_pulse_counts(counts, down, gen)


def _mean_std_bounds(values: torch.Tensor, mean: float, std: float) -> None:
    """Sample mean within 5 standard errors; sample std within 5 of its standard errors
    (``std / sqrt(2 (n - 1))`` for a normal sample)."""
    n = values.numel()
    v = values.double()
    assert abs(v.mean().item() - mean) < 5 * std / math.sqrt(n), (v.mean().item(), mean)
    assert abs(v.std().item() - std) < 5 * std / math.sqrt(2 * (n - 1)), (v.std().item(), std)


@pytest.mark.parametrize("fast", [False, True], ids=["reference", "numba"])
def test_constant_step_c2c_noise_closed_form(fast: bool) -> None:
    """20 up pulses of Δ = 0.001 with σ = 0.3 far from the bounds: w = 20 Δ + Δ σ Σ ξ, so
    mean 0.02 and std Δ σ √20 (sums of independent normals)."""
    config = ConstantStepDevice(dw_min=0.001, dw_min_std=0.3, **NO_DTOD)
    array = create_device_array(config, OUT, IN, torch.Generator().manual_seed(0))
    _apply(array, 20, fast=fast)
    _mean_std_bounds(array.weight, 0.02, 0.001 * 0.3 * math.sqrt(20))


@pytest.mark.parametrize("fast", [False, True], ids=["reference", "numba"])
def test_exp_step_slope_noise_closed_form(fast: bool) -> None:
    """One up pulse from w0 = 0.1 with complex noise: Δw = Δ max(1 - A_up e^(γ_up z), 0) with
    z = 2 a w0 / (b_max - b_min) + b, and std σ (|Δw| + std_add + std_slope |w0|)."""
    config = ExpStepDevice(
        dw_min=0.01, dw_min_std=0.2, dw_min_std_add=0.003, dw_min_std_slope=0.05, **NO_DTOD
    )
    array = create_device_array(config, OUT, IN, torch.Generator().manual_seed(0))
    array.set_weights(torch.full((OUT, IN), 0.1), torch.Generator().manual_seed(0))
    _apply(array, 1, fast=fast)
    span = config.w_max - config.w_min
    z = 2 * config.a * 0.1 / span + config.b
    dw = 0.01 * max(1 - config.A_up * math.exp(config.gamma_up * z), 0.0)
    assert 0.001 < dw < 0.01  # the exponential matters at this weight
    _mean_std_bounds(array.weight, 0.1 + dw, 0.2 * (dw + 0.003 + 0.05 * 0.1))


def test_input_noise_closed_form() -> None:
    """y_i = W_i (x + σ ξ): mean W_i x, std σ ||W_i|| (rows of norm 3 and 0.5)."""
    w = torch.tensor([[1.0, 2.0, -2.0], [0.0, 0.0, 0.5]])
    x = torch.tensor([[0.3, -0.2, 0.1]]).repeat(20000, 1)
    y = analog_mvm(w, x, _quiet(inp_noise=0.1), {}, torch.Generator().manual_seed(4))
    for i, (mean, std) in enumerate([(-0.3, 0.3), (0.05, 0.05)]):
        _mean_std_bounds(y[:, i], mean, std)


def test_ir_drop_worked_by_hand() -> None:
    """Strength 0.5, g_ratio = n_in = 3 (so a_i = c_i = Σ_j |W_ij x_j|), ramp (0, 5/9, 8/9):
    row 0: c = 1.5, f = 0.46875, W·(x ramp) = -13/18, y = -0.5 + 0.5 f 13/18 = -0.330729...;
    row 1: c = 2, f = 0.6, W·(x ramp) = -16/9, y = -2 + 0.5 · 0.6 · 16/9 = -1.466666..."""
    w = torch.tensor([[0.5, -1.0, 0.25], [0.0, 0.0, 1.0]], dtype=torch.float64)
    x = torch.tensor([[1.0, 0.5, -2.0]], dtype=torch.float64)
    io = _quiet(ir_drop=0.5, ir_drop_g_ratio=3.0, out_bound=0.0, inp_bound=0.0)
    y = analog_mvm(w, x, io, {}, torch.Generator().manual_seed(0))
    expected = [-0.5 + 0.5 * 0.46875 * 13 / 18, -2.0 + 0.5 * 0.6 * 16 / 9]
    assert y[0].tolist() == pytest.approx(expected, rel=1e-12)
    # input only on the first wire position: no drop at all (ramp 0 there)
    first = analog_mvm(w, torch.tensor([[2.0, 0.0, 0.0]], dtype=torch.float64), io, {},
                       torch.Generator())  # fmt: skip
    assert first[0].tolist() == pytest.approx([1.0, 0.0], rel=1e-12)


def test_bound_management_halves_the_input_until_the_output_fits() -> None:
    """y = W x = 3 with out_bound 1: passes at κ = 1 (clipped), 2 (1.5, clipped), 4 (0.75,
    fits) give 0.75 · 4 = 3 exactly; with max_bm_factor 1 the last computed pass is κ = 2,
    still clipped, so the result is 2 · out_bound."""
    w, x = torch.ones(1, 6, dtype=torch.float64), torch.full((1, 6), 0.5, dtype=torch.float64)
    iterative = dict(out_bound=1.0, bound_management=BoundManagementType.ITERATIVE)
    y = analog_mvm(w, x, _quiet(**iterative), {}, torch.Generator())
    assert y.item() == pytest.approx(3.0, rel=1e-12)
    y = analog_mvm(w, x, _quiet(max_bm_factor=1, **iterative), {}, torch.Generator())
    assert y.item() == pytest.approx(2.0, rel=1e-12)
    y = analog_mvm(w, x, _quiet(out_bound=1.0), {}, torch.Generator())  # no management
    assert y.item() == pytest.approx(1.0, rel=1e-12)
