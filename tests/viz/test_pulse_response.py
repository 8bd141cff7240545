"""compute_pulse_response / compute_pulse_statistics measure the device physics correctly."""

from __future__ import annotations

import math

import pytest
import torch

from analogtrain.configs import ConstantStepDevice, IdealDevice, SoftBoundsDevice
from analogtrain.errors import ArgumentError
from analogtrain.viz.pulse_response import compute_pulse_response, compute_pulse_statistics

NO_DTOD = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0)


def test_constant_step_loop_is_a_staircase_to_the_bound():
    cfg = ConstantStepDevice(dw_min=0.01, dw_min_std=0.0, **NO_DTOD)
    r = compute_pulse_response(cfg, n_pulses=100, n_devices=3, n_cycles=1, seed=4)
    assert r.weights.shape == (201, 3)
    k = torch.arange(101, dtype=torch.float64)
    up = torch.clamp(k * 0.01, max=0.6)
    torch.testing.assert_close(r.weights[:101, 0], up, atol=1e-9, rtol=0)
    # 100 down pulses from the upper bound 0.6 end at -0.4
    torch.testing.assert_close(r.weights[-1], torch.full((3,), -0.4, dtype=torch.float64))
    assert r.directions[:100].eq(1).all() and r.directions[100:].eq(-1).all()
    assert r.granularity == pytest.approx(0.01)
    assert r.n_states == pytest.approx(120)


def test_constant_step_mean_step_is_dw_min():
    # c2c noise 0.3 averaged over n_devices * n_repeats = 512 pulses: std error 0.3/sqrt(512)
    cfg = ConstantStepDevice(dw_min=0.002, dw_min_std=0.3, **NO_DTOD)
    s = compute_pulse_statistics(cfg, n_devices=8, n_repeats=64, n_grid=5, n_pairs=10, seed=2)
    tol = 5 * 0.3 / math.sqrt(512)
    assert s.step_up_at_zero == pytest.approx(0.002, rel=tol)
    assert s.step_down_at_zero == pytest.approx(0.002, rel=tol)
    assert s.n_states == pytest.approx(1.2 / 0.002)
    assert s.granularity == pytest.approx(0.002)
    # interior grid points (not at a bound) see the same step everywhere
    interior = s.step_up[:, 1:-1]
    assert interior.mean().item() == pytest.approx(0.002, rel=5 * 0.3 / math.sqrt(8 * 64 * 3))
    # at the upper bound an up pulse is clipped away
    assert s.step_up[:, -1].abs().max().item() < 1e-12


def test_soft_bounds_step_against_weight_is_linear():
    cfg = SoftBoundsDevice(dw_min=0.001, dw_min_std=0.0, up_down=0.0, **NO_DTOD)
    s = compute_pulse_statistics(cfg, n_devices=2, n_repeats=1, n_grid=7, n_pairs=10, seed=1)
    w = s.weights
    torch.testing.assert_close(s.step_up, 0.001 * (1 - w / 0.6), atol=1e-12, rtol=1e-9)
    torch.testing.assert_close(s.step_down, 0.001 * (1 + w / 0.6), atol=1e-12, rtol=1e-9)


def test_soft_bounds_up_down_asymmetry_and_symmetry_point():
    # up_down = 0.2 shrinks the down step to 0.8 dw_min; the symmetry point is
    # w* = (D+ - D-)/(D+/b_max - D-/b_min) = 0.2 / (1/0.6 + 0.8/0.6) = 1/15
    cfg = SoftBoundsDevice(dw_min=0.002, dw_min_std=0.0, up_down=0.2, **NO_DTOD)
    s = compute_pulse_statistics(cfg, n_devices=2, n_repeats=1, n_grid=3, seed=3)
    assert s.asymmetry == pytest.approx(0.2, rel=1e-6)
    assert s.step_down_at_zero == pytest.approx(0.0016, rel=1e-6)
    # alternating pulses oscillate within one step of the fixed point
    assert s.symmetry_point == pytest.approx(1 / 15, abs=0.002)


def test_symmetry_point_per_device_with_variation():
    # device-to-device variation on; each device settles at its own w*, computed from the
    # sampled parameters; c2c noise makes the estimate a time average over a noisy chain.
    cfg = SoftBoundsDevice(dw_min=0.002, dw_min_std=0.1, up_down=0.1)
    s = compute_pulse_statistics(cfg, n_devices=6, n_repeats=1, n_grid=3, seed=5, n_chains=8)
    r = compute_pulse_response(cfg, n_pulses=10, n_devices=6, n_cycles=1, seed=5)
    from analogtrain.viz.pulse_response import _base_array

    base = _base_array(cfg, 6, 5)
    up, down = base.dwmin_up[:, 0], base.dwmin_down[:, 0]
    b_max, b_min = base.max_bound[:, 0], base.min_bound[:, 0]
    expected = (up - down) / (up / b_max - down / b_min)
    # same devices in both functions
    torch.testing.assert_close(r.min_bound, b_min)
    torch.testing.assert_close(s.weights[:, 0], b_min)
    assert (expected.max() - expected.min()).item() > 0.01  # the devices really differ
    torch.testing.assert_close(s.symmetry_points, expected, atol=0.01, rtol=0)


def test_same_seed_same_numbers_and_different_seed_differs():
    cfg = SoftBoundsDevice()
    a = compute_pulse_response(cfg, n_pulses=20, n_devices=3, seed=7)
    b = compute_pulse_response(cfg, n_pulses=20, n_devices=3, seed=7)
    c = compute_pulse_response(cfg, n_pulses=20, n_devices=3, seed=8)
    torch.testing.assert_close(a.weights, b.weights)
    assert not torch.equal(a.weights, c.weights)


def test_bad_inputs():
    with pytest.raises(ArgumentError, match="IdealDevice is not a pulsed device"):
        compute_pulse_response(IdealDevice())
    with pytest.raises(ArgumentError, match="not the class SoftBoundsDevice"):
        compute_pulse_statistics(SoftBoundsDevice)
    with pytest.raises(ArgumentError, match="n_devices"):
        compute_pulse_response(SoftBoundsDevice(), n_devices=0)
