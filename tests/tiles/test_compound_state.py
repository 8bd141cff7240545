"""Hidden parameters and checkpoints of the compound tiles (spec compounds 3.11, 4.9).

Unlike aihwkit 1.1.0, a reload restores the complete state (fast device, buffers, chi,
sub-device weights), and the run continues exactly as if it had not been interrupted.
"""

from __future__ import annotations

import copy
import io

import pytest
import torch

from analogtrain.configs import (
    BufferedTransferCompound,
    ConstantStepDevice,
    OneSidedUnitCell,
    SoftBoundsDevice,
    UnitCellRPUConfig,
    UpdateParameters,
    build_config,
)
from analogtrain.errors import TileError
from analogtrain.tiles import create_tile

OUT, IN = 3, 4
COMMON = [
    "max_bound",
    "min_bound",
    "dwmin_up",
    "dwmin_down",
    "decay_scales",
    "diffusion_rates",
    "reset_bias",
    "drift_nu",
]


def config(name: str):
    if name == "vector":
        return build_config("sgd", ConstantStepDevice, n_devices=2, construction_seed=1)
    if name == "onesided":
        cell = OneSidedUnitCell(unit_cell_devices=[ConstantStepDevice()], refresh_every=3)
        return UnitCellRPUConfig(device=cell)
    if name == "buffered":
        cell = BufferedTransferCompound(
            unit_cell_devices=[ConstantStepDevice(), ConstantStepDevice()]
        )
        return UnitCellRPUConfig(device=cell, update=UpdateParameters(desired_bl=5))
    cfg = build_config(name, ConstantStepDevice, construction_seed=1)
    if name == "tt":
        cfg.device.gamma = 0.3  # A partly visible
    return cfg


ALGORITHMS = ["vector", "onesided", "tt", "buffered", "ttv2", "c-ttv2", "agad", "mp"]


def make(name: str, seed: int = 5):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return create_tile(config(name), OUT, IN)


def train(tile, n_calls: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n_calls):
        x = torch.randn(5, IN, generator=gen).to(tile.dtype)
        d = torch.randn(5, OUT, generator=gen).to(tile.dtype)
        tile.update(x, d, 0.1)
        tile.forward_mvm(x)
        tile.backward_mvm(d)
        tile.post_update_step()


def assert_same_state(a, b) -> None:
    ha, hb = a.get_hidden_parameters(), b.get_hidden_parameters()
    assert list(ha) == list(hb)
    for name in ha:
        assert torch.equal(ha[name], hb[name]), name
    assert torch.equal(a.get_weights(), b.get_weights())
    assert a._state_extra() == b._state_extra()


@pytest.mark.parametrize("name", ALGORITHMS)
def test_checkpoint_resumes_exactly(name: str) -> None:
    reference = make(name)
    reference.set_weights(torch.full((OUT, IN), 0.05))
    train(reference, 4, seed=1)
    buffer = io.BytesIO()
    torch.save(reference.state_dict(), buffer)
    restored = make(name, seed=99)  # other runtime seed, same construction seed
    buffer.seek(0)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert_same_state(reference, restored)
    train(reference, 3, seed=2)
    train(restored, 3, seed=2)
    assert_same_state(reference, restored)
    twin = copy.deepcopy(reference)
    train(reference, 1, seed=3)
    train(twin, 1, seed=3)
    assert_same_state(reference, twin)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_hidden_parameters_round_trip(name: str) -> None:
    tile = make(name)
    tile.set_weights(torch.full((OUT, IN), 0.05))
    train(tile, 3, seed=4)
    hidden = tile.get_hidden_parameters()
    weights = tile.get_weights()
    other = make(name, seed=7)
    other.set_hidden_parameters(hidden)
    for key, value in other.get_hidden_parameters().items():
        assert torch.equal(value, hidden[key]), key
    if name != "mp":  # the analog weight of "mp" is the visible weight, not a hidden one
        assert torch.equal(other.get_weights(), weights)
    with pytest.raises(TileError):
        other.set_hidden_parameters({"max_bound_0": hidden[next(iter(hidden))]})
    # a NaN in the last array's hidden weights is rejected before any array changes
    last = [key for key in hidden if key.startswith("hidden_weights")][-1]
    poisoned = {key: value.clone() for key, value in hidden.items()}
    for value in poisoned.values():
        value.add_(0.01)
    poisoned[last][0, 0] = float("nan")
    with pytest.raises(TileError, match=last):
        other.set_hidden_parameters(poisoned)
    for key, value in other.get_hidden_parameters().items():
        assert torch.equal(value, hidden[key]), key


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("vector", []),
        ("tt", []),
        ("buffered", ["buffered_FP_weight_0"]),
        ("ttv2", ["buffered_FP_weight_0"]),
        ("agad", ["buffered_FP_weight", "running_mean_weight", "past_mean_weight"]),
    ],
)
def test_hidden_parameter_names(name: str, extra: list[str]) -> None:
    expected = [f"{p}_{k}" for k in range(2) for p in [*COMMON, "hidden_weights"]]
    assert make(name).get_hidden_parameter_names() == expected + extra


def test_hidden_names_with_write_noise_and_mp() -> None:
    noisy = SoftBoundsDevice(write_noise_std=1.0)
    tile = create_tile(build_config("tt", noisy), OUT, IN)
    names = tile.get_hidden_parameter_names()
    assert "persistent_weights_0" in names and "persistent_weights_1" in names
    mp = make("mp").get_hidden_parameter_names()
    assert mp == [*COMMON, "hidden_weights_chi"]


def test_fully_hidden_slow_weight_is_visible() -> None:
    tile = make("c-ttv2")
    tile.set_weights(torch.full((OUT, IN), 0.1))
    train(tile, 2, seed=0)
    hidden = tile.get_hidden_parameters()
    assert torch.equal(hidden["hidden_weights_1"], tile.get_weights())


def test_dtype_and_device_moves_keep_state() -> None:
    tile = make("agad")
    train(tile, 2, seed=0)
    double = copy.deepcopy(tile).to(torch.float64)
    assert double.dtype == torch.float64
    for name, value in double.get_hidden_parameters().items():
        assert value.dtype == torch.float64, name
    assert double.in_chopper.dtype == torch.bool
    train(double, 1, seed=1)  # runs in double precision
