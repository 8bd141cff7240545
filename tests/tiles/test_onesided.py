"""One-sided unit cell: sign routing, set_weights and refresh (spec compounds 3.4)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    IOParameters,
    LinearStepDevice,
    OneSidedUnitCell,
    UnitCellRPUConfig,
    UpdateParameters,
)
from analogtrain.errors import ConfigError
from analogtrain.tiles import create_tile
from analogtrain.tiles.onesided import OneSidedUnitCellTile

PERFECT = IOParameters(is_perfect=True)


def quiet(**kw: float) -> ConstantStepDevice:
    base = dict(
        dw_min_dtod=0.0,
        up_down_dtod=0.0,
        w_max_dtod=0.0,
        w_min_dtod=0.0,
        dw_min_std=0.0,
        reset_std=0.0,
    )
    base.update(kw)
    return ConstantStepDevice(**base)


def onesided_tile(devices=None, **fields) -> OneSidedUnitCellTile:
    cell = OneSidedUnitCell(
        unit_cell_devices=devices if devices is not None else [quiet(), quiet()],
        refresh_forward=PERFECT,
        refresh_update=UpdateParameters(desired_bl=1000),  # rewrites within one step
        **fields,
    )
    cfg = UnitCellRPUConfig(device=cell, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, 3, 4)


def test_devices_only_move_up_and_difference_is_visible() -> None:
    tile = onesided_tile()
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        plus, minus = tile.g_plus.weight.clone(), tile.g_minus.weight.clone()
        x, d = torch.randn(4, 4, generator=gen), torch.randn(4, 3, generator=gen)
        tile.update(x, d, 0.01)
        assert bool((tile.g_plus.weight >= plus).all())
        assert bool((tile.g_minus.weight >= minus).all())
    assert tile.g_plus.weight.sum() > 0 and tile.g_minus.weight.sum() > 0
    torch.testing.assert_close(tile.get_weights(), tile.g_plus.weight - tile.g_minus.weight)


def test_routing_by_sign() -> None:
    tile = onesided_tile()
    # d x^T > 0 everywhere: SGD decreases W, so only g- is potentiated
    tile.update(torch.ones(2, 4), torch.ones(2, 3), 0.01)
    assert torch.count_nonzero(tile.g_plus.weight) == 0
    assert bool((tile.g_minus.weight > 0).all())
    assert bool((tile.get_weights() < 0).all())
    tile.update(torch.ones(2, 4), -torch.ones(2, 3), 0.02)
    assert bool((tile.g_plus.weight > 0).all())


def test_set_weights_splits_by_sign() -> None:
    tile = onesided_tile()
    w = torch.linspace(-0.4, 0.4, 12).reshape(3, 4)
    tile.set_weights(w)
    torch.testing.assert_close(tile.g_plus.weight, w.clamp(min=0))
    torch.testing.assert_close(tile.g_minus.weight, (-w).clamp(min=0))
    torch.testing.assert_close(tile.get_weights(), w)


def set_pair(tile, plus: torch.Tensor, minus: torch.Tensor) -> None:
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_1"], hidden["hidden_weights_0"] = plus, minus
    tile.set_hidden_parameters(hidden)


def test_refresh_rewrites_saturated_pairs() -> None:
    tile = onesided_tile()
    # w_max 0.6: the larger device must exceed 0.45 and the smaller 0.15
    plus = torch.tensor([[0.5, 0.3, 0, 0], [0.2, 0.1, 0, 0], [0.55, 0.5, 0, 0]])
    minus = torch.tensor([[0.3, 0.1, 0, 0], [0.5, 0.1, 0, 0], [0.1, 0.4, 0, 0]])
    hit = torch.zeros(3, 4, dtype=torch.bool)
    hit[0, 0] = hit[1, 0] = hit[2, 1] = True  # (2, 0): the smaller device is below 0.15
    set_pair(tile, plus, minus)
    w_before = tile.get_weights()
    assert tile.refresh() == 3
    assert tile.refresh_count == 3
    torch.testing.assert_close(tile.get_weights(), w_before, atol=1.5e-3, rtol=0)
    diff = plus - minus
    torch.testing.assert_close(tile.g_plus.weight[hit], diff.clamp(min=0)[hit], atol=1.5e-3, rtol=0)
    torch.testing.assert_close(
        tile.g_minus.weight[hit], (-diff).clamp(min=0)[hit], atol=1.5e-3, rtol=0
    )
    assert torch.equal(tile.g_plus.weight[~hit], plus[~hit])
    assert torch.equal(tile.g_minus.weight[~hit], minus[~hit])
    assert tile.refresh() == 0


@pytest.mark.parametrize(("units_in_mbatch", "expected"), [(False, [3, 6, 9]), (True, [6])])
def test_refresh_period(units_in_mbatch: bool, expected: list[int]) -> None:
    tile = onesided_tile(refresh_every=3, units_in_mbatch=units_in_mbatch)
    seen = []
    original = tile.refresh
    tile.refresh = lambda: seen.append(tile.update_count) or original()
    for _ in range(5):
        tile.update(torch.ones(2, 4), torch.ones(2, 3), 0.001)  # m = 2: period 6 in batches
    assert seen == expected


def test_copy_inverted_mirrors_device_zero() -> None:
    dev = ConstantStepDevice(up_down=0.2, w_max_dtod=0.1, dw_min_dtod=0.1)
    tile = onesided_tile([dev, dev], copy_inverted=True)
    h = tile.get_hidden_parameters()
    torch.testing.assert_close(h["dwmin_up_1"], h["dwmin_down_0"])
    torch.testing.assert_close(h["dwmin_down_1"], h["dwmin_up_0"])
    torch.testing.assert_close(h["max_bound_1"], -h["min_bound_0"])
    torch.testing.assert_close(h["min_bound_1"], -h["max_bound_0"])


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        onesided_tile([quiet(), quiet(), quiet()])
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        onesided_tile([quiet(), LinearStepDevice()])
