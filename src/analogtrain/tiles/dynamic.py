"""AGAD: chopped transfer with a dynamically estimated reference (spec compounds 3.8).

AGAD (Rasch, Carta, Fagbohungbe & Gokmen, "Fast and robust analog in-memory deep neural
network training", Nat. Commun. 15:7133, 2024) extends chopped TTv2: instead of thresholding
the demodulated read of the fast array ``A`` directly, it compares each read with a reference
``P_ref`` that is re-estimated on the fly. A running mean ``P`` follows the latest reads of a
column; when the column's chopper flips, ``P`` becomes the new reference, so during a chopper
phase the signal ``(A - P_ref) c`` is the gradient accumulated since the flip and any static
offset of ``A`` (its symmetry point, a reference mismatch) cancels::

    N    = max(ceil(1 / in_chop_prob), 2)                    passes per chopper phase
    beta = min(tail_weightening / N, 1)
    v    = READ(A, e_i)
    P_ref[:, i] = P[:, i]                                    if column i switched phase
    h    = H[:, i] + c_in[i] c_out (v - P_ref[:, i]) |lr_t| / bg
    n    = clamp(trunc(h), -S, S) where |h| >= 1; H as in c-TTv2 (optionally capped)
    P[:, i] = (1 - beta) P[:, i] + beta v
    C[:, i] += step g(C) n                                   once transfer_counter > N

The choppers flip regularly once per phase (in the last pass of a phase, all columns in the
same pass), and in addition at random with ``in_chop_prob`` if ``in_chop_random``. Writes
start after a warm-up of ``N + 1`` complete passes (aihwkit's CPU rule; its CUDA engine starts
about one pass earlier). Output choppers flip with ``out_chop_prob`` after each pass (the
CUDA behaviour; aihwkit's CPU engine never flips them here).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from analogtrain.configs.compounds import DynamicTransferCompound
from analogtrain.tiles.chopped import ChoppedTransferCompoundTile
from analogtrain.tiles.chopped_batch import Reads
from analogtrain.tiles.factory import register_tile
from analogtrain.tiles.transfer_rules import (
    ChopperRule,
    agad_reference,
    buffer_step,
    running_mean_step,
)

__all__ = ["DynamicTransferCompoundTile"]

_EXTRA_NAMES = (
    ("buffered_FP_weight", "buffer"),
    ("running_mean_weight", "running_mean"),
    ("past_mean_weight", "past_mean"),
)


@register_tile(DynamicTransferCompound)
class DynamicTransferCompoundTile(ChoppedTransferCompoundTile):
    """Tile of a :class:`~analogtrain.configs.DynamicTransferCompound` (AGAD).

    State beyond c-TTv2: ``running_mean`` (``P``), ``past_mean`` (``P_ref``), both
    ``[out, in]``, and the per-column flags ``switched [t_in]``.
    """

    def _extra_buffers(self, zeros: Tensor) -> dict[str, Tensor]:
        buffers = super()._extra_buffers(zeros)
        buffers["running_mean"] = zeros.clone()
        buffers["past_mean"] = zeros.clone()
        buffers["switched"] = torch.zeros(self.t_in, dtype=torch.bool, device=self.device)
        return buffers

    def _build_transfer_state(self) -> None:
        super()._build_transfer_state()
        cfg = self.rpu_config.device
        self._buffer_cap = float(cfg.transfer_update.desired_bl) * float(cfg.buffer_cap)

    @property
    def running_mean(self) -> Tensor:
        """``P``: running mean of the reads of ``A`` ``[out, in]``, no copy."""
        return self.chop_state.running_mean

    @property
    def past_mean(self) -> Tensor:
        """``P_ref``: the reference (``P`` at the column's last chopper flip), no copy."""
        return self.chop_state.past_mean

    @property
    def switched(self) -> Tensor:
        """Per-column flags: the chopper flipped since the column's last read."""
        return self.chop_state.switched

    @property
    def phase_length(self) -> int:
        """``N``: complete passes over the columns per chopper phase."""
        p = float(self.rpu_config.device.in_chop_prob)
        return ChopperRule.regular_period(p) if p > 0 else 2

    # ------------------------------------------------------------------ transfer rules
    def chopper_rule(self) -> ChopperRule:
        """Regular flips in the last pass of each phase of ``N`` passes, and in addition at
        random with ``in_chop_prob`` per read if ``in_chop_random``."""
        cfg = self.rpu_config.device
        p = float(cfg.in_chop_prob)
        return ChopperRule(self.phase_length, p if cfg.in_chop_random and p > 0 else 0.0)

    def note_in_flips(self, first: int, flips: Sequence[bool]) -> None:
        values = torch.tensor(list(flips), dtype=torch.bool, device=self.device)
        self._store_cyclic(self._switched_2d(), first, values.unsqueeze(1))

    def _buffer_step(self, h: Tensor) -> tuple[Tensor, Tensor]:
        bl, momentum, forget = self._buffer_rule
        return buffer_step(h, 1.0, bl, momentum, forget, cap=self._buffer_cap)

    def _mean_weight(self) -> float:
        """``beta = min(tail_weightening / N, 1)``: the running mean's weight of a new read."""
        return min(float(self.rpu_config.device.tail_weightening) / self.phase_length, 1.0)

    def _read_scales(self, counters: Sequence[int], lr: float) -> float | np.ndarray:
        """The factor of each read to threshold units: ``s``, or with
        ``experimental_correct_accumulation`` ``s / min(count % N + 1, 1 / g_A)`` per read."""
        s = self._buffer_scale(lr)
        if not self.rpu_config.device.experimental_correct_accumulation:
            return s
        passes = np.asarray(counters, dtype=np.int64) % self.phase_length + 1
        return s / np.minimum(passes, 1.0 / self.fast.granularity)

    def _writes(self, counters: Sequence[int]) -> np.ndarray:
        """Whether each read writes ``C``: after the warm-up of ``N + 1`` passes."""
        return np.asarray(counters, dtype=np.int64) > self.phase_length

    def transfer_round(self, reads: Reads, lr: float) -> Tensor:
        """The AGAD step of reads of distinct columns (see the module docstring): the
        reference taken at a chopper switch, the buffer step on ``v - P_ref``, the running
        mean, and no writes during the warm-up of ``N + 1`` passes."""
        first, n, values, counters = reads.first, reads.count, reads.values, reads.counters
        beta = self._mean_weight()
        switched = self._cyclic(self._switched_2d(), first, n)  # [n, 1]
        mean = self._cyclic(self.running_mean, first, n)
        reference = agad_reference(switched, mean, self._cyclic(self.past_mean, first, n))
        self._store_cyclic(self.past_mean, first, reference)
        scales = self._read_scales(counters, lr)
        h = reads.added_to(self._cyclic(self.buffer, first, n), values - reference, scales)
        n_steps, h = self._buffer_step(h)
        self._store_cyclic(self.buffer, first, h)
        self._store_cyclic(
            self.running_mean, first, running_mean_step(mean, values, 1.0 - beta, beta)
        )
        writes = self._writes(counters)
        if writes.all():
            return n_steps
        if not writes.any():
            return torch.zeros_like(n_steps)
        write = torch.from_numpy(writes).to(self.device)
        return torch.where(write.unsqueeze(1), n_steps, torch.zeros_like(n_steps))

    def compiled_reads(self, reads: Reads, flips: Sequence[bool], lr: float) -> Tensor | None:
        """The AGAD steps of all reads of a call at once, compiled (see the base class):
        :meth:`transfer_round` and :meth:`note_in_flips` over the rounds, bit for bit."""
        if self.device.type != "cpu":
            return None
        scales = np.broadcast_to(self._read_scales(reads.counters, lr), (reads.count,))
        bl, momentum, forget = self._buffer_rule
        return self._run_compiled_reads(
            reads,
            flips,
            scales,
            (1.0, bl, momentum, self._buffer_cap),
            forget,
            False,
            (self._mean_weight(), self._writes(reads.counters)),
        )

    def _switched_2d(self) -> Tensor:
        """``switched`` as a one-line ``[out, in]``-shaped view (``[1, t_in]`` for columns)."""
        return self.switched.unsqueeze(0 if self.transfer_columns else 1)

    # ------------------------------------------------------------------ hidden parameters
    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        out = self._array_hidden("_")
        for name, attr in _EXTRA_NAMES:
            out[name] = getattr(self, attr).detach().clone()
        return out

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        self._check_hidden_names(params)
        extras = {
            attr: self._check_weights(params[name], repr(name)) for name, attr in _EXTRA_NAMES
        }
        self._set_array_hidden(params, "_")
        for attr, value in extras.items():
            getattr(self, attr).copy_(value)
