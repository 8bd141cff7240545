"""Tile pulse responses and step statistics against closed forms of noise-free devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    ReferenceUnitCell,
    SingleRPUConfig,
    SoftBoundsDevice,
    UnitCellRPUConfig,
)
from analogtrain.errors import ArgumentError
from analogtrain.viz.device_figures import read_noise_io_parameters
from analogtrain.viz.tile_response import (
    compute_step_statistics,
    compute_tile_pulse_response,
    estimate_n_steps,
    pulse_directions,
    tile_for_plotting,
)

NO_DTOD = {
    "dw_min_dtod": 0.0,
    "dw_min_std": 0.0,
    "up_down_dtod": 0.0,
    "w_max_dtod": 0.0,
    "w_min_dtod": 0.0,
}


def _constant_step(dw_min: float = 0.1) -> SingleRPUConfig:
    return SingleRPUConfig(
        device=ConstantStepDevice(dw_min=dw_min, w_min=-1.0, w_max=1.0, **NO_DTOD)
    )


def test_pulse_directions_are_blocks_of_n_steps_or_alternating() -> None:
    np.testing.assert_array_equal(pulse_directions(2, 6), [1, 1, -1, -1, 1, 1])
    np.testing.assert_array_equal(pulse_directions(5, 4, alternating=True), [1, -1, 1, -1])


def test_constant_step_trace_moves_dw_min_per_pulse_and_stops_at_the_bounds() -> None:
    tile = tile_for_plotting(_constant_step(0.1), 2, noise_free=True)
    direction = pulse_directions(25, 50)
    trace = compute_tile_pulse_response(tile, direction)
    assert trace.shape == (50, 2, 1)
    # closed form: w_k = clip(w_min + 0.1 * (signed pulse count up to k), -1, 1)
    expected = []
    w = -1.0
    for d in direction:
        w = min(1.0, max(-1.0, w + 0.1 * d))
        expected.append(w)
    np.testing.assert_allclose(trace[:, 0, 0], expected, atol=1e-5)
    np.testing.assert_allclose(trace[:, 1, 0], expected, atol=1e-5)


def test_soft_bounds_trace_follows_the_soft_bounds_recursion() -> None:
    device = SoftBoundsDevice(dw_min=0.05, w_min=-1.0, w_max=1.0, **NO_DTOD)
    tile = tile_for_plotting(SingleRPUConfig(device=device), 1, noise_free=True, w_init=0.0)
    direction = pulse_directions(30, 60)
    trace = compute_tile_pulse_response(tile, direction)[:, 0, 0]
    w, expected = 0.0, []
    for d in direction:  # up: dw (1 - w / w_max); down: dw (1 - w / w_min)
        w = w + 0.05 * (1 - w / 1.0) if d > 0 else w - 0.05 * (1 - w / -1.0)
        expected.append(w)
    np.testing.assert_allclose(trace, expected, atol=1e-5)


def test_step_statistics_of_constant_step_device_are_dw_min_with_no_spread() -> None:
    tile = tile_for_plotting(_constant_step(0.1), 1, noise_free=True)
    direction = pulse_directions(20, 40)  # never reaches a bound: every step is 0.1
    trace = compute_tile_pulse_response(tile, direction)
    nodes = np.linspace(-0.8, 0.8, 9)
    up_mean, up_std = compute_step_statistics(nodes, trace, direction, True)
    down_mean, down_std = compute_step_statistics(nodes, trace, direction, False)
    np.testing.assert_allclose(up_mean[:, 0, 0], 0.1, atol=1e-5)
    np.testing.assert_allclose(down_mean[:, 0, 0], -0.1, atol=1e-5)
    assert np.nanmax(up_std) < 1e-5 and np.nanmax(down_std) < 1e-5


def test_step_statistics_are_nan_where_no_step_was_taken() -> None:
    trace = np.array([0.0, 0.1, 0.2, 0.3]).reshape(4, 1, 1)
    direction = np.ones(4)
    mean, std = compute_step_statistics(np.array([0.1, 5.0]), trace, direction, True)
    assert mean[0, 0, 0] == pytest.approx(0.1)
    assert np.isnan(mean[1, 0, 0]) and np.isnan(std[1, 0, 0])


def test_forward_read_without_noise_equals_the_stored_weights() -> None:
    config = _constant_step(0.1)
    config.forward = read_noise_io_parameters(0.0)
    tile = tile_for_plotting(config, 3)
    direction = pulse_directions(5, 10)
    read = compute_tile_pulse_response(tile, direction, use_forward=True)
    exact_tile = tile_for_plotting(config, 3)
    exact = compute_tile_pulse_response(exact_tile, direction, use_forward=False)
    np.testing.assert_allclose(read, exact, atol=1e-5)


def test_estimate_n_steps_is_the_weight_range_over_the_granularity() -> None:
    assert estimate_n_steps(_constant_step(0.1)) == 20
    assert estimate_n_steps(_constant_step(0.004)) == 500
    unit_cell = UnitCellRPUConfig(
        device=ReferenceUnitCell(unit_cell_devices=[SoftBoundsDevice(), SoftBoundsDevice()])
    )
    assert estimate_n_steps(unit_cell) == 1000


def test_tile_for_plotting_starts_at_w_min_with_single_pulse_updates() -> None:
    config = _constant_step(0.1)
    tile = tile_for_plotting(config, 4)
    assert tile.get_learning_rate() == 1.0
    torch.testing.assert_close(tile.get_weights(), torch.full((4, 1), -1.0))
    assert config.update.desired_bl != 1  # the caller's config is not changed
    assert tile.rpu_config.update.desired_bl == 1


def test_bad_direction_and_non_tile_are_rejected_with_clear_errors() -> None:
    tile = tile_for_plotting(_constant_step(0.1), 1)
    before = tile.get_weights()
    with pytest.raises(ArgumentError, match="direction"):
        compute_tile_pulse_response(tile, np.ones((2, 2)))
    with pytest.raises(ArgumentError, match="analog tile"):
        compute_tile_pulse_response(object(), np.ones(3))
    with pytest.raises(ArgumentError, match="n_traces"):
        tile_for_plotting(_constant_step(0.1), 0)
    if not torch.cuda.is_available():
        with pytest.raises(ArgumentError, match="use_cuda"):
            tile_for_plotting(_constant_step(0.1), 1, use_cuda=True)
    torch.testing.assert_close(tile.get_weights(), before)
