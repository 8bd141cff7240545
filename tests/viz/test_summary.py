"""analog_summary: shapes, tiles, utilisation and reuse factors of a small conv + linear net."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.configs import ConstantStepDevice, SingleRPUConfig
from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from analogtrain.viz.summary import analog_summary


def _model() -> nn.Module:
    config = SingleRPUConfig(device=ConstantStepDevice())
    config.mapping.max_input_size = 64
    config.mapping.max_output_size = 64
    torch.manual_seed(0)
    return AnalogSequential(
        AnalogConv2d(1, 4, kernel_size=3, rpu_config=config),
        nn.Tanh(),
        nn.Flatten(),
        AnalogLinear(144, 10, rpu_config=config),
        nn.LogSoftmax(dim=1),
    )


def test_summary_lists_shapes_tiles_and_reuse_factors() -> None:
    info = analog_summary(_model(), (2, 1, 8, 8))
    names = [layer.name for layer in info.layer_summary]
    assert names == ["AnalogConv2d", "Tanh", "Flatten", "AnalogLinear", "LogSoftmax"]
    conv, _, flatten, linear, _ = info.layer_summary
    assert conv.input_size == [2, 1, 8, 8] and conv.output_size == [2, 4, 6, 6]
    assert conv.kernel_size == (3, 3)
    assert conv.reuse_factor == 2 * 6 * 6  # one MVM per output pixel and sample
    assert linear.reuse_factor == 2  # one per sample
    assert flatten.isanalog is False and flatten.num_tiles == 0
    # the 144 inputs are split over three tiles of 48 (max_input_size 64)
    assert [(t.log_out_size, t.log_in_size) for t in linear.tiles_info] == [(10, 48)] * 3
    assert linear.tiles_info[0].utilization == pytest.approx(100 * 10 * 48 / (64 * 64))
    assert conv.tiles_info[0].utilization == pytest.approx(100 * 4 * 9 / (64 * 64))
    assert info.total_tile_number == 4 and info.total_nb_analog == 2


def test_summary_table_has_aihwkits_headers_and_totals() -> None:
    text = str(analog_summary(_model(), (1, 1, 8, 8)))
    for header in ("Layer Name", "Is Analog", "In Shape", "Reuse Factor", "utilization (%)"):
        assert header in text
    assert "Total number of tiles: 4" in text
    assert "Total number of analog layers: 2" in text
    assert "11.72" in text  # 100 * 480 / 4096 to two decimals


def test_summary_leaves_the_model_and_its_generators_untouched() -> None:
    model = _model()
    tiles = [t.tile for t in model.analog_tiles()]
    states = [t.generator.get_state() for t in tiles]
    weights = [t.get_weights() for t in tiles]
    analog_summary(model, (2, 1, 8, 8))
    for tile, state, w in zip(tiles, states, weights):
        assert torch.equal(tile.generator.get_state(), state)
        assert torch.equal(tile.get_weights(), w)
    assert all(not m._forward_hooks for m in model.modules())


def test_summary_without_input_size_lists_layers_without_shapes() -> None:
    info = analog_summary(_model())
    assert info.layer_summary[0].input_size is None
    assert info.layer_summary[0].layer_summary_dict()["input_size"] == "-"
    assert info.total_tile_number == 4


def test_summary_rejects_a_non_module_and_a_bad_input_size() -> None:
    with pytest.raises(ArgumentError, match="nn.Module"):
        analog_summary("model")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="input_size"):
        analog_summary(_model(), "big")


def test_summary_of_a_converted_torch_model_reports_its_analog_layers() -> None:
    from analogtrain.nn import convert_to_analog

    digital = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(72, 5))
    model = convert_to_analog(digital, SingleRPUConfig(device=ConstantStepDevice()))
    info = analog_summary(model, (1, 1, 8, 8))
    assert [layer.isanalog for layer in info.layer_summary] == [True, False, False, True]
    assert info.layer_summary[0].reuse_factor == 36 and info.layer_summary[3].reuse_factor == 1
    assert [(t.log_out_size, t.log_in_size) for t in info.layer_summary[3].tiles_info] == [(5, 72)]
