"""When transfer compounds transfer and which columns they read (spec compounds 3.5, 3.7)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ChoppedTransferCompound,
    ConstantStepDevice,
    IOParameters,
    TransferCompound,
    UnitCellRPUConfig,
)
from analogtrain.errors import ConfigError
from analogtrain.tiles import create_tile
from analogtrain.tiles.transfer_schedule import (
    auto_transfer_period,
    cycle_indices,
    firing_offsets,
    resolve_gamma_vec,
    resolve_transfer_every_vec,
    resolve_transfer_lr_vec,
    round_half_away,
    transfer_period,
)

OUT, IN = 3, 4


# ---------------------------------------------------------------------- pure functions
@pytest.mark.parametrize(
    ("every", "m", "units_in_mbatch", "expected"),
    [
        (1.0, 10, True, 10),
        (1.0, 10, False, 1),
        (0.5, 10, True, 5),
        (0.25, 10, True, 3),  # ceil(2.5)
        (2.5, 10, False, 3),  # C round: halves away from zero
        (3.0, 7, False, 3),
        (0.0, 10, True, 0),
        (-2.0, 10, False, 0),
    ],
)
def test_transfer_period(every: float, m: int, units_in_mbatch: bool, expected: int) -> None:
    assert transfer_period(every, m, units_in_mbatch) == expected


def test_round_half_away_and_auto_period() -> None:
    assert [round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, 2.4)] == [1, 2, 3, -1, 2]
    # n_states 1000, in_size 4, |transfer_every| 0.018: 4.5 -> floor (CUDA rule) = 4
    assert auto_transfer_period(-0.018, 1000.0, 4) == 4
    assert auto_transfer_period(-0.0001, 1000.0, 4) == 1  # at least 1


@pytest.mark.parametrize(
    ("count_before", "m", "period", "expected"),
    [
        (0, 10, 10, [9]),
        (3, 10, 4, [0, 4, 8]),
        (0, 5, 1, [0, 1, 2, 3, 4]),
        (7, 2, 10, []),
        (5, 5, 0, []),
    ],
)
def test_firing_offsets(count_before: int, m: int, period: int, expected: list[int]) -> None:
    assert firing_offsets(count_before, m, period) == expected


def test_resolved_vectors() -> None:
    assert resolve_gamma_vec(0.0, [], 2) == ([0.0, 1.0], True)
    assert resolve_gamma_vec(0.5, [], 3) == ([0.25, 0.5, 1.0], False)
    assert resolve_gamma_vec(0.0, [0.3, 1.0], 2) == ([0.3, 1.0], False)
    with pytest.raises(ConfigError, match="one entry per device"):
        resolve_gamma_vec(0.0, [1.0], 2)
    with pytest.raises(ConfigError, match="must not be 0"):
        resolve_gamma_vec(0.0, [1.0, 0.0], 2)
    assert resolve_transfer_lr_vec(0.5, [], 3) == [0.5, 0.5, 0.5]
    with pytest.raises(ConfigError, match="transfer_lr_vec"):
        resolve_transfer_lr_vec(0.5, [1.0], 2)
    # periods grow geometrically by out_size / n_reads; the last device never self-transfers
    assert resolve_transfer_every_vec(1.0, [], 3, 6, 2, True) == [1.0, 3.0, 0.0]
    assert resolve_transfer_every_vec(2.0, [], 2, 6, 1, False) == [2.0, 12.0]
    assert resolve_transfer_every_vec(1.0, [5.0, 7.0], 2, 6, 1, True) == [5.0, 7.0]
    assert cycle_indices(3, 3, 4) == [3, 0, 1]


# ---------------------------------------------------------------------- through a tile
def quiet() -> ConstantStepDevice:
    return ConstantStepDevice(
        dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0
    )


def transfer_tile(compound_cls=TransferCompound, n_devices: int = 2, **fields):
    compound = compound_cls(
        unit_cell_devices=[quiet() for _ in range(n_devices)],
        transfer_forward=IOParameters(is_perfect=True),
        **fields,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(UnitCellRPUConfig(device=compound), OUT, IN)


def record_reads(tile) -> list[tuple[int, list[int]]]:
    """Wrap the transfer read to record ``(device, indices)`` of every read (a chopped tile
    is set to its per-vector process, which reads through ``_read_slices``)."""
    reads: list[tuple[int, list[int]]] = []
    if hasattr(tile, "update_process"):
        tile.update_process = "per_vector"
    original = tile._read_slices

    def recording(k: int, indices):
        reads.append((k, list(indices)))
        return original(k, indices)

    tile._read_slices = recording
    return reads


def drive(tile, batch_sizes: list[int]) -> None:
    gen = torch.Generator().manual_seed(1)
    for m in batch_sizes:
        tile.update(torch.randn(m, IN, generator=gen), torch.randn(m, OUT, generator=gen), 0.1)


@pytest.mark.parametrize(
    ("units_in_mbatch", "every", "expected_columns"),
    [
        (True, 1.0, [0, 1, 2, 3]),  # once per call of 5
        (True, 2.0, [0, 1]),  # every 10 vectors
        (True, 0.5, [0, 1, 2, 3, 0, 1]),  # every ceil(2.5) = 3 vectors
        (False, 1.0, [i % IN for i in range(20)]),
        (False, 3.0, [0, 1, 2, 3, 0, 1]),  # counts 3, 6, ..., 18
        (False, 0.0, []),
    ],
)
def test_transfer_count_and_columns(
    units_in_mbatch: bool, every: float, expected_columns: list[int]
) -> None:
    tile = transfer_tile(units_in_mbatch=units_in_mbatch, transfer_every=every)
    reads = record_reads(tile)
    drive(tile, [5, 5, 5, 5])
    assert [k for k, _ in reads] == [0] * len(expected_columns)
    assert [idx[0] for _, idx in reads] == expected_columns
    assert tile.slice_index[0] == len(expected_columns) % IN
    assert tile.update_count == 20


def test_period_follows_current_batch_size() -> None:
    # units_in_mbatch: period = m of the current call; the count keeps running
    tile = transfer_tile(units_in_mbatch=True, transfer_every=1.0)
    reads = record_reads(tile)
    drive(tile, [4, 4, 3, 6])  # counts 4, 8 (period 4); 11 (period 3: 9 fires); 12..17 (6: 12)
    assert len(reads) == 4


def test_several_reads_per_transfer_wrap_around() -> None:
    tile = transfer_tile(units_in_mbatch=True, n_reads_per_transfer=3)
    reads = record_reads(tile)
    drive(tile, [2, 2, 2])
    assert [idx for _, idx in reads] == [[0, 1, 2], [3, 0, 1], [2, 3, 0]]
    assert tile.slice_index[0] == 1


def test_rows_mode_reads_rows() -> None:
    tile = transfer_tile(units_in_mbatch=False, transfer_columns=False)
    reads = record_reads(tile)
    drive(tile, [7])
    assert [idx[0] for _, idx in reads] == [0, 1, 2, 0, 1, 2, 0]  # cycles over OUT = 3 rows


def test_three_device_chain_periods() -> None:
    # device 1 transfers every transfer_every * OUT / n_reads = 3 vector updates
    tile = transfer_tile(n_devices=3, units_in_mbatch=False)
    reads = record_reads(tile)
    drive(tile, [6])
    assert [k for k, _ in reads] == [0, 0, 0, 1, 0, 0, 0, 1]
    assert tile.transfer_every_vec == [1.0, 3.0, 0.0]


def test_random_selection_stays_in_range() -> None:
    tile = transfer_tile(units_in_mbatch=False, random_selection=True)
    reads = record_reads(tile)
    drive(tile, [40])
    starts = [idx[0] for _, idx in reads]
    assert set(starts) == set(range(IN))  # 40 draws over 4 columns hit every one
    assert starts != [i % IN for i in range(40)]


def test_chopped_automatic_period() -> None:
    # n_states of the fast device = 1.2 / 0.001; |transfer_every| 0.0125 -> floor(3.75) = 3
    tile = transfer_tile(ChoppedTransferCompound, transfer_every=-0.0125)
    reads = record_reads(tile)
    drive(tile, [5, 5])
    assert len(reads) == 3  # counts 3, 6, 9
    with pytest.raises(ConfigError, match="units_in_mbatch"):
        transfer_tile(ChoppedTransferCompound, transfer_every=-1.0, units_in_mbatch=True)
