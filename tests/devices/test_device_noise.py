"""Cycle-to-cycle noise, bounds, and write noise (spec 2.5-2.7)."""

from __future__ import annotations

import pytest
import torch
from device_helpers import NO_VARIATION, build_array, one_pulse

from analogtrain.configs.devices import (
    ConstantStepDevice,
    ExpStepDevice,
    LinearStepDevice,
    PiecewiseStepDevice,
    PowStepDevice,
    PowStepReferenceDevice,
    SoftBoundsDevice,
    SoftBoundsPmaxDevice,
    SoftBoundsReferenceDevice,
)
from analogtrain.errors import ArgumentError, TileError

N = 200
NOISY = {**NO_VARIATION, "dw_min_std": 0.3}
LS_FIXED = {"gamma_up_dtod": 0.0, "gamma_down_dtod": 0.0}


def _check_mean_std(values: torch.Tensor, mean: float, std: float) -> None:
    n = values.numel()
    assert values.mean().item() == pytest.approx(mean, abs=5 * std / n**0.5)
    assert values.std().item() == pytest.approx(std, abs=5 * std / (2 * n) ** 0.5)


@pytest.mark.parametrize(
    ("config", "w0", "down", "mean", "std"),
    [
        (ConstantStepDevice(**NOISY), 0.0, False, 0.001, 0.0003),
        (ConstantStepDevice(**NOISY), 0.0, True, -0.001, 0.0003),
        # multiplicative: the noise scales with the soft-bound-reduced step
        (
            LinearStepDevice(gamma_up=0.5, gamma_down=0.5, **LS_FIXED, **NOISY),
            0.3,
            False,
            0.00075,
            0.3 * 0.00075,
        ),
        # additive: the noise scales with dw only
        (
            LinearStepDevice(gamma_up=0.5, gamma_down=0.5, mult_noise=False, **LS_FIXED, **NOISY),
            0.3,
            True,
            -0.00125,
            0.3 * 0.001,
        ),
        (SoftBoundsReferenceDevice(**NOISY), 0.3, False, 0.0005, 0.3 * 0.001),
        (SoftBoundsReferenceDevice(mult_noise=True, **NOISY), 0.3, False, 0.0005, 0.3 * 0.0005),
        (ExpStepDevice(**NOISY), 0.3, False, 0.00092436, 0.3 * 0.00092436),
        # complex noise: sigma (|dw| + add + slope |w|)
        (
            ExpStepDevice(dw_min_std_add=0.001, dw_min_std_slope=0.01, **NOISY),
            0.3,
            True,
            -0.00099652,
            0.3 * (0.00099652 + 0.001 + 0.003),
        ),
        (PowStepDevice(pow_gamma_dtod=0.0, **NOISY), 0.3, True, -0.00075, 0.3 * 0.00075),
        (
            PiecewiseStepDevice(piecewise_up=[2, 1, 0.5], piecewise_down=[0.5, 1, 2], **NOISY),
            0.3,
            True,
            -0.0015,
            0.3 * 0.0015,
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, (int, float, bool)) else str(v),
)
def test_one_noisy_pulse_mean_and_std(config, w0, down, mean, std, gen):
    array = build_array(config, N, N)
    _check_mean_std(one_pulse(array, w0, down, gen).double(), mean, std)


def test_noise_free_pulses_need_no_generator():
    array = build_array(ConstantStepDevice(**NO_VARIATION))
    array.apply_pulse_counts(
        torch.ones(array.shape, dtype=torch.int64), torch.zeros(array.shape, dtype=torch.bool), None
    )
    assert torch.allclose(array.weight, torch.tensor(0.001))
    noisy = build_array(ConstantStepDevice())
    with pytest.raises(ArgumentError, match="Generator"):
        noisy.apply_pulse_counts(
            torch.ones(noisy.shape, dtype=torch.int64),
            torch.zeros(noisy.shape, dtype=torch.bool),
            None,
        )


def test_counts_are_applied_per_crosspoint(gen):
    array = build_array(ConstantStepDevice(**NO_VARIATION), 2, 3)
    counts = torch.tensor([[0, 1, 2], [3, 0, 5]])
    down = torch.tensor([[False, True, False], [True, False, True]])
    array.apply_pulse_counts(counts, down, gen)
    expected = torch.tensor([[0.0, -0.001, 0.002], [-0.003, 0.0, -0.005]])
    assert torch.allclose(array.weight, expected, atol=1e-7)
    with pytest.raises(ArgumentError, match="-1"):
        array.apply_pulse_counts(-counts.clamp(max=1), down, gen)
    with pytest.raises(TileError, match="shape"):
        array.apply_pulse_counts(torch.ones(3, 2, dtype=torch.int64), down.T, gen)


ALL_MODELS = [
    ConstantStepDevice(dw_min=0.05),
    LinearStepDevice(dw_min=0.05, gamma_up=0.3, gamma_down=0.6),
    LinearStepDevice(dw_min=0.05, gamma_up=-0.5, allow_increasing=True, mult_noise=False),
    SoftBoundsDevice(dw_min=0.05, dw_min_std=2.0),
    SoftBoundsPmaxDevice(p_max=30),
    SoftBoundsReferenceDevice(dw_min=0.05, reference_std=0.1, subtract_symmetry_point=True),
    ExpStepDevice(dw_min=0.05, dw_min_std_add=0.01),
    PowStepDevice(dw_min=0.05, pow_gamma=0.5),
    PowStepReferenceDevice(dw_min=0.05, reference_std=0.1, n_estimation_steps=50),
    PiecewiseStepDevice(dw_min=0.05, piecewise_up=[3, 1, 0.1, 0.5], piecewise_down=[1, 2, 3, 4]),
]


@pytest.mark.parametrize("config", ALL_MODELS, ids=lambda c: type(c).__name__)
def test_bounds_never_exceeded(config, gen):
    array = build_array(config, 30, 30)
    reference = getattr(array, "reference", torch.zeros(()))
    for _ in range(10):
        counts = torch.randint(0, 40, array.shape, generator=gen)
        down = torch.rand(array.shape, generator=gen) < 0.5
        array.apply_pulse_counts(counts, down, gen)
        g = array.weight + reference  # physical value of the reference models
        assert torch.all(g <= array.max_bound + 1e-6)
        assert torch.all(g >= array.min_bound - 1e-6)
        assert torch.isfinite(array.weight).all()
    # the weights actually travelled (pulses are not silently dropped)
    assert (array.weight - array.weight.mean()).abs().max() > 0.05


WRITE_NOISE = LinearStepDevice(write_noise_std=2.0, **LS_FIXED, **NO_VARIATION)


def test_write_noise_on_set(gen):
    array = build_array(WRITE_NOISE, N, N)
    assert array.uses_persistent_weight
    array.set_weights(torch.zeros(array.shape), gen)
    assert torch.all(array.persistent_weight == 0)
    _check_mean_std(array.weight.double(), 0.0, 2.0 * 0.001)
    quiet = build_array(SoftBoundsDevice(write_noise_std=2.0, apply_write_noise_on_set=False))
    quiet.set_weights(torch.full(quiet.shape, 0.1), gen)
    assert torch.equal(quiet.weight, quiet.persistent_weight)


def test_write_noise_redrawn_only_where_pulsed(gen):
    array = build_array(WRITE_NOISE, 20, 20)
    array.set_weights(torch.zeros(array.shape), gen)
    before = array.weight.clone()
    counts = torch.zeros(array.shape, dtype=torch.int64)
    counts[:, :5] = 2
    array.apply_pulse_counts(counts, torch.zeros(array.shape, dtype=torch.bool), gen)
    assert torch.equal(array.weight[:, 5:], before[:, 5:])
    assert torch.all(array.weight[:, :5] != before[:, :5])
    assert torch.allclose(array.persistent_weight[:, :5], torch.tensor(0.002), atol=1e-7)
    assert torch.all(array.persistent_weight[:, 5:] == 0)
    # decay (here a no-op on the persistent weight) redraws every apparent weight
    array.decay_weights(1.0, gen)
    assert torch.all(array.weight[:, 5:] != before[:, 5:])
    assert torch.all(array.persistent_weight[:, 5:] == 0)


def test_no_write_noise_means_one_tensor(gen):
    array = build_array(ConstantStepDevice())
    assert not array.uses_persistent_weight
    assert array.persistent_weight is array.weight
    moved = array.to(torch.float64)
    assert moved.persistent_weight is moved.weight and moved.weight.dtype == torch.float64
    moved.apply_pulse_counts(
        torch.ones(array.shape, dtype=torch.int64), torch.zeros(array.shape, dtype=torch.bool), gen
    )
    assert torch.all(moved.weight > 0)
