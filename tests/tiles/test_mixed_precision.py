"""Mixed precision: digital accumulation, quantisation, transfer of whole steps (spec 3.9)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ConstantStepDevice,
    DigitalRankUpdateRPUConfig,
    IOParameters,
    MixedPrecisionCompound,
    OneSidedUnitCell,
    VectorUnitCell,
)
from analogtrain.errors import ConfigError
from analogtrain.tiles import create_tile
from analogtrain.tiles.mixed_precision import MixedPrecisionCompoundTile, quantize_rows

PERFECT = IOParameters(is_perfect=True)
OUT, IN = 3, 4


def quiet(**kw: float) -> ConstantStepDevice:
    base = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0)
    base.update(kw)
    return ConstantStepDevice(**base)


def mp_tile(**fields) -> MixedPrecisionCompoundTile:
    compound = MixedPrecisionCompound(device=quiet(), **fields)
    cfg = DigitalRankUpdateRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, OUT, IN)


def test_exact_accumulation_without_quantisation() -> None:
    tile = mp_tile(transfer_every=0)
    gen = torch.Generator().manual_seed(0)
    expected = torch.zeros(OUT, IN, dtype=torch.float64)
    for lr in (0.1, 0.05, 0.2):
        x, d = torch.randn(6, IN, generator=gen), torch.randn(6, OUT, generator=gen)
        tile.update(x, d, lr)
        expected += lr * d.double().T @ x.double()
    torch.testing.assert_close(tile.chi.double(), expected, atol=1e-6, rtol=1e-6)
    assert torch.count_nonzero(tile.get_weights()) == 0  # nothing transferred
    assert tile.vec_count == 18


def test_quantisation_grid() -> None:
    v = torch.tensor([[1.0, 0.3, -0.6, 0.74], [0.0, 0.0, 0.0, 0.0], [0.25, -0.75, 0.5, 1.0]])
    q = quantize_rows(v, 5, False, None)  # half = 2 levels per sign: steps of amax / 2
    expected = torch.tensor([[1.0, 0.5, -0.5, 0.5], [0.0] * 4, [0.0, -1.0, 0.5, 1.0]])
    torch.testing.assert_close(q, expected)  # 0.5 -> 0 and 1.5 -> 2: half to even
    assert torch.equal(quantize_rows(v, 0, True, None), v)
    with pytest.raises(ConfigError, match="bins"):
        quantize_rows(v, 1, False, None)


def test_stochastic_rounding_is_unbiased() -> None:
    gen = torch.Generator().manual_seed(3)
    v = torch.tensor([[1.0, 0.3, -0.6, 0.1]]).repeat(4000, 1)
    q = quantize_rows(v, 3, True, gen)  # ternary: {-1, 0, 1} * amax
    assert set(q.unique().tolist()) <= {-1.0, 0.0, 1.0}
    # per column: mean of a {0, 1} (or {-1, 0}) variable with p = |v|; 5 standard errors
    for j, p in enumerate([1.0, 0.3, 0.6, 0.1]):
        se = (p * (1 - p) / 4000) ** 0.5
        assert abs(q[:, j].mean().item() - v[0, j].item()) <= 5 * se + 1e-9


def test_quantised_accumulation_uses_quantised_vectors() -> None:
    tile = mp_tile(transfer_every=0, n_x_bins=3, n_d_bins=5, stoc_round_x=False, stoc_round_d=False)
    x = torch.tensor([[1.0, 0.3, -0.6, 0.74]])
    d = torch.tensor([[0.2, -0.9, 0.5]])
    tile.update(x, d, 0.5)
    xq, dq = quantize_rows(x, 3, False, None), quantize_rows(d, 5, False, None)
    torch.testing.assert_close(tile.chi, 0.5 * dq.T @ xq)


def record_transfers(tile) -> list[int]:
    calls: list[int] = []
    original = tile.transfer
    tile.transfer = lambda: calls.append(tile.vec_count) or original()
    return calls


@pytest.mark.parametrize(("every", "expected"), [(1, [5, 10, 15]), (2, [10]), (0, [])])
def test_transfer_timing(every: int, expected: list[int]) -> None:
    tile = mp_tile(transfer_every=every)
    calls = record_transfers(tile)
    for _ in range(4):
        tile.update(torch.ones(5, IN), torch.ones(5, OUT), 0.001)
    assert calls == expected  # vec_count before the increment: the first call never transfers


def test_transfer_writes_whole_steps() -> None:
    tile = mp_tile(transfer_every=1)
    chi = torch.tensor(
        [
            [0.0035, -0.0035, 0.0035, 0.0035],
            [0.0009, 0.0, 0.0, 0.0],
            [-0.0021, -0.0021, 0.0021, -0.0021],
        ]
    )
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_chi"] = chi
    tile.set_hidden_parameters(hidden)
    tile.transfer()
    steps = torch.trunc(chi / 0.001)
    torch.testing.assert_close(tile.chi, chi - 0.001 * steps, atol=1e-7, rtol=0)
    # equal magnitudes per row: every pulse slot fires, W = -g * k exactly
    torch.testing.assert_close(tile.get_weights(), -0.001 * steps, atol=1e-6, rtol=0)
    assert tile.row_index == 0  # all rows: back to row 0


def test_rows_per_transfer_cycle_and_random_row() -> None:
    tile = mp_tile(transfer_every=1, n_rows_per_transfer=1)
    rows = []
    for _ in range(4):
        hidden = tile.get_hidden_parameters()
        hidden["hidden_weights_chi"] = torch.full((OUT, IN), 0.0015)
        tile.set_hidden_parameters(hidden)
        tile.transfer()
        rows.append([r for r in range(OUT) if float(tile.chi[r, 0]) < 0.001])
    assert rows == [[0], [1], [2], [0]]
    tile = mp_tile(transfer_every=1, n_rows_per_transfer=1, random_row=True)
    starts = set()
    for _ in range(30):
        hidden = tile.get_hidden_parameters()
        hidden["hidden_weights_chi"] = torch.full((OUT, IN), 0.0015)
        tile.set_hidden_parameters(hidden)
        tile.transfer()
        starts.add(int((tile.chi[:, 0] < 0.001).nonzero()[0]))
    assert starts == {0, 1, 2}


def test_set_weights_clears_state_and_names() -> None:
    tile = mp_tile(transfer_every=0)
    tile.update(torch.ones(2, IN), torch.ones(2, OUT), 0.1)
    tile.set_weights(torch.full((OUT, IN), 0.2))
    assert torch.count_nonzero(tile.chi) == 0 and tile.vec_count == 0 and tile.row_index == 0
    torch.testing.assert_close(tile.get_weights(), torch.full((OUT, IN), 0.2))
    names = tile.get_hidden_parameter_names()
    assert names[0] == "max_bound" and names[-1] == "hidden_weights_chi"
    with pytest.raises(ConfigError, match="n_x_bins"):
        mp_tile(n_x_bins=1)


def test_granularity_option() -> None:
    tile = mp_tile(granularity=0.004)
    assert tile.weight_granularity == 0.004
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_chi"] = torch.full((OUT, IN), 0.009)
    tile.set_hidden_parameters(hidden)
    tile.transfer()  # k = 2 quanta of 0.004 = 8 device steps each
    torch.testing.assert_close(tile.chi, torch.full((OUT, IN), 0.001), atol=1e-7, rtol=0)
    torch.testing.assert_close(tile.get_weights(), torch.full((OUT, IN), -0.008), atol=1e-6, rtol=0)


def test_unit_cell_as_analog_device() -> None:
    cell = OneSidedUnitCell(unit_cell_devices=[quiet()])
    cfg = DigitalRankUpdateRPUConfig(
        device=MixedPrecisionCompound(device=cell, construction_seed=3), forward=PERFECT
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        tile = create_tile(cfg, OUT, IN)
    names = tile.get_hidden_parameter_names()
    assert names[-1] == "hidden_weights_chi" and "hidden_weights_1" in names
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_chi"] = torch.full((OUT, IN), -0.0025)
    tile.set_hidden_parameters(hidden)
    tile.transfer()  # k = -2 everywhere: W increases by 2 steps, through g+ only
    torch.testing.assert_close(tile.get_weights(), torch.full((OUT, IN), 0.002), atol=1e-6, rtol=0)
    assert torch.count_nonzero(tile.inner.g_minus.weight) == 0
    state = tile.state_dict()
    with torch.random.fork_rng():
        torch.manual_seed(1)
        twin = create_tile(cfg, OUT, IN)
    twin.load_state_dict(state)
    x, d = torch.ones(2, IN), torch.ones(2, OUT)
    for t in (tile, twin):
        for _ in range(3):
            t.update(x, d, 0.01)
    assert torch.equal(tile.get_weights(), twin.get_weights())
    vector = MixedPrecisionCompound(device=VectorUnitCell(unit_cell_devices=[quiet(), quiet()]))
    tile = create_tile(DigitalRankUpdateRPUConfig(device=vector), OUT, IN)
    assert tile.weight_granularity == pytest.approx(0.001)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("start", "n"), [(0, 7), (2, 3), (5, 4), (6, 1)]
)  # every row; a consecutive block; a block that wraps around; one row
def test_cpu_transfer_bookkeeping_equals_the_torch_form(start, n, dtype) -> None:
    # The numpy bookkeeping of a CPU transfer must give bit for bit the torch form's steps
    # and remainder (the same correctly rounded element operations in chi's dtype), over
    # values spread across many multiples of an inexact granularity.
    from analogtrain.tiles.mixed_precision import _take_steps_cpu
    from analogtrain.tiles.transfer_schedule import cycle_indices

    gen = torch.Generator().manual_seed(4)
    chi = torch.randn(7, 9, generator=gen, dtype=dtype) * torch.logspace(-3, 1, 9, dtype=dtype)
    g = 0.0123
    rows = cycle_indices(start, n, 7)
    expected = chi.clone()
    index = torch.tensor(rows, dtype=torch.long)
    expected_steps = torch.trunc(expected[index] / g)
    expected[index] -= expected_steps * g
    steps, pulses, one_hot = _take_steps_cpu(chi, start, rows, g)
    assert torch.equal(steps, expected_steps)
    assert torch.equal(chi, expected)
    assert pulses == bool((expected_steps != 0).any())
    assert torch.equal(one_hot, torch.eye(7, dtype=dtype)[index])
