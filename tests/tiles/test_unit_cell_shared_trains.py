"""The shared-train unit-cell update (kernels/update/cpu/routed_update.py) against independent
oracles: the first device of a VectorUnitCell ALL equals, bit for bit, the single-device
compiled update of the same generator state (same seed, same streams); without c2c and
write noise every device of the cell responds to the same trains, so a copy of each equals
it too; the one-sided routing sends each coincidence to exactly one device."""

from __future__ import annotations

import copy

import pytest
import torch

from analogtrain.configs import (
    IOParameters,
    OneSidedUnitCell,
    SoftBoundsReferenceDevice,
    UnitCellRPUConfig,
    VectorUnitCell,
)
from analogtrain.configs.enums import VectorUnitCellUpdatePolicy as Policy
from analogtrain.kernels.update.cpu.fast_update import fast_pulsed_update, numba_available
from analogtrain.tiles import create_tile

pytestmark = pytest.mark.skipif(not numba_available(), reason="the compiled path needs numba")
PERFECT = IOParameters(is_perfect=True)


def _vector(std: float, n: int = 2):
    devs = [SoftBoundsReferenceDevice(dw_min=0.01, dw_min_std=std) for _ in range(n)]
    cfg = UnitCellRPUConfig(
        device=VectorUnitCell(unit_cell_devices=devs, update_policy=Policy.ALL),
        forward=PERFECT,
        backward=PERFECT,
    )
    torch.manual_seed(3)
    return create_tile(cfg, 12, 10)


def _batch():
    gen = torch.Generator().manual_seed(5)
    return torch.randn(6, 10, generator=gen), torch.randn(6, 12, generator=gen)


def _single_device_result(tile, k: int, state: torch.Tensor, x, d, lr: float) -> torch.Tensor:
    array = copy.deepcopy(tile.arrays[k])
    gen = torch.Generator()
    gen.set_state(state)
    up = tile.rpu_config.update
    assert fast_pulsed_update(array, x, d, lr, tile.weight_granularity, up, gen)
    return array.weight.detach()


@pytest.mark.parametrize("n", [2, 3])
def test_first_device_of_vector_all_equals_the_single_device_update(n: int) -> None:
    tile = _vector(0.3, n)
    x, d = _batch()
    state = tile.generator.get_state()
    expected = _single_device_result(tile, 0, state, x, d, 0.05)
    same_noise = _single_device_result(tile, 1, state, x, d, 0.05)
    tile.update(x, d, 0.05)
    assert torch.equal(tile.arrays[0].weight, expected)
    # device 1: the same trains but its own c2c draws, so not the first device's noise
    assert not torch.equal(tile.arrays[1].weight, same_noise)


def test_without_c2c_noise_every_device_responds_to_the_same_trains() -> None:
    tile = _vector(0.0, 3)
    x, d = _batch()
    state = tile.generator.get_state()
    expected = [_single_device_result(tile, k, state, x, d, 0.05) for k in range(3)]
    tile.update(x, d, 0.05)
    for k in range(3):
        assert torch.equal(tile.arrays[k].weight, expected[k])


def test_one_sided_routes_each_coincidence_of_a_sample_to_one_device_as_potentiation() -> None:
    """One sample: at every cross-point either g- (SGD would decrease W) or g+ (increase)
    gains, never both and never the wrong one, and neither device ever loses. (The
    distribution against the reference path: test_unit_cell_fast_counts.py.)"""
    dev = SoftBoundsReferenceDevice(dw_min=0.01, dw_min_std=0.3, w_max=1.0, w_min=-1.0)
    cfg = UnitCellRPUConfig(
        device=OneSidedUnitCell(unit_cell_devices=[dev, copy.deepcopy(dev)]),
        forward=PERFECT,
        backward=PERFECT,
    )
    torch.manual_seed(3)
    tile = create_tile(cfg, 12, 10)
    x, d = _batch()
    x, d = x[:1], d[:1]
    minus0, plus0 = (a.weight.detach().clone() for a in tile.arrays)
    tile.update(x, d, 0.05)
    gain_minus = tile.arrays[0].weight - minus0
    gain_plus = tile.arrays[1].weight - plus0
    decrease = (d.T @ x) > 0  # SGD step -lr d x^T < 0
    assert bool((gain_minus >= 0).all()) and bool((gain_plus >= 0).all())
    assert bool((gain_minus[~decrease] == 0).all()) and bool((gain_plus[decrease] == 0).all())
    assert bool((gain_minus[decrease] > 0).any()) and bool((gain_plus[~decrease] > 0).any())
