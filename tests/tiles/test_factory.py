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
    build_config,
)
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.tiles import AnalogTile, AnalogTileBase, create_tile, factory, register_tile
from analogtrain.tiles.factory import tile_class_for


class _TestCell(VectorUnitCell):
    """A compound config class known only to these tests."""


class _TestCellPreset(_TestCell):
    """A 'preset' subclass: must find the tile registered for its base."""


class _TestCellTile(AnalogTile):
    """Stands in for a compound tile (never built here)."""


@pytest.fixture
def registered():
    """Register ``_TestCellTile`` for ``_TestCell`` for one test only (the table is global)."""
    register_tile(_TestCell)(_TestCellTile)
    yield
    factory._TILES.pop(_TestCell, None)


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


def test_registry_lookup_walks_the_device_config_mro(registered):
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


def test_register_tile_rejects_bad_arguments(registered):
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


@pytest.mark.parametrize("algorithm", ["tt", "ttv2", "c-ttv2", "agad", "mp"])
def test_every_built_compound_config_finds_a_registered_tile(algorithm):
    config = build_config(algorithm, ConstantStepDevice)
    tile_cls = tile_class_for(config)
    assert issubclass(tile_cls, AnalogTileBase) and tile_cls is not AnalogTile


def test_sgd_with_several_devices_finds_the_vector_tile():
    config = build_config("sgd", ConstantStepDevice, n_devices=2)
    assert tile_class_for(config) is not AnalogTile
