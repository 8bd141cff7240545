"""Set/clip, decay, diffusion, reset and drift of pulsed arrays (spec 2.8, 2.9)."""

from __future__ import annotations

import math

import pytest
import torch
from device_helpers import NO_VARIATION, build_array

from analogtrain.configs.devices import (
    ConstantStepDevice,
    LinearStepDevice,
    SoftBoundsReferenceDevice,
)
from analogtrain.errors import ArgumentError, TileError

N = 200


def test_set_weights_clips_to_each_device(gen):
    array = build_array(ConstantStepDevice(), 30, 30)
    array.set_weights(torch.full(array.shape, 5.0), gen)
    assert torch.equal(array.weight, array.max_bound)
    array.set_weights(torch.full(array.shape, -5.0), gen)
    assert torch.equal(array.weight, array.min_bound)
    with pytest.raises(TileError, match=r"\(30, 30\)"):
        array.set_weights(torch.zeros(30, 31), gen)


def test_clip_weights(gen):
    array = build_array(ConstantStepDevice(**NO_VARIATION), 2, 3)
    array.set_weights(torch.tensor([[0.5, -0.5, 0.1], [0.3, -0.2, 0.0]]), gen)
    array.clip_weights(0.25, gen)
    assert torch.allclose(array.weight, torch.tensor([[0.25, -0.25, 0.1], [0.25, -0.2, 0.0]]))
    array.clip_weights(-1.0, gen)  # negative: only the device bounds
    assert torch.allclose(array.weight, torch.tensor([[0.25, -0.25, 0.1], [0.25, -0.2, 0.0]]))


def test_decay_towards_reset_bias(gen):
    # [verified] lifetime=100, reset=0.2, w=0.5 -> 0.497 after one call
    array = build_array(ConstantStepDevice(lifetime=100.0, reset=0.2, **NO_VARIATION))
    array.set_weights(torch.full(array.shape, 0.5), gen)
    array.decay_weights(1.0, gen)
    assert torch.allclose(array.weight, torch.tensor(0.497))
    array.decay_weights(2.0, gen)  # alpha scales the step: s = 1 + 2 (0.99 - 1)
    assert torch.allclose(array.weight, torch.tensor((0.497 - 0.2) * 0.98 + 0.2))


def test_negative_reset_is_clamped_to_zero(gen):
    array = build_array(ConstantStepDevice(reset=-0.2, reset_std=0.0, **NO_VARIATION))
    assert torch.all(array.reset_bias == 0)
    array.set_weights(torch.full(array.shape, 0.3), gen)
    array.reset_columns(0, -1, 1.0, gen)
    assert torch.all(array.weight == 0)


def test_reset_statistics(gen):
    # [verified] reset=0.1, reset_dtod=0.05, reset_std=0.01 -> mean 0.1, std ~0.051
    cfg = ConstantStepDevice(reset=0.1, reset_dtod=0.05, reset_std=0.01, **NO_VARIATION)
    array = build_array(cfg, N, N)
    array.set_weights(torch.full(array.shape, -0.3), gen)
    array.reset_columns(0, -1, 1.0, gen)
    std = math.hypot(0.05, 0.01)
    values = array.weight.double()
    assert values.mean().item() == pytest.approx(0.1, abs=5 * std / N)
    assert values.std().item() == pytest.approx(std, abs=5 * std / (2 * N * N) ** 0.5)
    # the c2c part is fresh on every reset
    first = array.weight.clone()
    array.reset_columns(0, -1, 1.0, gen)
    assert (array.weight - first).std().item() == pytest.approx(0.01 * 2**0.5, rel=0.05)


def test_reset_columns_wrap_and_probability(gen):
    array = build_array(ConstantStepDevice(reset=0.1, reset_std=0.0, **NO_VARIATION), 300, 5)
    array.set_weights(torch.full(array.shape, -0.3), gen)
    array.reset_columns(3, 4, 1.0, gen)  # columns 3, 4, 0, 1
    reset = (array.weight - 0.1).abs() < 1e-6
    assert reset[:, [0, 1, 3, 4]].all() and not reset[:, 2].any()
    array.set_weights(torch.full(array.shape, -0.3), gen)
    array.reset_columns(0, 0, 1.0, gen)  # nothing
    array.reset_columns(0, -1, 0.0, gen)  # nothing
    assert torch.all(array.weight == -0.3)
    array.reset_columns(7, 1, 0.25, gen)  # column 2 with probability 1/4
    hit = (array.weight - 0.1).abs() < 1e-6
    assert not hit[:, [0, 1, 3, 4]].any()
    assert hit[:, 2].float().mean().item() == pytest.approx(0.25, abs=5 * (0.1875 / 300) ** 0.5)
    with pytest.raises(ArgumentError, match="1.5"):
        array.reset_columns(0, 1, 1.5, gen)


def test_diffusion_std(gen):
    array = build_array(ConstantStepDevice(diffusion=0.01, **NO_VARIATION), N, N)
    array.diffuse_weights(gen)
    values = array.weight.double()
    assert values.mean().item() == pytest.approx(0.0, abs=5 * 0.01 / N)
    assert values.std().item() == pytest.approx(0.01, abs=5 * 0.01 / (2 * N * N) ** 0.5)


def test_operations_act_on_stored_value_of_reference_devices(gen):
    # [quirk] decay/reset use the stored value v with the bounds of g
    cfg = SoftBoundsReferenceDevice(
        reference_mean=0.5, lifetime=10.0, reset_std=0.0, **NO_VARIATION
    )
    array = build_array(cfg)
    array.set_weights(torch.full(array.shape, 0.55), gen)
    assert torch.allclose(array.weight, torch.tensor(0.55))  # not clipped to 0.6 - 0.5
    array.decay_weights(1.0, gen)
    assert torch.allclose(array.weight, torch.tensor(0.55 * 0.9))


def test_drift_power_law(gen):
    cfg = ConstantStepDevice(**NO_VARIATION)
    cfg.drift.nu = 0.1
    array = build_array(cfg)
    array.set_weights(torch.full(array.shape, 0.5), gen)
    array.drift_weights(10.0, gen)
    assert torch.allclose(array.weight, torch.tensor(0.5 * 10.0**-0.1))
    array.drift_weights(10.0, gen)
    assert torch.allclose(array.weight, torch.tensor(0.5 * 20.0**-0.1))
    # a write restarts the clock of the written elements only
    array.set_weights(torch.full(array.shape, 0.3), gen)
    array.drift_weights(5.0, gen)  # restart: unchanged now
    assert torch.allclose(array.weight, torch.tensor(0.3))
    array.drift_weights(5.0, gen)  # age 5 since the restart at T=25
    assert torch.allclose(array.weight, torch.tensor(0.3 * 5.0**-0.1))


def test_drift_off_without_nu(gen):
    array = build_array(LinearStepDevice(write_noise_std=1.0))
    before = array.weight.clone()
    array.drift_weights(100.0, gen)
    assert torch.equal(array.weight, before)
