"""DAC/ADC of the analog MVM: grids, clipping, noise, rounding, asymmetry (spec single-tile 3.3)."""

from __future__ import annotations

import math

import pytest
import torch

from analogtrain.configs.enums import BoundManagementType, NoiseManagementType
from analogtrain.configs.parameters import IOParameters
from analogtrain.kernels.mvm.io_management import converter_step, effective_io
from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state

NM_NONE = NoiseManagementType.NONE
BM_NONE = BoundManagementType.NONE


def quiet_io(**kw) -> IOParameters:
    """IO without noise, quantization, noise or bound management, unless overridden."""
    base = dict(
        out_noise=0.0,
        inp_res=0.0,
        out_res=0.0,
        noise_management=NM_NONE,
        bound_management=BM_NONE,
    )
    base.update(kw)
    return IOParameters(**base)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_default_steps_and_bounds():
    eff = effective_io(IOParameters())
    assert eff.inp_step == pytest.approx(1 / 63)
    assert eff.out_step == pytest.approx(24 / 510)
    assert (eff.inp_bound, eff.out_bound) == (1.0, 12.0)
    # resolution > 1 means "number of steps"; < 0 and bound <= 0 switch quantization off
    assert converter_step(126.0, 1.0) == pytest.approx(1 / 63)
    assert converter_step(-0.1, 1.0) == 0.0
    eff = effective_io(IOParameters(out_bound=0.0, inp_bound=-1.0, noise_management=NM_NONE))
    assert eff.out_bound == math.inf and eff.inp_bound == math.inf
    assert eff.out_step == 0.0 and eff.inp_step == 0.0


def test_dac_grid_127_levels():
    """Spec 6 item 2: NM off, W = 1, x in [-1.2, 1.2] -> 127 levels with step 1/63."""
    io = IOParameters(out_noise=0.0, out_res=0.0, noise_management=NM_NONE)
    x = torch.linspace(-1.2, 1.2, 4801, dtype=torch.float64).unsqueeze(1)
    w = torch.ones(1, 1, dtype=torch.float64)
    y = analog_mvm(w, x, io, {}, gen()).squeeze(1)
    levels = torch.unique(y)
    assert levels.numel() == 127
    assert torch.allclose(levels.diff(), torch.full((126,), 1 / 63, dtype=torch.float64))
    assert levels.min() == -1.0 and levels.max() == 1.0
    step = 2 / 126
    expected = (torch.round(x.squeeze(1) / step) * step).clamp(-1, 1)
    assert torch.allclose(y, expected)
    # first non-zero level at |x| >= 1/126 (half a step)
    eps = 1e-6
    near = torch.tensor([[1 / 126 - eps], [1 / 126 + eps], [-1 / 126 + eps], [-1 / 126 - eps]])
    y = analog_mvm(torch.ones(1, 1), near, io, {}, gen()).squeeze(1)
    assert y.tolist() == pytest.approx([0.0, 1 / 63, 0.0, -1 / 63])


def test_adc_grid_and_clip():
    """Spec 6 item 2: W = 10, DAC off -> output step 24/510, clipped at +-12."""
    io = IOParameters(
        out_noise=0.0,
        inp_res=0.0,
        inp_bound=0.0,
        noise_management=NM_NONE,
        bound_management=BM_NONE,
    )
    x = torch.linspace(-1.5, 1.5, 6001, dtype=torch.float64).unsqueeze(1)
    w = torch.full((1, 1), 10.0, dtype=torch.float64)
    y = analog_mvm(w, x, io, {}, gen()).squeeze(1)
    step = 24 / 510
    k = y / step
    assert torch.allclose(k, torch.round(k), atol=1e-9)
    assert y.max() == pytest.approx(12.0) and y.min() == pytest.approx(-12.0)
    assert torch.unique(y).numel() == 511
    inside = (10 * x.squeeze(1)).abs() < 11.9
    assert torch.allclose(y[inside], 10 * x.squeeze(1)[inside], atol=step / 2 + 1e-12)


def test_quantization_grid_scaled_by_noise_management():
    """With ABS_MAX the ADC grid is multiplied back by mu: y / (mu * step) is an integer."""
    io = IOParameters(out_noise=0.0)
    g = gen(1)
    x = torch.randn(50, 8, generator=g, dtype=torch.float64) * 3
    w = torch.randn(6, 8, generator=g, dtype=torch.float64) * 0.2
    y = analog_mvm(w, x, io, {}, g)
    mu = x.abs().amax(dim=1, keepdim=True)
    k = y / (mu * 24 / 510)
    assert torch.allclose(k, torch.round(k), atol=1e-6)
    # within half a step of each converter (scaled back by mu) of the ideal product
    bound = mu * (24 / 510 / 2 + w.abs().sum(dim=1) / 126)
    assert ((y - x @ w.T).abs() <= bound + 1e-12).all()


def test_output_noise_std():
    io = IOParameters(out_res=0.0, out_noise=0.06, bound_management=BM_NONE)
    x = torch.zeros(4000, 3)
    x[:, 0] = 3.0  # mu = 3
    w = torch.zeros(50, 3)
    y = analog_mvm(w, x, io, {}, gen(2))
    # std of the output noise scaled back by mu; standard error ~ 0.3 %
    assert y.mean().item() == pytest.approx(0.0, abs=5 * 0.18 / math.sqrt(y.numel()))
    assert y.std().item() == pytest.approx(3 * 0.06, rel=0.015)


def test_output_noise_grows_with_bound_management_factor():
    """A second BM pass (kappa = 2) doubles the effective output noise (spec 3.5)."""
    io = IOParameters(out_res=0.0, inp_res=0.0, out_noise=0.05, out_bound=1.0)
    x = torch.ones(2000, 1)
    w = torch.full((100, 1), 1.5)  # pass 1 saturates, pass 2 gives 0.75 +- 0.05
    y = analog_mvm(w, x, io, {}, gen(3))
    assert y.mean().item() == pytest.approx(1.5, abs=5 * 0.1 / math.sqrt(y.numel()))
    assert y.std().item() == pytest.approx(2 * 0.05, rel=0.015)


def test_per_output_noise_values():
    io = IOParameters(out_res=0.0, out_noise=0.1, out_noise_std=0.5)
    state = init_io_state(io, 400, 2, gen(4))
    sig = state["out_noise_values"]
    assert sig.shape == (400,) and (sig >= 0).all()
    assert sig.mean().item() == pytest.approx(0.1, abs=5 * 0.05 / math.sqrt(400))
    assert sig.std().item() == pytest.approx(0.05, rel=0.2)
    state["out_noise_values"] = torch.tensor([0.02, 0.2, 0.0, 0.1])
    x = torch.tensor([[1.0, 0.0]]).repeat(20000, 1)
    y = analog_mvm(torch.zeros(4, 2), x, io, state, gen(5))
    std = y.std(dim=0)
    assert std[2].item() == 0.0
    assert std[[0, 1, 3]].tolist() == pytest.approx([0.02, 0.2, 0.1], rel=0.03)


def test_stochastic_rounding_dac():
    io = quiet_io(inp_res=1 / 126, inp_sto_round=True)
    x = torch.full((20000, 1), 0.3 / 63)
    y = analog_mvm(torch.ones(1, 1), x, io, {}, gen(6)).squeeze(1)
    assert torch.unique(y).tolist() == pytest.approx([0.0, 1 / 63])
    frac = (y > 0).double().mean().item()
    assert frac == pytest.approx(0.3, abs=5 * math.sqrt(0.3 * 0.7 / 20000))
    # deterministic rounding gives 0 everywhere
    y = analog_mvm(torch.ones(1, 1), x, quiet_io(inp_res=1 / 126), {}, gen(6))
    assert (y == 0).all()


def test_stochastic_rounding_adc_is_unbiased():
    io = quiet_io(out_res=1 / 510, out_sto_round=True)
    x = torch.full((20000, 1), 0.25)
    y = analog_mvm(torch.full((1, 1), 0.1), x, io, {}, gen(7))  # 0.025 = 0.53 steps
    step = 24 / 510
    assert torch.unique(y).tolist() == pytest.approx([0.0, step])
    assert y.mean().item() == pytest.approx(0.025, abs=5 * step * 0.5 / math.sqrt(20000))


def test_input_noise_after_clip():
    io = quiet_io(inp_noise=0.1)
    x = torch.full((20000, 1), 3.0)  # clipped to 1 by the DAC, then noise
    y = analog_mvm(torch.ones(1, 1), x, io, {}, gen(8))
    assert y.mean().item() == pytest.approx(1.0, abs=5 * 0.1 / math.sqrt(20000))
    assert y.std().item() == pytest.approx(0.1, rel=0.03)


def test_input_and_output_asymmetry():
    x = torch.tensor([[-0.5], [0.5]])
    y = analog_mvm(torch.ones(1, 1), x, quiet_io(inp_asymmetry=0.2), {}, gen())
    assert y.squeeze(1).tolist() == pytest.approx([-0.4, 0.5])
    io = quiet_io(out_asymmetry=0.3)
    y = analog_mvm(torch.tensor([[1.0], [-1.0]]), torch.tensor([[0.5]]), io, {}, gen())
    assert y.squeeze(0).tolist() == pytest.approx([0.5, -0.35])
