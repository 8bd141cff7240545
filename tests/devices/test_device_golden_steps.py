"""Noise-free single pulses and short trajectories of every model ([verified] values)."""

from __future__ import annotations

import math

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

LS_FIXED = {"gamma_up_dtod": 0.0, "gamma_down_dtod": 0.0}
POW_FIXED = {"pow_gamma_dtod": 0.0}

GOLDEN = [
    (ConstantStepDevice(**NO_VARIATION), 0.001, -0.001),
    (LinearStepDevice(gamma_up=0.5, gamma_down=0.5, **LS_FIXED, **NO_VARIATION), 0.00075, -0.00125),
    (SoftBoundsDevice(**NO_VARIATION), 0.0005, -0.0015),
    (ExpStepDevice(**NO_VARIATION), 0.00092436, -0.00099652),
    (PowStepDevice(pow_gamma=2.0, **POW_FIXED, **NO_VARIATION), 0.001 * 0.25**2, -0.001 * 0.75**2),
    (
        PiecewiseStepDevice(piecewise_up=[2, 1, 0.5], piecewise_down=[0.5, 1, 2], **NO_VARIATION),
        0.00075,
        -0.0015,
    ),
]


@pytest.mark.parametrize(("config", "up", "down"), GOLDEN, ids=lambda c: type(c).__name__)
def test_single_pulse_at_0_3(config, up, down, gen):
    array = build_array(config)
    assert torch.allclose(one_pulse(array, 0.3, False, gen), torch.tensor(up), atol=2e-8)
    assert torch.allclose(one_pulse(array, 0.3, True, gen), torch.tensor(down), atol=2e-8)


def test_pulse_once_is_pure(gen):
    array = build_array(SoftBoundsDevice(**NO_VARIATION))
    w = torch.full(array.shape, 0.3)
    before = array.weight.clone()
    new = array.pulse_once(w, torch.zeros(array.shape, dtype=torch.bool), gen)
    assert torch.equal(array.weight, before)
    assert torch.equal(w, torch.full(array.shape, 0.3))
    assert torch.allclose(new - w, torch.tensor(0.0005), atol=1e-8)


def test_constant_step_trajectory_stops_at_bound(gen):
    array = build_array(ConstantStepDevice(**NO_VARIATION), 2, 3)
    array.set_weights(torch.full(array.shape, 0.5955), gen)
    up = torch.zeros(array.shape, dtype=torch.bool)
    seen = []
    for _ in range(7):
        array.apply_pulse_counts(torch.ones(array.shape, dtype=torch.int64), up, gen)
        seen.append(array.weight[0, 0].item())
    expected = [0.5965, 0.5975, 0.5985, 0.5995, 0.6, 0.6, 0.6]
    assert seen == pytest.approx(expected, abs=1e-6)


def test_soft_bounds_trajectory_matches_closed_form(gen):
    # up pulses from 0: w_n = b_max (1 - (1 - dw/b_max)^n)
    array = build_array(SoftBoundsDevice(**NO_VARIATION), 2, 2)
    array.set_weights(torch.zeros(array.shape), gen)
    counts = torch.full(array.shape, 300)
    array.apply_pulse_counts(counts, torch.zeros(array.shape, dtype=torch.bool), gen)
    expected = 0.6 * (1.0 - (1.0 - 0.001 / 0.6) ** 300)
    assert torch.allclose(array.weight, torch.tensor(expected), atol=2e-6)


def test_linear_step_trajectory_matches_closed_form(gen):
    # down pulses: w_{n+1} = w_n - dw (1 + gamma w_n / 0.6) -> fixed point -0.6/gamma
    gamma = 0.5
    cfg = LinearStepDevice(gamma_up=gamma, gamma_down=gamma, **LS_FIXED, **NO_VARIATION)
    array = build_array(cfg, 2, 2)
    array.set_weights(torch.full(array.shape, 0.3), gen)
    n = 200
    array.apply_pulse_counts(torch.full(array.shape, n), torch.ones(array.shape, dtype=bool), gen)
    rate = 1.0 - 0.001 * gamma / 0.6
    fixed = -0.6 / gamma
    expected = fixed + (0.3 - fixed) * rate**n
    assert torch.allclose(array.weight, torch.tensor(expected), atol=2e-6)


def test_pow_step_four_pulses(gen):
    # [verified] pow_gamma=2, w=0.3: 4 pulses give +0.000250 up and -0.002246 down
    array = build_array(PowStepDevice(pow_gamma=2.0, **POW_FIXED, **NO_VARIATION), 2, 2)
    assert array.granularity == pytest.approx(0.00025)
    for down, total in ((False, 0.000250), (True, -0.002246)):
        array.set_weights(torch.full(array.shape, 0.3), gen)
        array.apply_pulse_counts(torch.full(array.shape, 4), torch.full(array.shape, down), gen)
        assert torch.allclose(array.weight - 0.3, torch.tensor(total), atol=1e-6)


def test_soft_bounds_reference_symmetry_point(gen):
    cfg = SoftBoundsReferenceDevice(up_down=0.2, subtract_symmetry_point=True, **NO_VARIATION)
    array = build_array(cfg)
    hidden = array.get_hidden_parameters()
    sp = (0.001 - 0.0008) / (0.001 / 0.6 + 0.0008 / 0.6)
    assert sp == pytest.approx(0.0666667, abs=1e-7)
    assert torch.allclose(hidden["reference"], torch.tensor(sp), atol=1e-7)
    assert torch.allclose(hidden["reset_bias"], torch.tensor(sp), atol=1e-7)
    # stored value 0 sits at the symmetry point: up and down steps are equal there
    step = 0.001 * (1.0 - sp / 0.6)
    assert torch.allclose(one_pulse(array, 0.0, False, gen), torch.tensor(step), atol=1e-8)
    assert torch.allclose(one_pulse(array, 0.0, True, gen), torch.tensor(-step), atol=1e-8)


def test_soft_bounds_reference_clips_physical_value(gen):
    cfg = SoftBoundsReferenceDevice(reference_mean=0.1, **NO_VARIATION)
    array = build_array(cfg)
    array.set_weights(torch.full(array.shape, 0.499), gen)  # g = 0.599
    counts = torch.full(array.shape, 50)
    array.apply_pulse_counts(counts, torch.zeros(array.shape, dtype=torch.bool), gen)
    assert torch.all(array.weight + 0.1 <= 0.6 + 1e-7)
    assert torch.all(array.weight > 0.499)


def test_pow_step_reference_symmetry_point_iteration(gen):
    cfg = PowStepReferenceDevice(
        up_down=0.2, subtract_symmetry_point=True, **POW_FIXED, **NO_VARIATION
    )
    array = build_array(cfg, 2, 2)
    # with pow_gamma = 1 the fixed point solves 0.0008 (sp + 0.6) = 0.001 (0.6 - sp)
    assert torch.allclose(array.reference, torch.tensor(0.0666667), atol=1e-6)
    assert torch.allclose(array.reset_bias, torch.tensor(0.0666667), atol=1e-6)
    symmetric = build_array(
        PowStepReferenceDevice(subtract_symmetry_point=True, **POW_FIXED, **NO_VARIATION), 2, 2
    )
    assert torch.allclose(symmetric.reference, torch.tensor(0.0), atol=1e-7)


def test_granularities():
    assert build_array(ExpStepDevice()).granularity == pytest.approx(0.000983424, abs=1e-9)
    reram_es = ExpStepDevice(
        dw_min=0.00135,
        up_down=0.259359,
        A_up=-1.18445,
        A_down=-0.081404,
        gamma_up=5.0,
        gamma_down=5.0,
        a=-0.5,
        b=-0.5,
        w_min=-1.0,
        w_max=1.0,
    )
    array = build_array(reram_es)
    assert array.granularity == pytest.approx(0.00199144, abs=1e-8)
    assert round(array.n_states) == 1004
    pcm = ExpStepDevice(
        dw_min=0.01,
        A_up=-27.235,
        A_down=-2.235,
        gamma_up=2.5,
        gamma_down=2.5,
        a=-1.0,
        b=0.0,
        w_min=0.0,
        w_max=2.0,
        w_min_dtod=0.0,
    )
    assert build_array(pcm).granularity == pytest.approx(0.03235, abs=1e-7)
    pw = PiecewiseStepDevice(piecewise_up=[3.0, 2.0, 0.5, 0.25], piecewise_down=[1, 1, 1, 1])
    assert build_array(pw).granularity == pytest.approx(0.001 * 0.5)
    assert build_array(PowStepReferenceDevice(pow_gamma=3.0)).granularity == pytest.approx(
        0.001 / 8
    )


def test_soft_bounds_pmax_derived_parameters(gen):
    array = build_array(SoftBoundsPmaxDevice(**NO_VARIATION))
    span = 2.0 / (1.0 - math.exp(-0.5))
    assert span == pytest.approx(5.08299, abs=1e-5)
    assert array.granularity == pytest.approx(0.00254149, abs=1e-8)
    assert array.n_states == pytest.approx(2000.0)
    assert torch.allclose(array.max_bound, torch.tensor(4.08299), atol=1e-5)
    assert torch.allclose(array.min_bound, torch.tensor(-1.0))
    up_down = 1.0 - 2.0 / span
    assert up_down == pytest.approx(0.606531, abs=1e-6)
    assert torch.allclose(array.dwmin_up, torch.tensor(0.00254149), atol=1e-8)
    assert torch.allclose(array.dwmin_down, torch.tensor((1 - up_down) * 0.00254149), atol=1e-8)
    # up step at range_min: dw_min (1 - w / b_max) with the per-device (here mean) bound
    step = one_pulse(array, -1.0, False, gen)
    assert torch.allclose(step, torch.tensor(0.00254149 * (1 + 1 / 4.08299)), atol=1e-7)


PRESET_GRANULARITY = [
    ("ReRamESPresetDevice", 0.00199144, 1004),
    ("ReRamSBPresetDevice", 0.002, 1000),
    ("CapacitorPresetDevice", 0.005, 400),
    ("EcRamPresetDevice", 0.002, 1000),
    ("EcRamMOPresetDevice", 0.00028214, 7089),
    ("IdealizedPresetDevice", 0.0002, 10000),
    ("GokmenVlasovPresetDevice", 0.0016, 1250),
    ("PCMPresetDevice", 0.03235, 62),
    ("ReRamArrayOMPresetDevice", 0.0949, 21),
    ("ReRamArrayHfO2PresetDevice", 0.4622, 4),
]


@pytest.mark.parametrize(("name", "granularity", "states"), PRESET_GRANULARITY)
def test_preset_granularity_and_states(name, granularity, states):
    # [verified] spec single-tile 2.11 table 2; presets dispatch through their base model
    from analogtrain.presets import devices as preset_devices

    array = build_array(getattr(preset_devices, name)(), 3, 3)
    assert array.granularity == pytest.approx(granularity, rel=1e-5)
    assert round(array.n_states) == states


def _plain_symmetry_iteration(p, steps):
    span = p["max_bound"] - p["min_bound"]
    sp = torch.zeros_like(span)
    for t in range(int(steps.max())):
        down = p["dwmin_down"] * ((sp - p["min_bound"]) / span) ** p["gamma_down"]
        up = p["dwmin_up"] * ((p["max_bound"] - sp) / span) ** p["gamma_up"]
        sp = torch.where(steps > t, sp - down + up, sp)
    return sp


def test_symmetry_point_estimate_matches_plain_loop():
    from analogtrain.devices.pow_step_reference import estimate_symmetry_point

    g = torch.Generator().manual_seed(3)
    shape = (6, 7)

    def rand() -> torch.Tensor:
        return torch.rand(shape, generator=g, dtype=torch.float64)

    p = {
        "dwmin_up": rand() * 0.05 + 0.002,
        "dwmin_down": rand() * 0.05 + 0.002,
        "max_bound": rand() + 0.2,
        "min_bound": -rand() - 0.2,
        "gamma_up": rand() + 0.5,
        "gamma_down": rand() + 0.5,
    }
    p["min_bound"][0, 0] = 0.1  # inconsistent device: no symmetry point
    sp = estimate_symmetry_point(p, -1)
    span = p["max_bound"] - p["min_bound"]
    smallest = torch.minimum(p["dwmin_up"], p["dwmin_down"])
    steps = torch.floor(10 * span / smallest + 0.5).clamp(max=10000)
    steps[0, 0] = 0
    assert steps[1:].min() < steps.max()  # devices stop at different counts
    assert torch.allclose(sp, _plain_symmetry_iteration(p, steps), atol=1e-10, rtol=0)
    assert sp[0, 0] == 0.0
    few = estimate_symmetry_point(p, 7)  # too few steps to converge: explicit iteration
    seven = torch.where(steps > 0, 7.0, 0.0)
    assert torch.allclose(few, _plain_symmetry_iteration(p, seven), atol=1e-14, rtol=0)


def test_symmetry_point_of_default_devices():
    # defaults: 10000 steps of ~0.001 on a range of 1.2; the estimate agrees with the plain
    # iteration far below float32 resolution of the stored reference
    array = build_array(PowStepReferenceDevice(subtract_symmetry_point=True), 3, 4, seed=11)
    p = {
        name: getattr(array, name).double()
        for name in ("max_bound", "min_bound", "dwmin_up", "dwmin_down", "gamma_up", "gamma_down")
    }
    smallest = torch.minimum(p["dwmin_up"], p["dwmin_down"])
    steps = torch.floor(10 * (p["max_bound"] - p["min_bound"]) / smallest + 0.5).clamp(max=10000)
    expected = _plain_symmetry_iteration(p, steps)
    assert torch.allclose(array.reference.double(), expected, atol=5e-8, rtol=0)
    assert torch.allclose(array.reset_bias.double(), expected, atol=5e-8, rtol=0)
