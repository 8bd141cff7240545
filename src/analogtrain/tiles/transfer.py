"""Tiki-taka: SGD on a fast device, transferred periodically to a slow one (spec compounds 3.5-3.6).

Tiki-taka version 1 (Gokmen & Haensch, "Algorithm for training neural networks on resistive
device arrays", Front. Neurosci. 14:103, 2020) holds the weight in two (or more) arrays:
the SGD pulses go to a fast array ``A``; every ``transfer_every`` updates one column ``i`` of
``A`` is read with an analog MVM of the one-hot vector ``e_i`` (``transfer_forward`` IO, with
noise and bound management off) and added to the slow array ``C`` with a pulsed update::

    A <- A - lr_A d x^T                         (per vector update, pulse trains)
    C[:, i] <- C[:, i] + lr_t READ(A, e_i)       lr_t = transfer_lr * (lr if scale_transfer_lr)

with ``lr_A = fast_lr * lr`` (``scale_fast_lr``, the default of aihwkit 1.2.0), the fixed
``fast_lr`` (``scale_fast_lr=False``, aihwkit 1.1.0's only rule) or ``lr`` when
``fast_lr <= 0`` (:func:`~analogtrain.tiles.transfer_rules.pulse_count_lr`).
The visible weight is ``gamma A + C`` (by default ``gamma = 0``: only ``C`` is seen). With
a fixed fast rate the optimizer's learning rate only scales the transfer. The asymmetric
fast device acts as a
low-pass filter around its symmetry point, which is why TTv1 tolerates asymmetric devices
better than plain SGD.

Chains of ``n > 2`` devices transfer ``k -> k+1`` with geometrically longer periods. With
``transfer_columns=False`` rows are read (backward MVMs) and written instead.

The buffered variant (TTv2 as first published; Gokmen, "Enabling training of neural networks
on noisy hardware", Front. Artif. Intell. 4:699148, 2021) accumulates the reads in a digital
buffer ``H`` and writes whole steps of the slow device when ``H`` crosses a threshold.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.compounds import BufferedTransferCompound, TransferCompound
from analogtrain.errors import ConfigError
from analogtrain.module_entry import module_entry
from analogtrain.tiles.compound_base import CompoundTile
from analogtrain.tiles.factory import register_tile
from analogtrain.tiles.io_states import TensorState
from analogtrain.tiles.transfer_rules import buffer_step, pulse_count_lr, transfer_lr
from analogtrain.tiles.transfer_schedule import (
    cycle_indices,
    firing_offsets,
    resolve_gamma_vec,
    resolve_transfer_every_vec,
    resolve_transfer_lr_vec,
    transfer_period,
)

__all__ = ["BufferedTransferCompoundTile", "TransferCompoundTile"]


@register_tile(TransferCompound)
class TransferCompoundTile(CompoundTile):
    """Tile of a :class:`~analogtrain.configs.TransferCompound` (Tiki-taka v1).

    State: the arrays ``W_k`` (``k = 0`` fast, ``n - 1`` slowest), ``update_count`` (vector
    updates since ``set_weights``) and ``slice_index[k]`` (next column of device ``k`` to
    transfer).
    """

    #: minimum number of devices the compound needs
    min_devices = 2
    #: whether a transfer's rate includes ``gamma_k / gamma_k'`` (buffered and chopped)
    gamma_scales_transfer = False
    transfer_io_state: TensorState = module_entry("_modules")

    # ------------------------------------------------------------------ construction
    def _build_compound(self) -> None:
        cfg = self.rpu_config.device
        devices = cfg.unit_cell_devices
        if not isinstance(devices, list):
            raise ConfigError("unit_cell_devices should be a list of devices")
        n = len(devices)
        if n < self.min_devices:
            raise ConfigError(f"{type(cfg).__name__} needs at least 2 unit_cell_devices, got {n}")
        self._check_devices(cfg, n)
        # the engine takes device 0 once and n-1 copies of device 1 (spec 3.5)
        configs = [devices[0]] + [devices[1]] * (n - 1)
        self.arrays = self._make_arrays(
            configs, self.construction_generator(), "device.unit_cell_devices"
        )
        self.transfer_columns = bool(cfg.transfer_columns)
        if self.transfer_columns:
            self.t_in, self.t_out = self.in_size, self.out_size
        else:
            self.t_in, self.t_out = self.out_size, self.in_size
        self.gammas, self.fully_hidden = resolve_gamma_vec(cfg.gamma, cfg.gamma_vec, n)
        self.transfer_lrs = resolve_transfer_lr_vec(cfg.transfer_lr, cfg.transfer_lr_vec, n)
        if cfg.n_reads_per_transfer < 1:
            raise ConfigError(
                f"device.n_reads_per_transfer must be >= 1, got {cfg.n_reads_per_transfer!r}"
            )
        self.n_reads = min(int(cfg.n_reads_per_transfer), self.t_in)
        self.transfer_every_vec = resolve_transfer_every_vec(
            cfg.transfer_every,
            cfg.transfer_every_vec,
            n,
            self.t_out,
            self.n_reads,
            cfg.no_self_transfer,
        )
        if cfg.with_reset_prob > 0 and not self.transfer_columns:
            raise ConfigError("device.with_reset_prob > 0 needs transfer_columns=True")
        self.transfer_io, self.transfer_io_state = self._internal_read_io(
            cfg.transfer_forward, self.t_out, self.t_in, "transfer"
        )
        self.slice_index = [0] * n
        self.update_count = 0
        self._build_transfer_state()

    def _check_devices(self, cfg: Any, n: int) -> None:
        """Extra constraints of a subclass on the config (called before arrays are built)."""

    def _build_transfer_state(self) -> None:
        """Buffers and counters of a subclass."""

    # ------------------------------------------------------------------ properties
    @property
    def n_states(self) -> float:
        """Number of states of the fast device (spec 3.0)."""
        return self.arrays[0].n_states

    @property
    def fast(self) -> Any:
        """The fast device array ``A`` (receives the SGD pulses)."""
        return self.arrays[0]

    @property
    def slow(self) -> Any:
        """The slowest device array (``C`` for two devices)."""
        return self.arrays[-1]

    # ------------------------------------------------------------------ weights
    def visible_weight(self) -> Tensor:
        if self.fully_hidden:
            return self.arrays[-1].weight
        w = self.gammas[-1] * self.arrays[-1].weight
        for gamma, array in zip(self.gammas[:-1], self.arrays[:-1]):
            if gamma != 0.0:
                w = w + gamma * array.weight
        return w

    def set_weights(self, weight: Tensor) -> None:
        """``A = 0`` (all but the last device), last device ``= W / gamma_last`` (spec 3.5).

        Resets ``slice_index`` and ``update_count``; buffers and choppers are kept.
        """
        w = self._check_weights(weight)
        self.slice_index = [0] * len(self.arrays)
        self.update_count = 0
        zero = torch.zeros_like(w)
        for array in self.arrays[:-1]:
            array.set_weights(zero, self.generator)
        last = w if self.fully_hidden else w / self.gammas[-1]
        self.arrays[-1].set_weights(last, self.generator)

    def _reset_arrays(self) -> Sequence[Any]:
        return [self.arrays[0]]  # reset_columns acts on the fast device only (spec 3.5)

    # ------------------------------------------------------------------ update
    def _periods(self, m: int) -> list[int]:
        uim = bool(self.rpu_config.device.units_in_mbatch)
        return [transfer_period(e, m, uim) for e in self.transfer_every_vec]

    def _pulse_count_lrs(self, x: Tensor, d: Tensor, lr: float) -> list[float]:
        """The pulse-count rate of the fast update per vector (constant for TTv1)."""
        cfg = self.rpu_config.device
        return [pulse_count_lr(float(cfg.fast_lr), lr, bool(cfg.scale_fast_lr))] * x.shape[0]

    def _fast_update(self, x: Tensor, d: Tensor, lrs: Sequence[float]) -> None:
        """Pulse the fast device with consecutive vectors ``x``, ``d`` at rates ``lrs``."""
        up = self.rpu_config.update
        g = self.weight_granularity
        start = 0
        m = x.shape[0]
        while start < m:  # runs of equal rate go through one pulsed_update call
            stop = start + 1
            while stop < m and lrs[stop] == lrs[start]:
                stop += 1
            self._write(self.fast, x[start:stop], d[start:stop], lrs[start], up, g)
            start = stop

    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        m = x.shape[0]
        n = len(self.arrays)
        periods = self._periods(m)
        lrs = self._pulse_count_lrs(x, d, lr)
        fires = sorted({b for p in periods for b in firing_offsets(self.update_count, m, p)})
        count0 = self.update_count
        start = 0
        for b in fires:
            self._fast_update(x[start : b + 1], d[start : b + 1], lrs[start : b + 1])
            self.update_count = count0 + b + 1
            for k, period in enumerate(periods):
                if period > 0 and self.update_count % period == 0:
                    self._transfer(k, min(k + 1, n - 1), lr)
            start = b + 1
        if start < m:
            self._fast_update(x[start:], d[start:], lrs[start:])
        self.update_count = count0 + m

    # ------------------------------------------------------------------ transfer
    def _transfer_lr(self, k: int, k_to: int, lr: float) -> float:
        gammas = (self.gammas[k], self.gammas[k_to]) if self.gamma_scales_transfer else None
        scale = bool(self.rpu_config.device.scale_transfer_lr)
        return transfer_lr(self.transfer_lrs[k], lr, scale, gammas)

    def _next_indices(self, k: int) -> list[int]:
        """The columns (rows) of the next transfer of device ``k``; advances the slice index."""
        start = self.slice_index[k]
        if self.rpu_config.device.random_selection:
            start = min(math.floor(self._uniform() * self.t_in), self.t_in - 1)
        indices = cycle_indices(start, self.n_reads, self.t_in)
        self.slice_index[k] = (start + self.n_reads) % self.t_in
        return indices

    def _write_slices(
        self,
        k_to: int,
        indices: Sequence[int] | Tensor,
        values: Tensor,
        lr: float,
        up: Any,
        granularity: float,
    ) -> None:
        """Pulsed update ``W_to[:, i] += lr * values[t]`` for each index (rows: ``W_to[j, :]``)."""
        one_hot = self._one_hot(indices, self.t_in)
        if self.transfer_columns:
            x, d = one_hot, -values
        else:
            x, d = -values, one_hot
        self._write(self.arrays[k_to], x, d, lr, up, granularity)

    def _slices(self, h: Tensor, indices: Sequence[int]) -> Tensor:
        """The buffer entries of the transferred columns (rows): ``[len(indices), t_out]``."""
        idx = torch.tensor(list(indices), dtype=torch.long, device=self.device)
        return h[:, idx].T if self.transfer_columns else h[idx, :]

    def _store_slices(self, h: Tensor, indices: Sequence[int], values: Tensor) -> None:
        idx = torch.tensor(list(indices), dtype=torch.long, device=self.device)
        if self.transfer_columns:
            h[:, idx] = values.T
        else:
            h[idx, :] = values

    def _read_slices(self, k: int, indices: Sequence[int]) -> Tensor:
        """Analog reads of device ``k`` at ``indices``: ``[len(indices), t_out]``."""
        return self._read(
            self.arrays[k].weight,
            indices,
            self.transfer_columns,
            self.transfer_io,
            self.transfer_io_state,
        )

    def _transfer(self, k: int, k_to: int, lr: float) -> None:
        """TTv1 transfer: ``W_to[:, i] += lr_t READ(W_k, e_i)`` for the next columns."""
        cfg = self.rpu_config.device
        indices = self._next_indices(k)
        lr_t = self._transfer_lr(k, k_to, lr)
        if lr_t == 0.0 or k == k_to:
            return
        values = self._read_slices(k, indices)
        target = self.arrays[k_to]
        self._write_slices(k_to, indices, values, lr_t, cfg.transfer_update, target.granularity)
        if cfg.with_reset_prob > 0 and self._uniform() < cfg.with_reset_prob:
            # once per transfer, after the writes (CUDA semantics, spec 3.12)
            self.arrays[k].reset_columns(indices[0], len(indices), 1.0, self.generator)

    # ------------------------------------------------------------------ checkpoints
    def _state_extra(self) -> dict[str, Any]:
        return {"update_count": self.update_count, "slice_index": list(self.slice_index)}

    def _load_state_extra(self, state: Mapping[str, Any]) -> None:
        self.update_count = int(state["update_count"])
        self.slice_index = [int(i) for i in state["slice_index"]]


@register_tile(BufferedTransferCompound)
class BufferedTransferCompoundTile(TransferCompoundTile):
    """Tile of a :class:`~analogtrain.configs.BufferedTransferCompound` (TTv2 with buffer).

    Transfer of column ``i`` from ``k`` to ``k'`` (spec 3.6), ``g = g(dev_k')``,
    ``bg = thres_scale g``, ``S = transfer_update.desired_bl``::

        h = H_k[:, i] + |lr_t| READ(W_k, e_i)
        n = clamp(trunc(h / bg), -S, S)
        h <- momentum h                          where n != 0 (forget_buffer)
             h - (1 - momentum) n bg             where n != 0 (otherwise)
        W_k'[:, i] += step g n                   (pulsed, transfer_update)

    ``lr_t`` includes ``gamma_k / gamma_k'`` when both are positive.
    """

    gamma_scales_transfer = True

    def _build_transfer_state(self) -> None:
        n = len(self.arrays)
        zeros = torch.zeros((self.out_size, self.in_size), device=self.device, dtype=self.dtype)
        names = [f"buffered_FP_weight_{k}" for k in range(n - 1)]
        self.transfer_buffers = TensorState({name: zeros.clone() for name in names})

    def buffer(self, k: int) -> Tensor:
        """The digital buffer ``H_k`` ``[out, in]`` of device ``k < n - 1`` (no copy)."""
        return getattr(self.transfer_buffers, f"buffered_FP_weight_{k}")

    def _transfer(self, k: int, k_to: int, lr: float) -> None:
        cfg = self.rpu_config.device
        indices = self._next_indices(k)
        if k == k_to or k >= len(self.arrays) - 1:
            return
        lr_t = self._transfer_lr(k, k_to, lr)
        target = self.arrays[k_to]
        g_to = target.granularity
        bg = float(cfg.thres_scale) * g_to
        bl = int(cfg.transfer_update.desired_bl)
        values = self._read_slices(k, indices)  # [nt, t_out], not negated
        h_all = self.buffer(k)
        h = self._slices(h_all, indices) + values * abs(lr_t)
        n_steps, h = buffer_step(h, bg, bl, float(cfg.momentum), bool(cfg.forget_buffer))
        self._store_slices(h_all, indices, h)
        if bool((n_steps != 0).any()):
            self._write_slices(
                k_to, indices, n_steps, float(cfg.step) * g_to, cfg.transfer_update, g_to
            )

    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        out = self._array_hidden("_")
        for k in range(len(self.arrays) - 1):
            out[f"buffered_FP_weight_{k}"] = self.buffer(k).detach().clone()
        return out

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        self._check_hidden_names(params)
        names = [f"buffered_FP_weight_{k}" for k in range(len(self.arrays) - 1)]
        buffers = [self._check_weights(params[name], repr(name)) for name in names]
        self._set_array_hidden(params, "_")
        for k, value in enumerate(buffers):
            self.buffer(k).copy_(value)
