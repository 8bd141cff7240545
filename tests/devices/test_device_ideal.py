"""Exact floating-point arrays (IdealDevice, FloatingPointDevice; spec 2.6.10-2.6.11)."""

from __future__ import annotations

import pytest
import torch
from device_helpers import build_array

from analogtrain.configs.devices import FloatingPointDevice, IdealDevice
from analogtrain.devices import FloatingPointDeviceArray
from analogtrain.errors import TileError


def test_exact_update_sums_the_batch(gen):
    array = build_array(IdealDevice(), 3, 4)
    assert isinstance(array, FloatingPointDeviceArray) and array.is_floating_point
    w0 = torch.randn(3, 4, generator=gen)
    array.set_weights(w0 * 10.0, gen)  # no bounds
    x = torch.randn(5, 4, generator=gen)
    d = torch.randn(5, 3, generator=gen)
    array.float_update(x, d, 0.1)
    expected = w0 * 10.0 - 0.1 * sum(torch.outer(d[m], x[m]) for m in range(5))
    assert torch.allclose(array.weight, expected, atol=1e-5)
    with pytest.raises(TileError, match="float_update"):
        array.float_update(x, d[:, :2], 0.1)
    with pytest.raises(TileError, match="no pulses"):
        array.apply_pulse_counts(torch.ones(3, 4), torch.ones(3, 4, dtype=torch.bool), gen)
    assert array.hidden_parameter_names() == []


def test_ideal_decay_diffusion_reset(gen):
    array = build_array(IdealDevice(lifetime=10.0, diffusion=0.02, reset_std=0.05), 200, 200)
    array.set_weights(torch.full(array.shape, 2.0), gen)
    array.decay_weights(1.0, gen)
    assert torch.allclose(array.weight, torch.tensor(1.8))
    array.set_weights(torch.zeros(array.shape), gen)
    array.diffuse_weights(gen)
    assert array.weight.std().item() == pytest.approx(0.02, abs=5 * 0.02 / 283)
    array.reset_columns(0, -1, 1.0, gen)
    assert array.weight.mean().item() == pytest.approx(0.0, abs=5 * 0.05 / 200)
    assert array.weight.std().item() == pytest.approx(0.05, abs=5 * 0.05 / 283)


def test_lifetime_below_one_does_not_decay(gen):
    array = build_array(IdealDevice(lifetime=0.5))
    array.set_weights(torch.ones(array.shape), gen)
    array.decay_weights(1.0, gen)
    assert torch.all(array.weight == 1.0)


def test_floating_point_device_simple_drift(gen):
    cfg = FloatingPointDevice()
    cfg.drift.nu = 0.2
    array = build_array(cfg)
    array.set_weights(torch.full(array.shape, -1.5), gen)
    array.drift_weights(4.0, gen)
    assert torch.allclose(array.weight, torch.tensor(-1.5 * 4.0**-0.2))
    array.reset_columns(0, -1, 1.0, gen)  # no reset_std: back to exactly 0
    assert torch.all(array.weight == 0)
