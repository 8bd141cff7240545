"""check_simulated: fields that exist but whose non-default values are not simulated."""

from __future__ import annotations

from typing import Any

import pytest

from analogtrain import configs as c
from analogtrain.configs.not_simulated import NOT_SIMULATED
from analogtrain.errors import ConfigError, NotSimulatedError


def _set(cfg: Any, path: str, value: Any) -> Any:
    obj = cfg
    *parents, last = path.split(".")
    for p in parents:
        obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
    setattr(obj, last, value)
    return cfg


CASES = [
    ("sgd", "pre_post.input_range.enable", True),
    ("sgd", "runtime.data_type", c.RPUDataType.HALF),
    ("sgd", "forward.mv_type", c.AnalogMVType.SPLIT_MODE),
    ("mp", "backward.mv_type", c.AnalogMVType.BIT_WISE),
    ("sgd", "forward.bound_management", c.BoundManagementType.SHIFT),
    ("c-ttv2", "device.transfer_forward.bound_management", c.BoundManagementType.SHIFT),
    ("ttv2", "device.random_selection", True),
    ("agad", "device.with_reset_prob", 0.5),
]


@pytest.mark.parametrize(("algorithm", "path", "value"), CASES)
def test_not_simulated_values_raise(algorithm: str, path: str, value: Any) -> None:
    cfg = _set(c.build_config(algorithm, c.ConstantStepDevice), path, value)
    cfg.validate()  # valid, only not simulated
    with pytest.raises(NotSimulatedError, match=f"^{path.replace('.', '[.]')}=") as info:
        c.check_simulated(cfg)
    assert isinstance(info.value, ConfigError)
    assert repr(value) in str(info.value)


def test_list_items_are_walked() -> None:
    cfg = c.build_config("sgd", c.ConstantStepDevice, n_devices=2)
    cfg.device.unit_cell_devices[1] = c.OneSidedUnitCell(refresh_forward=c.IOParameters())
    cfg.device.unit_cell_devices[1].refresh_forward.mv_type = c.AnalogMVType.SPLIT_MODE
    with pytest.raises(NotSimulatedError, match=r"device\.unit_cell_devices\[1\]\.refresh_fo"):
        c.check_simulated(cfg)


@pytest.mark.parametrize("algorithm", c.ALGORITHMS)
def test_defaults_are_simulated(algorithm: str) -> None:
    cfg = c.build_config(algorithm, c.SoftBoundsReferenceDevice)
    cfg.runtime.data_type = c.RPUDataType.DOUBLE
    cfg.forward.mv_type = c.AnalogMVType.POS_NEG_SEPARATE
    c.check_simulated(cfg)
    c.check_simulated(c.FloatingPointRPUConfig())


def test_table_rows_name_real_fields() -> None:
    import dataclasses

    for row in NOT_SIMULATED:
        assert row.field in {f.name for f in dataclasses.fields(row.owner)}
        default = getattr(row.owner(), row.field)
        assert not row.is_unsupported(default), row
