"""Chopped TTv2: choppers, buffer thresholds and chopper schedules (spec compounds 3.7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analogtrain.configs import (
    ChoppedTransferCompound,
    ConstantStepDevice,
    IOParameters,
    UnitCellRPUConfig,
)
from analogtrain.errors import ConfigError, NotSimulatedError
from analogtrain.tiles import create_tile
from analogtrain.tiles.chopped import ChoppedTransferCompoundTile, auto_scale_ema

PERFECT = IOParameters(is_perfect=True)
OUT, IN = 3, 4


def quiet(**kw: float) -> ConstantStepDevice:
    base = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0)
    base.update(kw)
    return ConstantStepDevice(**base)


def chopped_tile(**fields) -> ChoppedTransferCompoundTile:
    fields.setdefault("unit_cell_devices", [quiet(), quiet()])
    fields.setdefault("in_chop_prob", 0.0)
    compound = ChoppedTransferCompound(transfer_forward=PERFECT, **fields)
    cfg = UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, OUT, IN)


def set_fast(tile, value: torch.Tensor) -> None:
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_0"] = value
    tile.set_hidden_parameters(hidden)


def idle_update(tile, lr: float = 1.0, m: int = 1) -> None:
    """Zero inputs: no pulse on the fast device, one transfer per vector update."""
    tile.update(torch.zeros(m, IN), torch.zeros(m, OUT), lr)


def test_choppers_flip_the_fast_update() -> None:
    tile = chopped_tile(fast_lr=0.005, transfer_every=0.0)  # x = d = 1: exactly 5 steps
    tile.in_chopper[0] = True
    tile.out_chopper[2] = True
    tile.update(torch.ones(1, IN), torch.ones(1, OUT), 0.1)
    sign = torch.ones(OUT, IN)
    sign[:, 0] *= -1
    sign[2, :] *= -1
    torch.testing.assert_close(tile.fast.weight, -0.005 * sign, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("chop", "read", "written"),
    [(False, 0.0035, 0.001), (True, 0.0035, -0.001), (False, -0.0004, 0.0)],
)
def test_transfer_demodulates_and_thresholds(chop: bool, read: float, written: float) -> None:
    tile = chopped_tile()
    tile.in_chopper[0] = chop
    fast = torch.zeros(OUT, IN)
    fast[:, 0] = read
    set_fast(tile, fast)
    idle_update(tile, lr=1.0)  # s = lr / g(A) = 1000 buffer units per unit read
    torch.testing.assert_close(
        tile.slow.weight[:, 0], torch.full((OUT,), written), atol=1e-7, rtol=0
    )
    expected_h = 0.0 if written else (-1.0 if chop else 1.0) * read * 1000  # momentum 0
    torch.testing.assert_close(tile.buffer[:, 0], torch.full((OUT,), expected_h), atol=1e-4, rtol=0)


def test_forget_buffer_false_subtracts_written_steps() -> None:
    tile = chopped_tile(forget_buffer=False, momentum=0.2)
    fast = torch.zeros(OUT, IN)
    fast[:, 0] = 0.0035
    set_fast(tile, fast)
    idle_update(tile)
    # h = 3.5, n = 1 (S = 1): h - (1 - 0.2) * 1
    torch.testing.assert_close(tile.buffer[:, 0], torch.full((OUT,), 2.7), atol=1e-4, rtol=0)


def test_no_buffer_does_not_accumulate() -> None:
    for no_buffer, expected_writes in ((False, 1), (True, 0)):
        tile = chopped_tile(no_buffer=no_buffer)
        set_fast(tile, torch.full((OUT, IN), 0.0006))  # 0.6 per read
        for _ in range(2 * IN):
            idle_update(tile)
        assert float(tile.slow.weight[0, 0]) == pytest.approx(0.001 * expected_writes, abs=1e-7)


def test_static_offset_cancels_with_regular_choppers() -> None:
    # 0.3 buffer units per read; chopper period 2 passes: the buffer oscillates below 1
    for prob, expect_write in ((0.0, True), (0.5, False)):
        tile = chopped_tile(in_chop_prob=prob, in_chop_random=False)
        set_fast(tile, torch.full((OUT, IN), 0.0003))
        for _ in range(12 * IN):
            idle_update(tile)
        assert bool(tile.slow.weight.abs().sum() > 0) is expect_write


def test_regular_chopper_period() -> None:
    tile = chopped_tile(in_chop_prob=0.25, in_chop_random=False)  # period 4 passes
    states = []
    for _ in range(8):
        for _ in range(IN):
            idle_update(tile)
        states.append(tile.in_chopper.tolist())
    off, on = [False] * IN, [True] * IN
    assert states == [off, off, off, on, on, on, on, off]  # flips during passes 3 and 7
    assert tile.transfer_counter == 8


def test_random_chopper_frequency_and_output_choppers() -> None:
    tile = chopped_tile(in_chop_prob=0.3, out_chop_prob=1.0)
    flips = 0
    n_reads = 400
    for _ in range(n_reads):
        before = tile.in_chopper.clone()
        idle_update(tile)
        flips += int((tile.in_chopper != before).sum())
    std = (n_reads * 0.3 * 0.7) ** 0.5
    assert abs(flips - 0.3 * n_reads) < 4.5 * std
    assert tile.out_chopper.tolist() == [False] * OUT  # 100 passes, flipped every pass


def test_buffer_scale_options() -> None:
    devices = [quiet(dw_min=0.002), quiet(dw_min=0.001)]
    tile = chopped_tile(unit_cell_devices=devices, transfer_lr=0.5, buffer_granularity=2.0)
    assert tile._buffer_scale(0.1) == pytest.approx(0.05 / (2.0 * 0.002))
    tile = chopped_tile(unit_cell_devices=devices, auto_granularity=100.0, transfer_every=2.0)
    assert tile._buffer_scale(0.1) == pytest.approx(0.1 / (0.002 * 100.0 / (IN * 2.0)))
    tile = chopped_tile(unit_cell_devices=devices, correct_gradient_magnitudes=True)
    tile.count_lr = 0.25
    assert tile._buffer_scale(0.1) == pytest.approx(0.1 / 0.25 / 0.001)


def test_auto_scale_ema() -> None:
    assert auto_scale_ema(0.0, 2.0, 10, 0.99) == 2.0  # first value initialises
    assert auto_scale_ema(2.0, 0.0, 10, 0.99) == 2.0  # zeros skipped
    assert auto_scale_ema(2.0, 4.0, 10, 0.99) == pytest.approx(2.0 + 0.001 * 2.0)


def test_compiled_auto_scale_emas_equal_the_plain_loop_bit_for_bit() -> None:
    pytest.importorskip("numba")
    import numpy as np

    from analogtrain.kernels.update.cpu.transfer_kernels import compiled_emas
    from analogtrain.tiles.transfer_rules import auto_scale_emas

    values = np.random.default_rng(0).exponential(size=500)
    values[::7] = 0.0  # zeros are skipped
    for running in (0.0, 0.3):
        expected = auto_scale_emas(running, values, 48, 0.95)
        got = compiled_emas(running, values, 48, 0.95)
        assert np.array_equal(got, expected)
        assert np.unique(got).size > 400  # the estimate moves with the values


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [True, False])
def test_compiled_auto_scale_rates_equal_the_numpy_steps_bit_for_bit(
    scale: bool, dtype: torch.dtype, monkeypatch
) -> None:
    """``pulse_count_rates`` in one compiled call (CPU tiles) gives the rates, ``m_x``, ``m_d``
    and ``count_lr`` of the numpy formation exactly, over calls whose first rows are zero
    (estimates still zero: the plain rate) and rows of every magnitude."""
    pytest.importorskip("numba")
    from analogtrain.tiles import chopped

    fields = dict(fast_lr=0.1, auto_scale=True, scale_fast_lr=scale, auto_momentum=0.9)
    compiled, plain = chopped_tile(**fields), chopped_tile(**fields)
    gen = torch.Generator().manual_seed(5)
    for m in (7, 1, 12):
        x = torch.randn(m, IN, generator=gen, dtype=torch.float64).mul_(10.0 ** -m).to(dtype)
        d = torch.randn(m, OUT, generator=gen, dtype=torch.float64).to(dtype)
        if m == 7:
            x[:2] = 0.0  # m_x stays 0 for two vectors
            d[3] = 0.0  # a zero row is skipped by the estimate
        got = compiled.pulse_count_rates(x, d, 0.3)
        with monkeypatch.context() as patch:
            patch.setattr(chopped, "_rates_kernel", lambda x, d: None)
            expected = plain.pulse_count_rates(x, d, 0.3)
        assert got.dtype == np.float64 and np.array_equal(got, expected)
        assert (compiled.m_x, compiled.m_d, compiled.count_lr) == (
            plain.m_x,
            plain.m_d,
            plain.count_lr,
        )
        if m == 7:  # before m_x is known: fast_lr desired_bl g(A) (times the SGD rate)
            plain_rate = 0.1 * compiled.rpu_config.update.desired_bl * compiled.fast.granularity
            assert got[0] == pytest.approx(plain_rate * (0.3 if scale else 1.0), rel=1e-12)
    assert np.unique(got).size == 12  # every vector moved the estimates


def test_constraints() -> None:
    with pytest.raises(ConfigError):
        chopped_tile(unit_cell_devices=[quiet(), quiet(), quiet()])
    with pytest.raises(ConfigError, match="read"):
        chopped_tile(n_reads_per_transfer=2)
    with pytest.raises(NotSimulatedError, match="random_selection"):
        chopped_tile(random_selection=True)
    with pytest.raises(NotSimulatedError, match="with_reset_prob"):
        chopped_tile(with_reset_prob=0.1)


def test_set_weights_keeps_choppers_and_buffer() -> None:
    tile = chopped_tile()
    tile.in_chopper[1] = True
    tile.buffer.fill_(0.5)
    tile.set_weights(torch.full((OUT, IN), 0.2))
    assert tile.in_chopper[1] and float(tile.buffer[0, 0]) == 0.5
    assert torch.count_nonzero(tile.fast.weight) == 0
    torch.testing.assert_close(tile.get_weights(), torch.full((OUT, IN), 0.2))


def test_d_sparsity_records_the_fraction_of_non_zero_d_entries() -> None:
    # aihwkit computes d_noz / d_size (non-zero entries per row) despite the field's name;
    # with one of three d entries non-zero in every row the statistic is 1/3, not 2/3.
    compound = ChoppedTransferCompound(
        transfer_forward=PERFECT, unit_cell_devices=[quiet(), quiet()], in_chop_prob=0.0
    )
    cfg = UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    cfg.update.d_sparsity = True
    tile = create_tile(cfg, OUT, IN)
    d = torch.tensor([[0.0, 0.2, 0.0]] * 2)
    tile.update(torch.full((2, IN), 0.1), d, 0.01)
    assert tile.d_sparsity == pytest.approx(1.0 / 3.0)
    tile.update(torch.full((1, IN), 0.1), torch.tensor([[0.1, 0.2, 0.0]]), 0.01)
    assert 1.0 / 3.0 < tile.d_sparsity < 2.0 / 3.0  # moved towards the new 2/3


def test_d_sparsity_off_records_nothing() -> None:
    tile = chopped_tile()
    tile.update(torch.full((2, IN), 0.1), torch.tensor([[0.0, 0.2, 0.0]] * 2), 0.01)
    assert tile.d_sparsity == 0.0
