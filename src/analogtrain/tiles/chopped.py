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
fast update at the same vector counts, buffers and slow writes after it, spec 3.12) or as
the per-vector process below, the reference; both call the same rules
(:mod:`.transfer_rules`) through the tile's batched-transfer interface. The process is
chosen by :attr:`ChoppedTransferCompoundTile.update_process` (``"auto"``: batched where it
applies, :meth:`~ChoppedTransferCompoundTile.batched_path_reason` says why not;
``"batched"``: raise instead of taking the per-vector process; ``"per_vector"``).

With ``scale_fast_lr`` (aihwkit 1.2.0; False by default here) the fast rate ``lr_c`` above
(or the fixed ``fast_lr``) is multiplied by the SGD rate. With ``gamma != 0`` the fast
array is part of the visible weight, demodulated by the current chopper signs as in
aihwkit 1.2.0 (residual learning: Z. Wu et al., "Analog In-memory Training on General
Non-ideal Resistive Elements: The Impact of Response Functions", NeurIPS 2025)::

    W = gamma (c_d c_x^T) * A + C

(``c_d``, ``c_x``: the signs on the ``d`` and ``x`` sides of the fast update), so that ``W``
holds the accumulated gradient with its true sign whatever the chopper phase.
"""

from __future__ import annotations

import importlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.configs.compounds import ChoppedTransferCompound
from analogtrain.errors import ArgumentError, ConfigError, NotSimulatedError, TileError
from analogtrain.kernels.compile_notice import watch_kernels
from analogtrain.kernels.update.backend import Declined, report_decline
from analogtrain.kernels.update.pulsed import (
    pulsed_update_capture,
    pulsed_update_capture_of_checked,
    pulsed_update_of_checked,
)
from analogtrain.module_entry import module_entry
from analogtrain.tiles.chopped_batch import (
    UPDATE_PROCESSES,
    Reads,
    batched_path_reason,
    batched_update,
    chopper_signs,
)
from analogtrain.tiles.factory import register_tile
from analogtrain.tiles.io_states import TensorState, stateful_mvm
from analogtrain.tiles.transfer import TransferCompoundTile
from analogtrain.tiles.transfer_rules import (
    ChopperRule,
    auto_scale_ema,
    auto_scale_emas,
    buffer_step,
    out_chopper_flips,
    pulse_count_lr,
)
from analogtrain.tiles.transfer_schedule import auto_transfer_period, transfer_period

__all__ = ["ChoppedTransferCompoundTile", "auto_scale_ema", "auto_scale_emas", "chopper_signs"]

#: reads per one-hot MVM of captured columns (bounds the identity's memory)
_READ_CHUNK = 256
#: captured values per segment of an update whose reads need all of ``A``
_FULL_CAPTURE = 1 << 22


def transfer_kernels() -> ModuleType | None:
    """The compiled transfer loops (:mod:`analogtrain.kernels.update.cpu.transfer_kernels`),
    watched for the compile notice, or None where numba is unusable (missing, or no writable
    cache location)."""
    if not _kernel_module:
        try:
            module = importlib.import_module("analogtrain.kernels.update.cpu.transfer_kernels")
        except (ImportError, RuntimeError, OSError):
            return None
        _kernel_module.append(watch_kernels(module))
    return _kernel_module[0]


_kernel_module: list[ModuleType] = []  # the watched module, once imported


def _emas() -> Callable[[float, np.ndarray, int, float], np.ndarray]:
    """:func:`~analogtrain.tiles.transfer_rules.auto_scale_emas`, compiled where numba is
    usable (the same float64 steps either way; it runs once per update call on the
    statistics of every vector)."""
    module = transfer_kernels()
    return auto_scale_emas if module is None else module.compiled_emas  # type: ignore[no-any-return]


def _rates_kernel(x: Tensor, d: Tensor) -> Callable[..., tuple[float, float]] | None:
    """The compiled ``auto_scale`` rates (:func:`~analogtrain.kernels.update.cpu.
    transfer_kernels.auto_scale_rates`) for CPU float32/float64 ``x`` and ``d``, or None
    (other tensors, no numba: the same steps in numpy)."""
    if x.device.type != "cpu" or d.device.type != "cpu" or x.dtype not in _NP_FLOATS:
        return None
    module = transfer_kernels()
    return None if module is None else module.auto_scale_rates  # type: ignore[no-any-return]


_NP_FLOATS = (torch.float32, torch.float64)


def _row_abs_max(t: Tensor) -> np.ndarray:
    """``max_j |t[i, j]|`` of each row as float64 (exact: a maximum of magnitudes), taken in
    numpy for a CPU tensor (a fraction of torch's cost at these sizes)."""
    if t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64):
        values = t.detach().numpy()
        if values.shape[1]:
            return np.maximum.reduce(np.abs(values), axis=1).astype(np.float64)
    return t.abs().amax(dim=1).to(torch.float64).cpu().numpy()


@register_tile(ChoppedTransferCompound)
class ChoppedTransferCompoundTile(TransferCompoundTile):
    """Tile of a :class:`~analogtrain.configs.ChoppedTransferCompound` (TTv2 / c-TTv2).

    State beyond TTv1: chopper bits ``in_chopper [t_in]``, ``out_chopper [t_out]`` (columns
    mode: per column and per row of the weight), the buffer ``H`` (``buffered_FP_weight_0``),
    ``m_x``, ``m_d``, ``d_sparsity``, ``transfer_counter`` (completed passes over all
    columns) and ``count_lr`` (the last fast pulse-count rate).

    The methods under "batched-transfer interface" are what both update processes (and
    :mod:`.chopped_batch`) use; a subclass changes a compound's rule there.
    """

    gamma_scales_transfer = True
    _update_process = "auto"
    chop_state: TensorState = module_entry("_modules")

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
        # constants of the config (frozen in a built tile; a new config rebuilds the tile)
        cfg = self.rpu_config.device
        self._bg = self._threshold_unit()
        self._correct_magnitudes = bool(cfg.correct_gradient_magnitudes)
        self._no_buffer = bool(cfg.no_buffer)
        self._buffer_rule = self._buffer_rule_values()
        self._eye_cache: Tensor | None = None
        self._chopper_rule: ChopperRule | None = None  # chopper_rule(), on first use

    def _buffer_rule_values(self) -> tuple[int, float, bool]:
        """``(max_steps, momentum, forget_buffer)`` of :func:`buffer_step` for this tile."""
        cfg = self.rpu_config.device
        return int(cfg.transfer_update.desired_bl), float(cfg.momentum), bool(cfg.forget_buffer)

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
        return self.chop_state._buffers["in_chopper"]  # type: ignore[return-value]

    @property
    def out_chopper(self) -> Tensor:
        """Output chopper bits ``[t_out]`` (True = sign -1), no copy."""
        return self.chop_state._buffers["out_chopper"]  # type: ignore[return-value]

    @property
    def buffer(self) -> Tensor:
        """The digital transfer buffer ``H`` ``[out, in]`` (threshold units), no copy."""
        return self.chop_state._buffers["buffer"]  # type: ignore[return-value]

    # ------------------------------------------------------------------ update process
    @property
    def update_process(self) -> str:
        """How an update call runs: ``"auto"`` (default: batched where
        :meth:`batched_path_reason` is None, else per vector), ``"batched"`` (an update the
        batched process cannot take raises :class:`~analogtrain.errors.TileError` naming the
        reason) or ``"per_vector"`` (always the per-vector reference process)."""
        return self._update_process

    @update_process.setter
    def update_process(self, value: str) -> None:
        if value not in UPDATE_PROCESSES:
            raise ArgumentError(
                f"{type(self).__name__}.update_process must be one of {UPDATE_PROCESSES}, "
                f"got {value!r}"
            )
        self._update_process = value

    def batched_path_reason(self) -> str | None:
        """Why an update call would not take the batched process now (None: it would)."""
        return batched_path_reason(self)

    def update(self, x: Tensor, d: Tensor, lr: float | None = None) -> None:
        if self.update_process == "batched":
            reason = self.batched_path_reason()
            if reason is not None:  # before anything changes
                raise TileError(
                    f"{type(self).__name__} with update_process='batched': the batched "
                    f"process cannot take this update ({reason})"
                )
        super().update(x, d, lr)

    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        if self.batched_path_reason() is None:
            batched_update(self, x, d, lr)
        else:
            super()._update(x, d, lr)

    # ------------------------------------------------------------------ weights
    def visible_weight(self) -> Tensor:
        w = super().visible_weight()
        gamma = self.gammas[0]
        if gamma == 0.0 or not (bool(self.in_chopper.any()) or bool(self.out_chopper.any())):
            return w
        # W = gamma (c_d c_x^T) * A + C: A holds the chopped gradient (aihwkit 1.2.0)
        c_x, c_d = self._chopper_scales()
        signs = c_d.unsqueeze(1) * c_x.unsqueeze(0)
        return w + gamma * (signs - 1.0) * self.fast.weight

    # ------------------------------------------------------------------ fast update
    def _periods(self, m: int) -> list[int]:
        return [self.read_period(m), 0]  # the slow device never transfers (two devices only)

    def _pulse_count_lrs(self, x: Tensor, d: Tensor, lr: float) -> list[float]:
        return self.pulse_count_rates(x, d, lr).tolist()

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

    # ------------------------------------------------------------------ per-vector transfer
    def _transfer(self, k: int, k_to: int, lr: float) -> None:
        """One read of the per-vector process: the same rules as a batched round of one."""
        if k != 0:
            return
        i = self._next_indices(0)[0]
        counter = self.transfer_counter
        values = self._read_slices(0, [i])  # [1, t_out], raw
        c_in = -1.0 if bool(self.in_chopper[i]) else 1.0
        c_out = chopper_signs(self.out_chopper, self.dtype).unsqueeze(0)
        steps = self.transfer_round(Reads(i, values, c_in * c_out, [counter]), lr)
        self.write_slow(i, steps)
        flip = self.in_chopper_flips([counter])
        self.note_in_flips(i, flip)
        if flip[0]:
            self.in_chopper[i] = ~self.in_chopper[i]
        if i == self.t_in - 1:
            flips = self.out_chopper_flips(1)
            if flips is not None:
                self.out_chopper.copy_(self.out_chopper ^ flips[0])
            self.transfer_counter += 1

    # ------------------------------------------------------------------ batched-transfer
    # interface (tiles/chopped_batch.py and the per-vector process above)
    def read_period(self, m: int) -> int:
        """Vector updates between two reads of ``A`` in a call of ``m`` vectors (0 = never)."""
        cfg = self.rpu_config.device
        every = self.transfer_every_vec[0]
        if every < 0:
            return auto_transfer_period(every, self.fast.n_states, self.t_in)
        return transfer_period(every, m, bool(cfg.units_in_mbatch))

    def pulse_count_rates(self, x: Tensor, d: Tensor, lr: float) -> np.ndarray:
        """The fast update's pulse-count rate of each vector (float64 ``[m]``); advances the
        ``auto_scale`` and ``d_sparsity`` statistics over the call and sets ``count_lr``
        (spec 3.7)."""
        cfg = self.rpu_config.device
        up = self.rpu_config.update
        m = x.shape[0]
        fast_lr = float(cfg.fast_lr)
        scale_fast = bool(cfg.scale_fast_lr)
        if up.d_sparsity:
            nonzero = (d != 0).to(torch.float64).mean(dim=1).cpu().numpy()
            sparsity = _emas()(float(self.d_sparsity), nonzero, m, float(cfg.auto_momentum))
            self.d_sparsity = float(sparsity[-1])
        if not (cfg.auto_scale and fast_lr > 0):
            self.count_lr = pulse_count_lr(fast_lr, lr, scale_fast)
            return np.full(m, self.count_lr)
        base = fast_lr * float(up.desired_bl) * self.fast.granularity
        momentum = float(cfg.auto_momentum)
        compiled = _rates_kernel(x, d)
        if compiled is not None:  # one compiled call: the same float64 steps as below
            lrs = np.empty(m)
            factor = float(lr) if scale_fast else 1.0  # (a product with 1.0 is exact)
            m_x, m_d = compiled(
                np.ascontiguousarray(x.detach().numpy()),
                np.ascontiguousarray(d.detach().numpy()),
                float(self.m_x), float(self.m_d), momentum, base, factor, lrs,
            )  # fmt: skip
            self.m_x, self.m_d = float(m_x), float(m_d)
            self.count_lr = float(lrs[-1])
            return lrs
        # CPU statistics: per vector, the current one included
        emas = _emas()
        x_max, d_max = _row_abs_max(x), _row_abs_max(d)
        m_x = emas(float(self.m_x), x_max, m, momentum)
        m_d = emas(float(self.m_d), d_max, m, momentum)
        known = (m_x > 0) & (m_d > 0)
        lrs = np.where(known, base / np.where(known, m_x * m_d, 1.0), base)
        if scale_fast:
            lrs = lrs * lr
        self.m_x, self.m_d = float(m_x[-1]), float(m_d[-1])
        self.count_lr = float(lrs[-1])
        return lrs

    def chopper_rule(self) -> ChopperRule:
        """When the input choppers flip: regularly every ``max(ceil(1 / in_chop_prob), 2)``
        passes, or at random with ``in_chop_prob`` per read if ``in_chop_random``."""
        cfg = self.rpu_config.device
        p = float(cfg.in_chop_prob)
        if p <= 0:
            return ChopperRule(None, 0.0)
        if cfg.in_chop_random:
            return ChopperRule(None, p)
        return ChopperRule(ChopperRule.regular_period(p), 0.0)

    def in_chopper_flips(self, counters: Sequence[int]) -> np.ndarray:
        """Whether the input chopper of the read column flips right after each read
        (``counters``: the pass counter at each read); random decisions drawn at once."""
        rule = self.__dict__.get("_chopper_rule")
        if rule is None:  # the config is frozen in a built tile: one rule for its life
            rule = self._chopper_rule = self.chopper_rule()
        return rule.flips(counters, self._uniforms)

    def note_in_flips(self, first: int, flips: Sequence[bool]) -> None:
        """Hook after the in-chopper decisions of reads of the distinct columns ``first,
        first + 1, ...`` (cyclic; AGAD remembers them); the chopper bits themselves are
        flipped by the caller."""

    def out_chopper_flips(self, n_passes: int) -> Tensor | None:
        """Output chopper flips at the end of ``n_passes`` complete passes ``[n, t_out]``
        (None when no output chopper can flip: ``out_chop_prob <= 0``, nothing drawn)."""
        p = float(self.rpu_config.device.out_chop_prob)
        if p <= 0:
            return None
        return out_chopper_flips(n_passes, self.t_out, p, self.generator, self.device)

    def reads_see_all_columns(self) -> bool:
        """Whether a one-hot transfer read depends on the other columns of ``A`` too (input
        noise, IR drop or read asymmetry of ``transfer_forward``)."""
        io = self.transfer_io
        if io.is_perfect:
            return False
        return io.inp_noise > 0 or io.ir_drop > 0 or io.w_read_asymmetry_dtod > 0

    def fast_update_reads(
        self, x: Tensor, d: Tensor, rate: float | Tensor, after: Sequence[int], cols: Sequence[int]
    ) -> Tensor:
        """One pulsed update of ``A`` with the chopped ``x``, ``d`` and the transfer read of
        column ``cols[r]`` right after vector ``after[r]``: ``[len(after), t_out]``.

        The update records the read columns (or, when :meth:`reads_see_all_columns`, all of
        ``A`` at each read, in segments of at most ``_FULL_CAPTURE`` captured values), and
        the reads are analog MVMs of ``e_i`` on what was recorded (:meth:`_read_each`)."""
        if not self.reads_see_all_columns():
            captured = self._capture(x, d, rate, after, cols)
            return self._read_captured_columns(captured) if len(after) else captured
        per = max(1, _FULL_CAPTURE // (self.t_in * self.t_out))
        values, v0, m = [], 0, x.shape[0]
        for r0 in range(0, max(len(after), 1), per):
            seg = list(after[r0 : r0 + per])
            v1 = m if r0 + per >= len(after) else seg[-1] + 1
            rates = rate[v0:v1] if isinstance(rate, Tensor) else rate
            at = list(chain.from_iterable(repeat(b - v0, self.t_in) for b in seg))
            every = list(range(self.t_in)) * len(seg)
            captured = self._capture(x[v0:v1], d[v0:v1], rates, at, every)
            weights = captured.view(len(seg), self.t_in, self.t_out).transpose(1, 2)
            values.append(self._read_each(weights, cols[r0 : r0 + per]))
            v0 = v1
        return torch.cat(values) if values else x.new_zeros((0, self.t_out))

    def _read_each(self, weights: Tensor, cols: Sequence[int]) -> Tensor:
        """The one-hot transfer reads of column ``cols[k]`` of ``weights[k]`` (``[k, t_out,
        t_in]``, the copies of ``A`` recorded at the reads): ``[k, t_out]``, one analog MVM of
        the stacked weights (:func:`~analogtrain.kernels.mvm.mvm.analog_mvm`: compiled, drawing
        row by row, so it equals the reads one by one, bit for bit when they draw one kind of
        noise and in distribution else; the reference reads them one by one)."""
        eye = self._one_hot(cols, self.t_in)
        return stateful_mvm(weights, eye, self.transfer_io, self.transfer_io_state, self.generator)

    def _capture(
        self, x: Tensor, d: Tensor, rate: float | Tensor, after: Sequence[int], cols: Sequence[int]
    ) -> Tensor:
        if isinstance(after, np.ndarray) and isinstance(cols, np.ndarray):
            # the batched schedule: int64 reads valid by construction, chopped inputs of
            # the checked call, finite rates (chopped_batch checks them)
            return pulsed_update_capture_of_checked(
                self.fast, x, d, rate, self.rpu_config.update, self.generator, after, cols,
                granularity=self.weight_granularity,
            )  # fmt: skip
        return pulsed_update_capture(
            self.fast,
            x,
            d,
            rate,
            self.rpu_config.update,
            self.generator,
            after,
            cols,
            granularity=self.weight_granularity,
        )

    def _read_captured_columns(self, captured: Tensor) -> Tensor:
        """The transfer reads of captured columns ``[r, t_out]``: one-hot analog MVMs, in
        chunks (an identity of all reads at once would cost ``r**2`` memory)."""
        eye = self._read_identity(min(captured.shape[0], _READ_CHUNK))
        chunks = []
        for r0 in range(0, captured.shape[0], _READ_CHUNK):
            block = captured[r0 : r0 + _READ_CHUNK]  # [r, out]
            n = block.shape[0]
            chunks.append(
                stateful_mvm(
                    block.T, eye[:n, :n], self.transfer_io, self.transfer_io_state, self.generator
                )
            )
        return torch.cat(chunks) if len(chunks) > 1 else chunks[0]

    def _read_identity(self, n: int) -> Tensor:
        """An identity of at least ``n`` rows on the tile's device and dtype, kept between
        calls (at most ``_READ_CHUNK`` square)."""
        eye = self._eye_cache
        if eye is None or eye.shape[0] < n or eye.device != self.device or eye.dtype != self.dtype:
            eye = torch.eye(n, device=self.device, dtype=self.dtype)
            self._eye_cache = eye
        return eye

    def _cyclic(self, h: Tensor, first: int, n: int) -> Tensor:
        """Entries of the transfer columns (rows) ``first, first + 1, ...`` (modulo ``t_in``)
        of an ``[out, in]`` tensor as ``[n, t_out]``: a view unless the range wraps."""
        stop = first + n
        if self.transfer_columns:
            if stop <= self.t_in:
                return h[:, first:stop].T
            return torch.cat([h[:, first:].T, h[:, : stop - self.t_in].T])
        if stop <= self.t_in:
            return h[first:stop]
        return torch.cat([h[first:], h[: stop - self.t_in]])

    def _store_cyclic(self, h: Tensor, first: int, values: Tensor) -> None:
        """Inverse of :meth:`_cyclic`: write ``values`` ``[n, t_out]`` to those entries."""
        stop = first + values.shape[0]
        cut = min(stop, self.t_in) - first
        if self.transfer_columns:
            h[:, first : first + cut].copy_(values[:cut].T)
            if cut < values.shape[0]:
                h[:, : stop - self.t_in].copy_(values[cut:].T)
            return
        h[first : first + cut].copy_(values[:cut])
        if cut < values.shape[0]:
            h[: stop - self.t_in].copy_(values[cut:])

    def transfer_round(self, reads: Reads, lr: float) -> Tensor:
        """The buffer step of ``reads`` (of distinct columns, spec 3.7): updates the buffer and
        returns the steps to write on ``C`` ``[n, t_out]`` (zero rows: no write)."""
        s = self._buffer_scale(lr)
        values, buffer = reads.values, self.buffer
        h0 = 0.0 if self._no_buffer else self._cyclic(buffer, reads.first, values.shape[0])
        n_steps, h = self._buffer_step(reads.added_to(h0, values, s))
        self._store_cyclic(buffer, reads.first, h)
        return n_steps

    def compiled_reads(self, reads: Reads, flips: Sequence[bool], lr: float) -> Tensor | None:
        """The buffer steps of all ``reads`` of a call at once (columns cyclic from
        ``reads.first``, any number of passes; ``flips``: the in-chopper flip after each),
        compiled (:func:`~analogtrain.kernels.update.cpu.transfer_kernels.chopped_reads`):
        the same as :meth:`transfer_round` over rounds of distinct columns followed by
        :meth:`note_in_flips`, bit for bit. None on a non-CPU tile (the caller runs the
        rounds in torch)."""
        if self.device.type != "cpu":
            return None
        max_steps, momentum, forget = self._buffer_rule
        return self._run_compiled_reads(
            reads,
            flips,
            np.full(reads.count, self._buffer_scale(lr)),
            (1.0, max_steps, momentum, 0.0),
            forget,
            self._no_buffer,
            None,
        )

    def _run_compiled_reads(
        self,
        reads: Reads,
        flips: Sequence[bool],
        scales: Sequence[float],
        rule: tuple[float, int, float, float],
        forget: bool,
        no_buffer: bool,
        agad: tuple[float, Sequence[bool]] | None,
    ) -> Tensor | None:
        """Call the compiled loop (None: numba is unusable, said once); ``rule = (unit,
        max_steps, momentum, cap)``, ``agad = (beta, writes)`` for AGAD (its means and
        ``switched`` flags are updated too)."""
        module = transfer_kernels()
        if module is None:  # the rounds in torch, said once (backend "auto")
            report_decline(Declined("numba cannot be imported"), "chopped transfer reads")
            return None
        n = reads.count
        np_dtype = np.float64 if self.dtype == torch.float64 else np.float32
        values = reads.values.detach().contiguous()
        if reads.signs is None:
            signs = torch.ones_like(values)
        else:
            signs = reads.signs.expand(n, self.t_out).contiguous()
        steps = torch.empty_like(values)
        buffer = self.buffer.detach().numpy()
        beta, writes = agad if agad is not None else (0.0, np.ones(n, dtype=np.bool_))
        params = module.parameters(np.dtype(np_dtype), *rule, beta)
        if agad is not None:
            means = (self.running_mean.detach().numpy(), self.past_mean.detach().numpy())
            switched = self.switched.numpy()
        else:
            means, switched = (buffer, buffer), np.zeros(self.t_in, dtype=np.bool_)
        module.chopped_reads(
            buffer,
            values.numpy(),
            signs.numpy(),
            np.array(scales, dtype=np_dtype),
            reads.first,
            params,
            forget,
            no_buffer,
            agad is not None,
            means[0],
            means[1],
            switched,
            np.array(flips, dtype=np.bool_),
            np.array(writes, dtype=np.bool_),
            steps.numpy(),
        )
        return steps

    def write_slow(self, first: int, steps: Tensor) -> None:
        """``C[:, i_r] += step g(C) n_r`` for the reads ``r`` with a step, one pulsed update
        (``transfer_update``) in read order; read ``r`` is of column ``(first + r) % t_in``."""
        if steps.device.type == "cpu":  # the selection in numpy: a fraction of torch's cost
            counts = steps.numpy()
            rows = np.flatnonzero(counts.any(axis=1))
            if rows.size == 0:
                return
            columns = (rows + first) % self.t_in
            if self.transfer_columns:  # the one-hot inputs and the write in fewer steps
                self._write_columns(columns, counts[rows])
                return
            cols: Tensor = torch.from_numpy(columns)
            if rows.size < counts.shape[0]:
                steps = torch.from_numpy(counts[rows])
        else:
            chosen = steps.any(dim=1).nonzero().squeeze(1)
            if chosen.numel() == 0:
                return
            cols = chosen + first
            if first + steps.shape[0] > self.t_in:
                cols = cols.remainder_(self.t_in)
            if chosen.numel() < steps.shape[0]:
                steps = steps.index_select(0, chosen)
        cfg = self.rpu_config.device
        g_c = self.slow.granularity
        self._write_slices(1, cols, steps, float(cfg.step) * g_c, cfg.transfer_update, g_c)

    def _write_columns(self, columns: np.ndarray, counts: np.ndarray) -> None:
        """:meth:`write_slow` of a CPU tile in column mode: ``C[:, columns[r]] += step g(C)
        counts[r]`` (``counts [n, t_out]``, whole numbers of steps, at least one non-zero per
        row), one pulsed update of the one-hot rows; the same inputs as ``_write_slices``."""
        cfg = self.rpu_config.device
        slow = self.slow
        g_c = slow.granularity
        lr = float(cfg.step) * g_c
        if lr == 0.0:
            return
        one_hot = np.zeros((columns.size, self.t_in), dtype=counts.dtype)
        one_hot[np.arange(columns.size), columns] = 1.0
        d = -counts if lr > 0.0 else counts
        pulsed_update_of_checked(
            slow, torch.from_numpy(one_hot), torch.from_numpy(d), abs(lr),
            cfg.transfer_update, self.generator, granularity=g_c,
        )  # fmt: skip

    # ------------------------------------------------------------------ transfer rules
    def _buffer_step(self, h: Tensor) -> tuple[Tensor, Tensor]:
        return buffer_step(h, 1.0, *self._buffer_rule)

    def _uniforms(self, n: int) -> np.ndarray:
        """``n`` U[0, 1) draws from the runtime generator (the stream of ``n`` single draws),
        float64."""
        gen = self.generator
        return torch.rand(n, generator=gen, device=gen.device, dtype=torch.float64).cpu().numpy()

    def _threshold_unit(self) -> float:
        """``bg``: the buffer threshold in weight units (spec 3.7); constant for a tile."""
        cfg = self.rpu_config.device
        g_a, g_c = self.fast.granularity, self.slow.granularity
        bg = float(cfg.buffer_granularity) if cfg.buffer_granularity > 0 else 1.0
        if cfg.auto_granularity > 0:
            every = abs(self.transfer_every_vec[0]) or 1.0
            bg *= g_a * float(cfg.auto_granularity) / (self.t_in * every)
        else:
            bg *= g_a
        if cfg.correct_gradient_magnitudes:
            bg *= g_c / g_a
        return bg

    def _buffer_scale(self, lr: float) -> float:
        """``s``: the factor from a read value to buffer units (spec 3.7)."""
        lr_t = self._transfer_lr(0, 1, lr)
        if self._correct_magnitudes:
            return abs(lr_t) / self.count_lr / self._bg
        return abs(lr_t) / self._bg

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
