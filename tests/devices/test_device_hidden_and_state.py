"""Hidden parameters, registry dispatch and module state of device arrays."""

from __future__ import annotations

import copy

import pytest
import torch
from device_helpers import build_array

from analogtrain.configs.devices import (
    ConstantStepDevice,
    ExpStepDevice,
    LinearStepDevice,
    PowStepDevice,
    PowStepReferenceDevice,
    SoftBoundsReferenceDevice,
)
from analogtrain.devices import implementation_for, register
from analogtrain.devices.constant_step import ConstantStepDeviceArray
from analogtrain.errors import ArgumentError, ConfigError, TileError

COMMON = [
    "max_bound",
    "min_bound",
    "dwmin_up",
    "dwmin_down",
    "decay_scales",
    "diffusion_rates",
    "reset_bias",
    "drift_nu",
]


@pytest.mark.parametrize(
    ("config", "extra"),
    [
        (ConstantStepDevice(), []),
        (ExpStepDevice(), []),
        (LinearStepDevice(write_noise_std=1.0), ["persistent_weights", "slope_up", "slope_down"]),
        (PowStepDevice(), ["gamma_up", "gamma_down"]),
        (PowStepReferenceDevice(), ["gamma_up", "gamma_down", "reference"]),
        (SoftBoundsReferenceDevice(), ["reference"]),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, list) else "",
)
def test_hidden_parameter_names(config, extra):
    assert build_array(config).hidden_parameter_names() == COMMON + extra


def test_hidden_parameter_round_trip(gen):
    source = build_array(LinearStepDevice(write_noise_std=1.0), seed=1)
    source.apply_pulse_counts(
        torch.full(source.shape, 5), torch.zeros(source.shape, dtype=bool), gen
    )
    target = build_array(LinearStepDevice(write_noise_std=1.0), seed=2)
    hidden = source.get_hidden_parameters()
    target.set_hidden_parameters(hidden)
    for name, value in target.get_hidden_parameters().items():
        assert torch.equal(value, hidden[name]), name
    assert torch.equal(target.persistent_weight, source.persistent_weight)
    # the returned tensors are copies
    hidden["max_bound"].fill_(9.0)
    assert not torch.equal(source.max_bound, hidden["max_bound"])


def test_hidden_parameter_mismatch_raises_tile_error():
    array = build_array(ConstantStepDevice())
    hidden = array.get_hidden_parameters()
    with pytest.raises(TileError, match="slope_up"):
        array.set_hidden_parameters({**hidden, "slope_up": hidden["max_bound"]})
    del hidden["drift_nu"]
    with pytest.raises(TileError, match="drift_nu"):
        array.set_hidden_parameters(hidden)
    hidden = array.get_hidden_parameters()
    hidden["reset_bias"] = torch.zeros(2, 2)
    with pytest.raises(TileError, match="reset_bias"):
        array.set_hidden_parameters(hidden)


def test_nan_hidden_parameters_and_weights_are_rejected_unchanged():
    array = build_array(ConstantStepDevice())
    gen = torch.Generator().manual_seed(3)
    before = array.get_hidden_parameters()
    weights = array.get_weights()
    hidden = array.get_hidden_parameters()
    hidden["dwmin_up"][1, 2] = float("nan")
    with pytest.raises(TileError, match="'dwmin_up' contains NaN"):
        array.set_hidden_parameters(hidden)
    for name, value in array.get_hidden_parameters().items():
        assert torch.equal(value, before[name]), name
    for bad in (float("nan"), float("inf")):
        w = torch.zeros(array.shape)
        w[0, 0] = bad
        with pytest.raises(TileError, match="weights contains non-finite"):
            array.set_weights(w, gen)
    assert torch.equal(array.get_weights(), weights)


def test_state_dict_and_deepcopy_carry_everything(gen):
    a = build_array(SoftBoundsReferenceDevice(reference_std=0.1), seed=5)
    b = build_array(SoftBoundsReferenceDevice(reference_std=0.1), seed=6)
    b.load_state_dict(a.state_dict())
    assert torch.equal(b.reference, a.reference) and torch.equal(b.weight, a.weight)
    c = copy.deepcopy(a)
    c.apply_pulse_counts(
        torch.ones(a.shape, dtype=torch.int64), torch.zeros(a.shape, dtype=bool), gen
    )
    assert not torch.equal(c.weight, a.weight)
    assert c.persistent_weight is c.weight


def test_registry_errors():
    class Unknown:
        pass

    with pytest.raises(ConfigError, match="Unknown"):
        implementation_for(Unknown())
    assert implementation_for(ConstantStepDevice()) is ConstantStepDeviceArray
    with pytest.raises(ArgumentError, match="already implemented"):
        register(ConstantStepDevice)(type("Other", (ConstantStepDeviceArray,), {}))
    with pytest.raises(ArgumentError, match="DeviceArray"):
        register(Unknown)(int)


def test_bad_sizes():
    with pytest.raises(ArgumentError, match="out_size"):
        build_array(ConstantStepDevice(), 0, 3)
