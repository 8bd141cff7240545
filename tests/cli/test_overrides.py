"""--set parsing: paths and value types are checked against the configuration fields."""

from __future__ import annotations

import pytest

from analogtrain.cli.overrides import apply_overrides, config_paths, parse_assignment
from analogtrain.configs import (
    BoundManagementType,
    ConstantStepDevice,
    PiecewiseStepDevice,
    SoftBoundsDevice,
    SoftBoundsPmaxDevice,
    build_config,
)
from analogtrain.errors import ConfigError


def test_scalar_types_enums_lists_and_nested_paths():
    c = build_config("c-ttv2", SoftBoundsDevice)
    apply_overrides(
        c,
        [
            "forward.out_noise=0.02",
            "forward.inp_sto_round=yes",
            "update.desired_bl=7",
            "forward.bound_management=none",
            "backward.noise_management=AbsMax",
            "device.unit_cell_devices.0.dw_min=0.01",
            "device.unit_cell_devices[1].up_down=-0.1",
            "device.transfer_update.desired_bl=2",
            "device.gamma_vec=[0.5, 1]",
        ],
    )
    assert c.forward.out_noise == 0.02 and c.forward.inp_sto_round is True
    assert c.update.desired_bl == 7 and isinstance(c.update.desired_bl, int)
    assert c.forward.bound_management is BoundManagementType.NONE
    assert c.backward.noise_management.value == "AbsMax"
    assert c.device.unit_cell_devices[0].dw_min == 0.01
    assert c.device.unit_cell_devices[1].up_down == -0.1
    assert c.device.unit_cell_devices[1].dw_min == 0.001  # the other device is untouched
    assert c.device.transfer_update.desired_bl == 2
    assert c.device.gamma_vec == [0.5, 1.0]


def test_comma_list_optional_none_and_class_replacement():
    d = PiecewiseStepDevice()
    apply_overrides(d, ["piecewise_up=2,1,0.5", "piecewise_down=[0.5,1,2]"])
    assert d.piecewise_up == [2.0, 1.0, 0.5] and d.piecewise_down == [0.5, 1.0, 2.0]
    p = SoftBoundsPmaxDevice()
    apply_overrides(p, ["w_max=none", "p_max=500"], validate=False)
    assert p.w_max is None and p.p_max == 500
    c = build_config("tt", SoftBoundsDevice)
    apply_overrides(c, ["device.unit_cell_devices.1=ConstantStepDevice"], validate=False)
    assert type(c.device.unit_cell_devices[1]) is ConstantStepDevice


def test_unknown_path_lists_closest_names():
    c = build_config("sgd", SoftBoundsDevice)
    with pytest.raises(ConfigError) as err:
        apply_overrides(c, ["forward.out_nosie=0.1"])
    msg = str(err.value)
    assert "forward.out_nosie" in msg and "closest valid names: forward.out_noise" in msg
    with pytest.raises(ConfigError, match="closest valid names: device.dw_min"):
        apply_overrides(c, ["device.dwmin=0.1"])
    with pytest.raises(ConfigError, match=r"forward\.out_noise.*backward\.out_noise"):
        apply_overrides(c, ["outnoise=3"])


def test_wrong_types_are_errors_naming_the_path():
    c = build_config("sgd", SoftBoundsDevice)
    cases = {
        "forward.out_noise=abc": r"forward.out_noise: expected float, got 'abc'",
        "update.desired_bl=1.5": r"update.desired_bl: expected int, got '1.5'",
        "forward.inp_sto_round=maybe": r"expected bool, got 'maybe'",
        "forward.noise_management=absmx": r"closest: ABS_MAX.*valid: NONE",
        "device=NotAClass": r"device: expected .*NotAClass",
    }
    for text, pattern in cases.items():
        with pytest.raises(ConfigError, match=pattern):
            apply_overrides(c, [text])
    with pytest.raises(ConfigError, match="cannot descend into 'forward.out_noise'"):
        apply_overrides(c, ["forward.out_noise.x=1"])
    with pytest.raises(ConfigError, match="list has 2 items"):
        tt = build_config("tt", SoftBoundsDevice)
        apply_overrides(tt, ["device.unit_cell_devices.2.w_max=1"])
    with pytest.raises(ConfigError, match="PATH=VALUE"):
        parse_assignment("forward.out_noise")


def test_values_are_validated_after_setting():
    c = build_config("sgd", SoftBoundsDevice)
    with pytest.raises(ConfigError, match="desired_bl"):
        apply_overrides(c, ["update.desired_bl=-3"])


def test_config_paths_enumerates_list_items():
    paths = set(config_paths(build_config("tt", ConstantStepDevice)))
    assert {"device.unit_cell_devices.0.dw_min", "device.transfer_forward.out_noise"} <= paths
