"""TTv2 and chopped TTv2 (c-TTv2): a fast device with sign choppers, a digital buffer, a slow
device (spec compounds 3.7).

The fast array ``A`` accumulates the gradient with chopper signs ``c_in`` (per column) and
``c_out`` (per row) applied to the update (Rasch, Carta, Fagbohungbe & Gokmen, "Fast and
robust analog in-memory deep neural network training", Nat. Commun. 15:7133, 2024)::

    A <- A - lr_c (c_out * d)(c_in * x)^T

Every transfer reads one column ``i`` of ``A`` (analog MVM of ``e_i``), demodulates it with
the same signs and accumulates it in a digital buffer ``H`` measured in units of the
threshold ``bg = buffer_granularity * g(A)``::

    h = H[:, i] + c_in[i] c_out * READ(A, e_i) * |lr_t| / bg
    n = clamp(trunc(h), -S, S) where |h| >= 1          (S = transfer_update.desired_bl)
    H[:, i] = momentum h (forget_buffer) or h - (1 - momentum) n
    C[:, i] += step g(C) n                               (pulsed, transfer_update)

A static offset of ``A`` (e.g. its symmetry point) changes sign with the chopper and averages
out of ``H``, while the chopped gradient does not. Without choppers (``in_chop_prob = 0``,
``build_config("ttv2")``) this is TTv2. With ``auto_scale`` the fast rate is normalised by
running abs-max estimates ``m_x``, ``m_d`` of the inputs so that the largest recent
``|x| |d|`` pair makes ``fast_lr * desired_bl`` expected pulses::

    lr_c = fast_lr * desired_bl * g(A) / (m_x m_d)

Semantics chosen where aihwkit's CPU and CUDA engines differ (listed on the "Differences
from aihwkit" page): transfers happen at the exact vector counts; ``m_x``, ``m_d`` follow
the CPU statistics (per vector, current vector included before ``lr_c``), which makes the
stored ``count_lr`` equal ``fast_lr * desired_bl * g(A) / (m_x m_d)`` after every call; the
regular chopper period is the CPU one (``max(ceil(1 / in_chop_prob), 2)`` passes, flipping in
the last pass of each period); ``transfer_every < 0`` uses the CUDA ``floor``.

An update call runs as one batched update (:mod:`.chopped_batch`: reads captured inside one
fast update at the same vector counts, buffers and slow writes after it, spec 3.12); the
per-vector process below is the reference and the fallback.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.compounds import ChoppedTransferCompound
from analogtrain.errors import ConfigError, NotSimulatedError
from analogtrain.tiles.chopped_batch import batched_path_applies, batched_update, chopper_signs
from analogtrain.tiles.factory import register_tile
from analogtrain.tiles.io_states import TensorState
from analogtrain.tiles.transfer import TransferCompoundTile
from analogtrain.tiles.transfer_schedule import auto_transfer_period, transfer_period

__all__ = ["ChoppedTransferCompoundTile", "chopper_signs", "auto_scale_ema"]


def auto_scale_ema(running: float, value: float, m: int, momentum: float) -> float:
    """Running estimate of the chopped compounds' ``auto_scale`` statistics (spec 3.7).

    The first positive value initialises it; zeros are skipped; otherwise
    ``(1 - tau) running + tau value`` with ``tau = (1 - momentum) / m``.
    """
    if running <= 0.0:
        return value
    if value <= 0.0:
        return running
    tau = (1.0 - momentum) / m
    return (1.0 - tau) * running + tau * value


@register_tile(ChoppedTransferCompound)
class ChoppedTransferCompoundTile(TransferCompoundTile):
    """Tile of a :class:`~analogtrain.configs.ChoppedTransferCompound` (TTv2 / c-TTv2).

    State beyond TTv1: chopper bits ``in_chopper [t_in]``, ``out_chopper [t_out]`` (columns
    mode: per column and per row of the weight), the buffer ``H`` (``buffered_FP_weight_0``),
    ``m_x``, ``m_d``, ``d_sparsity``, ``transfer_counter`` (completed passes over all
    columns) and ``count_lr`` (the last fast pulse-count rate).
    """

    # ------------------------------------------------------------------ construction
    def _check_devices(self, cfg: Any, n: int) -> None:
        name = "ChoppedTransferCompound"
        if n != 2:
            raise ConfigError(f"Only 2 devices supported for {name}, got {n}")
        if cfg.n_reads_per_transfer != 1:
            raise ConfigError(
                f"{name} supports only 1 read per transfer, got n_reads_per_transfer="
                f"{cfg.n_reads_per_transfer!r}"
            )
        if cfg.random_selection:
            raise NotSimulatedError(f"{name} with random_selection=True is not simulated")
        if cfg.with_reset_prob != 0.0:
            raise NotSimulatedError(
                f"{name} with with_reset_prob={cfg.with_reset_prob!r} is not simulated"
            )
        if cfg.transfer_every < 0 and cfg.units_in_mbatch:
            raise ConfigError(
                f"{name}: transfer_every={cfg.transfer_every!r} < 0 (automatic) needs "
                "units_in_mbatch=False"
            )

    def _build_transfer_state(self) -> None:
        dev = self.device
        zeros = torch.zeros((self.out_size, self.in_size), device=dev, dtype=self.dtype)
        self.chop_state = TensorState(self._extra_buffers(zeros))
        self.m_x = 0.0
        self.m_d = 0.0
        self.d_sparsity = 0.0
        self.transfer_counter = 0
        self.count_lr = 1.0

    def _extra_buffers(self, zeros: Tensor) -> dict[str, Tensor]:
        dev = self.device
        return {
            "in_chopper": torch.zeros(self.t_in, dtype=torch.bool, device=dev),
            "out_chopper": torch.zeros(self.t_out, dtype=torch.bool, device=dev),
            "buffer": zeros.clone(),
        }

    @property
    def in_chopper(self) -> Tensor:
        """Input chopper bits ``[t_in]`` (True = sign -1), no copy."""
        return self.chop_state.in_chopper

    @property
    def out_chopper(self) -> Tensor:
        """Output chopper bits ``[t_out]`` (True = sign -1), no copy."""
        return self.chop_state.out_chopper

    @property
    def buffer(self) -> Tensor:
        """The digital transfer buffer ``H`` ``[out, in]`` (threshold units), no copy."""
        return self.chop_state.buffer

    # ------------------------------------------------------------------ fast update
    def _periods(self, m: int) -> list[int]:
        cfg = self.rpu_config.device
        every = self.transfer_every_vec[0]
        if every < 0:
            first = auto_transfer_period(every, self.fast.n_states, self.t_in)
        else:
            first = transfer_period(every, m, bool(cfg.units_in_mbatch))
        return [first, 0]  # the slow device never transfers (two devices only)

    def _pulse_count_lrs(self, x: Tensor, d: Tensor, lr: float) -> list[float]:
        cfg = self.rpu_config.device
        up = self.rpu_config.update
        m = x.shape[0]
        fast_lr = float(cfg.fast_lr)
        if up.d_sparsity:
            nonzero = (d != 0).to(torch.float64).mean(dim=1).tolist()
            sparsity = self.d_sparsity
            for value in nonzero:
                sparsity = auto_scale_ema(sparsity, value, m, cfg.auto_momentum)
            self.d_sparsity = sparsity
        if not (cfg.auto_scale and fast_lr > 0):
            self.count_lr = fast_lr if fast_lr > 0 else lr
            return [self.count_lr] * m
        base = fast_lr * float(up.desired_bl) * self.fast.granularity
        x_max = x.abs().amax(dim=1).tolist()
        d_max = d.abs().amax(dim=1).tolist()
        lrs = []
        momentum = float(cfg.auto_momentum)
        # plain floats in the loop (module attribute writes are slow: one per vector adds up
        # for convolutions with thousands of patches)
        m_x, m_d = float(self.m_x), float(self.m_d)
        for xm, dm in zip(x_max, d_max):  # CPU statistics: per vector, current one included
            m_x = auto_scale_ema(m_x, xm, m, momentum)
            m_d = auto_scale_ema(m_d, dm, m, momentum)
            lrs.append(base / (m_x * m_d) if m_x > 0 and m_d > 0 else base)
        self.m_x, self.m_d = m_x, m_d
        self.count_lr = lrs[-1]
        return lrs

    def _chopper_scales(self) -> tuple[Tensor, Tensor]:
        """Sign vectors for the x side ``[in]`` and the d side ``[out]`` of the fast update."""
        c_in = chopper_signs(self.in_chopper, self.dtype)
        c_out = chopper_signs(self.out_chopper, self.dtype)
        return (c_in, c_out) if self.transfer_columns else (c_out, c_in)

    def _fast_update(self, x: Tensor, d: Tensor, lrs: Sequence[float]) -> None:
        # The chopper signs only change at transfers, i.e. between the segments passed here;
        # sign flips of x and d flip the pulse directions and leave the magnitudes unchanged.
        c_x, c_d = self._chopper_scales()
        super()._fast_update(x * c_x, d * c_d, lrs)

    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        # The batched process (tiles/chopped_batch.py) where it applies; the per-vector
        # process of the base class is the reference and the fallback.
        if batched_path_applies(self):
            batched_update(self, x, d, lr)
        else:
            super()._update(x, d, lr)

    # ------------------------------------------------------------------ batched transfers
    def _batch_in_flips(self, counters: Sequence[int]) -> list[bool]:
        """Whether the input chopper of the read column flips right after each read of a
        call (``counters``: the pass counter at each read); random decisions drawn at once."""
        cfg = self.rpu_config.device
        p = float(cfg.in_chop_prob)
        if p <= 0 or not counters:
            return [False] * len(counters)
        if cfg.in_chop_random:
            return [u < p for u in self._uniforms(len(counters))]
        period = max(math.ceil(1.0 / p), 2)
        return [(count % period) + 1 == period for count in counters]

    def _uniforms(self, n: int) -> list[float]:
        """``n`` U[0, 1) draws from the runtime generator (the stream of ``n`` single draws)."""
        gen = self.generator
        return torch.rand(n, generator=gen, device=gen.device, dtype=torch.float64).tolist()

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
        """The buffer step of reads of distinct columns ``cols`` (see :meth:`_transfer`).

        ``values [n, t_out]`` are the raw reads, ``c_in`` the input chopper sign of each read
        column and ``c_out [n, t_out]`` the output signs at each read. Returns the steps
        ``n [n, t_out]`` and which reads may write.
        """
        cfg = self.rpu_config.device
        s = self._buffer_scale(lr)
        idx = torch.tensor(list(cols), dtype=torch.long, device=self.device)
        coef = torch.tensor([c * s for c in c_in], dtype=self.dtype, device=self.device)
        h_prev = torch.zeros_like(values) if cfg.no_buffer else self.buffer[:, idx].T
        h = h_prev + coef.unsqueeze(1) * c_out * values
        n_steps, crossed = self._threshold(h)
        momentum = float(cfg.momentum)
        if cfg.forget_buffer:
            kept = momentum * h
        else:
            kept = h - (1.0 - min(max(momentum, 0.0), 1.0)) * n_steps
        self.buffer[:, idx] = torch.where(crossed, kept, h).T
        return n_steps, torch.ones(len(cols), dtype=torch.bool, device=self.device)

    # ------------------------------------------------------------------ transfer
    def _buffer_scale(self, lr: float) -> float:
        """``s``: the factor from a read value to buffer units (spec 3.7)."""
        cfg = self.rpu_config.device
        g_a, g_c = self.fast.granularity, self.slow.granularity
        bg = float(cfg.buffer_granularity) if cfg.buffer_granularity > 0 else 1.0
        if cfg.auto_granularity > 0:
            every = abs(self.transfer_every_vec[0]) or 1.0
            bg *= g_a * float(cfg.auto_granularity) / (self.t_in * every)
        else:
            bg *= g_a
        lr_t = self._transfer_lr(0, 1, lr)
        if cfg.correct_gradient_magnitudes:
            bg *= g_c / g_a
            return abs(lr_t) / self.count_lr / bg
        return abs(lr_t) / bg

    def _transfer_lr(self, k: int, k_to: int, lr: float) -> float:
        lr_t = super()._transfer_lr(k, k_to, lr)
        if self.gammas[k] > 0 and self.gammas[k_to] > 0:
            lr_t *= self.gammas[k] / self.gammas[k_to]
        return lr_t

    def _column(self, h: Tensor, i: int) -> Tensor:
        return h[:, i] if self.transfer_columns else h[i, :]

    def _set_column(self, h: Tensor, i: int, value: Tensor) -> None:
        if self.transfer_columns:
            h[:, i] = value
        else:
            h[i, :] = value

    def _threshold(self, h: Tensor) -> tuple[Tensor, Tensor]:
        """Steps ``n`` and the buffer's crossing mask for buffer values ``h``."""
        bl = int(self.rpu_config.device.transfer_update.desired_bl)
        crossed = h.abs() >= 1.0
        n_steps = torch.where(crossed, torch.clamp(torch.trunc(h), -bl, bl), torch.zeros_like(h))
        return n_steps, crossed

    def _write_steps(self, i: int, n_steps: Tensor) -> None:
        """``C[:, i] += step g(C) n`` (pulsed, ``transfer_update``) if any ``n != 0``."""
        if bool((n_steps != 0).any()):
            cfg = self.rpu_config.device
            g_c = self.slow.granularity
            self._write_slices(
                1, [i], n_steps.unsqueeze(0), float(cfg.step) * g_c, cfg.transfer_update, g_c
            )

    def _transfer(self, k: int, k_to: int, lr: float) -> None:
        if k != 0:
            return
        cfg = self.rpu_config.device
        i = self._next_indices(0)[0]
        s = self._buffer_scale(lr)
        v = self._read_slices(0, [i])[0]  # [t_out], raw
        c_in = -1.0 if bool(self.in_chopper[i]) else 1.0
        c_out = chopper_signs(self.out_chopper, self.dtype)
        h_prev = torch.zeros_like(v) if cfg.no_buffer else self._column(self.buffer, i)
        h = h_prev + (c_in * s) * c_out * v
        n_steps, crossed = self._threshold(h)
        momentum = float(cfg.momentum)
        if cfg.forget_buffer:
            kept = momentum * h
        else:
            kept = h - (1.0 - min(max(momentum, 0.0), 1.0)) * n_steps
        self._set_column(self.buffer, i, torch.where(crossed, kept, h))
        self._write_steps(i, n_steps)
        self._after_read(i)

    def _after_read(self, i: int) -> None:
        """Chopper flips after the read of column ``i`` and the pass bookkeeping."""
        cfg = self.rpu_config.device
        p = float(cfg.in_chop_prob)
        if p > 0:
            if cfg.in_chop_random:
                flip = self._uniform() < p
            else:
                period = max(math.ceil(1.0 / p), 2)
                flip = (self.transfer_counter % period) + 1 == period
            if flip:
                self.in_chopper[i] = ~self.in_chopper[i]
        if i == self.t_in - 1:
            self._flip_out_choppers()
            self.transfer_counter += 1

    def _flip_out_choppers(self) -> None:
        p = float(self.rpu_config.device.out_chop_prob)
        if p > 0:
            gen = self.generator
            u = torch.rand(self.t_out, generator=gen, device=gen.device, dtype=torch.float64)
            flips = (u < p).to(self.device)
            self.out_chopper.copy_(self.out_chopper ^ flips)

    # ------------------------------------------------------------------ hidden parameters
    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        out = self._array_hidden("_")
        out["buffered_FP_weight_0"] = self.buffer.detach().clone()
        return out

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        self._check_hidden_names(params)
        buffer = self._check_weights(params["buffered_FP_weight_0"], "'buffered_FP_weight_0'")
        self._set_array_hidden(params, "_")
        self.buffer.copy_(buffer)

    # ------------------------------------------------------------------ checkpoints
    def _state_extra(self) -> dict[str, Any]:
        state = super()._state_extra()
        state.update(
            m_x=self.m_x,
            m_d=self.m_d,
            d_sparsity=self.d_sparsity,
            transfer_counter=self.transfer_counter,
            count_lr=self.count_lr,
        )
        return state

    def _load_state_extra(self, state: Mapping[str, Any]) -> None:
        super()._load_state_extra(state)
        self.m_x = float(state["m_x"])
        self.m_d = float(state["m_d"])
        self.d_sparsity = float(state["d_sparsity"])
        self.transfer_counter = int(state["transfer_counter"])
        self.count_lr = float(state["count_lr"])
