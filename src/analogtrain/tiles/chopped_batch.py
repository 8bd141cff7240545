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
   bound the memory) and the reads of a segment are one compiled MVM of ``e_{i_r}`` on the
   stack of those copies;
3. the buffer / threshold / reference logic of all reads: on a CPU tile one compiled loop over
   the reads in order (:meth:`compiled_reads`, through the scalar rules of
   :mod:`.transfer_rules`); elsewhere in torch, vectorised over reads of distinct columns
   (rounds of consecutive reads that end at the last column, in order, so that each round
   works on one slice of the tile's buffers);
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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from analogtrain.errors import ArgumentError
from analogtrain.kernels.io_threads import serial_torch_ops
from analogtrain.kernels.update.backend import get_backend
from analogtrain.tiles.transfer_rules import buffer_input, chopper_signs
from analogtrain.tiles.transfer_schedule import firing_offsets_array

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

#: input-chopper flips per call up to which the chopped inputs are corrected flip by flip
#: (one in-place sign change each) instead of through the table of every chopper state, where
#: the compiled pass does not chop them (a CUDA tile, or no numba)
_FEW_FLIPS = 8


@dataclass(frozen=True)
class Reads:
    """Transfer reads of distinct columns, in read order.

    The columns are the cyclic range ``first, first + 1, ...`` (modulo the tile's ``t_in``);
    ``values`` are the raw reads ``[n, t_out]``; ``signs`` the demodulation signs of each read,
    ``c_in`` of the read column times ``c_out`` at the read, broadcastable to ``values``
    (None: all +1); ``counters`` the pass counter at each read.
    """

    first: int
    values: Tensor
    signs: Tensor | None
    counters: Sequence[int]

    @property
    def count(self) -> int:
        """Number of reads."""
        return int(self.values.shape[0])

    def added_to(
        self, h: Tensor | float, values: Tensor, scales: float | Sequence[float]
    ) -> Tensor:
        """The buffer ``h`` plus the demodulated reads: ``h + scales[r] c_in[r] c_out[r]
        values[r]`` for each read ``r`` (:func:`~analogtrain.tiles.transfer_rules.buffer_input`;
        ``scales``: one factor for all reads, or one per read; ``h = 0.0`` for no buffer)."""
        if isinstance(scales, (int, float)):
            factor: float | Tensor = float(scales)
        else:
            factor = torch.tensor(list(scales), dtype=values.dtype, device=values.device)
            factor = factor.unsqueeze(1)
        return buffer_input(h, 1.0 if self.signs is None else self.signs, factor, values)


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

    def pulse_count_rates(self, x: Tensor, d: Tensor, lr: float) -> np.ndarray: ...

    def in_chopper_flips(self, counters: Sequence[int]) -> np.ndarray: ...

    def note_in_flips(self, first: int, flips: Sequence[bool]) -> None: ...

    def out_chopper_flips(self, n_passes: int) -> Tensor | None: ...

    def fast_update_reads(
        self, x: Tensor, d: Tensor, rate: float | Tensor, after: Sequence[int], cols: Sequence[int]
    ) -> Tensor: ...

    def transfer_round(self, reads: Reads, lr: float) -> Tensor: ...

    def compiled_reads(self, reads: Reads, flips: Sequence[bool], lr: float) -> Tensor | None: ...

    def write_slow(self, first: int, steps: Tensor) -> None: ...


def batched_path_reason(tile: BatchedTransferTile) -> str | None:
    """Why ``tile`` cannot take the batched process now, or None when it can.

    It needs the ``"auto"`` backend, ``update_process`` other than ``"per_vector"`` and
    column transfers with one read per transfer (in sequence: the chopped compounds reject
    ``random_selection``).
    """
    if tile.update_process == "per_vector":
        return "update_process='per_vector'"
    backend = get_backend()
    if backend != "auto":
        return f"backend {backend!r}"
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


@dataclass
class _Schedule:
    """The reads of one call: after which vector each happens (``after``, int64, increasing),
    the first column ``start`` (read ``r`` reads column ``(start + r) % t_in``) and the call's
    size ``m``."""

    after: np.ndarray
    start: int
    t_in: int
    m: int
    _phase: Tensor | None = None

    @property
    def n_reads(self) -> int:
        return len(self.after)

    def col(self, r: int) -> int:
        return (self.start + r) % self.t_in

    def phase(self, device: torch.device) -> Tensor:
        """For each vector, the number of reads before it ``[m]`` (long)."""
        if self._phase is None:
            after = torch.from_numpy(self.after).to(device)
            self._phase = torch.searchsorted(after, torch.arange(self.m, device=device))
        return self._phase


def _in_side(
    tile: BatchedTransferTile, x: Tensor, sched: _Schedule, flips: Sequence[bool]
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """The chopped inputs ``x_eff``, the input sign of the read column at each read ``[R]``
    (None: all +1) and the input signs after the call (None: unchanged).

    On a CPU tile all three come from one compiled pass over the vectors and the reads
    (:func:`~analogtrain.kernels.update.cpu.transfer_kernels.chopped_call`). Elsewhere the
    signs are products of +-1 (exact in any dtype) formed in numpy, and the inputs are
    chopped in torch: flip by flip for a few flips, else through a table of sign states."""
    bits = _numpy_bits(tile.in_chopper)
    flips = np.asarray(flips, dtype=np.bool_)
    any_flip = bool(flips.any())
    if not any_flip and not bits.any():
        return x, None, None
    signs = 1.0 - 2.0 * bits  # float64 +-1
    t_in, start, n_reads = sched.t_in, sched.start, sched.n_reads
    kernel = _call_kernel() if tile.device.type == "cpu" and tile.dtype in _NP_DTYPES else None
    if kernel is not None:
        x_np = np.ascontiguousarray(x.detach().numpy())
        x_eff = torch.empty_like(x, memory_format=torch.contiguous_format)
        per_read, final = np.empty(n_reads), np.empty(t_in)
        kernel(x_np, signs, flips, sched.after, start, x_eff.numpy(), per_read, final)
        final_t = _as_tensor(final, tile) if any_flip else None
        return x_eff, _as_tensor(per_read, tile), final_t
    flipped = np.flatnonzero(flips)
    rows = -(-(start + n_reads) // t_in)
    if flipped.size == 0:
        per_read = np.tile(signs, rows)[start : start + n_reads]
        return x * _as_tensor(signs, tile), _as_tensor(per_read, tile), None
    # Read r sits in cell start + r of a grid of rows of t_in columns; the reads of one column
    # are one grid column, so its signs are a cumulative product down the grid.
    factor = np.ones(rows * t_in)
    factor[start + flipped] = -1.0
    after_row = factor.reshape(rows, t_in).cumprod(axis=0)
    before_row = np.concatenate([np.ones((1, t_in)), after_row[:-1]])
    per_read = (before_row * signs).reshape(-1)[start : start + n_reads]
    final = _as_tensor(after_row[-1] * signs, tile)
    signs_t = _as_tensor(signs, tile)
    if flipped.size <= _FEW_FLIPS:
        x_eff = x * signs_t
        for r in flipped.tolist():  # the inputs after a flip see the column's other sign
            b = int(sched.after[r]) + 1
            if b < sched.m:
                x_eff[b:, sched.col(r)].neg_()
        return x_eff, _as_tensor(per_read, tile), final
    table = torch.zeros((n_reads, t_in), dtype=torch.bool, device=tile.device)
    table[flipped.tolist(), ((start + flipped) % t_in).tolist()] = True
    states = chopper_states(signs_t, table)
    return x * states[sched.phase(tile.device)], _as_tensor(per_read, tile), final


def _numpy_bits(bits: Tensor) -> np.ndarray:
    """Chopper bits as a numpy bool array (a view on the CPU)."""
    return bits.numpy() if bits.device.type == "cpu" else bits.cpu().numpy()


def _call_kernel() -> Callable[..., None] | None:
    """The compiled chopping of a call's inputs
    (:func:`~analogtrain.kernels.update.cpu.transfer_kernels.chopped_call`), or None where
    numba is unusable: the inputs are then chopped in torch, with the same result (the
    compiled buffer loop says that numba is missing)."""
    from analogtrain.tiles.chopped import transfer_kernels  # chopped imports this module

    module = transfer_kernels()
    return None if module is None else module.chopped_call  # type: ignore[no-any-return]


def _as_tensor(values: np.ndarray, tile: BatchedTransferTile) -> Tensor:
    """A numpy array of signs as a tensor in the tile's dtype, on its device."""
    np_dtype = _NP_DTYPES.get(tile.dtype)
    if np_dtype is not None and tile.device.type == "cpu":  # the same cast, in fewer steps
        return torch.from_numpy(values.astype(np_dtype, copy=False))
    return torch.from_numpy(values).to(device=tile.device, dtype=tile.dtype)


_NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def _out_side(
    tile: BatchedTransferTile, d: Tensor, sched: _Schedule, flips: Tensor | None
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """The chopped errors ``d_eff``, the output signs at each read (``[R, t_out]`` or
    ``[1, t_out]``; None: all +1) and the output signs after the call (None: unchanged).
    ``flips`` are the flips at the end of each complete pass of the call."""
    bits = tile.out_chopper
    if flips is not None and bool(flips.any()):
        signs = chopper_signs(bits, tile.dtype)
        table = torch.zeros((sched.n_reads, tile.t_out), dtype=torch.bool, device=tile.device)
        ends = range(sched.t_in - 1 - sched.start, sched.n_reads, sched.t_in)
        table[list(ends)] = flips
        states = chopper_states(signs, table)
        return d * states[sched.phase(tile.device)], states[:-1], states[-1]
    bits_np = _numpy_bits(bits)
    if not bits_np.any():
        return d, None, None
    if tile.device.type == "cpu" and tile.dtype in _NP_DTYPES:  # exact products with +-1
        d_np = d.detach().numpy()
        signs_np = 1.0 - 2.0 * bits_np.astype(d_np.dtype)
        signs = torch.from_numpy(signs_np)
        return torch.from_numpy(d_np * signs_np), signs.unsqueeze(0).expand(sched.n_reads, -1), None
    signs = chopper_signs(bits, tile.dtype)
    return d * signs, signs.unsqueeze(0).expand(sched.n_reads, -1), None


def batched_update(tile: BatchedTransferTile, x: Tensor, d: Tensor, lr: float) -> None:
    """One update call of ``m`` vectors of a chopped compound ``tile`` (see module docstring).

    The many small tensor operations of the call run on the calling thread
    (:func:`~analogtrain.kernels.io_threads.serial_torch_ops`)."""
    with serial_torch_ops():
        _batched_update(tile, x, d, lr)


def _batched_update(tile: BatchedTransferTile, x: Tensor, d: Tensor, lr: float) -> None:
    m = x.shape[0]
    t_in = tile.t_in
    sched = _Schedule(firing_offsets_array(tile.update_count, m, tile.read_period(m)),
                      tile.slice_index[0], t_in, m)  # fmt: skip
    n_reads, start = sched.n_reads, sched.start
    count0 = tile.transfer_counter
    positions = start + np.arange(n_reads)
    counters = count0 + positions // t_in  # the pass counter at each read
    n_passes = (start + n_reads) // t_in  # passes completed in this call

    # 1. chopper flips of the whole call (drawn up front) and the signs of every vector
    in_flips = tile.in_chopper_flips(counters)
    out_flips = tile.out_chopper_flips(n_passes) if n_passes else None
    x_eff, read_in, final_in = _in_side(tile, x, sched, in_flips)
    d_eff, read_out, final_out = _out_side(tile, d, sched, out_flips)

    # 2. the fast update with the reads taken at the firing vectors
    lrs = tile.pulse_count_rates(x, d, lr)
    rates = np.asarray(lrs, dtype=np.float64)
    if not np.isfinite(rates).all():  # (the fast update below takes them unchecked)
        raise ArgumentError(f"the fast update's pulse-count rates are not all finite: {rates}")
    rate: float | Tensor = float(rates[0])
    if (rates != rate).any():
        rate = torch.from_numpy(rates).to(tile.device)
    cols = positions % t_in
    values = tile.fast_update_reads(x_eff, d_eff, rate, sched.after, cols)
    tile.update_count += m
    tile.slice_index[0] = (start + n_reads) % t_in
    tile.transfer_counter = count0 + n_passes
    if final_in is not None:
        tile.in_chopper.copy_(final_in < 0)
    if final_out is not None:
        tile.out_chopper.copy_(final_out < 0)
    if n_reads == 0:
        return

    # 3. buffers in rounds of distinct columns
    if read_in is None:
        signs = read_out
    elif read_out is None:
        signs = read_in.unsqueeze(1)
    else:
        signs = read_in.unsqueeze(1) * read_out
    steps = tile.compiled_reads(Reads(start, values, signs, counters), in_flips, lr)
    if steps is not None:
        tile.write_slow(start, steps)
        return
    steps = []
    r0 = 0
    while r0 < n_reads:  # rounds end at the last column: each is one slice of the buffers
        first = (start + r0) % t_in
        r1 = min(r0 + t_in - first, n_reads)
        part = signs[r0:r1] if signs is not None else None
        steps.append(tile.transfer_round(Reads(first, values[r0:r1], part, counters[r0:r1]), lr))
        tile.note_in_flips(first, in_flips[r0:r1])
        r0 = r1

    # 4. one pulsed write of the slow device
    tile.write_slow(start, steps[0] if len(steps) == 1 else torch.cat(steps))
