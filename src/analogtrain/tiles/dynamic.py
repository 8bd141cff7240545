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

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from analogtrain.configs.compounds import DynamicTransferCompound
from analogtrain.tiles.chopped import ChoppedTransferCompoundTile, chopper_signs
from analogtrain.tiles.factory import register_tile

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
        return max(math.ceil(1.0 / p), 2) if p > 0 else 2

    def _transfer(self, k: int, k_to: int, lr: float) -> None:
        if k != 0:
            return
        cfg = self.rpu_config.device
        i = self._next_indices(0)[0]
        n_phase = self.phase_length
        kk = self.transfer_counter % n_phase + 1  # pass number inside the phase
        beta = min(float(cfg.tail_weightening) / n_phase, 1.0)
        switched = bool(self.switched[i])
        self.switched[i] = False
        s = self._buffer_scale(lr)
        if cfg.experimental_correct_accumulation:
            s /= min(kk, 1.0 / self.fast.granularity)
        cap = float(cfg.transfer_update.desired_bl) * float(cfg.buffer_cap)

        v = self._read_slices(0, [i])[0]  # [t_out], raw
        mean = self._column(self.running_mean, i)
        if switched:
            self._set_column(self.past_mean, i, mean)
        reference = self._column(self.past_mean, i)
        c_in = -1.0 if bool(self.in_chopper[i]) else 1.0
        c_out = chopper_signs(self.out_chopper, self.dtype)
        h = self._column(self.buffer, i) + (c_in * s) * c_out * (v - reference)
        n_steps, crossed = self._threshold(h)
        momentum = float(cfg.momentum)
        if cfg.forget_buffer:
            kept = momentum * h
        else:
            kept = h - (1.0 - momentum) * n_steps  # momentum not clamped here (as aihwkit)
            if cap > 0:
                kept = kept.clamp(-cap, cap)
        self._set_column(self.buffer, i, torch.where(crossed, kept, h))
        self._set_column(self.running_mean, i, (1.0 - beta) * mean + beta * v)
        if self.transfer_counter > n_phase:  # warm-up: the first N + 1 passes never write
            self._write_steps(i, n_steps)

        flip = kk == n_phase
        p = float(cfg.in_chop_prob)
        if cfg.in_chop_random and p > 0 and self._uniform() < p:
            flip = True
        if flip:
            self.in_chopper[i] = ~self.in_chopper[i]
            self.switched[i] = True
        if i == self.t_in - 1:
            self._flip_out_choppers()
            self.transfer_counter += 1

    # ------------------------------------------------------------------ batched transfers
    def _batch_in_flips(self, counters: Sequence[int]) -> list[bool]:
        cfg = self.rpu_config.device
        n_phase = self.phase_length
        flips = [count % n_phase + 1 == n_phase for count in counters]
        p = float(cfg.in_chop_prob)
        if cfg.in_chop_random and p > 0 and counters:
            flips = [f or u < p for f, u in zip(flips, self._uniforms(len(counters)))]
        return flips

    def _batch_round(
        self,
        cols: Sequence[int],
        values: Tensor,
        c_in: Sequence[float],
        c_out: Tensor,
        counters: Sequence[int],
        flips: Sequence[bool],
        lr: float,
    ) -> tuple[Tensor, Tensor]:
        """:meth:`_transfer` for reads of distinct columns at once (see the base method)."""
        cfg = self.rpu_config.device
        dev = self.device
        n_phase = self.phase_length
        beta = min(float(cfg.tail_weightening) / n_phase, 1.0)
        s = self._buffer_scale(lr)
        scales = [s] * len(cols)
        if cfg.experimental_correct_accumulation:
            g_a = self.fast.granularity
            scales = [s / min(count % n_phase + 1, 1.0 / g_a) for count in counters]
        cap = float(cfg.transfer_update.desired_bl) * float(cfg.buffer_cap)
        idx = torch.tensor(list(cols), dtype=torch.long, device=dev)
        switched = self.switched[idx].unsqueeze(1)
        self.switched[idx] = torch.tensor(list(flips), dtype=torch.bool, device=dev)
        mean = self.running_mean[:, idx].T
        reference = torch.where(switched, mean, self.past_mean[:, idx].T)
        self.past_mean[:, idx] = reference.T
        coef = torch.tensor([c * v for c, v in zip(c_in, scales)], dtype=self.dtype, device=dev)
        h = self.buffer[:, idx].T + coef.unsqueeze(1) * c_out * (values - reference)
        n_steps, crossed = self._threshold(h)
        momentum = float(cfg.momentum)
        if cfg.forget_buffer:
            kept = momentum * h
        else:
            kept = h - (1.0 - momentum) * n_steps  # momentum not clamped here (as aihwkit)
            if cap > 0:
                kept = kept.clamp(-cap, cap)
        self.buffer[:, idx] = torch.where(crossed, kept, h).T
        self.running_mean[:, idx] = ((1.0 - beta) * mean + beta * values).T
        write = torch.tensor([count > n_phase for count in counters], dtype=torch.bool, device=dev)
        return n_steps, write

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
