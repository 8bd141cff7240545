"""rpu_config.tile_class: a tile module class (or its name) that layers are built with."""

from __future__ import annotations

import io

import pytest
import torch

from analogtrain.configs import (
    FloatingPointRPUConfig,
    MappingParameter,
    SingleRPUConfig,
    SoftBoundsReferenceDevice,
    build_config,
)
from analogtrain.configs.serialization import from_dict, to_dict
from analogtrain.errors import ConfigError
from analogtrain.nn import AnalogLinear, AnalogTileModule
from analogtrain.nn.transfer_tile import TorchTransferTile


def _ttv2(**mapping):
    config = build_config("ttv2", SoftBoundsReferenceDevice(dw_min=0.1))
    config.mapping = MappingParameter(**mapping)
    return config


def test_default_tile_class_is_a_name_that_builds_the_tile_module_when_called():
    config = SingleRPUConfig()
    assert config.tile_class == "AnalogTile"
    tile = config.tile_class(3, 2, config)
    assert type(tile) is AnalogTileModule and (tile.out_size, tile.in_size) == (3, 2)
    fp = FloatingPointRPUConfig()
    assert type(fp.tile_class(2, 2, fp)) is AnalogTileModule


def test_torch_transfer_tile_as_tile_class_builds_layers_that_train():
    config = _ttv2()
    config.tile_class = TorchTransferTile
    layer = AnalogLinear(4, 3, rpu_config=config)
    assert type(layer.analog_module) is TorchTransferTile
    before = layer.get_weights()[0].clone()
    x = torch.rand(2, 4)
    layer(x).sum().backward()
    layer.analog_module.update(x, torch.ones(2, 3), lr=0.5)
    assert not torch.equal(layer.get_weights()[0], before)

    split_config = _ttv2(max_input_size=4)
    split_config.tile_class = TorchTransferTile
    split = AnalogLinear(6, 3, rpu_config=split_config, bias=False)
    assert {type(t) for t in split.analog_module.analog_tile_modules()} == {TorchTransferTile}


def test_torch_transfer_tile_refuses_a_config_without_a_chopped_transfer_compound():
    config = SingleRPUConfig()
    config.tile_class = TorchTransferTile
    with pytest.raises(ConfigError, match="TorchTransferTile.*SingleRPUConfig"):
        AnalogLinear(2, 2, rpu_config=config)
    with pytest.raises(ConfigError, match="TorchTransferTile"):
        TorchTransferTile(2, 2, build_config("tiki-taka", SoftBoundsReferenceDevice()))


def test_a_class_that_is_not_a_module_is_refused_when_a_layer_is_built():
    config = SingleRPUConfig()
    config.tile_class = int
    with pytest.raises(ConfigError, match="tile_class=<class 'int'>"):
        AnalogLinear(2, 2, rpu_config=config)


def test_tile_class_survives_to_dict_and_a_weights_only_checkpoint():
    config = _ttv2()
    config.tile_class = TorchTransferTile
    assert to_dict(config)["config"]["fields"]["tile_class"] == {"tile_class": "TorchTransferTile"}
    assert from_dict(to_dict(config)).tile_class is TorchTransferTile
    layer = AnalogLinear(3, 2, rpu_config=config)
    buffer = io.BytesIO()
    torch.save(layer.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    again = AnalogLinear(3, 2, rpu_config=config)
    again.load_state_dict(state)
    torch.testing.assert_close(again.get_weights()[0], layer.get_weights()[0])


def test_aihwkit_mirror_names_torch_transfer_tile():
    from analogtrain.aihwkit.simulator.tiles.transfer import TorchTransferTile as mirrored

    assert mirrored is TorchTransferTile
