"""Entry points of the analog MVM: perfect mode, reproducibility, validation (spec 3.2, 3.3)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs.enums import (
    AnalogMVType,
    BoundManagementType,
    NoiseManagementType,
    WeightNoiseType,
)
from analogtrain.configs.parameters import IOParameters
from analogtrain.errors import ConfigError, NotSimulatedError, TileError
from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


W = torch.randn(6, 10, generator=gen(100)) * 0.3
X = torch.randn(16, 10, generator=gen(101))


@pytest.mark.parametrize(
    "io",
    [
        IOParameters(is_perfect=True, out_scale=2.0, out_noise=1.0, w_noise=1.0),
        IOParameters(mv_type=AnalogMVType.IDEAL, out_scale=2.0, inp_noise=1.0),
    ],
)
def test_perfect_is_exact_with_out_scale(io):
    assert init_io_state(io, 6, 10, gen(), device="cpu") == {}
    y = analog_mvm(W, X, io, {}, gen())
    assert torch.allclose(y, 2.0 * X @ W.T, atol=1e-6)


def test_out_scale_multiplies_the_noisy_output():
    y1 = analog_mvm(W, X, IOParameters(), {}, gen(3))
    y2 = analog_mvm(W, X, IOParameters(out_scale=0.5), {}, gen(3))
    assert torch.allclose(y2, 0.5 * y1)


def test_default_forward_is_noisy_but_close():
    y = analog_mvm(W, X, IOParameters(), {}, gen(1))
    err = y - X @ W.T
    assert 0 < err.abs().max() < 0.6
    # output noise 0.06 (scaled by mu ~ 2) dominates the error
    mu = X.abs().amax(dim=1, keepdim=True)
    assert (err / mu).std().item() == pytest.approx(0.06, rel=0.3)


def test_same_seed_same_output():
    io = IOParameters(inp_noise=0.01, w_noise=0.01, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT)
    a = analog_mvm(W, X, io, {}, gen(5))
    b = analog_mvm(W, X, io, {}, gen(5))
    c = analog_mvm(W, X, io, {}, gen(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    sa = init_io_state(IOParameters(out_noise_std=0.2, v_offset_std=0.1), 6, 10, gen(7))
    sb = init_io_state(IOParameters(out_noise_std=0.2, v_offset_std=0.1), 6, 10, gen(7))
    assert sa.keys() == sb.keys() == {"out_noise_values", "v_offset"}
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_state_entries_only_when_needed():
    assert init_io_state(IOParameters(), 6, 10, gen()) == {}
    st = init_io_state(
        IOParameters(r_series=0.1, noise_management=NoiseManagementType.AVERAGE_ABS_MAX),
        6,
        10,
        gen(),
        dtype=torch.float64,
    )
    assert set(st) == {"v_offset", "out_nonlinearity", "out_nonlinearity_factor", "average_abs_max"}
    assert st["out_nonlinearity_factor"].shape == () and st["v_offset"].dtype == torch.float64


def test_float64_and_empty_batch():
    y = analog_mvm(W.double(), X.double(), IOParameters(), {}, gen())
    assert y.dtype == torch.float64 and y.shape == (16, 6)
    y = analog_mvm(W, torch.zeros(0, 10), IOParameters(), {}, gen())
    assert y.shape == (0, 6)


def test_backward_direction_uses_transposed_weight():
    io = IOParameters(out_noise=0.0, out_res=0.0, inp_res=0.0)
    d = torch.randn(4, 6, generator=gen(2))
    z = analog_mvm(W.T, d, io, {}, gen(), is_backward=True)
    assert z.shape == (4, 10)
    assert torch.allclose(z, d @ W, atol=1e-5)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (torch.zeros(10), "2-D"),
        (torch.zeros(3, 9), "input size 9"),
        (torch.zeros(3, 10, dtype=torch.float64), "dtype"),
        (torch.tensor([[float("nan")] + [0.0] * 9]), "1 NaN"),
        (torch.tensor([[float("inf")] * 2 + [0.0] * 8]), "2 inf"),
    ],
)
def test_input_validation(x, match):
    with pytest.raises(TileError, match=match):
        analog_mvm(W, x, IOParameters(), {}, gen())


def test_weight_must_be_2d():
    with pytest.raises(TileError, match="weight"):
        analog_mvm(torch.zeros(10), X, IOParameters(), {}, gen())


@pytest.mark.parametrize("mv", [AnalogMVType.SPLIT_MODE, AnalogMVType.BIT_WISE])
def test_unsupported_mv_types(mv):
    with pytest.raises(NotSimulatedError, match=mv.name):
        analog_mvm(W, X, IOParameters(mv_type=mv), {}, gen())


def test_invalid_io_combinations():
    with pytest.raises(NotSimulatedError, match="SHIFT"):
        analog_mvm(W, X, IOParameters(bound_management=BoundManagementType.SHIFT), {}, gen())
    with pytest.raises(ConfigError, match="inp_bound=2.0"):
        analog_mvm(W, X, IOParameters(inp_bound=2.0), {}, gen())
    # without noise management any input bound is fine
    io = IOParameters(inp_bound=2.0, noise_management=NoiseManagementType.NONE)
    assert analog_mvm(W, X, io, {}, gen()).shape == (16, 6)
    with pytest.raises(TileError, match="lacks 'average_abs_max'"):
        io = IOParameters(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
        analog_mvm(W, X, io, {}, gen())


def test_state_must_fit_parameters_and_direction():
    io = IOParameters(out_noise_std=0.1, mv_type=AnalogMVType.POS_NEG_SEPARATE)
    fwd = init_io_state(io, 6, 10, gen())
    assert analog_mvm(W, X, io, fwd, gen()).shape == (16, 6)
    with pytest.raises(TileError, match=r"'out_noise_values' has shape \(6,\), expected \(10,\)"):
        analog_mvm(W.T, torch.zeros(2, 6), io, fwd, gen(), is_backward=True)
    with pytest.raises(TileError, match="lacks 'w_asymmetry'"):
        analog_mvm(W, X, IOParameters(w_read_asymmetry_dtod=0.1, mv_type=io.mv_type), fwd, gen())
    # ONE_PASS does not read the asymmetry, so the entry is optional there
    assert analog_mvm(W, X, IOParameters(w_read_asymmetry_dtod=0.1), {}, gen()).shape == (16, 6)
