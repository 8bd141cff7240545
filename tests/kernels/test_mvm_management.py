"""Noise management (input scale mu) and bound management of the analog MVM (spec 3.4, 3.5)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from analogtrain.configs.enums import BoundManagementType, NoiseManagementType
from analogtrain.configs.parameters import IOParameters
from analogtrain.kernels.mvm.io_management import (
    AVERAGE_ABS_MAX_KEY,
    NM_DECAY,
    effective_io,
    noise_management_scale,
)
from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state

NM = NoiseManagementType
BM = BoundManagementType


def quiet_io(**kw) -> IOParameters:
    """IO without noise and quantization, NM ABS_MAX and no BM, unless overridden."""
    base = dict(out_noise=0.0, inp_res=0.0, out_res=0.0, bound_management=BM.NONE)
    base.update(kw)
    return IOParameters(**base)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def mvm(w, x, io, state=None, **kw):
    w = torch.as_tensor(w, dtype=torch.float64)
    x = torch.as_tensor(x, dtype=torch.float64)
    return analog_mvm(w, x, io, {} if state is None else state, gen(), **kw)


def test_abs_max_example():
    """Spec 6 item 3: ABS_MAX, W = [1, 2], x = [5, 3], no noise/quantization -> 11."""
    assert mvm([[1.0, 2.0]], [[5.0, 3.0]], quiet_io()).item() == pytest.approx(11.0)


def test_abs_max_threshold_clips_large_inputs():
    # mu = min(5, 2) = 2: x / mu = [2.5, 1.5] is clipped to [1, 1] by the DAC -> 3 * 2
    y = mvm([[1.0, 2.0]], [[5.0, 3.0]], quiet_io(nm_thres=2.0))
    assert y.item() == pytest.approx(6.0)


def test_max_uses_signed_maximum():
    io = quiet_io(noise_management=NM.MAX)
    # mu = max(-2, 1) = 1: x / mu = [-2 -> -1, 1] -> -1 + 2 = 1  (ABS_MAX would give 0)
    assert mvm([[1.0, 2.0]], [[-2.0, 1.0]], io).item() == pytest.approx(1.0)
    assert mvm([[1.0, 2.0]], [[-2.0, 1.0]], quiet_io()).item() == pytest.approx(0.0)
    # all inputs negative: mu <= 0 and no input noise -> zero output [quirk]
    assert mvm([[1.0, 2.0]], [[-0.3, -0.2]], io).item() == 0.0
    # with input noise the sample is processed unscaled instead
    y = mvm([[1.0, 2.0]], [[-0.3, -0.2]], quiet_io(noise_management=NM.MAX, inp_noise=1e-9))
    assert y.item() == pytest.approx(-0.7, abs=1e-6)


def test_constant_scale():
    y = mvm([[1.0, 2.0]], [[5.0, 3.0]], quiet_io(noise_management=NM.CONSTANT, nm_thres=4.0))
    assert y.item() == pytest.approx(4 * (1.0 + 2 * 0.75))  # 5/4 clipped to 1
    y = mvm([[1.0, 2.0]], [[5.0, 3.0]], quiet_io(noise_management=NM.CONSTANT))
    assert y.item() == pytest.approx(3.0)  # mu = 1, both inputs clipped to 1


def test_abs_max_np_sum_scale():
    eff = effective_io(IOParameters(noise_management=NM.ABS_MAX_NP_SUM))
    # S = max(sum of positives, -sum of negatives); s = S * 0.6 / out_bound
    x = torch.tensor([[1.0, 0.5, -0.2]])  # s = 1.5 * 0.6 / 12 = 0.075 < abs-max -> mu = 1
    assert noise_management_scale(x, eff, {}, max_bm_res=0.25).item() == pytest.approx(1.0)
    x = torch.full((1, 100), 2.0)  # s = 200 * 0.05 = 10
    assert noise_management_scale(x, eff, {}, max_bm_res=0.25).item() == pytest.approx(10.0)
    x = torch.full((1, 600), -1.0)  # s = 30, limited to 1 / (1/63) * 0.25 = 15.75
    assert noise_management_scale(x, eff, {}, max_bm_res=0.25).item() == pytest.approx(15.75)
    # through the MVM: W = 0.1, x = 1 (100 inputs): mu = 5, x/mu = 0.2 -> DAC 13/63
    io = IOParameters(noise_management=NM.ABS_MAX_NP_SUM, out_noise=0.0, out_res=0.0)
    y = mvm(torch.full((1, 100), 0.1), torch.ones(1, 100), io)
    assert y.item() == pytest.approx(5 * 100 * 0.1 * 13 / 63)


def _reference_average(a: list[float], start: float) -> list[float]:
    out, avg = [], start
    for value in a:
        if avg <= 0:
            avg = value
        else:
            avg = (1 - NM_DECAY) * avg + NM_DECAY * value
        out.append(avg)
    return out


def test_average_abs_max_sequential_running_value():
    io = IOParameters(noise_management=NM.AVERAGE_ABS_MAX)
    eff = effective_io(io)
    state = init_io_state(io, 3, 4, gen())
    running = state[AVERAGE_ABS_MAX_KEY]
    assert running.item() == 0.0
    g = gen(9)
    x = torch.randn(2500, 4, generator=g, dtype=torch.float64) * 2  # crosses chunk boundaries
    x[:3] = 0.0  # rows before the first non-zero one leave the value uninitialised
    expected = _reference_average(x.abs().amax(dim=1).tolist(), 0.0)
    state[AVERAGE_ABS_MAX_KEY] = running.double()
    mu = noise_management_scale(x, eff, state, max_bm_res=0.25)
    assert mu.tolist() == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert state[AVERAGE_ABS_MAX_KEY].item() == pytest.approx(expected[-1], rel=1e-6)
    # continues from the stored value on the next call
    x2 = torch.rand(10, 4, generator=g, dtype=torch.float64) * 10
    expected2 = _reference_average(x2.abs().amax(dim=1).tolist(), expected[-1])
    mu2 = noise_management_scale(x2, eff, state, max_bm_res=0.25)
    assert mu2.tolist() == pytest.approx(expected2, rel=1e-6)


def test_average_abs_max_in_mvm_and_shared_state():
    io = quiet_io(noise_management=NM.AVERAGE_ABS_MAX)
    fwd = init_io_state(io, 1, 1, gen())
    bwd = {AVERAGE_ABS_MAX_KEY: fwd[AVERAGE_ABS_MAX_KEY]}  # one value for both directions
    w = torch.ones(1, 1)
    y = analog_mvm(w, torch.tensor([[4.0], [2.0]]), io, fwd, gen())
    avg = (1 - NM_DECAY) * 4 + NM_DECAY * 2
    # first sample initialises the value (mu = 4); the second uses the updated average
    assert y.squeeze(1).tolist() == pytest.approx([4.0, 2.0])
    assert fwd[AVERAGE_ABS_MAX_KEY].item() == pytest.approx(avg)
    # a large input is clipped by the DAC at the running mu
    y = analog_mvm(w, torch.tensor([[10.0]]), io, bwd, gen(), is_backward=True)
    avg = (1 - NM_DECAY) * avg + NM_DECAY * 10
    assert y.item() == pytest.approx(avg, rel=1e-6)
    assert fwd[AVERAGE_ABS_MAX_KEY].item() == pytest.approx(avg, rel=1e-6)


def test_zero_input_gives_zero_output():
    io = IOParameters()  # defaults: noise on, ABS_MAX, ITERATIVE
    w = torch.randn(5, 7, generator=gen(1))
    y = analog_mvm(w, torch.zeros(3, 7), io, {}, gen())
    assert (y == 0).all()
    # with input noise the forward processes the (noisy) zero input unscaled ...
    y = analog_mvm(w, torch.zeros(3, 7), IOParameters(inp_noise=0.1), {}, gen())
    assert (y != 0).any()
    # ... but the backward pass returns zeros regardless of the input noise
    y = analog_mvm(w, torch.zeros(3, 7), IOParameters(inp_noise=0.1), {}, gen(), is_backward=True)
    assert (y == 0).all()


BM_EXAMPLE = dict(out_noise=0.0, out_res=0.0, out_bound=1.0)


def test_bound_management_worked_example():
    """Spec 3.5 / 6 item 4: W = ones(1, 100), out_bound = 1."""
    x = torch.full((2, 100), 0.02)
    x[:, 0] = 1.0
    x[1, 1:] = 0.2
    y = mvm(torch.ones(1, 100), x, IOParameters(**BM_EXAMPLE))
    assert y[0].item() == pytest.approx(4 * round(0.25 * 63) / 63)  # 1.0159
    assert y[0].item() == pytest.approx(1.0159, abs=1e-4)
    assert y[1].item() == pytest.approx(16.0)  # five passes, last one clipped: 16 * out_bound


def test_bound_management_factor_limit():
    x = torch.full((1, 100), 0.2)
    x[0, 0] = 1.0
    y = mvm(torch.ones(1, 100), x, IOParameters(max_bm_factor=2, **BM_EXAMPLE))
    # the pass whose kappa exceeds the limit is still computed: kappa = 1, 2, 4
    assert y.item() == pytest.approx(4.0)
    # without the DAC the resolution limit is off; max_bm_factor alone stops at 8
    y = mvm(torch.ones(1, 100), x, IOParameters(max_bm_factor=5, inp_res=0.0, **BM_EXAMPLE))
    assert y.item() == pytest.approx(8.0)


def dac(v: float) -> float:
    return round(v * 63) / 63


def test_bound_management_retries_only_failed_rows():
    """Each sample is managed on its own: the row that fits is not rescaled by kappa."""
    w = [[0.4, 0.9]]
    y = mvm(w, [[1.0, 1.0], [1.0, 0.1]], IOParameters(**BM_EXAMPLE))
    sat = 2 * (0.4 * dac(0.5) + 0.9 * dac(0.5))  # 1.3 saturates, second pass kappa = 2
    fit = 0.4 * 1.0 + 0.9 * dac(0.1)  # fits at kappa = 1
    assert y.squeeze(1).tolist() == pytest.approx([sat, fit])


def test_iterative_worst_case_second_pass():
    w = torch.full((1, 10), 0.5)
    x = torch.full((1, 10), 0.5)
    x[0, 0] = 1.0
    io = IOParameters(out_noise=0.0, out_res=0.0, out_bound=2.0)
    # pass 1 (ABS_MAX): 0.5 * (1 + 9 * 32/63) = 2.79 saturates; pass 2 uses the NP_SUM scale
    # mu = 5.5 * 0.6 / 2 = 1.65 with kappa = 1
    mu = 5.5 * 0.6 / 2
    expected = mu * 0.5 * (dac(1 / mu) + 9 * dac(0.5 / mu))
    y = mvm(w, x, dataclasses.replace(io, bound_management=BM.ITERATIVE_WORST_CASE))
    assert y.item() == pytest.approx(expected)
    y = mvm(w, x, io)  # plain ITERATIVE halves instead
    assert y.item() == pytest.approx(2 * 0.5 * (dac(0.5) + 9 * dac(0.25)))


def test_bm_test_negative_bound():
    io = dict(out_noise=0.0, out_res=0.0, inp_res=0.0, out_bound=1.0)
    x = [[1.0]]
    # default: any saturation fails -> second pass at kappa = 2 gives the exact result
    y = mvm([[2.0], [-2.0]], x, IOParameters(**io))
    assert y.squeeze(0).tolist() == pytest.approx([2.0, -2.0])
    # False: the last saturated output decides [quirk]: negative -> passed, clipped result
    loose = IOParameters(bm_test_negative_bound=False, **io)
    assert mvm([[2.0], [-2.0]], x, loose).squeeze(0).tolist() == pytest.approx([1.0, -1.0])
    assert mvm([[-2.0], [2.0]], x, loose).squeeze(0).tolist() == pytest.approx([-2.0, 2.0])
    assert mvm([[-2.0]], x, loose).item() == pytest.approx(-1.0)
    assert mvm([[2.0]], x, loose).item() == pytest.approx(2.0)


def test_backward_has_no_bound_management():
    x = torch.full((1, 100), 0.02)
    x[0, 0] = 1.0
    io = IOParameters(**BM_EXAMPLE)
    y = mvm(torch.ones(1, 100), x, io, is_backward=True)
    assert y.item() == pytest.approx(1.0)  # single pass, clipped at out_bound
    assert effective_io(io, is_backward=True).bound_management is BM.NONE
    # SHIFT is refused forward (test_mvm_basic) but silently off backward, as in aihwkit
    shift = IOParameters(bound_management=BM.SHIFT)
    assert effective_io(shift, is_backward=True).bound_management is BM.NONE


def test_average_abs_max_updated_once_per_sample_despite_retries():
    io = IOParameters(noise_management=NM.AVERAGE_ABS_MAX, **BM_EXAMPLE)
    state = init_io_state(io, 1, 100, gen())
    x = torch.full((2, 100), 0.02)
    x[:, 0] = 1.0
    x[1, 0] = 3.0
    y = analog_mvm(torch.ones(1, 100), x, io, state, gen())
    assert state[AVERAGE_ABS_MAX_KEY].item() == pytest.approx(1 - NM_DECAY + 3 * NM_DECAY)
    assert y[0].item() == pytest.approx(1.0159, abs=1e-4)  # same passes as with ABS_MAX
