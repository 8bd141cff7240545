"""The rules the transfer compounds share, each written once (spec compounds 3.5-3.8).

Every transfer compound (TTv1, buffered TTv2, TTv2 / c-TTv2, AGAD) and both processes of the
chopped ones (per vector in :mod:`.chopped` / :mod:`.dynamic`, batched in
:mod:`.chopped_batch`) call these functions, so a rule has a single definition:

- :func:`pulse_count_lr`: the rate of the SGD pulses on the fast device ``A``;
- :func:`transfer_lr`: the rate of a transfer from device ``k`` to ``k'``;
- :func:`buffer_step` / :func:`threshold_buffer`: the digital buffer's threshold, write count
  and momentum; :func:`buffer_input`: a demodulated read added to the buffer;
- :func:`agad_reference`, :func:`running_mean_step`: AGAD's reference and running mean;
- :class:`ChopperRule` and :func:`out_chopper_flips`: when the choppers flip;
- :func:`chopper_signs`: chopper bits as ``+-1`` signs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.devices.rule import abs as absolute
from analogtrain.devices.rule import floor, maximum, minimum, where

__all__ = [
    "ChopperRule",
    "agad_reference",
    "auto_scale_ema",
    "auto_scale_emas",
    "buffer_input",
    "buffer_step",
    "chopper_signs",
    "out_chopper_flips",
    "pulse_count_lr",
    "running_mean_step",
    "threshold_buffer",
    "transfer_lr",
]


def pulse_count_lr(fast_lr: float, lr: float, scale_fast_lr: bool) -> float:
    """The pulse-count rate of the fast device's SGD update (aihwkit 1.2.0's rule).

    ``fast_lr > 0``: ``fast_lr * lr`` with ``scale_fast_lr``, else the fixed ``fast_lr``;
    ``fast_lr <= 0``: the SGD rate ``lr``.
    """
    if fast_lr > 0:
        return fast_lr * lr if scale_fast_lr else fast_lr
    return lr


def transfer_lr(
    base: float,
    lr: float,
    scale_transfer_lr: bool,
    gammas: tuple[float, float] | None = None,
) -> float:
    """The rate of one transfer: ``base`` (``transfer_lr_vec[k]``) times ``lr`` if
    ``scale_transfer_lr``; with ``gammas = (gamma_k, gamma_k')`` (the buffered and chopped
    compounds) also times ``gamma_k / gamma_k'`` when both are positive."""
    rate = base * (lr if scale_transfer_lr else 1.0)
    if gammas is not None and gammas[0] > 0 and gammas[1] > 0:
        rate *= gammas[0] / gammas[1]
    return rate


def buffer_step(
    h: Tensor,
    unit: float,
    max_steps: int,
    momentum: float,
    forget_buffer: bool,
    *,
    cap: float = 0.0,
) -> tuple[Tensor, Tensor]:
    """Threshold the accumulated buffer values ``h`` (spec 3.6-3.8).

    ``unit`` is the threshold (1 for the chopped compounds, whose buffer counts thresholds).
    Returns the signed write counts ``n = clamp(trunc(h / unit), -max_steps, max_steps)``
    (0 where ``|h| < unit``) and the buffer after the step: unchanged where ``n == 0``;
    elsewhere ``momentum h`` (``forget_buffer``) or ``h - (1 - momentum) n unit``, then
    clamped to ``[-cap, cap]`` if ``cap > 0`` (AGAD's ``buffer_cap``). ``momentum`` is a
    probability (the config rules reject other values). Elementwise over tensors; the rule
    itself is :func:`threshold_buffer`.
    """
    return threshold_buffer(h, unit, max_steps, 1.0 - momentum, momentum, forget_buffer, cap)


# The scalar rules below are written with the operations of the rule language
# (analogtrain.devices.rule: ``where``, ``abs`` imported as ``absolute``, ``floor``,
# ``minimum``, ``maximum``) and plain ``if`` only on constants of a tile, so that one
# definition runs elementwise over tensors (the per-vector process and the reference) and,
# compiled by numba on the numbers of one cross-point, in the batched process's loop over
# reads (analogtrain.kernels.update.cpu.transfer_kernels). Every number that enters
# arithmetic is an argument, so the compiled loop can hand them over in the tile's dtype and
# compute what torch computes (a number times a float32 tensor is a float32 product);
# literals only compare or select.


def threshold_buffer(
    h: Any,
    unit: Any,
    max_steps: Any,
    keep: Any,
    momentum: Any,
    forget_buffer: bool,
    cap: Any,
) -> tuple[Any, Any]:
    """The buffer threshold rule of :func:`buffer_step` (``keep = 1 - momentum``)."""
    q = h / unit if unit != 1.0 else h
    crossed = absolute(q) >= 1.0
    whole = where(q < 0.0, -floor(-q), floor(q))  # trunc(q)
    clamped = minimum(maximum(whole, -max_steps), max_steps)
    n_steps = where(crossed, clamped, 0.0)
    if forget_buffer:
        if momentum == 0.0:  # the crossed entries restart from zero
            return n_steps, where(crossed, 0.0, h)
        kept = momentum * h
    else:
        kept = h - keep * clamped * unit  # only taken where crossed, i.e. clamped == n_steps
        if cap > 0.0:
            kept = minimum(maximum(kept, -cap), cap)
    return n_steps, where(crossed, kept, h)


def buffer_input(h: Any, sign: Any, scale: Any, value: Any) -> Any:
    """The buffer before its threshold step: ``h + (sign scale) value``, the demodulated read
    ``value`` (``sign = c_in c_out``, ``scale`` the factor to threshold units) added to the
    buffer ``h`` (0 for ``no_buffer``)."""
    return h + (sign * scale) * value


def agad_reference(switched: Any, mean: Any, past: Any) -> Any:
    """AGAD's reference ``P_ref`` at a read: the running mean ``P`` if the column switched
    chopper phase at its previous read, else the reference kept from before."""
    return where(switched, mean, past)


def running_mean_step(mean: Any, value: Any, keep: Any, beta: Any) -> Any:
    """AGAD's running mean after a read ``value``: ``(1 - beta) P + beta v``
    (``keep = 1 - beta``)."""
    return keep * mean + beta * value


def auto_scale_emas(running: float, values: np.ndarray, m: int, momentum: float) -> np.ndarray:
    """Running estimate of the chopped compounds' ``auto_scale`` statistics (spec 3.7) after
    each of ``values`` (float64) in turn.

    The first positive value initialises it; zeros are skipped; otherwise
    ``(1 - tau) running + tau value`` with ``tau = (1 - momentum) / m``. A plain loop that numba
    compiles as it is (:data:`analogtrain.kernels.update.cpu.transfer_kernels.compiled_emas`).
    """
    tau = (1.0 - momentum) / m
    keep = 1.0 - tau
    out = np.empty(values.shape[0])
    for k in range(values.shape[0]):
        value = values[k]
        if running <= 0.0:
            running = value
        elif value > 0.0:
            running = keep * running + tau * value
        out[k] = running
    return out


def auto_scale_ema(running: float, value: float, m: int, momentum: float) -> float:
    """One step of :func:`auto_scale_emas`."""
    return float(auto_scale_emas(running, np.array([value], dtype=np.float64), m, momentum)[0])


@dataclass(frozen=True)
class ChopperRule:
    """When the input chopper of a read column flips, right after its read.

    ``period``: regular flips in the last pass of each period of that many complete passes
    (``None``: no regular flips); ``random_prob``: in addition a flip with this probability
    per read (one U[0, 1) draw per read when positive).
    """

    period: int | None
    random_prob: float

    @staticmethod
    def regular_period(prob: float) -> int:
        """``max(ceil(1 / prob), 2)``: passes per chopper phase for a flip rate ``prob > 0``."""
        return max(math.ceil(1.0 / prob), 2)

    def flips(self, counters: Sequence[int], draw: Callable[[int], Sequence[float]]) -> np.ndarray:
        """Whether the chopper flips after each read (bool ``[len(counters)]``); ``counters``
        are the complete passes before each read and ``draw(n)`` gives ``n`` uniforms (called
        once, if needed)."""
        passes = np.asarray(counters, dtype=np.int64)
        if self.period is None:
            flips = np.zeros(passes.shape[0], dtype=np.bool_)
        else:
            flips = passes % self.period + 1 == self.period
        if self.random_prob > 0 and passes.shape[0]:
            flips = flips | (np.asarray(draw(passes.shape[0])) < self.random_prob)
        return flips


def out_chopper_flips(
    n_passes: int, size: int, prob: float, generator: torch.Generator, device: torch.device
) -> Tensor:
    """Output chopper flips at the end of ``n_passes`` passes, ``[n_passes, size]`` bool:
    each chopper flips with probability ``prob`` (no draw when ``prob <= 0``)."""
    if prob <= 0 or n_passes == 0:
        return torch.zeros((n_passes, size), dtype=torch.bool, device=device)
    u = torch.rand(
        (n_passes, size), generator=generator, device=generator.device, dtype=torch.float64
    )
    return (u < prob).to(device)


def chopper_signs(bits: Tensor, dtype: torch.dtype) -> Tensor:
    """Chopper bits (False = +1, True = -1) as signs."""
    return 1.0 - 2.0 * bits.to(dtype)
