"""One update call of a chopped transfer compound as one batched update (spec compounds 3.12).

The chopped compounds (TTv2, c-TTv2, AGAD; :mod:`.chopped`, :mod:`.dynamic`) transfer after
every vector update by default. Done literally, one call of ``m`` vectors is ``m`` small
pulsed updates of the fast array ``A``, each followed by a one-column read, buffer step and
slow write. Because the slow array ``C`` is never read inside an update call, the same
process can be arranged as (aihwkit's CUDA engine does the same):

1. the schedule of the call from the counters: after which vector ``b_r`` read ``r`` happens,
   which column ``i_r`` it reads, the pass counter at that read, and every chopper flip (the
   random decisions drawn up front). The chopper signs while vector ``s`` is applied are the
   initial signs times the flips of the reads before it (cumulative products)::

       x_eff[s] = c_in^(s) * x[s],   d_eff[s] = c_out^(s) * d[s]

2. one pulsed update of ``A`` with the per-vector pulse-count rates, which records the
   apparent column ``A[:, i_r]`` right after vector ``b_r``
   (:func:`~analogtrain.kernels.update.pulsed.pulsed_update_capture`), and the analog reads of
   all captured columns in one MVM of ``captured^T`` with the identity. When a one-hot
   read also sees the other columns (the transfer IO has input noise, IR drop or read
   asymmetry), the update records all of ``A`` at each read instead (in segments that
   bound the memory) and each read is its own MVM of ``e_{i_r}`` on that copy;
3. the buffer / threshold / reference logic of all reads, vectorised over reads of distinct
   columns (rounds of at most ``in_size`` consecutive reads, in order);
4. one pulsed update of ``C`` with the one-hot rows ``e_{i_r}`` and ``-n_r`` of the reads
   that write, in read order.

Counters and chopper states end as after the per-vector process; results are equal in
distribution (bit-identical when nothing random is drawn). The per-vector process stays the
reference (backend ``"reference"`` or the tile's ``update_process = "per_vector"``) and
the process of the cases :func:`batched_path_reason` names.

The driver talks to the tile only through :class:`BatchedTransferTile`, the interface the
per-vector process of the tile uses as well, so each rule (rates, buffer step, chopper
flips, slow write) has one definition for both processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from analogtrain.kernels.io_threads import serial_torch_ops
from analogtrain.kernels.update.backend import get_backend
from analogtrain.tiles.transfer_rules import chopper_signs
from analogtrain.tiles.transfer_schedule import firing_offsets

__all__ = [
    "UPDATE_PROCESSES",
    "BatchedTransferTile",
    "Reads",
    "batched_path_applies",
    "batched_path_reason",
    "batched_update",
    "chopper_signs",
    "chopper_states",
]

#: the values of a chopped tile's ``update_process``
UPDATE_PROCESSES = ("auto", "batched", "per_vector")


@dataclass(frozen=True)
class Reads:
    """Transfer reads of distinct columns, in read order: the read columns ``cols``, the raw
    values ``[n, t_out]``, the input chopper sign of each read column ``c_in``, the output
    signs at each read ``c_out [n, t_out]`` and the pass counter at each read."""

    cols: Sequence[int]
    values: Tensor
    c_in: Sequence[float]
    c_out: Tensor
    counters: Sequence[int]

    def demodulated(self, values: Tensor, scales: Sequence[float]) -> Tensor:
        """``c_in[r] scales[r] c_out[r] * values[r]`` for each read ``r``."""
        coef = [c * s for c, s in zip(self.c_in, scales)]
        coef_t = torch.tensor(coef, dtype=values.dtype, device=values.device).unsqueeze(1)
        return coef_t * self.c_out * values


class BatchedTransferTile(Protocol):
    """What the batched process needs of a chopped compound tile (two devices, column
    transfers of one read each); see :class:`~analogtrain.tiles.chopped.
    ChoppedTransferCompoundTile` for the meaning of each member."""

    t_in: int
    t_out: int
    n_reads: int
    transfer_columns: bool
    update_count: int
    slice_index: list[int]
    transfer_counter: int
    update_process: str
    device: torch.device
    dtype: torch.dtype

    @property
    def in_chopper(self) -> Tensor: ...

    @property
    def out_chopper(self) -> Tensor: ...

    def read_period(self, m: int) -> int: ...

    def pulse_count_rates(self, x: Tensor, d: Tensor, lr: float) -> list[float]: ...

    def in_chopper_flips(self, counters: Sequence[int]) -> list[bool]: ...

    def note_in_flips(self, cols: Sequence[int], flips: Sequence[bool]) -> None: ...

    def out_chopper_flips(self, n_passes: int) -> Tensor: ...

    def fast_update_reads(
        self, x: Tensor, d: Tensor, rate: float | Tensor, after: Sequence[int], cols: Sequence[int]
    ) -> Tensor: ...

    def transfer_round(self, reads: Reads, lr: float) -> Tensor: ...

    def write_slow(self, cols: Sequence[int], steps: Tensor) -> None: ...


def batched_path_reason(tile: BatchedTransferTile) -> str | None:
    """Why ``tile`` cannot take the batched process now, or None when it can.

    It needs the ``"auto"`` backend, ``update_process`` other than ``"per_vector"`` and
    column transfers with one read per transfer (in sequence: the chopped compounds reject
    ``random_selection``).
    """
    if tile.update_process == "per_vector":
        return "update_process='per_vector'"
    if get_backend() != "auto":
        return f"backend {get_backend()!r}"
    if not tile.transfer_columns:
        return "transfer_columns=False"
    if tile.n_reads != 1:
        return f"n_reads_per_transfer={tile.n_reads}"
    return None


def batched_path_applies(tile: BatchedTransferTile) -> bool:
    """Whether ``tile`` takes the batched process now (:func:`batched_path_reason` is None)."""
    return batched_path_reason(tile) is None


def chopper_states(initial: Tensor, flips: Tensor) -> Tensor:
    """Chopper signs before each read and after the last: ``[R + 1, n]``.

    ``initial [n]`` are the signs (+-1) before the call, ``flips [R, n]`` bool the flips
    right after read ``r``; row ``k`` is ``initial`` times the flips of reads ``0..k-1``.
    """
    # Flips are rare: the signs only change at the reads with a flip, so the product runs over
    # those rows alone and each output row picks the state after the last flip before it.
    n_reads = flips.shape[0]
    rows = flips.any(dim=1).nonzero().squeeze(1)  # reads with at least one flip, ascending
    factors = torch.where(flips[rows], -1.0, 1.0).to(initial.dtype)
    table = torch.cat([initial.unsqueeze(0), initial.unsqueeze(0) * torch.cumprod(factors, dim=0)])
    before = torch.arange(n_reads + 1, device=flips.device)
    return table[torch.searchsorted(rows, before)]  # number of flip rows before each row


def batched_update(tile: BatchedTransferTile, x: Tensor, d: Tensor, lr: float) -> None:
    """One update call of ``m`` vectors of a chopped compound ``tile`` (see module docstring).

    The many small tensor operations of the call run on the calling thread
    (:func:`~analogtrain.kernels.io_threads.serial_torch_ops`)."""
    with serial_torch_ops():
        _batched_update(tile, x, d, lr)


def _batched_update(tile: BatchedTransferTile, x: Tensor, d: Tensor, lr: float) -> None:
    m = x.shape[0]
    t_in, t_out = tile.t_in, tile.t_out
    after = firing_offsets(tile.update_count, m, tile.read_period(m))
    n_reads = len(after)
    start = tile.slice_index[0]
    cols = [(start + r) % t_in for r in range(n_reads)]
    counters = []
    count = tile.transfer_counter
    for i in cols:
        counters.append(count)
        if i == t_in - 1:
            count += 1

    # 1. chopper flips of the whole call and the signs of every vector
    in_flips = tile.in_chopper_flips(counters)
    flips_in = torch.zeros((n_reads, t_in), dtype=torch.bool, device=tile.device)
    if any(in_flips):
        rows = [r for r, f in enumerate(in_flips) if f]
        flips_in[rows, [cols[r] for r in rows]] = True
    flips_out = torch.zeros((n_reads, t_out), dtype=torch.bool, device=tile.device)
    ends = [r for r, i in enumerate(cols) if i == t_in - 1]
    if ends:
        flips_out[ends] = tile.out_chopper_flips(len(ends))
    c_in = chopper_states(chopper_signs(tile.in_chopper, tile.dtype), flips_in)
    c_out = chopper_states(chopper_signs(tile.out_chopper, tile.dtype), flips_out)
    if n_reads and (bool(flips_in.any()) or bool(flips_out.any())):
        after_t = torch.tensor(after, dtype=torch.long, device=tile.device)
        phase = torch.searchsorted(after_t, torch.arange(m, device=tile.device))
        x_eff, d_eff = x * c_in[phase], d * c_out[phase]
    else:
        x_eff, d_eff = x * c_in[0], d * c_out[0]

    # 2. the fast update with the reads taken at the firing vectors
    lrs = tile.pulse_count_rates(x, d, lr)
    rate: float | Tensor = lrs[0]
    if any(v != rate for v in lrs):
        rate = torch.tensor(lrs, dtype=torch.float64, device=tile.device)
    values = tile.fast_update_reads(x_eff, d_eff, rate, after, cols)
    tile.update_count += m
    tile.slice_index[0] = (start + n_reads) % t_in
    tile.transfer_counter = count
    tile.in_chopper.copy_(c_in[-1] < 0)
    tile.out_chopper.copy_(c_out[-1] < 0)
    if n_reads == 0:
        return

    # 3. buffers in rounds of distinct columns
    col_t = torch.tensor(cols, dtype=torch.long, device=tile.device)
    read_in = c_in[torch.arange(n_reads, device=tile.device), col_t].tolist()
    steps = []
    for r0 in range(0, n_reads, t_in):
        r1 = min(r0 + t_in, n_reads)
        reads = Reads(cols[r0:r1], values[r0:r1], read_in[r0:r1], c_out[r0:r1], counters[r0:r1])
        steps.append(tile.transfer_round(reads, lr))
        tile.note_in_flips(cols[r0:r1], in_flips[r0:r1])

    # 4. one pulsed write of the slow device
    tile.write_slow(cols, torch.cat(steps))
