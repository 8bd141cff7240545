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

from analogtrain.configs.devices import ExpStepDevice
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.rule import abs, exp, maximum, pulse_rule, where


@pulse_rule
def exp_step(  # type: ignore[no-untyped-def]
    w, down, xi, max_bound, min_bound, dwmin_down, dwmin_up, dw_min_std,
    A_up, A_down, gamma_up, gamma_down, a, b, dw_min_std_add, dw_min_std_slope, complex_noise,
):  # fmt: skip
    span = max_bound - min_bound
    movable = span > 0.0
    z = 2.0 * a * w / where(movable, span, 1.0) + b
    y_up = maximum(1.0 - A_up * exp(gamma_up * z), 0.0)
    y_down = maximum(1.0 - A_down * exp(-gamma_down * z), 0.0)
    dw = where(down, -y_down * dwmin_down, y_up * dwmin_up)
    spread = abs(dw) + dw_min_std_add + dw_min_std_slope * abs(w)
    simple = w + dw * (1.0 + dw_min_std * xi)
    noisy = where(complex_noise > 0.0, w + dw + dw_min_std * spread * xi, simple)
    return where(movable, noisy, w)


@register(ExpStepDevice)
class ExpStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.ExpStepDevice` cross-points."""

    rule = exp_step

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
