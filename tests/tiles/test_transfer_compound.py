"""Tiki-taka v1 and the buffered TTv2 transfer (spec compounds 3.5, 3.6).

The transfers are driven by update calls with all-zero ``x`` and ``d``: they produce no
pulse on the fast device but advance the vector-update count.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    BufferedTransferCompound,
    ConstantStepDevice,
    IOParameters,
    TransferCompound,
    UnitCellRPUConfig,
    UpdateParameters,
)
from analogtrain.errors import ConfigError
from analogtrain.tiles import create_tile

PERFECT = IOParameters(is_perfect=True)
OUT, IN = 3, 4


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


def tt_tile(compound_cls=TransferCompound, **fields):
    fields.setdefault("unit_cell_devices", [quiet(), quiet()])
    compound = compound_cls(transfer_forward=PERFECT, **fields)
    cfg = UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, OUT, IN)


def set_hidden(tile, **weights: torch.Tensor) -> None:
    hidden = tile.get_hidden_parameters()
    for name, value in weights.items():
        hidden[name] = value
    tile.set_hidden_parameters(hidden)


def idle_update(tile, lr: float = 1.0, m: int = 1) -> None:
    """An update call without pulses (zero inputs): only the counters advance."""
    tile.update(torch.zeros(m, IN), torch.zeros(m, OUT), lr)


def test_transfer_adds_scaled_column_read() -> None:
    tile = tt_tile()
    fast = torch.zeros(OUT, IN)
    fast[:, 0] = torch.tensor([0.02, -0.02, 0.02])  # equal magnitudes: every slot fires
    set_hidden(tile, hidden_weights_0=fast)
    idle_update(tile, lr=0.5)  # lr_t = transfer_lr * lr = 0.5 -> 10 steps of 0.001
    expected = torch.zeros(OUT, IN)
    expected[:, 0] = torch.tensor([0.01, -0.01, 0.01])
    torch.testing.assert_close(tile.slow.weight, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(tile.get_weights(), expected, atol=1e-6, rtol=0)  # fully hidden
    torch.testing.assert_close(tile.fast.weight, fast)  # the read does not disturb A
    assert tile.slice_index == [1, 0]


def test_transfer_rate_not_scaled() -> None:
    tile = tt_tile(scale_transfer_lr=False, transfer_lr=0.5)
    fast = torch.zeros(OUT, IN)
    fast[:, 0] = 0.02
    set_hidden(tile, hidden_weights_0=fast)
    idle_update(tile, lr=0.001)  # ignored: lr_t = transfer_lr
    torch.testing.assert_close(tile.slow.weight[:, 0], torch.full((OUT,), 0.01), atol=1e-6, rtol=0)


def test_rows_mode_transfers_rows() -> None:
    tile = tt_tile(transfer_columns=False)
    fast = torch.zeros(OUT, IN)
    fast[0, :] = torch.tensor([0.02, -0.02, 0.02, -0.02])
    set_hidden(tile, hidden_weights_0=fast)
    idle_update(tile, lr=1.0)
    torch.testing.assert_close(tile.slow.weight, fast, atol=1e-6, rtol=0)


def test_fast_rate_is_fixed_unless_non_positive() -> None:
    # x = d = 1: every probability is 1, so the counts are deterministic
    # fast_lr = 1.0: k = 1000 -> capped at desired_bl 31
    fixed = tt_tile(transfer_every=0.0, scale_fast_lr=False)
    fixed.update(torch.ones(1, IN), torch.ones(1, OUT), 0.005)
    torch.testing.assert_close(fixed.fast.weight, torch.full((OUT, IN), -0.031), atol=1e-6, rtol=0)
    sgd_rate = tt_tile(transfer_every=0.0, fast_lr=0.0, scale_fast_lr=False)  # SGD rate: 5 steps
    sgd_rate.update(torch.ones(1, IN), torch.ones(1, OUT), 0.005)
    torch.testing.assert_close(
        sgd_rate.fast.weight, torch.full((OUT, IN), -0.005), atol=1e-6, rtol=0
    )


def test_partially_visible_fast_device() -> None:
    tile = tt_tile(gamma=0.5)
    assert not tile.fully_hidden and tile.gammas == [0.5, 1.0]
    a = torch.full((OUT, IN), 0.1)
    c = torch.full((OUT, IN), -0.2)
    set_hidden(tile, hidden_weights_0=a, hidden_weights_1=c)
    torch.testing.assert_close(tile.get_weights(), 0.5 * a + c)
    x = torch.randn(2, IN)
    torch.testing.assert_close(tile.forward_mvm(x), x @ (0.5 * a + c).T)


def test_set_weights_clears_fast_device_and_counters() -> None:
    tile = tt_tile(gamma_vec=[0.5, 2.0])
    idle_update(tile, m=3)
    set_hidden(tile, hidden_weights_0=torch.full((OUT, IN), 0.1))
    w = torch.linspace(-0.4, 0.4, OUT * IN).reshape(OUT, IN)
    tile.set_weights(w)
    assert torch.count_nonzero(tile.fast.weight) == 0
    torch.testing.assert_close(tile.slow.weight, w / 2.0)
    torch.testing.assert_close(tile.get_weights(), w)
    assert tile.update_count == 0 and tile.slice_index == [0, 0]


def test_reset_after_transfer_and_reset_columns() -> None:
    tile = tt_tile(with_reset_prob=1.0)
    set_hidden(tile, hidden_weights_0=torch.full((OUT, IN), 0.02))
    idle_update(tile, lr=0.5)
    assert torch.count_nonzero(tile.fast.weight[:, 0]) == 0  # reset (reset bias 0)
    torch.testing.assert_close(tile.fast.weight[:, 1:], torch.full((OUT, IN - 1), 0.02))
    tile.set_weights(torch.full((OUT, IN), 0.3))
    set_hidden(tile, hidden_weights_0=torch.full((OUT, IN), 0.02))
    tile.reset_columns(1, 2)  # only the fast device is reset
    assert torch.count_nonzero(tile.fast.weight[:, 1:3]) == 0
    torch.testing.assert_close(tile.slow.weight, torch.full((OUT, IN), 0.3))
    with pytest.raises(ConfigError, match="transfer_columns"):
        tt_tile(with_reset_prob=0.5, transfer_columns=False)


def test_needs_two_devices() -> None:
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        tt_tile(unit_cell_devices=[quiet()])


# ---------------------------------------------------------------------- buffered TTv2
@pytest.mark.parametrize(
    ("read", "forget", "written", "kept"),
    [
        (0.0035, True, 0.001, 0.1 * 0.0035),  # trunc(3.5) = 3 -> clamp to S = 1 step
        (-0.0035, True, -0.001, -0.1 * 0.0035),
        (0.0035, False, 0.001, 0.0035 - 0.9 * 0.001),  # subtract (1 - momentum) * written
        (0.0005, True, 0.0, 0.0005),  # below the threshold: accumulate only
    ],
)
def test_buffered_transfer_thresholds(
    read: float, forget: bool, written: float, kept: float
) -> None:
    tile = tt_tile(BufferedTransferCompound, forget_buffer=forget)  # momentum 0.1, BL 1
    fast = torch.zeros(OUT, IN)
    fast[:, 0] = read
    set_hidden(tile, hidden_weights_0=fast)
    idle_update(tile, lr=1.0)
    torch.testing.assert_close(
        tile.slow.weight[:, 0], torch.full((OUT,), written), atol=1e-7, rtol=0
    )
    torch.testing.assert_close(tile.buffer(0)[:, 0], torch.full((OUT,), kept), atol=1e-7, rtol=0)
    assert torch.count_nonzero(tile.buffer(0)[:, 1:]) == 0


def test_buffered_accumulates_over_reads() -> None:
    tile = tt_tile(BufferedTransferCompound, transfer_every=1.0)
    fast = torch.full((OUT, IN), 0.0004)
    set_hidden(tile, hidden_weights_0=fast)
    for _ in range(2 * IN):  # two passes: 0.0008 per column, below one step
        idle_update(tile)
    assert torch.count_nonzero(tile.slow.weight) == 0
    idle_update(tile)  # column 0 reaches 0.0012: one step written, buffer 0.1 * 0.0012
    assert tile.slow.weight[:, 0].tolist() == pytest.approx([0.001] * OUT, abs=1e-7)
    names = tile.get_hidden_parameter_names()
    assert names[-1] == "buffered_FP_weight_0" and "hidden_weights_1" in names


def test_transfer_update_settings_bound_each_write() -> None:
    # desired_bl 2 without management: at most 2 steps per transfer however large the read
    tile = tt_tile(
        transfer_update=UpdateParameters(
            desired_bl=2, update_management=False, update_bl_management=False
        )
    )
    set_hidden(tile, hidden_weights_0=torch.full((OUT, IN), 0.5))
    idle_update(tile, lr=1.0)
    assert tile.slow.weight[:, 0].max() <= 0.002 + 1e-7
