"""Device-to-device variation drawn at construction (spec 2.3, section 6 item 1)."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
from device_helpers import NO_VARIATION, build_array

from analogtrain.configs.devices import (
    ConstantStepDevice,
    ExpStepDevice,
    LinearStepDevice,
    PiecewiseStepDevice,
    PowStepDevice,
    PowStepReferenceDevice,
    PulsedDevice,
    SoftBoundsDevice,
    SoftBoundsReferenceDevice,
)
from analogtrain.devices import ConstantStepDeviceArray, create_device_array
from analogtrain.errors import ConfigError

N = 200


def test_default_constant_step_statistics():
    array = build_array(ConstantStepDevice(), N, N, seed=7)
    # standard errors: mean sigma/N, std sigma/sqrt(2 N^2); tolerances are ~5 of them
    for bound, mean in ((array.max_bound, 0.6), (array.min_bound, -0.6)):
        assert bound.mean().item() == pytest.approx(mean, abs=0.0045)
        assert bound.std().item() == pytest.approx(0.18, abs=0.003)
    for step in (array.dwmin_up, array.dwmin_down):
        assert step.mean().item() == pytest.approx(0.001, abs=7.5e-6)
        assert step.std().item() == pytest.approx(0.0003, abs=5e-6)
    corr = torch.corrcoef(torch.stack([array.dwmin_up.flatten(), array.dwmin_down.flatten()]))
    # var(gain) = 0.09, var(r) = 1e-4 -> corr = (0.09 - 1e-4) / (0.09 + 1e-4)
    assert corr[0, 1].item() == pytest.approx(0.0899 / 0.0901, abs=1e-3)
    assert torch.all(array.max_bound >= 0) and torch.all(array.min_bound <= 0)
    assert torch.all(array.decay_scales == 1) and torch.all(array.diffusion_rates == 0)


@pytest.mark.parametrize(("up_down", "up", "down"), [(0.3, 0.001, 0.0007), (-0.3, 0.0007, 0.001)])
def test_up_down_acts_on_one_direction(up_down, up, down):
    array = build_array(ConstantStepDevice(up_down=up_down, **NO_VARIATION))
    assert torch.allclose(array.dwmin_up, torch.tensor(up), rtol=1e-6)
    assert torch.allclose(array.dwmin_down, torch.tensor(down), rtol=1e-6)


def test_log_normal_gain():
    array = build_array(ConstantStepDevice(dw_min_dtod_log_normal=True, up_down_dtod=0.0), N, N)
    assert torch.all(array.dwmin_up > 0)
    log_gain = torch.log(array.dwmin_up / 0.001)
    assert log_gain.mean().item() == pytest.approx(0.0, abs=0.0075)
    assert log_gain.std().item() == pytest.approx(0.3, abs=0.006)


def test_inconsistent_devices_without_enforcement():
    cfg = ConstantStepDevice(
        enforce_consistency=False, w_max_dtod=2.0, w_min_dtod=2.0, dw_min_dtod=2.0
    )
    array = build_array(cfg, 50, 50)
    assert torch.all(array.min_bound <= array.max_bound)
    crossed = array.min_bound == array.max_bound
    assert crossed.any()  # midpoint devices
    assert (array.dwmin_up < 0).any()  # negative steps are kept
    consistent = build_array(dataclasses.replace(cfg, enforce_consistency=True), 50, 50)
    assert torch.all(consistent.max_bound >= 0) and torch.all(consistent.min_bound <= 0)
    assert torch.all(consistent.dwmin_up >= 0) and torch.all(consistent.dwmin_down >= 0)


def test_corrupt_devices(gen):
    array = build_array(ConstantStepDevice(corrupt_devices_prob=0.1), N, N)
    stuck = array.max_bound == array.min_bound
    # binomial standard error sqrt(0.09 / 40000) = 0.0015
    assert stuck.float().mean().item() == pytest.approx(0.1, abs=0.0075)
    assert torch.all(array.max_bound[stuck].abs() <= 0.1)
    assert array.max_bound[stuck].std().item() == pytest.approx(0.2 / 12**0.5, abs=0.005)
    assert torch.all(array.dwmin_up[stuck] == 0) and torch.all(array.dwmin_down[stuck] == 0)
    array.set_weights(torch.full(array.shape, 0.5), gen)
    assert torch.equal(array.weight[stuck], array.max_bound[stuck])
    array.apply_pulse_counts(torch.full(array.shape, 3), torch.zeros(array.shape, dtype=bool), gen)
    assert torch.equal(array.weight[stuck], array.max_bound[stuck])


def test_perfect_bias_column():
    array = build_array(ConstantStepDevice(perfect_bias=True, corrupt_devices_prob=0.5), 30, 6)
    assert torch.allclose(array.dwmin_up[:, -1], torch.tensor(0.001))
    assert torch.allclose(array.dwmin_down[:, -1], torch.tensor(0.001))
    assert torch.allclose(array.max_bound[:, -1], torch.tensor(60.0))
    assert torch.allclose(array.min_bound[:, -1], torch.tensor(-60.0))
    assert (array.dwmin_up[:, :-1] == 0).any()


def test_lifetime_diffusion_reset_drift_parameters():
    cfg = ConstantStepDevice(
        lifetime=100.0,
        lifetime_dtod=0.2,
        diffusion=0.01,
        diffusion_dtod=0.5,
        reset=0.1,
        reset_dtod=0.05,
    )
    cfg.drift.nu = 0.05
    cfg.drift.nu_dtod = 0.1
    array = build_array(cfg, N, N)
    t = 1.0 / (1.0 - array.decay_scales.double())
    assert t.mean().item() == pytest.approx(100.0, abs=0.5)
    assert t.std().item() == pytest.approx(20.0, abs=0.4)
    assert array.diffusion_rates.min().item() >= 0.0
    assert array.diffusion_rates.mean().item() == pytest.approx(0.01, abs=2e-4)
    assert array.reset_bias.mean().item() == pytest.approx(0.1, abs=1.3e-3)
    assert array.reset_bias.std().item() == pytest.approx(0.05, abs=1e-3)
    assert array.drift_nu.mean().item() == pytest.approx(0.05, abs=1.3e-4)
    assert array.drift_nu.std().item() == pytest.approx(0.005, abs=1e-4)


def test_short_lifetime_decays_fully():
    array = build_array(ConstantStepDevice(lifetime=0.5))
    assert torch.all(array.decay_scales == 0)


def test_model_specific_spread():
    ls = build_array(LinearStepDevice(gamma_up=0.2, gamma_down=0.3, gamma_up_dtod=0.05), N, N)
    gamma = -ls.slope_up * 0.6 / ls.dwmin_up  # mean bound reference
    assert gamma.mean().item() == pytest.approx(0.2, abs=1.25e-3)  # 5 SE
    assert gamma.std().item() == pytest.approx(0.05, abs=1e-3)
    sb = build_array(SoftBoundsDevice(), 20, 20)
    assert torch.allclose(sb.slope_up, -sb.dwmin_up / sb.max_bound)
    assert torch.allclose(sb.slope_down, -sb.dwmin_down / sb.min_bound)
    ps = build_array(PowStepDevice(pow_gamma=2.0, pow_up_down=0.25), N, N)
    assert ps.gamma_up.mean().item() == pytest.approx(2.0, abs=0.005)
    assert ps.gamma_down.mean().item() == pytest.approx(1.5, abs=0.005)
    assert ps.gamma_up.std().item() == pytest.approx(0.2, abs=0.004)
    sbr = build_array(
        SoftBoundsReferenceDevice(reference_std=0.05, slope_up_dtod=0.1, **NO_VARIATION), N, N
    )
    assert sbr.reference.std().item() == pytest.approx(0.05, abs=1e-3)
    slope = 0.001 / sbr.max_bound
    assert slope.mean().item() == pytest.approx(0.001 / 0.6, rel=0.01)
    assert torch.allclose(sbr.min_bound, torch.tensor(-0.6))


def test_same_seed_same_array_and_different_seed_differs():
    for cfg in (
        ConstantStepDevice(),
        ExpStepDevice(),
        PowStepReferenceDevice(),
        PiecewiseStepDevice(),
    ):
        a = build_array(cfg, 6, 7, seed=3).state_dict()
        b = build_array(cfg, 6, 7, seed=3).state_dict()
        c = build_array(cfg, 6, 7, seed=4).state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
        assert not torch.equal(a["max_bound"], c["max_bound"])


def test_bad_configs_raise_config_error():
    with pytest.raises(ConfigError, match="w_min"):
        build_array(ConstantStepDevice(w_min=0.1))
    with pytest.raises(ConfigError, match="piecewise"):
        build_array(PiecewiseStepDevice(piecewise_up=[1, 2], piecewise_down=[1]))
    with pytest.raises(ConfigError, match="mult_noise"):
        build_array(LinearStepDevice(reverse_up=True, mult_noise=False))
    with pytest.raises(ConfigError, match="PulsedDevice"):
        create_device_array(PulsedDevice(), 2, 2, torch.Generator())


def test_subclass_of_a_model_config_dispatches_to_the_model():
    @dataclasses.dataclass
    class MyPreset(ConstantStepDevice):
        dw_min: float = 0.0016

    array = build_array(MyPreset())
    assert isinstance(array, ConstantStepDeviceArray)
    assert array.granularity == pytest.approx(0.0016)


def test_config_is_kept_and_not_copied_by_value():
    cfg = ConstantStepDevice()
    array = build_array(cfg)
    assert array.config is cfg
    clone = copy.deepcopy(array)
    assert torch.equal(clone.max_bound, array.max_bound)
