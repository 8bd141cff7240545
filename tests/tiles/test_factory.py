"""create_tile dispatch and the compound tile registry."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    DigitalRankUpdateRPUConfig,
    FloatingPointRPUConfig,
    IdealDevice,
    IOParameters,
    PulseType,
    SingleRPUConfig,
    UnitCell,
    UnitCellRPUConfig,
    UpdateParameters,
    VectorUnitCell,
)
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.tiles import AnalogTile, AnalogTileBase, create_tile, register_tile
from analogtrain.tiles.factory import tile_class_for


class _TestCell(VectorUnitCell):
    """A compound config class known only to these tests."""


class _TestCellPreset(_TestCell):
    """A 'preset' subclass: must find the tile registered for its base."""


@register_tile(_TestCell)
class _TestCellTile(AnalogTile):
    pass


@pytest.mark.parametrize(
    "config",
    [
        SingleRPUConfig(),
        SingleRPUConfig(device=IdealDevice()),
        FloatingPointRPUConfig(),
    ],
)
def test_single_configs_build_an_analog_tile(config):
    tile = create_tile(config, 3, 4, dtype=torch.float64)
    assert type(tile) is AnalogTile
    assert tile.get_weights().shape == (3, 4)
    assert tile.dtype == torch.float64 and tile.device == torch.device("cpu")


def test_registry_lookup_walks_the_device_config_mro():
    assert tile_class_for(UnitCellRPUConfig(device=_TestCell())) is _TestCellTile
    assert tile_class_for(UnitCellRPUConfig(device=_TestCellPreset())) is _TestCellTile


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (UnitCellRPUConfig(), "UnitCell"),
        (UnitCellRPUConfig(device=UnitCell()), "UnitCell"),
        (DigitalRankUpdateRPUConfig(), "DigitalRankUpdateCell"),
    ],
)
def test_abstract_compounds_raise_config_error_naming_the_class(config, name):
    with pytest.raises(ConfigError, match=name):
        create_tile(config, 2, 2)


def test_unknown_config_type_raises_config_error():
    with pytest.raises(ConfigError, match="IOParameters"):
        create_tile(IOParameters(), 2, 2)


def test_compound_with_pulse_type_none_is_a_floating_point_tile():
    config = UnitCellRPUConfig(
        device=VectorUnitCell(unit_cell_devices=[ConstantStepDevice(), ConstantStepDevice()]),
        forward=IOParameters(is_perfect=True),
        update=UpdateParameters(pulse_type=PulseType.NONE),
    )
    tile = create_tile(config, 3, 2)
    assert type(tile) is AnalogTile
    assert isinstance(tile.device_config, IdealDevice)
    w0 = tile.get_weights()
    x = torch.tensor([[1.0, -2.0]])
    d = torch.tensor([[0.5, 1.0, -1.0]])
    tile.update(x, d, 0.1)
    torch.testing.assert_close(tile.get_weights(), w0 - 0.1 * d.t() @ x)
    tile.post_update_step()  # no decay, no diffusion for a bypassed compound
    torch.testing.assert_close(tile.get_weights(), w0 - 0.1 * d.t() @ x)


def test_register_tile_rejects_bad_arguments():
    with pytest.raises(ArgumentError, match="config class"):
        register_tile(_TestCell())  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="AnalogTileBase"):
        register_tile(_TestCell)(int)  # type: ignore[arg-type]

    class _Other(AnalogTile):
        pass

    with pytest.raises(ArgumentError, match="_TestCellTile"):
        register_tile(_TestCell)(_Other)
    assert register_tile(_TestCell)(_TestCellTile) is _TestCellTile  # idempotent


def test_create_tile_passes_sizes_and_validates_them():
    with pytest.raises(ArgumentError, match="in_size"):
        create_tile(SingleRPUConfig(), 3, 0)
    assert issubclass(tile_class_for(SingleRPUConfig()), AnalogTileBase)
