"""Analog non-idealities and MVM types of the analog MVM (spec single-tile 3.2 step 6, 3.6, 3.7)."""

from __future__ import annotations

import math

import pytest
import torch

from analogtrain.configs.enums import (
    AnalogMVType,
    BoundManagementType,
    NoiseManagementType,
    WeightNoiseType,
)
from analogtrain.configs.parameters import IOParameters
from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state


def quiet_io(**kw) -> IOParameters:
    """IO without noise, quantization, noise or bound management, unless overridden."""
    base = dict(
        out_noise=0.0,
        inp_res=0.0,
        out_res=0.0,
        noise_management=NoiseManagementType.NONE,
        bound_management=BoundManagementType.NONE,
    )
    base.update(kw)
    return IOParameters(**base)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_additive_constant_weight_noise():
    io = quiet_io(w_noise=0.05, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT)
    x = torch.tensor([[0.5, -0.3, 0.2, 0.1]]).repeat(500, 1)
    y = analog_mvm(torch.zeros(200, 4), x, io, {}, gen(1))
    expected = 0.05 * x[0].norm().item()
    assert y.mean().item() == pytest.approx(0.0, abs=5 * expected / math.sqrt(y.numel()))
    assert y.std().item() == pytest.approx(expected, rel=0.015)


def test_pcm_read_weight_noise():
    io = quiet_io(w_noise=0.1, w_noise_type=WeightNoiseType.PCM_READ)
    w = torch.tensor([[1.0, 0.0, 0.0], [0.0, -0.5, 0.5], [0.2, 0.2, -0.2], [0.0, 0.0, 0.0]])
    x = torch.tensor([[0.5, 1.0, -0.3]]).repeat(20000, 1)
    y = analog_mvm(w, x, io, {}, gen(2))
    expected = 0.1 * torch.sqrt(w.abs() @ (x[0] ** 2))
    assert expected[3] == 0 and (y[:, 3] == 0).all()
    assert y.std(dim=0)[:3].tolist() == pytest.approx(expected[:3].tolist(), rel=0.03)
    assert y.mean(dim=0)[:3].tolist() == pytest.approx((w @ x[0])[:3].tolist(), abs=0.003)


def test_ir_drop_by_hand():
    io = quiet_io(ir_drop=0.5, ir_drop_g_ratio=4.0)
    y = analog_mvm(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5, 1.0]]), io, {}, gen())
    # c = 1*0.5 + 2*1 = 2.5;  a = 2/4 * 2.5 = 1.25;  f = 0.05 a^3 - 0.2 a^2 + 0.5 a = 0.41015625
    # x' = [0.5 * (1 - 1^2), 1 * (1 - 0.5^2)] = [0, 0.75];  W x' = 1.5
    assert y.item() == pytest.approx(2.5 - 0.5 * 0.41015625 * 1.5)


def test_voltage_offset_draws():
    io = IOParameters(v_offset_std=0.2)
    v = init_io_state(io, 20000, 1, gen(3))["v_offset"]
    assert (v >= 0).all()
    assert (v == 0).double().mean().item() == pytest.approx(0.5, abs=5 * 0.5 / math.sqrt(20000))
    # half-normal mean sigma * sqrt(2/pi) / 2 per draw (half of them are zero)
    mean = 0.2 / math.sqrt(2 * math.pi)
    assert v.mean().item() == pytest.approx(mean, rel=0.03)


def test_voltage_offset_formula():
    w = torch.tensor([[1.0, 0.5], [0.2, 0.3]])
    x = torch.tensor([[0.5, 0.25]])  # W x = [0.625, 0.175], sum x = 0.75
    state = {"v_offset": torch.tensor([0.1, 0.0])}
    y = analog_mvm(w, x, quiet_io(v_offset_std=0.1), state, gen())  # v_offset_w_min = -1
    assert y.squeeze(0).tolist() == pytest.approx([0.9 * 0.625 - 2 * 0.1 * 0.75, 0.175])
    y = analog_mvm(w, x, quiet_io(v_offset_std=0.1, v_offset_w_min=0.0), state, gen())
    assert y.squeeze(0).tolist() == pytest.approx([0.9 * 0.625, 0.175])
    # series resistance saturates each current I as I / (1 + r_series |I|)
    io = quiet_io(v_offset_std=0.1, v_offset_w_min=0.0, r_series=0.5)
    state = init_io_state(io, 2, 2, gen())
    assert state["out_nonlinearity"].tolist() == [0.0, 0.0]
    state["v_offset"] = torch.tensor([0.1, 0.0])
    y = analog_mvm(w, x, io, state, gen())
    assert y.squeeze(0).tolist() == pytest.approx([0.9 * 0.625 / 1.3125, 0.175 / 1.0875])
    io = quiet_io(v_offset_std=0.1, r_series=0.5)  # with the reference column (w_min = -1)
    y = analog_mvm(w, x, io, state, gen())
    ref = 0.75 / (1 + 0.5 * 0.75)
    expected = [0.9 * 1.375 / (1 + 0.5 * 1.375) - 1.1 * ref, 0.925 / (1 + 0.5 * 0.925) - ref]
    assert y.squeeze(0).tolist() == pytest.approx(expected)


def test_output_nonlinearity_and_slope_calibration():
    io = quiet_io(out_nonlinearity=0.5, slope_calibration=0.5)
    state = init_io_state(io, 3, 1, gen())
    n = 0.5 / 12
    assert state["out_nonlinearity"].tolist() == pytest.approx([n] * 3)
    factor = (1 + n * 0.5 * 12) ** 2  # 1.5625
    assert state["out_nonlinearity_factor"].item() == pytest.approx(factor)
    y = analog_mvm(torch.tensor([[2.0], [-2.0], [0.0]]), torch.ones(1, 1), io, state, gen())
    sat = factor * 2 / (1 + n * 2)
    assert y.squeeze(0).tolist() == pytest.approx([sat, -sat, 0.0])
    # spread across outputs
    io = quiet_io(out_nonlinearity=1.2, out_nonlinearity_std=0.1)
    n = init_io_state(io, 5000, 1, gen(4))["out_nonlinearity"]
    assert n.mean().item() == pytest.approx(0.1, rel=0.01)
    assert n.std().item() == pytest.approx(0.01, rel=0.05)


def test_pos_neg_separate_equals_one_pass_without_nonidealities():
    g = gen(5)
    w = torch.randn(7, 9, generator=g, dtype=torch.float64) * 0.3
    x = torch.randn(40, 9, generator=g, dtype=torch.float64)
    one = analog_mvm(w, x, IOParameters(), {}, gen(6))
    sep = analog_mvm(w, x, IOParameters(mv_type=AnalogMVType.POS_NEG_SEPARATE), {}, gen(6))
    assert torch.allclose(one, sep, atol=1e-9)
    assert not torch.allclose(one, x @ w.T, atol=1e-3)  # noise and quantization are there


def test_digital_sum_draws_output_noise_twice():
    x = torch.tensor([[1.0, -1.0]]).repeat(20000, 1)
    w = torch.zeros(5, 2)
    base = dict(out_res=0.0, out_noise=0.1)
    sep = analog_mvm(w, x, IOParameters(mv_type=AnalogMVType.POS_NEG_SEPARATE, **base), {}, gen())
    mv = AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM
    dig = analog_mvm(w, x, IOParameters(mv_type=mv, **base), {}, gen())
    assert sep.var().item() == pytest.approx(0.01, rel=0.03)
    assert dig.var().item() == pytest.approx(0.02, rel=0.03)


def test_digital_sum_clips_each_pass():
    io = quiet_io(mv_type=AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM, out_bound=1.0)
    y = analog_mvm(torch.tensor([[2.0, 2.0]]), torch.tensor([[1.0, -0.5]]), io, {}, gen())
    assert y.item() == pytest.approx(1.0 - 1.0)  # both passes clip separately
    io = quiet_io(mv_type=AnalogMVType.POS_NEG_SEPARATE, out_bound=1.0)
    y = analog_mvm(torch.tensor([[2.0, 2.0]]), torch.tensor([[1.0, -0.5]]), io, {}, gen())
    assert y.item() == pytest.approx(1.0)  # analog sum 2 - 1 = 1 fits


def test_read_asymmetry_only_on_negative_pass():
    io = quiet_io(mv_type=AnalogMVType.POS_NEG_SEPARATE, w_read_asymmetry_dtod=0.1)
    state = init_io_state(io, 300, 300, gen(7))
    a = state["w_asymmetry"]
    assert a.mean().item() == pytest.approx(1.0, abs=5 * 0.1 / 300)
    assert a.std().item() == pytest.approx(0.1, rel=0.02)
    state = {"w_asymmetry": torch.tensor([[2.0, 3.0]])}
    w, x = torch.tensor([[1.0, 1.0]]), torch.tensor([[-0.5, 0.5], [0.5, -0.5]])
    y = analog_mvm(w, x, io, state, gen())
    assert y.squeeze(1).tolist() == pytest.approx([2 * -0.5 + 0.5, 0.5 + 3 * -0.5])
    one_pass = quiet_io(w_read_asymmetry_dtod=0.1)
    assert (analog_mvm(w, x, one_pass, state, gen()) == 0).all()
