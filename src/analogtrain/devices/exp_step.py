"""Exponential-step device (ExpStepDevice): the step decays exponentially towards a bound.

With the device's bound range ``D = b_max − b_min`` and ``z = 2 a w / D + b``,

    up:    y = max(1 − A_up   exp( gamma_up   z), 0),   Δw = +y Δ⁺
    down:  y = max(1 − A_down exp(−gamma_down z), 0),   Δw = −y Δ⁻

Simple noise: ``w ← w + Δw (1 + σ ξ)``. Complex noise (when ``σ > 0`` and ``dw_min_std_add`` or
``dw_min_std_slope`` is non-zero): ``w ← w + Δw + σ (|Δw| + dw_min_std_add +
dw_min_std_slope |w|) ξ``. Then the clip; a device with ``D ≤ 0`` does not move. ``A``, ``gamma``,
``a``, ``b`` are the same for every device; only ``Δ±`` and the bounds vary.

Granularity [quirk]: the down step at ``w = 0`` with the mean parameters,
``g = (1 − max(up_down, 0)) dw_min · max(1 − A_down exp(−gamma_down b), 0)`` (``dw_min`` if
that is 0); aihwkit averages the down step with itself instead of with the up step.
Reference: the ``ExpStepDevice`` model of IBM aihwkit 1.1.0 (M. J. Rasch et al., AICAS 2021).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from analogtrain.configs.devices import ExpStepDevice
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register


@register(ExpStepDevice)
class ExpStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.ExpStepDevice` cross-points."""

    def _granularity(self) -> float:
        cfg = self.config
        step_down = (1.0 - max(self.up_down, 0.0)) * self.dw_min
        y_down = max(1.0 - cfg.A_down * math.exp(-cfg.gamma_down * cfg.b), 0.0)
        g = max(step_down * y_down, 0.0)
        return g if g > 0.0 else self.dw_min

    @property
    def complex_noise(self) -> bool:
        cfg = self.config
        return self.dw_min_std > 0.0 and (cfg.dw_min_std_add != 0.0 or cfg.dw_min_std_slope != 0.0)

    def _update_once(self, w: Tensor, down: Tensor, xi: Tensor | None) -> Tensor:
        cfg = self.config
        span = self.max_bound - self.min_bound
        movable = span > 0
        z = 2.0 * cfg.a * w / torch.where(movable, span, torch.ones_like(span)) + cfg.b
        y_up = torch.clamp(1.0 - cfg.A_up * torch.exp(cfg.gamma_up * z), min=0.0)
        y_down = torch.clamp(1.0 - cfg.A_down * torch.exp(-cfg.gamma_down * z), min=0.0)
        dw = torch.where(down, -y_down * self.dwmin_down, y_up * self.dwmin_up)
        if xi is None:
            new = w + dw
        elif self.complex_noise:
            spread = dw.abs() + cfg.dw_min_std_add + cfg.dw_min_std_slope * w.abs()
            new = w + dw + self.dw_min_std * spread * xi
        else:
            new = w + dw * (1.0 + self.dw_min_std * xi)
        return torch.where(movable, new, w)
