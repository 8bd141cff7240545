"""Preset devices against spec single-tile 2.11 (Tables 1-3) and derived number of states."""

from __future__ import annotations

import dataclasses
import math

import pytest

from analogtrain import configs as c
from analogtrain import presets as p
from analogtrain.errors import ConfigError

COMMON = (
    "dw_min dw_min_dtod dw_min_dtod_log_normal dw_min_std up_down up_down_dtod "
    "w_min w_min_dtod w_max w_max_dtod"
).split()
TABLE1 = {
    p.ReRamESPresetDevice: (0.00135, 0.2, False, 5.0, 0.259359, 0.05, -1.0, 0.3, 1.0, 0.3),
    p.ReRamSBPresetDevice: (0.002, 0.3, False, 3.75, 0.0, 0.01, -0.75, 0.4, 1.25, 0.24),
    p.CapacitorPresetDevice: (0.005, 0.1, False, 0.3, 0.0, 0.06, -1.0, 0.07, 1.0, 0.07),
    p.EcRamPresetDevice: (0.002, 0.1, False, 0.3, 0.0, 0.01, -0.8276, 0.05, 1.1724, 0.05),
    p.EcRamMOPresetDevice: (2.8214e-4, 0.1, False, 2.0, 0.0, 0.01, -0.8286, 0.05, 1.1714, 0.05),
    p.IdealizedPresetDevice: (0.0002, 0.3, False, 0.3, 0.0, 0.0, -1.0, 0.3, 1.0, 0.3),
    p.GokmenVlasovPresetDevice: (0.0016, 0.3, False, 0.3, 0.0, 0.01, -1.0, 0.3, 1.0, 0.3),
    p.PCMPresetDevice: (0.01, 0.2, False, 0.6, 0.0, 0.05, 0.0, 0.0, 2.0, 0.1),
    p.ReRamArrayOMPresetDevice: (
        0.0949,
        0.7829,
        True,
        0.4158,
        0.0,
        0.01,
        -1.0,
        0.5695,
        1.0,
        0.3499,
    ),
    p.ReRamArrayHfO2PresetDevice: (
        0.4622,
        0.7125,
        True,
        0.2174,
        0.0,
        0.01,
        -1.0,
        0.599,
        1.0,
        0.4295,
    ),
}
# write_noise_std, lifetime, lifetime_dtod, reset, reset_dtod, corrupt_devices_range, states
TABLE2 = {
    p.ReRamESPresetDevice: (75.0, 0, 0, 0, 0, 0.1, 1004),
    p.ReRamSBPresetDevice: (56, 0, 0, 0, 0, 0.1, 1000),
    p.CapacitorPresetDevice: (0.0, 1.0e6, 0.3, 0, 0, 0.1, 400),
    p.EcRamPresetDevice: (0.0, 0, 0, 0, 0, 0.1, 1000),
    p.EcRamMOPresetDevice: (0.0, 0, 0, 0, 0, 0.1, 7089),
    p.IdealizedPresetDevice: (None, 0, 0, 0, 0, 0.1, 10000),
    p.GokmenVlasovPresetDevice: (None, 0, 0, 0, 0, 0.1, 1250),
    p.PCMPresetDevice: (0.0, 0, 0, 0.01, 0.02, 0.1, 62),
    p.ReRamArrayOMPresetDevice: (1.4113, 0, 0, 0, 0, 0.01, 21),
    p.ReRamArrayHfO2PresetDevice: (0.5841, 0, 0, 0, 0, 0.01, 4),
}
TABLE3 = {
    p.ReRamESPresetDevice: dict(
        A_up=-1.18445,
        A_down=-0.081404,
        gamma_up=5.0,
        gamma_down=5.0,
        a=-0.5,
        b=-0.5,
        dw_min_std_add=0,
        dw_min_std_slope=0,
        apply_write_noise_on_set=True,
    ),
    p.ReRamSBPresetDevice: dict(
        mult_noise=False,
        slope_up_dtod=0,
        slope_down_dtod=0,
        reference_mean=0,
        reference_std=0,
        subtract_symmetry_point=False,
    ),
    p.CapacitorPresetDevice: dict(
        gamma_up=0.05,
        gamma_down=0.05,
        gamma_up_dtod=0.01,
        gamma_down_dtod=0.01,
        allow_increasing=False,
        mean_bound_reference=True,
        mult_noise=False,
        reverse_up=False,
        reverse_down=False,
        reverse_offset=0.01,
    ),
    p.EcRamPresetDevice: dict(
        gamma_up=0.1153,
        gamma_down=0.5085,
        gamma_up_dtod=0.05,
        gamma_down_dtod=0.05,
        mean_bound_reference=True,
        mult_noise=True,
    ),
    p.EcRamMOPresetDevice: dict(
        gamma_up=0.4152,
        gamma_down=0.7342,
        gamma_up_dtod=0.05,
        gamma_down_dtod=0.05,
        mean_bound_reference=True,
        mult_noise=True,
    ),
    p.IdealizedPresetDevice: {},
    p.GokmenVlasovPresetDevice: {},
    p.PCMPresetDevice: dict(
        A_up=-27.235,
        A_down=-2.235,
        gamma_up=2.5,
        gamma_down=2.5,
        a=-1.0,
        b=0.0,
        dw_min_std_add=0.042,
        dw_min_std_slope=0.108,
    ),
    p.ReRamArrayOMPresetDevice: dict(
        mult_noise=False,
        slope_up_dtod=0,
        slope_down_dtod=0,
        reference_mean=0,
        reference_std=0.05,
        subtract_symmetry_point=True,
    ),
    p.ReRamArrayHfO2PresetDevice: dict(
        mult_noise=False,
        slope_up_dtod=0,
        slope_down_dtod=0,
        reference_mean=0,
        reference_std=0.05,
        subtract_symmetry_point=True,
    ),
}
BASE = {
    p.ReRamESPresetDevice: c.ExpStepDevice,
    p.ReRamSBPresetDevice: c.SoftBoundsReferenceDevice,
    p.CapacitorPresetDevice: c.LinearStepDevice,
    p.EcRamPresetDevice: c.LinearStepDevice,
    p.EcRamMOPresetDevice: c.LinearStepDevice,
    p.IdealizedPresetDevice: c.ConstantStepDevice,
    p.GokmenVlasovPresetDevice: c.ConstantStepDevice,
    p.PCMPresetDevice: c.ExpStepDevice,
    p.ReRamArrayOMPresetDevice: c.SoftBoundsReferenceDevice,
    p.ReRamArrayHfO2PresetDevice: c.SoftBoundsReferenceDevice,
}


def _granularity(d: c.PulsedDevice) -> float:
    """Weight granularity of the mean device (spec single-tile 2.4, incl. the ExpStep quirk)."""
    if isinstance(d, c.ExpStepDevice):
        z = d.b  # w = 0
        s_down = (1 - max(d.up_down, 0)) * d.dw_min
        g = s_down * max(1 - d.A_down * math.exp(-d.gamma_down * z), 0)
        return g if g > 0 else d.dw_min
    return d.dw_min


@pytest.mark.parametrize("cls", list(TABLE1), ids=lambda k: k.__name__)
def test_preset_values(cls: type) -> None:
    dev = cls()
    assert type(dev).__mro__[1] is BASE[cls]
    for name, value in zip(COMMON, TABLE1[cls]):
        assert getattr(dev, name) == pytest.approx(value, rel=1e-12), name
    wn, life, life_dtod, reset, reset_dtod, corrupt_range, _ = TABLE2[cls]
    if wn is None:
        assert not hasattr(dev, "write_noise_std")
    else:
        assert dev.write_noise_std == wn and type(dev.write_noise_std) is type(wn)
    assert (dev.lifetime, dev.lifetime_dtod, dev.reset, dev.reset_dtod) == (
        life,
        life_dtod,
        reset,
        reset_dtod,
    )
    assert dev.corrupt_devices_range == corrupt_range
    assert (dev.enforce_consistency, dev.perfect_bias, dev.diffusion, dev.reset_std) == (
        True,
        False,
        0.0,
        0.01,
    )
    assert dev.corrupt_devices_prob == 0.0 and dev.construction_seed == 0
    assert dev.drift == c.DriftParameter()
    for name, value in TABLE3[cls].items():
        assert getattr(dev, name) == value, name
    # every field not named in the tables keeps the base-class default
    named = (
        set(COMMON)
        | set(TABLE3[cls])
        | {
            "write_noise_std",
            "lifetime",
            "lifetime_dtod",
            "reset",
            "reset_dtod",
            "corrupt_devices_range",
        }
    )
    base = BASE[cls]()
    for f in dataclasses.fields(dev):
        if f.name not in named:
            assert getattr(dev, f.name) == getattr(base, f.name), f.name
    dev.validate()


@pytest.mark.parametrize("cls", list(TABLE2), ids=lambda k: k.__name__)
def test_number_of_states(cls: type) -> None:
    dev = cls()
    states = (dev.w_max - dev.w_min) / _granularity(dev)
    assert round(states) == TABLE2[cls][-1]


def test_exp_step_granularities_of_spec() -> None:
    # [verified] values of spec single-tile 2.4
    assert _granularity(c.ExpStepDevice()) == pytest.approx(0.000983424, rel=1e-5)
    assert _granularity(p.ReRamESPresetDevice()) == pytest.approx(0.00199144, rel=1e-5)
    assert _granularity(p.PCMPresetDevice()) == pytest.approx(0.03235, rel=1e-3)


def test_presets_print_compactly_and_stay_strict() -> None:
    assert str(p.CapacitorPresetDevice()) == "CapacitorPresetDevice()"
    assert str(p.CapacitorPresetDevice(dw_min=0.01)) == "CapacitorPresetDevice(dw_min=0.01)"
    with pytest.raises(ConfigError, match="did you mean 'gamma_up'"):
        p.PCMPresetDevice().gama_up = 1.0
