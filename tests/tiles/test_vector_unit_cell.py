"""Vector and reference unit cells (spec compounds 3.2, 3.3)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    IOParameters,
    ReferenceUnitCell,
    UnitCellRPUConfig,
    VectorUnitCell,
)
from analogtrain.configs.enums import VectorUnitCellUpdatePolicy as Policy
from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.tiles import create_tile
from analogtrain.tiles.vector import ReferenceUnitCellTile, VectorUnitCellTile

PERFECT = IOParameters(is_perfect=True)


def quiet(**kw: float) -> ConstantStepDevice:
    base = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0)
    base.update(kw)
    return ConstantStepDevice(**base)


def vector_tile(
    n: int = 3,
    policy: Policy = Policy.ALL,
    out_size: int = 3,
    in_size: int = 4,
    cell_cls=VectorUnitCell,
    **fields,
):
    cell = cell_cls(unit_cell_devices=[quiet() for _ in range(n)], update_policy=policy, **fields)
    cfg = UnitCellRPUConfig(device=cell, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, out_size, in_size)


def device_weights(tile) -> list[torch.Tensor]:
    hidden = tile.get_hidden_parameters()
    return [hidden[f"hidden_weights_{k}"] for k in range(len(tile.arrays))]


def changed_devices(tile, x: torch.Tensor, d: torch.Tensor, lr: float = 0.01) -> list[int]:
    before = device_weights(tile)
    tile.update(x, d, lr)
    after = device_weights(tile)
    return [k for k, (b, a) in enumerate(zip(before, after)) if not torch.equal(b, a)]


def test_factory_and_visible_weight_with_gamma_vec() -> None:
    tile = vector_tile(n=2, gamma_vec=[0.7, -0.2])
    assert isinstance(tile, VectorUnitCellTile)
    hidden = tile.get_hidden_parameters()
    w0, w1 = torch.full((3, 4), 0.1), torch.linspace(-0.3, 0.3, 12).reshape(3, 4)
    hidden["hidden_weights_0"], hidden["hidden_weights_1"] = w0, w1
    tile.set_hidden_parameters(hidden)
    expected = 0.7 * w0 - 0.2 * w1
    torch.testing.assert_close(tile.get_weights(), expected)
    x, d = torch.randn(5, 4), torch.randn(5, 3)
    torch.testing.assert_close(tile.forward_mvm(x), x @ expected.T)
    torch.testing.assert_close(tile.backward_mvm(d), d @ expected)


def test_all_policy_expected_update_is_sgd() -> None:
    # every device gets the same coincidences, so the mean (gamma = 1/n) moves by one step
    tile = vector_tile(n=2, out_size=8, in_size=8)
    lr, g = 0.0025, 0.001  # 2.5 expected pulses per element and vector (UBLM: BL = 3)
    for _ in range(20):
        tile.update(torch.ones(1, 8), torch.ones(1, 8), lr)
    change = tile.get_weights()
    # per element: 20 x Binomial(3, 5/6) steps of g. The elements are not independent: a
    # slot's coincidences over the 8x8 block are (rows firing) x (columns firing), so per slot
    # the block mean is (A/8)(B/8) with A, B ~ Binomial(8, q), q^2 = 5/6 (UBLM splits the
    # probability evenly), of variance v^2 + 2 v q^2 with v = q(1 - q)/8; 60 such slots.
    # (300 seeds: mean -0.0500, std 0.00106 on both backends, as this formula gives.)
    q = (5 / 6) ** 0.5
    v = q * (1 - q) / 8
    std = g * (60 * (v * v + 2 * v * q * q)) ** 0.5
    assert change.mean().item() == pytest.approx(-20 * lr, abs=5 * std)
    w = device_weights(tile)
    assert torch.equal(w[0], w[1])


def test_single_fixed_updates_and_writes_only_current_device() -> None:
    tile = vector_tile(n=3, policy=Policy.SINGLE_FIXED, first_update_idx=2)
    assert changed_devices(tile, torch.ones(2, 4), torch.ones(2, 3)) == [2]
    tile.set_hidden_update_index(0)
    tile.set_weights(torch.full((3, 4), 0.2))
    w = device_weights(tile)
    assert torch.equal(w[0], torch.full((3, 4), 0.2))
    assert torch.count_nonzero(w[1]) == 0  # untouched
    assert tile.get_hidden_update_index() == 0  # set_weights keeps the index with FIXED
    with pytest.raises(ArgumentError, match="update index"):
        tile.set_hidden_update_index(3)


def test_sequential_policy_cycles_per_call() -> None:
    tile = vector_tile(n=3, policy=Policy.SINGLE_SEQUENTIAL)
    order = [changed_devices(tile, torch.ones(4, 4), torch.ones(4, 3)) for _ in range(5)]
    assert order == [[1], [2], [0], [1], [2]]
    tile.set_weights(torch.zeros(3, 4))
    assert tile.get_hidden_update_index() == 0  # reset to first_update_idx


def test_random_policy_selects_one_device_per_call_uniformly() -> None:
    tile = vector_tile(n=3, policy=Policy.SINGLE_RANDOM)
    counts = [0, 0, 0]
    n_calls = 240
    for _ in range(n_calls):
        tile.update(torch.ones(3, 4), torch.ones(3, 3), 0.01)
        counts[tile.get_hidden_update_index()] += 1
    std = (n_calls * (1 / 3) * (2 / 3)) ** 0.5
    for c in counts:
        assert abs(c - n_calls / 3) < 4.5 * std
    # one device per call: a call of several rows changes exactly one device
    tile.set_weights(torch.zeros(3, 4))
    assert len(changed_devices(tile, torch.ones(6, 4), torch.ones(6, 3))) == 1


def test_per_vector_selection_option() -> None:
    cell = VectorUnitCell(
        unit_cell_devices=[quiet() for _ in range(3)], update_policy=Policy.SINGLE_SEQUENTIAL
    )
    tile = VectorUnitCellTile(3, 4, UnitCellRPUConfig(device=cell), select_per_vector=True)
    assert changed_devices(tile, torch.ones(3, 4), torch.ones(3, 3)) == [0, 1, 2]
    assert tile._state_extra()["select_per_vector"] is True


def test_set_weights_writes_all_devices() -> None:
    tile = vector_tile(n=2, policy=Policy.SINGLE_RANDOM)
    w = torch.linspace(-0.5, 0.5, 12).reshape(3, 4)
    tile.set_weights(w)
    for dev in device_weights(tile):
        torch.testing.assert_close(dev, w)
    torch.testing.assert_close(tile.get_weights(), w)
    tile.set_weights(torch.full((3, 4), 5.0))  # clipped to the devices' bounds
    torch.testing.assert_close(tile.get_weights(), torch.full((3, 4), 0.6))


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="gamma_vec"):
        vector_tile(n=2, gamma_vec=[1.0])
    with pytest.raises(ConfigError, match="first_update_idx"):
        vector_tile(n=2, first_update_idx=2)
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        create_tile(UnitCellRPUConfig(device=VectorUnitCell()), 2, 2)


# ---------------------------------------------------------------------- reference cell
def reference_tile(devices):
    cfg = UnitCellRPUConfig(
        device=ReferenceUnitCell(unit_cell_devices=devices), forward=PERFECT, backward=PERFECT
    )
    return create_tile(cfg, 3, 4)


def test_reference_cell_difference_and_programming() -> None:
    tile = reference_tile([quiet(), quiet()])
    assert isinstance(tile, ReferenceUnitCellTile)
    ref = torch.full((3, 4), 0.1)
    tile.set_hidden_update_index(1)
    tile.set_weights(ref)
    tile.set_hidden_update_index(0)
    tile.set_weights(torch.full((3, 4), 0.3))
    torch.testing.assert_close(tile.get_weights(), torch.full((3, 4), 0.2))  # W_0 - W_1
    assert changed_devices(tile, torch.ones(2, 4), torch.ones(2, 3)) == [0]
    torch.testing.assert_close(device_weights(tile)[1], ref)


def test_reference_cell_device_list_adjustment() -> None:
    assert len(reference_tile([quiet()]).arrays) == 2  # duplicated
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        reference_tile([])
