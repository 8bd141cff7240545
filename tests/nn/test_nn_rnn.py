"""AnalogRNN and its cells: aihwkit's structure, exact equality with torch's RNNs on exact
tiles (forward and SGD training), initialisation, checks, copies and checkpoints."""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch
from torch import nn

from analogtrain.configs import ConstantStepDevice, FloatingPointRPUConfig, SingleRPUConfig
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.nn import (
    AnalogContext,
    AnalogGRU,
    AnalogGRUCell,
    AnalogLinear,
    AnalogLSTM,
    AnalogLSTMCell,
    AnalogLSTMCellCombinedWeight,
    AnalogRNN,
    AnalogVanillaRNNCell,
    TileModuleArray,
)
from analogtrain.nn.rnn_cells import LSTMState
from analogtrain.optim import AnalogSGD

CELLS = [(AnalogLSTMCell, nn.LSTM), (AnalogGRUCell, nn.GRU), (AnalogVanillaRNNCell, nn.RNN)]
CELL_IDS = ["lstm", "gru", "rnn"]


def _directions(model: AnalogRNN, layer: int, bidir: bool) -> list[nn.Module]:
    entry = model.rnn.layers[layer]
    return list(entry.directions) if bidir else [entry]


def _copy_torch_weights(model: AnalogRNN, digital: nn.RNNBase, bidir: bool) -> None:
    """Write torch's ``weight_ih_l{k}[_reverse]`` etc. into the matching analog cells."""
    for k in range(model.num_layers):
        for d, direction in enumerate(_directions(model, k, bidir)):
            suffix = f"_l{k}" + ("_reverse" if d else "")
            for part in ("ih", "hh"):
                weight = getattr(digital, f"weight_{part}{suffix}").detach()
                bias = getattr(digital, f"bias_{part}{suffix}", None)
                bias = None if bias is None else bias.detach()
                getattr(direction.cell, f"weight_{part}").set_weights(weight, bias)


def _assert_weights_equal_torch(model: AnalogRNN, digital: nn.RNNBase, bidir: bool) -> None:
    for k in range(model.num_layers):
        for d, direction in enumerate(_directions(model, k, bidir)):
            suffix = f"_l{k}" + ("_reverse" if d else "")
            for part in ("ih", "hh"):
                weight, bias = getattr(direction.cell, f"weight_{part}").get_weights()
                expected = getattr(digital, f"weight_{part}{suffix}").detach()
                torch.testing.assert_close(weight, expected, rtol=1e-5, atol=1e-6)
                if bias is not None:
                    expected = getattr(digital, f"bias_{part}{suffix}").detach()
                    torch.testing.assert_close(bias, expected, rtol=1e-5, atol=1e-6)


def _torch_states(model_states: list, cell: type, num_layers: int, bidir: bool):
    """aihwkit-style per-layer states -> torch's stacked ``h_n`` (and ``c_n``)."""
    flat = [s for layer in model_states for s in (layer if bidir else [layer])]
    if cell is AnalogLSTMCell:
        return torch.stack([s[0] for s in flat]), torch.stack([s[1] for s in flat])
    return torch.stack(flat)


@pytest.mark.parametrize(("cell", "digital_cls"), CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("bidir", [False, True], ids=["uni", "bidir"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_exact_tiles_compute_torch_rnn_outputs_and_states(cell, digital_cls, bidir, bias):
    model = AnalogRNN(
        cell, 3, 4, bias=bias, rpu_config=FloatingPointRPUConfig(), num_layers=2, bidir=bidir
    )
    digital = digital_cls(3, 4, num_layers=2, bias=bias, bidirectional=bidir)
    _copy_torch_weights(model, digital, bidir)
    x = torch.randn(6, 2, 3)
    out, states = model(x)
    out_ref, states_ref = digital(x)
    assert out.shape == (6, 2, 8 if bidir else 4)
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-6)
    got = _torch_states(states, cell, 2, bidir)
    if cell is AnalogLSTMCell:
        torch.testing.assert_close(got[0], states_ref[0], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(got[1], states_ref[1], rtol=1e-5, atol=1e-6)
    else:
        torch.testing.assert_close(got, states_ref, rtol=1e-5, atol=1e-6)


def test_given_initial_lstm_state_matches_torch_h0_c0():
    model = AnalogRNN(AnalogLSTMCell, 2, 3, rpu_config=FloatingPointRPUConfig())
    digital = nn.LSTM(2, 3)
    _copy_torch_weights(model, digital, False)
    h0, c0 = torch.randn(1, 4, 3), torch.randn(1, 4, 3)
    x = torch.randn(5, 4, 2)
    out, [state] = model(x, [LSTMState(h0[0], c0[0])])
    out_ref, (h_n, c_n) = digital(x, (h0, c0))
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(state.cx, c_n[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cell", "digital_cls"), CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("bidir", [False, True], ids=["uni", "bidir"])
@pytest.mark.parametrize("digital_bias", [True, False], ids=["digital_bias", "analog_bias"])
def test_exact_tiles_train_like_torch_rnn_with_sgd(
    fp_config, cell, digital_cls, bidir, digital_bias
):
    config = fp_config(digital_bias=digital_bias)
    model = AnalogRNN(cell, 2, 3, rpu_config=config, num_layers=2, bidir=bidir)
    if not digital_bias:  # the bias is the crossbar's extra column
        assert all(t.analog_bias and t.bias is None for t in model.analog_tiles())
    digital = digital_cls(2, 3, num_layers=2, bidirectional=bidir)
    _copy_torch_weights(model, digital, bidir)
    opt = AnalogSGD(model.parameters(), lr=0.5)
    opt_ref = torch.optim.SGD(digital.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(5)
    for _ in range(2):
        x = torch.randn(4, 3, 2, generator=gen)
        for net, optimizer in ((model, opt), (digital, opt_ref)):
            optimizer.zero_grad()
            out = net(x)[0]
            ((out.mean(dim=2, keepdim=True) - 1.0) ** 2).mean().backward()
            optimizer.step()
    _assert_weights_equal_torch(model, digital, bidir)


def test_combined_weight_lstm_equals_torch_lstm_with_concatenated_weights():
    model = AnalogRNN(AnalogLSTMCellCombinedWeight, 3, 2, rpu_config=FloatingPointRPUConfig())
    digital = nn.LSTM(3, 2)
    weight = torch.cat([digital.weight_ih_l0, digital.weight_hh_l0], dim=1).detach()
    bias = (digital.bias_ih_l0 + digital.bias_hh_l0).detach()
    model.rnn.layers[0].cell.weight.set_weights(weight, bias)
    assert model.rnn.layers[0].cell.weight.in_features == 5
    x = torch.randn(4, 2, 3)
    torch.testing.assert_close(model(x)[0], digital(x)[0], rtol=1e-5, atol=1e-6)


def test_module_structure_follows_aihwkit():
    model = AnalogRNN(AnalogLSTMCell, 2, 3, rpu_config=FloatingPointRPUConfig(), num_layers=4)
    assert len(model.rnn.layers) == 4
    assert model.rnn.layers[0].cell.weight_ih.in_features == 2
    for layer in model.rnn.layers:
        assert layer.cell.weight_hh.in_features == 3
        assert layer.cell.weight_ih.out_features == 12
    assert model.rnn.layers[3].cell.weight_ih.in_features == 3
    bidir = AnalogGRU(2, 3, rpu_config=FloatingPointRPUConfig(), num_layers=2, bidir=True)
    second = bidir.rnn.layers[1].directions
    assert len(second) == 2 and second[1].cell.weight_ih.in_features == 6
    names = [n for n, p in bidir.named_parameters() if isinstance(p, AnalogContext)]
    assert "rnn.layers.1.directions.1.cell.weight_hh.analog_module.analog_ctx" in names
    assert len(list(bidir.analog_tiles())) == 8
    tiles = list(bidir.analog_tiles())
    assert all(type(t.rpu_config) is FloatingPointRPUConfig for t in tiles)
    assert len({id(t.rpu_config) for t in tiles}) == 8  # every tile owns its config


def test_shorthands_use_their_cells():
    assert isinstance(AnalogLSTM(2, 3).rnn.layers[0].cell, AnalogLSTMCell)
    assert isinstance(AnalogGRU(2, 3).rnn.layers[0].cell, AnalogGRUCell)


def test_default_init_is_uniform_within_one_over_sqrt_hidden():
    model = AnalogRNN(AnalogLSTMCell, 10, 25, rpu_config=FloatingPointRPUConfig())
    bound = 1.0 / math.sqrt(25)
    weight, bias = model.rnn.layers[0].cell.weight_ih.get_weights()
    values = torch.cat([weight.flatten(), bias])  # 1100 draws of U(-0.2, 0.2)
    assert values.abs().max() <= bound
    # the variance of U(±a) is a²/3; the sample variance of n draws has relative sd √(0.8/n)
    assert values.var().item() == pytest.approx(bound**2 / 3, rel=5 * math.sqrt(0.8 / 1100))


def test_xavier_init_has_zero_biases_and_glorot_bound():
    model = AnalogRNN(AnalogGRUCell, 10, 30, rpu_config=FloatingPointRPUConfig(), xavier=True)
    weight, bias = model.rnn.layers[0].cell.weight_ih.get_weights()  # [90, 10]
    assert torch.equal(bias, torch.zeros(90))
    assert weight.abs().max() <= math.sqrt(6.0 / (10 + 90))
    assert weight.abs().max() > 1.0 / math.sqrt(30)  # beyond the default bound


def test_same_global_seed_builds_the_same_weights():
    torch.manual_seed(7)
    first = AnalogLSTM(2, 3, rpu_config=FloatingPointRPUConfig()).get_weights()
    torch.manual_seed(7)
    second = AnalogLSTM(2, 3, rpu_config=FloatingPointRPUConfig()).get_weights()
    for (w1, b1), (w2, b2) in zip(first.values(), second.values()):
        assert torch.equal(w1, w2) and torch.equal(b1, b2)


def test_without_rpu_config_the_weights_are_torch_linear():
    model = AnalogRNN(AnalogGRUCell, 2, 3, num_layers=2)
    assert not list(model.analog_tiles())
    assert type(model.rnn.layers[1].cell.weight_hh) is nn.Linear
    assert model.rnn.layers[1].cell.weight_hh.weight.abs().max() <= 1.0 / math.sqrt(3)
    assert model(torch.randn(3, 2, 2))[0].shape == (3, 2, 3)


def test_dropout_acts_between_layers_in_training_only():
    config = FloatingPointRPUConfig()
    torch.manual_seed(3)
    with_dropout = AnalogLSTM(2, 3, rpu_config=config, num_layers=2, dropout=0.5)
    torch.manual_seed(3)
    plain = AnalogLSTM(2, 3, rpu_config=config, num_layers=2)
    x = torch.randn(4, 5, 2)
    with_dropout.eval()
    torch.testing.assert_close(with_dropout(x)[0], plain(x)[0])
    with_dropout.train()
    assert not torch.allclose(with_dropout(x)[0], plain(x)[0])


def test_a_device_instead_of_a_config_is_refused():
    with pytest.raises(ConfigError, match="AnalogGRU: rpu_config=ConstantStepDevice"):
        AnalogGRU(2, 3, rpu_config=ConstantStepDevice())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        AnalogLSTM(2, 3, dropout=0.2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_layers": 0}, "num_layers"),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"hidden_size": 0}, "hidden_size"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, match):
    args = {"input_size": 2, "hidden_size": 3, **kwargs}
    with pytest.raises(ArgumentError, match=match):
        AnalogLSTM(**args)


def _noisy_config() -> SingleRPUConfig:
    return SingleRPUConfig(device=ConstantStepDevice(dw_min_dtod=0.3, dw_min_std=0.3))


def test_rejected_calls_name_the_layer_and_draw_no_noise():
    model = AnalogLSTM(2, 3, rpu_config=_noisy_config(), num_layers=2)
    twin = copy.deepcopy(model)
    x = torch.randn(4, 5, 2)
    with pytest.raises(ArgumentError, match=r"AnalogLSTM: input has shape \(5, 2\)"):
        model(x[0])
    bad_state = model.get_zero_state(5)
    bad_state[1] = LSTMState(torch.zeros(5, 3), torch.zeros(4, 3))
    with pytest.raises(ArgumentError, match=r"states\[1\]\[1\] is \(4, 3\)"):
        model(x, bad_state)
    with pytest.raises(ArgumentError, match="states has 1 entries"):
        model(x, bad_state[:1])
    # the forward noise generators are where the twin's are: same noisy outputs
    assert torch.equal(model(x)[0], twin(x)[0])


def _train(model: nn.Module, opt: torch.optim.Optimizer, steps: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(4, 3, 2, generator=gen)
        opt.zero_grad()
        (model(x)[0] ** 2).mean().backward()
        opt.step()


def _all_weights(model: AnalogRNN) -> list[torch.Tensor]:
    return [t for pair in model.get_weights().values() for t in pair if t is not None]


def test_state_dict_round_trip_restores_device_state_and_continues_identically():
    model = AnalogLSTM(2, 3, rpu_config=_noisy_config(), bidir=True)
    opt = AnalogSGD(model.parameters(), lr=0.2, momentum=0.5)
    _train(model, opt, steps=2, seed=1)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buffer)

    torch.manual_seed(99)  # the fresh model draws other weights, devices and seeds
    fresh = AnalogLSTM(2, 3, rpu_config=_noisy_config(), bidir=True)
    fresh_opt = AnalogSGD(fresh.parameters(), lr=0.2, momentum=0.5)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=False)
    fresh.load_state_dict(saved["model"])
    fresh_opt.load_state_dict(saved["opt"])
    for tile, fresh_tile in zip(model.analog_tiles(), fresh.analog_tiles()):
        for (name, value), (_, loaded) in zip(
            tile.get_hidden_parameters().items(), fresh_tile.get_hidden_parameters().items()
        ):
            assert torch.equal(value, loaded), name  # device-to-device draws included

    _train(model, opt, steps=2, seed=2)
    _train(fresh, fresh_opt, steps=2, seed=2)
    for a, b in zip(_all_weights(model), _all_weights(fresh)):
        assert torch.equal(a, b)


def test_deepcopy_trains_independently_and_double_moves_every_tile():
    model = AnalogGRU(2, 3, rpu_config=FloatingPointRPUConfig(), num_layers=2)
    clone = copy.deepcopy(model)
    before = [w.clone() for w in _all_weights(model)]
    _train(clone, AnalogSGD(clone.parameters(), lr=0.5), steps=1, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, _all_weights(model)))
    assert all(not torch.equal(a, b) for a, b in zip(before, _all_weights(clone)))

    model.double()
    zero = model.get_zero_state(2)
    assert zero[0].dtype == torch.float64
    out, _ = model(torch.randn(3, 2, 2, dtype=torch.float64))
    assert out.dtype == torch.float64


def test_analog_linear_cells_use_the_given_tile_module_class():
    cell = AnalogLSTMCell(3, 2, True, SingleRPUConfig(), TileModuleArray)
    assert isinstance(cell.weight_ih, AnalogLinear)
    assert isinstance(cell.weight_ih.analog_module, TileModuleArray)
