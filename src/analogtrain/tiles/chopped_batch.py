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
   (:func:`~analogtrain.kernels.update.pulsed_update_capture`);
3. the analog reads of all captured columns in one MVM of ``captured^T`` with the identity
   (a one-hot read of column ``i`` sees only that column when the transfer IO has no input
   noise, IR drop or read asymmetry; otherwise the tile keeps its per-vector path);
4. the buffer / threshold / reference logic of all reads, vectorised over reads of distinct
   columns (rounds of at most ``in_size`` consecutive reads, in order);
5. one pulsed update of ``C`` with the one-hot rows ``e_{i_r}`` and ``-n_r`` of the reads
   that write, in read order.

Counters and chopper states end as after the per-vector process; results are equal in
distribution (bit-identical when nothing random is drawn). The per-vector process stays the
reference (backend ``"reference"``) and the fallback for the cases listed in
:func:`batched_path_applies`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from analogtrain.kernels.backend import get_backend
from analogtrain.kernels.io_threads import serial_torch_ops
from analogtrain.kernels.update import pulsed_update_capture
from analogtrain.tiles.io_states import stateful_mvm
from analogtrain.tiles.transfer_schedule import firing_offsets

#: methods of the per-vector process; replaced on an instance, they select that process
_PER_VECTOR_HOOKS = ("_transfer", "_read_slices", "_write_slices", "_fast_update", "_next_indices")

__all__ = ["batched_path_applies", "batched_update", "chopper_signs", "chopper_states"]


#: reads per one-hot MVM of the captured columns (bounds the identity's memory)
_READ_CHUNK = 256


def batched_path_applies(tile: Any) -> bool:
    """Whether ``tile`` may take the batched path (else its per-vector path runs).

    Needs the ``"auto"`` backend, column transfers with one read per transfer in sequence,
    and a transfer read in which a one-hot input sees only its own column (no input noise,
    IR drop or read asymmetry). A tile with a per-vector hook replaced on the instance (e.g.
    ``_transfer`` or ``_read_slices`` wrapped by a test that counts transfers or reads)
    keeps the per-vector process, which calls those hooks once per read.
    """
    if get_backend() != "auto" or not tile.transfer_columns or tile.n_reads != 1:
        return False
    if any(name in vars(tile) for name in _PER_VECTOR_HOOKS):
        return False
    cfg = tile.rpu_config.device
    if cfg.random_selection:
        return False
    io = tile.transfer_io
    if io.is_perfect:
        return True
    return io.inp_noise <= 0 and io.ir_drop <= 0 and io.w_read_asymmetry_dtod <= 0


def chopper_signs(bits: Tensor, dtype: torch.dtype) -> Tensor:
    """Chopper bits (False = +1, True = -1) as signs."""
    return 1.0 - 2.0 * bits.to(dtype)


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


def batched_update(tile: Any, x: Tensor, d: Tensor, lr: float) -> None:
    """One update call of ``m`` vectors of a chopped compound ``tile`` (see module docstring).

    The many small tensor operations of the call run on the calling thread
    (:func:`~analogtrain.kernels.io_threads.serial_torch_ops`)."""
    with serial_torch_ops():
        _batched_update(tile, x, d, lr)


def _batched_update(tile: Any, x: Tensor, d: Tensor, lr: float) -> None:
    m = x.shape[0]
    t_in, t_out = tile.t_in, tile.t_out
    gen = tile.generator
    period = tile._periods(m)[0]
    after = firing_offsets(tile.update_count, m, period)
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
    in_flips = tile._batch_in_flips(counters)
    flips_in = torch.zeros((n_reads, t_in), dtype=torch.bool, device=tile.device)
    if any(in_flips):
        rows = [r for r, f in enumerate(in_flips) if f]
        flips_in[rows, [cols[r] for r in rows]] = True
    flips_out = torch.zeros((n_reads, t_out), dtype=torch.bool, device=tile.device)
    p_out = float(tile.rpu_config.device.out_chop_prob)
    if p_out > 0:
        ends = [r for r, i in enumerate(cols) if i == t_in - 1]
        if ends:
            u = torch.rand(
                (len(ends), t_out), generator=gen, device=gen.device, dtype=torch.float64
            )
            flips_out[ends] = (u < p_out).to(tile.device)
    c_in = chopper_states(chopper_signs(tile.in_chopper, tile.dtype), flips_in)
    c_out = chopper_states(chopper_signs(tile.out_chopper, tile.dtype), flips_out)
    if n_reads and (bool(flips_in.any()) or bool(flips_out.any())):
        after_t = torch.tensor(after, dtype=torch.long, device=tile.device)
        phase = torch.searchsorted(after_t, torch.arange(m, device=tile.device))
        x_eff, d_eff = x * c_in[phase], d * c_out[phase]
    else:
        x_eff, d_eff = x * c_in[0], d * c_out[0]

    # 2. the fast update with the reads captured at the firing vectors
    lrs = tile._pulse_count_lrs(x, d, lr)
    rate: float | Tensor = lrs[0]
    if any(v != rate for v in lrs):
        rate = torch.tensor(lrs, dtype=torch.float64, device=tile.device)
    captured = pulsed_update_capture(
        tile.fast,
        x_eff,
        d_eff,
        rate,
        tile.rpu_config.update,
        gen,
        after,
        cols,
        granularity=tile.weight_granularity,
    )
    tile.update_count += m
    tile.slice_index[0] = (start + n_reads) % t_in
    tile.transfer_counter = count
    tile.in_chopper.copy_(c_in[-1] < 0)
    tile.out_chopper.copy_(c_out[-1] < 0)
    if n_reads == 0:
        return

    # 3. the reads as one-hot MVMs of the captured columns, in chunks (an identity of all
    # n_reads at once would cost n_reads**2 memory, e.g. for convolutions with many patches)
    chunks = []
    for r0 in range(0, n_reads, _READ_CHUNK):
        block = captured[r0 : r0 + _READ_CHUNK]  # [r, out]
        eye = torch.eye(block.shape[0], device=tile.device, dtype=tile.dtype)
        chunks.append(stateful_mvm(block.T, eye, tile.transfer_io, tile.transfer_io_state, gen))
    values = torch.cat(chunks) if len(chunks) > 1 else chunks[0]

    # 4. buffers in rounds of distinct columns
    col_t = torch.tensor(cols, dtype=torch.long, device=tile.device)
    read_in = c_in[torch.arange(n_reads, device=tile.device), col_t].tolist()
    steps, writes = [], []
    for r0 in range(0, n_reads, t_in):
        r1 = min(r0 + t_in, n_reads)
        n_steps, write = tile._batch_round(
            cols[r0:r1],
            values[r0:r1],
            read_in[r0:r1],
            c_out[r0:r1],
            counters[r0:r1],
            in_flips[r0:r1],
            lr,
        )
        steps.append(n_steps)
        writes.append(write & (n_steps != 0).any(dim=1))

    # 5. one pulsed write of the slow device
    n_all = torch.cat(steps)
    chosen = torch.cat(writes).nonzero().squeeze(1)
    if chosen.numel():
        cfg = tile.rpu_config.device
        g_c = tile.slow.granularity
        one_hot = tile._one_hot(col_t[chosen].tolist(), t_in)
        tile._write(
            tile.slow, one_hot, -n_all[chosen], float(cfg.step) * g_c, cfg.transfer_update, g_c
        )
