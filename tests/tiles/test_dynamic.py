"""AGAD: running mean, reference copy at chopper switches, warm-up (spec compounds 3.8)."""

from __future__ import annotations

import torch

from analogtrain.configs import (
    ChoppedTransferCompound,
    ConstantStepDevice,
    DynamicTransferCompound,
    IOParameters,
    UnitCellRPUConfig,
)
from analogtrain.tiles import create_tile
from analogtrain.tiles.dynamic import DynamicTransferCompoundTile

PERFECT = IOParameters(is_perfect=True)
OUT, IN = 3, 4


def quiet(**kw: float) -> ConstantStepDevice:
    base = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0)
    base.update(kw)
    return ConstantStepDevice(**base)


def make(compound_cls=DynamicTransferCompound, **fields):
    fields.setdefault("unit_cell_devices", [quiet(), quiet()])
    compound = compound_cls(transfer_forward=PERFECT, **fields)
    cfg = UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, OUT, IN)


def set_fast(tile, value: torch.Tensor) -> None:
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_0"] = value
    tile.set_hidden_parameters(hidden)


def idle_passes(tile, n_passes: int, lr: float = 1.0) -> None:
    """Zero-input updates: one column read per vector update, no pulses on A."""
    for _ in range(n_passes * IN):
        tile.update(torch.zeros(1, IN), torch.zeros(1, OUT), lr)


def test_hidden_parameter_names() -> None:
    tile = make()
    assert isinstance(tile, DynamicTransferCompoundTile)
    names = tile.get_hidden_parameter_names()
    assert names[-3:] == ["buffered_FP_weight", "running_mean_weight", "past_mean_weight"]
    assert "hidden_weights_0" in names and "hidden_weights_1" in names


def test_running_mean_and_reference_copy() -> None:
    tile = make(in_chop_prob=0.5)  # N = 2 passes per phase, beta = min(5 / 2, 1) = 1
    assert tile.phase_length == 2
    tile2 = make()  # in_chop_prob 0.1: N = 10, beta = 0.5
    set_fast(tile2, torch.full((OUT, IN), 0.004))
    idle_passes(tile2, 1)
    torch.testing.assert_close(tile2.running_mean, torch.full((OUT, IN), 0.002))
    idle_passes(tile2, 8)  # passes 1..8
    assert not bool(tile2.switched.any())
    idle_passes(tile2, 1)  # pass 9: regular switch of every column
    assert tile2.switched.tolist() == [True] * IN and tile2.in_chopper.tolist() == [True] * IN
    mean_at_switch = tile2.running_mean.clone()
    assert torch.count_nonzero(tile2.past_mean) == 0
    tile2.update(torch.zeros(1, IN), torch.zeros(1, OUT), 1.0)  # column 0 of pass 10
    torch.testing.assert_close(tile2.past_mean[:, 0], mean_at_switch[:, 0])
    assert torch.count_nonzero(tile2.past_mean[:, 1:]) == 0
    assert tile2.switched.tolist() == [False, True, True, True]


def test_static_offset_never_reaches_the_slow_device() -> None:
    # A large constant reading: the chopped compound writes it back and forth onto C, AGAD
    # removes it with the reference and writes nothing once the warm-up is over.
    offset = torch.full((OUT, IN), 0.05)
    agad = make(in_chop_prob=0.5)
    chopped = make(ChoppedTransferCompound, in_chop_prob=0.5, in_chop_random=False)
    largest = {}
    for name, tile in (("agad", agad), ("chopped", chopped)):
        set_fast(tile, offset)
        largest[name] = 0.0
        for _ in range(12):
            idle_passes(tile, 1)
            largest[name] = max(largest[name], float(tile.slow.weight.abs().max()))
    assert largest["agad"] == 0.0
    assert largest["chopped"] >= 0.002 - 1e-7  # two phases' worth of single steps


def test_gradient_is_transferred_with_the_right_sign() -> None:
    # d x^T > 0: SGD decreases W; a static offset on A does not matter
    tile = make(in_chop_prob=0.5, fast_lr=0.002)
    set_fast(tile, torch.full((OUT, IN), 0.1))
    for _ in range(16 * IN):
        tile.update(torch.ones(1, IN), torch.ones(1, OUT), 1.0)
    assert bool((tile.get_weights() < 0).all())


def test_experimental_correct_accumulation_divides_by_pass_number() -> None:
    tile = make(experimental_correct_accumulation=True, in_chop_prob=0.25)  # N = 4
    set_fast(tile, torch.full((OUT, IN), 0.0003))  # 0.3 buffer units per read (P_ref = 0)
    idle_passes(tile, 2)  # passes 0 and 1: 0.3 / 1 + 0.3 / 2
    torch.testing.assert_close(tile.buffer, torch.full((OUT, IN), 0.45), atol=1e-4, rtol=0)


def test_buffer_cap_without_forgetting() -> None:
    tile = make(forget_buffer=False, buffer_cap=2.0, in_chop_prob=0.25)  # S = 1: cap 2
    set_fast(tile, torch.full((OUT, IN), 0.01))  # 10 units per read
    idle_passes(tile, 1)
    torch.testing.assert_close(tile.buffer, torch.full((OUT, IN), 2.0))  # 10 - 1, capped


def test_output_choppers_flip_after_each_pass() -> None:
    tile = make(out_chop_prob=1.0)
    idle_passes(tile, 3)
    assert tile.out_chopper.tolist() == [True] * OUT


def count_flips(tile, n_passes: int) -> int:
    flips = 0
    for _ in range(n_passes):
        before = tile.in_chopper.clone()
        idle_passes(tile, 1)
        flips += int((tile.in_chopper != before).sum())
    return flips


def test_random_flips_come_in_addition_to_regular_ones() -> None:
    # N = 2: every second pass flips regularly; with in_chop_random the other passes flip
    # with probability 0.5 (the regular pass flips once whatever the random draw says)
    assert count_flips(make(in_chop_prob=0.5), 40) == 20 * IN
    flips = count_flips(make(in_chop_prob=0.5, in_chop_random=True), 40)
    expected, std = 20 * IN + 0.5 * 20 * IN, (20 * IN * 0.25) ** 0.5
    assert abs(flips - expected) < 4.5 * std
