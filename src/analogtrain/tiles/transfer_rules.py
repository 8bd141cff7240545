"""The rules the transfer compounds share, each written once (spec compounds 3.5-3.8).

Every transfer compound (TTv1, buffered TTv2, TTv2 / c-TTv2, AGAD) and both processes of the
chopped ones (per vector in :mod:`.chopped` / :mod:`.dynamic`, batched in
:mod:`.chopped_batch`) call these functions, so a rule has a single definition:

- :func:`pulse_count_lr`: the rate of the SGD pulses on the fast device ``A``;
- :func:`transfer_lr`: the rate of a transfer from device ``k`` to ``k'``;
- :func:`buffer_step`: the digital buffer's threshold, write count and momentum;
- :class:`ChopperRule` and :func:`out_chopper_flips`: when the choppers flip;
- :func:`chopper_signs`: chopper bits as ``+-1`` signs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "ChopperRule",
    "buffer_step",
    "chopper_signs",
    "out_chopper_flips",
    "pulse_count_lr",
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
    probability (the config rules reject other values).
    """
    q = h / unit if unit != 1.0 else h
    crossed = q.abs() >= 1.0
    n_steps = torch.where(crossed, torch.clamp(torch.trunc(q), -max_steps, max_steps), 0.0)
    if forget_buffer:
        if momentum == 0.0:  # the crossed entries restart from zero
            return n_steps, torch.where(crossed, 0.0, h)
        kept = momentum * h
    else:
        kept = h - (1.0 - momentum) * n_steps * unit
        if cap > 0:
            kept = kept.clamp(-cap, cap)
    return n_steps, torch.where(crossed, kept, h)


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

    def flips(self, counters: Sequence[int], draw: Callable[[int], list[float]]) -> list[bool]:
        """Whether the chopper flips after each read; ``counters`` are the complete passes
        before each read and ``draw(n)`` gives ``n`` uniforms (called once, if needed)."""
        if self.period is None:
            flips = [False] * len(counters)
        else:
            flips = [count % self.period + 1 == self.period for count in counters]
        if self.random_prob > 0 and counters:
            flips = [f or u < self.random_prob for f, u in zip(flips, draw(len(counters)))]
        return flips


def out_chopper_flips(
    n_passes: int, size: int, prob: float, generator: torch.Generator, device: torch.device
) -> Tensor:
    """Output chopper flips at the end of ``n_passes`` passes, ``[n_passes, size]`` bool:
    each chopper flips with probability ``prob`` (no draw when ``prob <= 0``)."""
    if prob <= 0 or n_passes == 0:
        return torch.zeros((n_passes, size), dtype=torch.bool, device=device)
    u = torch.rand((n_passes, size), generator=generator, device=generator.device,
                   dtype=torch.float64)
    return (u < prob).to(device)


def chopper_signs(bits: Tensor, dtype: torch.dtype) -> Tensor:
    """Chopper bits (False = +1, True = -1) as signs."""
    return 1.0 - 2.0 * bits.to(dtype)
