"""The shared compound rules (tiles/transfer_rules.py) and the aihwkit 1.2.0 semantics they
carry: ``scale_fast_lr`` and the chopper-corrected visible weight of chopped ``gamma != 0``.

Expected values are hand-computed; the tile cases use ``x = d = 1`` with update BL
management, where a pulse count ``k <= desired_bl`` is written as ``k`` certain pulses.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ChoppedTransferCompound,
    ConstantStepDevice,
    DynamicTransferCompound,
    IOParameters,
    TransferCompound,
    UnitCellRPUConfig,
    build_config,
)
from analogtrain.errors import ArgumentError, TileError
from analogtrain.tiles import create_tile
from analogtrain.tiles.transfer_rules import (
    ChopperRule,
    buffer_step,
    pulse_count_lr,
    transfer_lr,
)

PERFECT = IOParameters(is_perfect=True)


def quiet() -> ConstantStepDevice:  # dw_min 0.001, no variation
    return ConstantStepDevice(
        dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0
    )


def make(compound, out_size: int = 2, in_size: int = 2):
    cfg = UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, out_size, in_size)


# ---------------------------------------------------------------------- the rules
def test_buffer_step_counts_thresholds_and_keeps_the_rest() -> None:
    h = torch.tensor([2.5, -1.3, 0.4, 3.0], dtype=torch.float64)
    n, kept = buffer_step(h, 1.0, 2, 0.5, forget_buffer=True)
    assert n.tolist() == [2.0, -1.0, 0.0, 2.0]  # trunc, clamped to 2; 0.4 below 1
    assert kept.tolist() == [1.25, -0.65, 0.4, 1.5]  # momentum h where written
    n, kept = buffer_step(h, 1.0, 2, 0.5, forget_buffer=False)
    assert kept.tolist() == pytest.approx([1.5, -0.8, 0.4, 2.0])  # h - 0.5 n
    _, capped = buffer_step(h, 1.0, 2, 0.5, forget_buffer=False, cap=1.0)
    assert capped.tolist() == pytest.approx([1.0, -0.8, 0.4, 1.0])
    n, kept = buffer_step(torch.tensor([0.025], dtype=torch.float64), 0.01, 5, 0.0, False)
    assert n.tolist() == [2.0] and kept.tolist() == pytest.approx([0.005])  # weight units


def test_chopper_rule_regular_and_random_flips() -> None:
    draws: list[int] = []

    def draw(n: int) -> list[float]:
        draws.append(n)
        return [0.1, 0.9, 0.9, 0.9, 0.1, 0.9][:n]

    assert ChopperRule.regular_period(0.1) == 10 and ChopperRule.regular_period(0.9) == 2
    regular = ChopperRule(3, 0.0)
    assert regular.flips([0, 1, 2, 3, 4, 5], draw).tolist() == [False, False, True] * 2
    assert draws == []  # no random flips: nothing drawn
    both = ChopperRule(3, 0.5)
    assert both.flips([0, 1, 2, 3, 4, 5], draw).tolist() == [True, False, True, False, True, True]
    assert draws == [6]
    assert ChopperRule(None, 0.5).flips([7, 7], draw).tolist() == [True, False]


def test_pulse_count_and_transfer_rates() -> None:
    assert pulse_count_lr(0.5, 0.02, scale_fast_lr=True) == pytest.approx(0.01)
    assert pulse_count_lr(0.5, 0.02, scale_fast_lr=False) == 0.5
    assert pulse_count_lr(0.0, 0.02, scale_fast_lr=True) == 0.02  # fast_lr <= 0: the SGD rate
    assert transfer_lr(2.0, 0.1, True) == pytest.approx(0.2)
    assert transfer_lr(2.0, 0.1, False) == 2.0
    assert transfer_lr(2.0, 0.1, False, (0.5, 2.0)) == pytest.approx(0.5)  # gamma_k / gamma_k'
    assert transfer_lr(2.0, 0.1, False, (0.0, 1.0)) == 2.0  # a zero gamma: no ratio


# ---------------------------------------------------------------------- scale_fast_lr
def test_scale_fast_lr_defaults_follow_aihwkit_1_2() -> None:
    assert TransferCompound().scale_fast_lr is True
    assert ChoppedTransferCompound().scale_fast_lr is False
    assert build_config("tt", ConstantStepDevice).device.scale_fast_lr is True
    for name in ("ttv2", "c-ttv2", "agad"):
        assert build_config(name, ConstantStepDevice).device.scale_fast_lr is False, name


@pytest.mark.parametrize(("scale", "expected"), [(True, -0.010), (False, -0.031)])
def test_ttv1_fast_rate_scaled_by_the_sgd_rate(scale: bool, expected: float) -> None:
    # fast_lr 2, lr 0.005: scaled 0.01 = 10 pulses of 0.001; fixed 2.0 is capped at BL 31
    tile = make(
        TransferCompound(
            unit_cell_devices=[quiet(), quiet()],
            transfer_forward=PERFECT,
            transfer_every=0.0,
            fast_lr=2.0,
            scale_fast_lr=scale,
        )
    )
    tile.update(torch.ones(1, 2), torch.ones(1, 2), 0.005)
    torch.testing.assert_close(tile.fast.weight, torch.full((2, 2), expected), atol=1e-6, rtol=0)


@pytest.mark.parametrize(("scale", "count_lr"), [(True, 0.005), (False, 0.5)])
def test_chopped_fixed_fast_rate_scaled_by_the_sgd_rate(scale: bool, count_lr: float) -> None:
    tile = make(
        ChoppedTransferCompound(
            unit_cell_devices=[quiet(), quiet()],
            transfer_forward=PERFECT,
            transfer_every=0.0,
            fast_lr=0.5,
            scale_fast_lr=scale,
        )
    )
    tile.update(torch.ones(1, 2), torch.ones(1, 2), 0.01)
    assert tile.count_lr == pytest.approx(count_lr)
    if scale:  # 0.005 = 5 pulses of 0.001
        torch.testing.assert_close(tile.fast.weight, torch.full((2, 2), -0.005), atol=1e-6, rtol=0)


@pytest.mark.parametrize("process", ["per_vector", "batched"])
@pytest.mark.parametrize("scale", [True, False])
def test_chopped_auto_scaled_rate_times_the_sgd_rate(process: str, scale: bool) -> None:
    # one vector: m_x = max|x| = 2, m_d = max|d| = 1 (the first value initialises them);
    # count_lr = fast_lr desired_bl g(A) / (m_x m_d) = 0.1 * 31 * 0.001 / 2, times lr 0.2
    tile = make(
        ChoppedTransferCompound(
            unit_cell_devices=[quiet(), quiet()],
            transfer_forward=PERFECT,
            fast_lr=0.1,
            auto_scale=True,
            scale_fast_lr=scale,
        )
    )
    tile.update_process = process
    tile.update(torch.tensor([[0.5, -2.0]]), torch.tensor([[1.0, 0.25]]), 0.2)
    assert tile.m_x == 2.0 and tile.m_d == 1.0
    assert tile.count_lr == pytest.approx(0.00155 * (0.2 if scale else 1.0), rel=1e-12)


# ---------------------------------------------------------------------- chopped gamma
def chopped_gamma_tile(compound_cls=ChoppedTransferCompound, **fields):
    return make(
        compound_cls(
            unit_cell_devices=[quiet(), quiet()],
            transfer_forward=PERFECT,
            gamma=0.5,
            **fields,
        )
    )


@pytest.mark.parametrize("compound_cls", [ChoppedTransferCompound, DynamicTransferCompound])
def test_chopped_visible_weight_demodulates_the_fast_device(compound_cls) -> None:
    tile = chopped_gamma_tile(compound_cls)
    a = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
    c = torch.tensor([[0.01, 0.02], [0.03, 0.04]])
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_0"], hidden["hidden_weights_1"] = a, c
    tile.set_hidden_parameters(hidden)
    torch.testing.assert_close(tile.get_weights(), 0.5 * a + c)  # all signs +1
    tile.in_chopper.copy_(torch.tensor([True, False]))  # c_in = (-1, +1) per column
    tile.out_chopper.copy_(torch.tensor([False, True]))  # c_out = (+1, -1) per row
    # signs c_out[o] c_in[i] = [[-1, 1], [1, -1]]
    expected = torch.tensor([[-0.05 + 0.01, 0.1 + 0.02], [0.15 + 0.03, -0.2 + 0.04]])
    torch.testing.assert_close(tile.get_weights(), expected)
    x = torch.tensor([[1.0, -2.0]])
    torch.testing.assert_close(tile.forward_mvm(x), x @ expected.T)


@pytest.mark.parametrize("bits", [(False, False), (True, False), (True, True)])
def test_chopped_visible_weight_follows_the_gradient_in_every_chopper_phase(bits) -> None:
    # no transfers; a fixed fast rate 0.005 = 5 pulses of 0.001 on the chopped gradient
    tile = chopped_gamma_tile(transfer_every=0.0, fast_lr=0.005)
    tile.in_chopper.copy_(torch.tensor(bits))
    tile.out_chopper.copy_(torch.tensor([bits[1], False]))
    before = tile.get_weights()
    tile.update(torch.ones(1, 2), torch.ones(1, 2), 1.0)
    # W = 0.5 (c c^T) * A + C moves by 0.5 * (-0.005) wherever A's sign is flipped
    torch.testing.assert_close(
        tile.get_weights() - before, torch.full((2, 2), -0.0025), atol=1e-6, rtol=0
    )


# ---------------------------------------------------------------------- update_process
def test_update_process_switch_is_explicit_and_checked() -> None:
    cfg = build_config("c-ttv2", ConstantStepDevice)
    cfg.device.transfer_columns = False  # row transfers: per-vector process only
    with torch.random.fork_rng():
        torch.manual_seed(0)
        tile = create_tile(cfg, 2, 3)
    assert tile.update_process == "auto"
    assert tile.batched_path_reason() == "transfer_columns=False"
    with pytest.raises(ArgumentError, match="update_process"):
        tile.update_process = "fast"
    tile.update_process = "batched"
    before = tile.get_hidden_parameters()
    with pytest.raises(TileError, match="transfer_columns=False"):
        tile.update(torch.ones(2, 3), torch.ones(2, 2), 0.1)
    after = tile.get_hidden_parameters()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert tile.update_count == 0 and tile.last_update_m_batch == 0
    tile.update_process = "per_vector"
    assert tile.batched_path_reason() == "update_process='per_vector'"
    tile.update(torch.ones(2, 3), torch.ones(2, 2), 0.1)
    assert tile.update_count == 2
