"""AnalogTile physics: MVMs, updates, weights, hidden parameters, maintenance operations."""

from __future__ import annotations

import math

import pytest
import torch

from analogtrain.configs import (
    BoundManagementType,
    ConstantStepDevice,
    DriftParameter,
    FloatingPointDevice,
    FloatingPointRPUConfig,
    IdealDevice,
    IOParameters,
    LinearStepDevice,
    NoiseManagementType,
    PulseType,
    SingleRPUConfig,
    UpdateParameters,
)
from analogtrain.errors import TileError
from analogtrain.tiles import AnalogTile

PERFECT = IOParameters(is_perfect=True)


def quiet_step_device(**kw) -> ConstantStepDevice:
    """A constant-step device without any device-to-device or cycle-to-cycle variation."""
    base = dict(
        construction_seed=7,
        dw_min_dtod=0.0,
        dw_min_std=0.0,
        up_down_dtod=0.0,
        w_max_dtod=0.0,
        w_min_dtod=0.0,
        reset_std=0.0,
    )
    base.update(kw)
    return ConstantStepDevice(**base)


def noisy_io(out_noise: float) -> IOParameters:
    """Output noise only: no quantisation, no clipping, no noise/bound management."""
    return IOParameters(
        out_noise=out_noise,
        inp_res=-1.0,
        out_res=-1.0,
        out_bound=0.0,
        noise_management=NoiseManagementType.NONE,
        bound_management=BoundManagementType.NONE,
    )


def make_tile(out_size=5, in_size=4, **cfg) -> AnalogTile:
    cfg.setdefault("forward", PERFECT)
    cfg.setdefault("backward", PERFECT)
    return AnalogTile(out_size, in_size, SingleRPUConfig(**cfg))


def batch(m: int, n: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return scale * (2 * torch.rand(m, n, generator=g) - 1)


# ---------------------------------------------------------------------- construction
def test_initial_weights_uniform_within_0_1():
    tile = AnalogTile(40, 50, SingleRPUConfig(device=quiet_step_device()))
    w = tile.get_weights()
    assert w.shape == (40, 50)
    assert w.abs().max() <= 0.1
    # U(-0.1, 0.1): mean 0, std 0.1/sqrt(3); 2000 samples
    assert abs(w.mean().item()) < 5 * 0.0577 / math.sqrt(2000)
    assert w.std().item() == pytest.approx(0.1 / math.sqrt(3), rel=0.05)


def test_construction_is_reproducible_for_a_fixed_seed():
    cfg = SingleRPUConfig(device=ConstantStepDevice(construction_seed=123))
    torch.manual_seed(1)
    a = AnalogTile(6, 7, cfg)
    torch.manual_seed(2)
    b = AnalogTile(6, 7, cfg)
    assert torch.equal(a.get_weights(), b.get_weights())
    for (na, va), (nb, vb) in zip(
        a.get_hidden_parameters().items(), b.get_hidden_parameters().items()
    ):
        assert na == nb and torch.equal(va, vb)
    c = AnalogTile(6, 7, SingleRPUConfig(device=ConstantStepDevice(construction_seed=124)))
    assert not torch.equal(
        a.get_hidden_parameters()["max_bound"], c.get_hidden_parameters()["max_bound"]
    )


def test_construction_seed_zero_follows_torch_manual_seed():
    torch.manual_seed(5)
    a = AnalogTile(6, 7, SingleRPUConfig())
    torch.manual_seed(5)
    b = AnalogTile(6, 7, SingleRPUConfig())
    torch.manual_seed(6)
    c = AnalogTile(6, 7, SingleRPUConfig())
    max_a = a.get_hidden_parameters()["max_bound"]
    assert torch.equal(max_a, b.get_hidden_parameters()["max_bound"])
    assert not torch.equal(max_a, c.get_hidden_parameters()["max_bound"])


# ---------------------------------------------------------------------- MVMs
def test_perfect_forward_is_w_x_and_backward_is_w_transpose_d():
    tile = make_tile()
    w = tile.get_weights()
    x = batch(9, 4, seed=1)
    d = batch(9, 5, seed=2)
    torch.testing.assert_close(tile.forward_mvm(x), x @ w.t())
    torch.testing.assert_close(tile.backward_mvm(d), d @ w)


def test_forward_output_noise_has_std_out_noise():
    tile = make_tile(8, 6, forward=noisy_io(0.1))
    x = batch(2000, 6, seed=3)
    err = tile.forward_mvm(x) - x @ tile.get_weights().t()
    n = err.numel()
    assert abs(err.mean().item()) < 5 * 0.1 / math.sqrt(n)
    assert err.std().item() == pytest.approx(0.1, abs=5 * 0.1 / math.sqrt(2 * n))


def test_backward_uses_its_own_io_parameters():
    tile = make_tile(8, 6, forward=noisy_io(0.0), backward=noisy_io(0.2))
    w = tile.get_weights()
    x = batch(1000, 6, seed=4)
    d = batch(1000, 8, seed=5)
    torch.testing.assert_close(tile.forward_mvm(x), x @ w.t())
    err = tile.backward_mvm(d) - d @ w
    assert err.shape == (1000, 6)
    n = err.numel()
    assert err.std().item() == pytest.approx(0.2, abs=5 * 0.2 / math.sqrt(2 * n))


def test_default_io_forward_is_close_to_w_x():
    tile = AnalogTile(10, 12, SingleRPUConfig())
    x = batch(200, 12, seed=6)
    y = tile.forward_mvm(x)
    err = y - x @ tile.get_weights().t()
    # out_noise 0.06 times the abs-max of x (<= 1), plus ADC/DAC quantisation
    assert err.std().item() < 0.08
    assert err.std().item() > 0.01


# ---------------------------------------------------------------------- updates
def test_constant_step_update_mean_is_minus_lr_d_x():
    dw_min, lr, m = 0.001, 0.01, 300
    tile = make_tile(5, 4, device=quiet_step_device(dw_min=dw_min, w_max=10.0, w_min=-10.0))
    tile.set_weights(torch.zeros(5, 4))
    x = batch(1, 4, seed=7)
    d = batch(1, 5, seed=8)
    tile.update(x.repeat(m, 1), d.repeat(m, 1), lr)
    expected = -lr * m * d.t() @ x
    # per sample the number of coincidences is binomial with mean n = lr|d||x|/dw_min
    # (variance <= n); m samples sum up.
    n = lr * (d.t().abs() @ x.abs()) / dw_min
    tol = 5 * dw_min * torch.sqrt(m * n) + 2 * dw_min
    assert torch.all((tile.get_weights() - expected).abs() <= tol)
    # and the direction is right everywhere the expected change is clear
    big = expected.abs() > 3 * tol
    assert torch.all(torch.sign(tile.get_weights()[big]) == torch.sign(expected[big]))


def test_learning_rate_zero_changes_nothing():
    tile = AnalogTile(5, 4, SingleRPUConfig())
    w0 = tile.get_weights()
    tile.update(batch(3, 4, 1), batch(3, 5, 2), 0.0)
    assert torch.equal(tile.get_weights(), w0)


def test_ideal_device_update_is_exact():
    tile = make_tile(device=IdealDevice(construction_seed=3))
    w0 = tile.get_weights()
    x = batch(6, 4, seed=9)
    d = batch(6, 5, seed=10, scale=5.0)
    tile.update(x, d, 0.3)
    torch.testing.assert_close(tile.get_weights(), w0 - 0.3 * d.t() @ x)


def test_pulse_type_none_is_exact_and_unbounded():
    device = quiet_step_device(w_max=0.2, w_min=-0.2, lifetime=10.0, diffusion=0.0)
    tile = make_tile(device=device, update=UpdateParameters(pulse_type=PulseType.NONE))
    assert isinstance(tile.device_config, IdealDevice)
    assert tile.device_config.lifetime == 10.0
    tile.set_weights(torch.full((5, 4), 2.0))  # far beyond the pulsed device's bounds
    assert torch.equal(tile.get_weights(), torch.full((5, 4), 2.0))
    x = batch(3, 4, seed=11)
    d = batch(3, 5, seed=12, scale=10.0)
    tile.update(x, d, 1.0)
    expected = 2.0 - d.t() @ x
    torch.testing.assert_close(tile.get_weights(), expected)
    tile.post_update_step()  # decay of the ideal device: W <- (1 - 1/lifetime) W
    torch.testing.assert_close(tile.get_weights(), 0.9 * expected)


def test_floating_point_config_is_exact():
    cfg = FloatingPointRPUConfig(device=FloatingPointDevice(lifetime=4.0))
    tile = AnalogTile(5, 4, cfg)
    w = tile.get_weights()
    x = batch(7, 4, seed=13, scale=30.0)
    d = batch(7, 5, seed=14, scale=30.0)
    torch.testing.assert_close(tile.forward_mvm(x), x @ w.t())
    torch.testing.assert_close(tile.backward_mvm(d), d @ w)
    tile.update(x, d, 0.01)
    w1 = w - 0.01 * d.t() @ x
    torch.testing.assert_close(tile.get_weights(), w1)
    tile.post_update_step()
    torch.testing.assert_close(tile.get_weights(), 0.75 * w1)


# ---------------------------------------------------------------------- weights
def test_set_weights_clips_to_the_device_bounds():
    tile = make_tile(device=quiet_step_device(w_max=0.3, w_min=-0.2))
    target = torch.linspace(-1, 1, 20).reshape(5, 4)
    tile.set_weights(target)
    torch.testing.assert_close(tile.get_weights(), target.clamp(-0.2, 0.3))


def test_get_weights_is_a_detached_copy():
    tile = make_tile()
    w = tile.get_weights()
    w += 1.0
    assert not torch.equal(tile.get_weights(), w)
    assert not tile.get_weights().requires_grad


def test_hidden_parameters_round_trip():
    tile = make_tile(device=ConstantStepDevice(construction_seed=9))
    hidden = tile.get_hidden_parameters()
    assert list(hidden) == tile.get_hidden_parameter_names()
    assert list(hidden)[:8] == [
        "max_bound",
        "min_bound",
        "dwmin_up",
        "dwmin_down",
        "decay_scales",
        "diffusion_rates",
        "reset_bias",
        "drift_nu",
    ]
    changed = {name: value.clone() for name, value in hidden.items()}
    changed["max_bound"] *= 0.5
    changed["dwmin_up"] += 0.002
    tile.set_hidden_parameters(changed)
    for name, value in tile.get_hidden_parameters().items():
        torch.testing.assert_close(value, changed[name])
    with pytest.raises(TileError, match="hidden"):
        tile.set_hidden_parameters({"max_bound": hidden["max_bound"]})


def test_write_noise_device_exposes_persistent_weights():
    device = LinearStepDevice(construction_seed=2, write_noise_std=5.0, dw_min=0.01)
    tile = make_tile(device=device)
    assert "persistent_weights" in tile.get_hidden_parameter_names()
    persistent = tile.get_hidden_parameters()["persistent_weights"]
    noise = tile.get_weights() - persistent  # apparent = persistent + write noise
    assert noise.abs().max() > 0
    assert noise.std().item() < 5 * 5.0 * 0.01


# ---------------------------------------------------------------------- maintenance
def test_post_update_step_decays_towards_reset_bias():
    # spec 2.8.2 [verified]: lifetime 100, reset 0.2, w 0.5 -> 0.497 after one step
    tile = make_tile(device=quiet_step_device(lifetime=100.0, reset=0.2))
    tile.set_weights(torch.full((5, 4), 0.5))
    tile.post_update_step()
    torch.testing.assert_close(tile.get_weights(), torch.full((5, 4), 0.497))
    tile.decay_weights(alpha=0.5)  # s = 1 + alpha (delta - 1) = 0.995
    torch.testing.assert_close(tile.get_weights(), torch.full((5, 4), 0.2 + 0.297 * 0.995))


def test_post_update_step_diffuses_with_rate_diffusion():
    tile = make_tile(40, 50, device=quiet_step_device(diffusion=0.01))
    tile.set_weights(torch.zeros(40, 50))
    tile.post_update_step()
    w = tile.get_weights()
    assert w.std().item() == pytest.approx(0.01, abs=5 * 0.01 / math.sqrt(2 * 2000))
    assert abs(w.mean().item()) < 5 * 0.01 / math.sqrt(2000)


def test_post_update_step_without_decay_or_diffusion_changes_nothing():
    tile = AnalogTile(5, 4, SingleRPUConfig())
    w0 = tile.get_weights()
    tile.post_update_step()
    assert torch.equal(tile.get_weights(), w0)


def test_reset_columns_sets_selected_columns_to_reset_bias():
    tile = make_tile(device=quiet_step_device(reset=0.05))
    tile.set_weights(torch.full((5, 4), 0.3))
    tile.reset_columns(3, 2)  # columns 3 and 0 (wraps around)
    w = tile.get_weights()
    torch.testing.assert_close(w[:, [0, 3]], torch.full((5, 2), 0.05))
    torch.testing.assert_close(w[:, [1, 2]], torch.full((5, 2), 0.3))
    tile.reset()
    torch.testing.assert_close(tile.get_weights(), torch.full((5, 4), 0.05))


def test_drift_weights_follows_the_power_law():
    nu = 0.1
    tile = make_tile(device=quiet_step_device(drift=DriftParameter(nu=nu)))
    tile.set_weights(torch.full((5, 4), 0.4))
    tile.drift_weights(1.0)  # first call: reference point, Δ = 1
    tile.drift_weights(1.0)  # Δ = 2
    torch.testing.assert_close(tile.get_weights(), torch.full((5, 4), 0.4 * 2.0**-nu))


def test_forward_parameters_are_drawn_per_tile_and_can_be_overwritten():
    fwd = IOParameters(out_noise=0.1, out_noise_std=0.3)
    tile = AnalogTile(
        6, 3, SingleRPUConfig(forward=fwd, device=ConstantStepDevice(construction_seed=1))
    )
    values = tile.get_forward_parameters()
    sigma = values["out_noise_values"]  # |out_noise (1 + out_noise_std xi)| per output
    assert sigma.shape == (6,) and torch.all(sigma > 0)
    assert not torch.allclose(sigma, torch.full((6,), 0.1))
    assert tile.get_backward_parameters() == {}
    tile.set_forward_parameters({"out_noise_values": torch.full((6,), 0.05)})
    torch.testing.assert_close(
        tile.get_forward_parameters()["out_noise_values"], torch.full((6,), 0.05)
    )
    with pytest.raises(TileError, match="shape"):
        tile.set_forward_parameters({"out_noise_values": torch.ones(5)})
    with pytest.raises(TileError, match="names"):
        tile.set_backward_parameters({"v_offset": torch.ones(3)})


def test_mvm_outputs_are_not_part_of_an_autograd_graph():
    io = IOParameters(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    tile = AnalogTile(3, 4, SingleRPUConfig(forward=io, backward=io))
    x = torch.ones(2, 4, requires_grad=True)
    d = torch.ones(2, 3, requires_grad=True)
    assert not tile.forward_mvm(x).requires_grad
    assert not tile.backward_mvm(d).requires_grad
    assert not tile.forward_io.average_abs_max.requires_grad
