"""Configs are checked where they enter: layer constructors and build_config name the
expected type; load_config/from_dict check every field with its dotted path; save_config
writes standard JSON; seeds are range-checked; a built tile's config is read-only."""

from __future__ import annotations

import json
import math

import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    IOParameters,
    SingleRPUConfig,
    UpdateParameters,
    build_config,
)
from analogtrain.configs.read_only import editable_copy, is_read_only
from analogtrain.configs.serialization import from_dict, load_config, save_config, to_dict
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.nn import AnalogConv2d, AnalogLinear


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (ConstantStepDevice(), "wrap the device"),
        (ConstantStepDevice, "wrap the device"),
        (SingleRPUConfig, r"pass an instance: SingleRPUConfig\(\)"),
        ({"forward": {}}, "from_dict"),
        ("sgd", "build_config"),
        (IOParameters(), "expected an RPU configuration"),
    ],
)
def test_layer_constructors_name_the_expected_config_type(value, hint):
    with pytest.raises(ArgumentError, match=r"AnalogLinear\(rpu_config=\.\.\.\): expected"):
        AnalogLinear(3, 2, rpu_config=value)
    with pytest.raises(ArgumentError, match=hint):
        AnalogConv2d(1, 2, 3, rpu_config=value)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"device": IOParameters}, "device"),
        ({"device": SingleRPUConfig()}, "device"),
        ({"device": ConstantStepDevice, "io_parameters": UpdateParameters}, "io_parameters"),
        ({"device": ConstantStepDevice, "up_parameters": IOParameters()}, "up_parameters"),
        ({"device": ConstantStepDevice, "io_parameters": 3}, "io_parameters"),
    ],
)
def test_build_config_names_the_argument_and_expected_type(kwargs, name):
    with pytest.raises(ArgumentError, match=rf"build_config\({name}=\.\.\.\): expected"):
        build_config("sgd", **kwargs)


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64 + 5, 10**30])
def test_construction_seed_out_of_range_is_rejected(seed):
    with pytest.raises(ArgumentError, match="0 <= seed < 2\\*\\*63"):
        build_config("sgd", ConstantStepDevice, construction_seed=seed)
    cfg = SingleRPUConfig(device=ConstantStepDevice(construction_seed=seed))
    with pytest.raises(ConfigError, match="device.construction_seed must satisfy"):
        cfg.validate()


def test_largest_seed_is_accepted_and_differs_from_small_seeds():
    def weights(seed):
        torch.manual_seed(0)
        cfg = build_config("sgd", ConstantStepDevice, construction_seed=seed)
        return AnalogLinear(4, 3, rpu_config=cfg).analog_module.tile.get_hidden_parameters()

    big, small = weights(2**63 - 1), weights(1)
    assert any(not torch.equal(big[k], small[k]) for k in big)


def _saved(**forward) -> dict:
    data = to_dict(SingleRPUConfig())
    data["config"]["fields"]["forward"]["fields"].update(forward)
    return data


@pytest.mark.parametrize(
    ("forward", "message"),
    [
        ({"out_noise": "0.06x"}, "forward.out_noise must be of type float, got '0.06x'"),
        ({"max_bm_factor": "1000"}, "forward.max_bm_factor must be of type int"),
        ({"out_bound": 1e308}, "forward.out_bound must be at most 1e\\+30"),
        ({"out_bound": 10**400}, "forward.out_bound must be at most 1e\\+30"),
        ({"max_bm_factor": 10**400}, "forward.max_bm_factor must be at most 2\\*\\*63"),
        ({"out_noise": -0.1}, "forward.out_noise"),
    ],
)
def test_from_dict_checks_each_field_with_its_dotted_path(forward, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(_saved(**forward))


def test_from_dict_rejects_a_bool_for_a_parameter_group():
    data = to_dict(SingleRPUConfig())
    data["config"]["fields"]["forward"] = True
    with pytest.raises(ConfigError, match="forward must be of type IOParameters, got True"):
        from_dict(data)


def test_deeply_nested_json_gives_config_error_not_recursion(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nested"):
        load_config(path)
    nested: object = []
    for _ in range(200):
        nested = [nested]
    data = to_dict(SingleRPUConfig())
    data["config"]["fields"]["tile_class"] = nested
    with pytest.raises(ConfigError, match="nested deeper than 64"):
        from_dict(data)


def test_load_config_refuses_the_non_standard_nan_literal(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(to_dict(SingleRPUConfig())).replace("0.06", "NaN"))
    with pytest.raises(ConfigError, match="non-standard JSON literal NaN"):
        load_config(path)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_save_config_refuses_non_finite_values_and_writes_nothing(tmp_path, value):
    cfg = SingleRPUConfig()
    cfg.forward.out_noise = value
    path = tmp_path / "c.json"
    with pytest.raises(ConfigError, match="forward.out_noise is .*standard JSON"):
        save_config(cfg, path)
    assert not path.exists()


def test_save_config_writes_standard_json_that_loads_back(tmp_path):
    path = tmp_path / "c.json"
    save_config(SingleRPUConfig(), path)
    json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(name))
    assert load_config(path) == SingleRPUConfig()


def test_built_layer_config_is_read_only_and_the_given_one_stays_editable():
    given = SingleRPUConfig()
    layer = AnalogLinear(3, 2, rpu_config=given)
    given.forward.out_noise = 0.1  # the caller's object is untouched and editable
    for cfg in (layer.analog_module.rpu_config, layer.analog_module.tile.rpu_config):
        assert is_read_only(cfg) and is_read_only(cfg.forward)
        with pytest.raises(ConfigError, match="read-only; edit .*editable_copy"):
            cfg.forward.out_noise = math.nan
        assert cfg.forward.out_noise == 0.06
    copy_ = editable_copy(layer.analog_module.rpu_config)
    copy_.forward.out_noise = 0.0
    assert AnalogLinear(3, 2, rpu_config=copy_).analog_module.rpu_config.forward.out_noise == 0.0


def test_loaded_tile_config_is_read_only_too():
    source = AnalogLinear(3, 2, rpu_config=SingleRPUConfig(forward=IOParameters(out_noise=0.0)))
    target = AnalogLinear(3, 2)
    target.load_state_dict(source.state_dict())
    cfg = target.analog_module.tile.rpu_config
    assert cfg.forward.out_noise == 0.0 and is_read_only(cfg.forward)
