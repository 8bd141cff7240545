"""AnalogTile state: checkpoints resume exactly, deepcopy, .to(), rejected updates."""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    IOParameters,
    LinearStepDevice,
    NoiseManagementType,
    SingleRPUConfig,
)
from analogtrain.errors import ArgumentError, TileError
from analogtrain.tiles import AnalogTile


def noisy_config(**device_kw) -> SingleRPUConfig:
    """Default IO (noisy forward/backward) and a device with c2c noise, write noise, decay
    and diffusion, so that every kind of runtime draw is exercised."""
    device = LinearStepDevice(write_noise_std=1.0, diffusion=0.001, lifetime=500.0, **device_kw)
    return SingleRPUConfig(
        device=device, forward=IOParameters(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    )


def train(tile: AnalogTile, steps: int, seed: int) -> list[torch.Tensor]:
    """A few training-like iterations; returns every forward/backward output."""
    g = torch.Generator().manual_seed(seed)
    outputs = []
    for _ in range(steps):
        x = torch.randn(4, tile.in_size, generator=g).to(tile.dtype)
        d = torch.randn(4, tile.out_size, generator=g).to(tile.dtype)
        outputs.append(tile.forward_mvm(x))
        outputs.append(tile.backward_mvm(d))
        tile.update(x, 0.1 * d, 0.05)
        tile.post_update_step()
    return outputs


def assert_same_run(a: AnalogTile, b: AnalogTile, steps: int = 3) -> None:
    out_a = train(a, steps, seed=21)
    out_b = train(b, steps, seed=21)
    for ya, yb in zip(out_a, out_b):
        assert torch.equal(ya, yb)
    assert torch.equal(a.get_weights(), b.get_weights())
    for (na, va), (nb, vb) in zip(
        a.get_hidden_parameters().items(), b.get_hidden_parameters().items()
    ):
        assert na == nb and torch.equal(va, vb)


def test_state_dict_round_trip_continues_bit_identically():
    torch.manual_seed(0)
    a = AnalogTile(6, 5, noisy_config())
    train(a, 2, seed=20)
    state = copy.deepcopy(a.state_dict())
    torch.manual_seed(1)  # other runtime seed and other device draws in b
    b = AnalogTile(6, 5, noisy_config())
    b.load_state_dict(state)
    assert_same_run(a, b)


def test_torch_save_and_weights_only_load_continue_bit_identically():
    torch.manual_seed(0)
    a = AnalogTile(6, 5, noisy_config(construction_seed=3))
    train(a, 2, seed=20)
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    b = AnalogTile(6, 5, noisy_config(construction_seed=3))
    b.load_state_dict(state)
    assert_same_run(a, b)


def test_loading_a_checkpoint_with_another_config_rebuilds_the_tile():
    torch.manual_seed(0)
    a = AnalogTile(6, 5, noisy_config())
    train(a, 1, seed=20)
    b = AnalogTile(6, 5, SingleRPUConfig(device=ConstantStepDevice()))
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    assert b.rpu_config == a.rpu_config
    assert isinstance(b.rpu_config.device, LinearStepDevice)
    assert_same_run(a, b, steps=2)


def test_deepcopy_continues_identically():
    torch.manual_seed(0)
    a = AnalogTile(6, 5, noisy_config())
    train(a, 2, seed=20)
    b = copy.deepcopy(a)
    assert b.array is not a.array
    assert_same_run(a, b)


def test_to_double_converts_everything():
    tile = AnalogTile(6, 5, noisy_config(construction_seed=4))
    w32 = tile.get_weights()
    tile.to("cpu", torch.float64)
    assert tile.dtype == torch.float64
    assert tile.get_weights().dtype == torch.float64
    torch.testing.assert_close(tile.get_weights(), w32.double())
    for value in tile.get_hidden_parameters().values():
        assert value.dtype == torch.float64
    train(tile, 2, seed=22)
    assert torch.isfinite(tile.get_weights()).all()
    with pytest.raises(TileError, match="dtype"):
        tile.forward_mvm(torch.zeros(1, 5))


def _snapshot(tile: AnalogTile):
    return (
        tile.get_weights(),
        tile.get_hidden_parameters(),
        tile.generator.get_state(),
        tile.last_update_m_batch,
    )


@pytest.mark.parametrize(
    ("x", "d", "lr", "error", "match"),
    [
        (torch.zeros(2, 4), torch.ones(2, 6), 0.1, TileError, "5 columns"),
        (torch.ones(2, 5), torch.zeros(2, 7), 0.1, TileError, "6 columns"),
        (torch.tensor([[math.nan, 1, 1, 1, 1]]), torch.ones(1, 6), 0.1, TileError, "non-finite"),
        (torch.ones(1, 5), torch.tensor([[1, 1, math.inf, 1, 1, 1.0]]), 0.1, TileError, "finite"),
        (torch.ones(1, 5, dtype=torch.float64), torch.ones(1, 6), 0.1, TileError, "dtype"),
        (torch.ones(2, 5), torch.ones(3, 6), 0.1, TileError, "rows"),
        (torch.ones(5), torch.ones(6), 0.1, TileError, "2-D"),
        (torch.ones(2, 5), torch.ones(2, 6), -0.1, ArgumentError, "learning rate"),
        (torch.ones(2, 5), torch.ones(2, 6), math.nan, ArgumentError, "learning rate"),
    ],
)
def test_rejected_update_changes_nothing(x, d, lr, error, match):
    tile = AnalogTile(6, 5, noisy_config())
    train(tile, 1, seed=23)
    before = _snapshot(tile)
    with pytest.raises(error, match=match):
        tile.update(x, d, lr)
    after = _snapshot(tile)
    assert torch.equal(before[0], after[0])
    for name, value in before[1].items():
        assert torch.equal(value, after[1][name])
    assert torch.equal(before[2], after[2])
    assert before[3] == after[3]


def test_bad_mvm_inputs_raise_tile_error():
    tile = AnalogTile(6, 5, SingleRPUConfig())
    with pytest.raises(TileError, match="5 columns"):
        tile.forward_mvm(torch.zeros(3, 6))
    with pytest.raises(TileError, match="6 columns"):
        tile.backward_mvm(torch.zeros(3, 5))
    with pytest.raises(TileError, match="non-finite"):
        tile.backward_mvm(torch.full((1, 6), math.nan))


class _MyDevice(ConstantStepDevice):
    """A user's own device subclass, unknown to the config serialisation."""


def test_state_dict_of_a_user_device_subclass_round_trips_in_memory():
    torch.manual_seed(0)
    a = AnalogTile(3, 4, SingleRPUConfig(device=_MyDevice(dw_min=0.01)))
    train(a, 1, seed=20)
    b = AnalogTile(3, 4, SingleRPUConfig(device=_MyDevice(dw_min=0.01)))
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    assert type(b.rpu_config.device) is _MyDevice
    assert_same_run(a, b, steps=1)


def test_average_abs_max_running_value_is_shared_by_both_directions():
    # aihwkit CPU quirk (spec 3.4): one running value for forward and backward
    io = IOParameters(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    tile = AnalogTile(3, 4, SingleRPUConfig(forward=io, backward=io))
    tile.forward_mvm(torch.tensor([[0.5, -1.0, 0.0, 0.25]]))
    assert tile.forward_io.average_abs_max.item() == pytest.approx(1.0)
    tile.backward_mvm(torch.tensor([[0.0, 4.0, -1.0]]))
    # one sample: A <- (1 - 1e-3) A + 1e-3 max|d|
    assert tile.forward_io.average_abs_max.item() == pytest.approx(0.999 + 0.004)
    assert "average_abs_max" not in tile.backward_io.as_dict()
