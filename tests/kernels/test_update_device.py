"""The pulsed update on real device arrays (spec single-tile 4.5.6, 4.2)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs.devices import ConstantStepDevice, FloatingPointDevice, LinearStepDevice
from analogtrain.configs.enums import PulseType
from analogtrain.configs.update import UpdateParameters
from analogtrain.devices import create_device_array
from analogtrain.errors import TileError
from analogtrain.kernels.update.pulsed import pulsed_update


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _clean_constant_step(**overrides) -> ConstantStepDevice:
    fields = dict(dw_min_dtod=0.0, dw_min_std=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0)
    fields.update(overrides)
    return ConstantStepDevice(**fields)


def _batch(m: int, n_in: int = 5, n_out: int = 4, seed: int = 1):
    g = _gen(seed)
    return torch.rand(m, n_in, generator=g) - 0.5, torch.rand(m, n_out, generator=g) - 0.5


@pytest.mark.parametrize("pulse_type", [PulseType.STOCHASTIC_COMPRESSED, PulseType.STOCHASTIC])
def test_expected_change_on_a_constant_step_device(pulse_type: PulseType) -> None:
    # no noise, no dtod, far from the bounds: E[dW] = -lr d x^T (spec 4.5.6)
    array = create_device_array(_clean_constant_step(), 4, 5, _gen())
    x, d = _batch(4)
    lr, trials = 0.04, 300
    up = UpdateParameters(pulse_type=pulse_type)
    gen = _gen(7)
    total = torch.zeros(4, 5, dtype=torch.float64)
    for _ in range(trials):
        array.set_weights(torch.zeros(4, 5), gen)
        pulsed_update(array, x, d, lr, up, gen)
        total += array.get_weights().double()
    ideal = -lr * (d.T @ x).double()
    var = sum(lr * torch.outer(d[s], x[s]).abs().double() * 0.001 for s in range(4))
    se = torch.sqrt(var / trials)
    assert bool(((total / trials - ideal).abs() <= 5 * se + 1e-7).all())
    # every change is a whole number of steps
    steps = array.get_weights() / 0.001
    assert torch.allclose(steps, steps.round(), atol=1e-3)


def test_mean_count_is_deterministic_on_a_device() -> None:
    # k = lr xm dm / g = 10: BL = 10, P^x = [1, 0.5], P^d = 1 -> counts [10, 5] per call
    array = create_device_array(_clean_constant_step(), 1, 2, _gen())
    up = UpdateParameters(pulse_type=PulseType.MEAN_COUNT)
    x = torch.tensor([[1.0, -0.5]])
    d = torch.tensor([[0.5]])
    pulsed_update(array, x, d, 0.02, up, _gen(1))
    pulsed_update(array, x, d, 0.02, up, _gen(2))
    assert torch.allclose(array.get_weights(), torch.tensor([[-0.02, 0.01]]), atol=1e-6)


def test_bounds_stop_the_pulses() -> None:
    array = create_device_array(_clean_constant_step(w_max=0.005, w_min=-0.005), 1, 1, _gen())
    up = UpdateParameters(pulse_type=PulseType.MEAN_COUNT)
    pulsed_update(array, torch.tensor([[1.0]]), torch.tensor([[-1.0]]), 0.02, up, _gen())
    assert array.get_weights().item() == pytest.approx(0.005)


def test_none_with_device_clips_to_the_bounds() -> None:
    array = create_device_array(_clean_constant_step(), 1, 2, _gen())
    up = UpdateParameters(pulse_type=PulseType.NONE_WITH_DEVICE)
    pulsed_update(array, torch.tensor([[1.0, 0.1]]), torch.tensor([[-1.0]]), 2.0, up, _gen())
    assert torch.allclose(array.get_weights(), torch.tensor([[0.6, 0.2]]))


def test_floating_point_array_gets_the_exact_step() -> None:
    array = create_device_array(FloatingPointDevice(), 4, 5, _gen())
    x, d = _batch(3)
    pulsed_update(array, x, d, 0.3, UpdateParameters(), _gen())
    assert torch.allclose(array.get_weights(), -0.3 * d.T @ x, atol=1e-6)


def test_rejected_update_leaves_a_noisy_array_untouched() -> None:
    config = LinearStepDevice(write_noise_std=1.0)
    array = create_device_array(config, 4, 5, _gen())
    array.set_weights(torch.full((4, 5), 0.1), _gen(1))
    x, d = _batch(3)
    pulsed_update(array, x, d, 0.1, UpdateParameters(), _gen(2))
    before = {k: v.clone() for k, v in array.state_dict().items()}
    d_bad = d.clone()
    d_bad[2, 1] = float("nan")
    with pytest.raises(TileError, match="d contains NaN"):
        pulsed_update(array, x, d_bad, 0.1, UpdateParameters(), _gen(3))
    with pytest.raises(TileError, match="shape"):
        pulsed_update(array, x[:, :4], d, 0.1, UpdateParameters(), _gen(3))
    after = array.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert torch.equal(before[k], after[k]), k


def test_same_seed_same_weights_on_a_noisy_device() -> None:
    config = ConstantStepDevice()  # default dtod and cycle-to-cycle noise
    x, d = _batch(6)
    results = []
    for _ in range(2):
        array = create_device_array(config, 4, 5, _gen(11))
        pulsed_update(array, x, d, 0.1, UpdateParameters(), _gen(12))
        results.append(array.get_weights())
    assert torch.equal(results[0], results[1])
    assert results[0].abs().sum() > 0
