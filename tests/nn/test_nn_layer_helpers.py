"""aihwkit's AnalogLayerBase helpers on analogtrain's layers and containers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analogtrain.errors import ArgumentError
from analogtrain.nn import AnalogLinear, AnalogLSTM, AnalogSequential


def _model(config) -> AnalogSequential:
    return AnalogSequential(
        AnalogLinear(3, 4, rpu_config=config),
        nn.ReLU(),
        AnalogSequential(AnalogLinear(4, 2, rpu_config=config)),
    )


def test_layers_modules_and_tile_counts(fp_config):
    model = _model(fp_config(max_input_size=2))
    assert [type(m).__name__ for m in model.analog_modules()] == [
        "AnalogSequential",
        "AnalogLinear",
        "AnalogSequential",
        "AnalogLinear",
    ]
    assert [n for n, _ in model.named_analog_modules()] == ["", "0", "2", "2.0"]
    seen = []
    assert model.apply_to_analog_layers(seen.append) is model
    assert [type(m).__name__ for m in seen] == ["AnalogLinear", "AnalogLinear"]
    assert model.analog_tile_count() == 2 + 2  # 3 inputs split in 2 blocks, 4 in 2
    assert model.get_analog_tile_devices() == [torch.device("cpu")] * 4
    rnn = AnalogLSTM(2, 3, rpu_config=fp_config(), num_layers=2, bidir=True)
    assert rnn.analog_tile_count() == 8
    assert len(list(rnn.analog_layers())) == 8


def test_remap_sets_the_largest_crossbar_weight_to_omega_and_keeps_the_layer(fp_config):
    layer = AnalogLinear(3, 2, rpu_config=fp_config())
    weight = torch.tensor([[0.5, -2.0, 1.0], [0.25, 0.5, -0.5]])
    layer.set_weights(weight, torch.zeros(2))
    x = torch.randn(5, 3)
    before = layer(x)
    layer.remap_analog_weights(0.5)
    raw, _ = layer.get_weights(apply_weight_scaling=False)
    assert raw.abs().max().item() == pytest.approx(0.5)
    torch.testing.assert_close(layer.get_weights()[0], weight)
    torch.testing.assert_close(layer(x), before)


def test_remap_without_omega_anywhere_is_refused_before_any_tile_changes(fp_config):
    model = _model(fp_config())
    before = model.get_weights(apply_weight_scaling=False)
    with pytest.raises(ArgumentError, match=r"weight_scaling_omega=0.0 for tile '0.analog_module'"):
        model.remap_analog_weights(None)
    after = model.get_weights(apply_weight_scaling=False)
    for (w0, b0), (w1, b1) in zip(before.values(), after.values()):
        assert torch.equal(w0, w1) and torch.equal(b0, b1)
