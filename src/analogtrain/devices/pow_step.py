"""Power-step device (PowStepDevice): the step follows a power of the distance to the bound.

With ``D = b_max − b_min``,

    up:    w ← w + Δ⁺ ((b_max − w)/D)^Γ⁺ (1 + σ ξ)
    down:  w ← w − Δ⁻ ((w − b_min)/D)^Γ⁻ (1 + σ ξ)

then the clip; a device with ``D = 0`` does not move. The exponents vary per device,
``Γ⁺ = (min(u, 0) + G + r) pow_gamma`` and ``Γ⁻ = (−max(u, 0) + G − r) pow_gamma`` with
``G = 1 + pow_gamma_dtod ξ``, ``r = pow_up_down_dtod ξ``, ``u = pow_up_down`` (the asymmetry
acts on one direction only, like ``up_down``; made positive if ``enforce_consistency``).
Granularity: the step at mid-range, ``g = dw_min · 0.5^pow_gamma``.
Reference: the ``PowStepDevice`` model of IBM aihwkit 1.1.0 (M. J. Rasch et al., AICAS 2021).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.devices import PowStepDevice
from analogtrain.devices.dtod import split_up_down
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.rule import maximum, pow, pulse_rule, where
from analogtrain.devices.sampling import standard_normal


def sample_pow_exponents(
    config: Any, shape: torch.Size, generator: torch.Generator
) -> dict[str, Tensor]:
    """Per-device exponents ``gamma_up``, ``gamma_down`` (float64)."""
    gain = 1.0 + config.pow_gamma_dtod * standard_normal(shape, generator)
    asym = config.pow_up_down_dtod * standard_normal(shape, generator)
    rel_up, rel_down = split_up_down(gain, asym, float(config.pow_up_down))
    gamma_up, gamma_down = rel_up * config.pow_gamma, rel_down * config.pow_gamma
    if config.enforce_consistency:
        gamma_up, gamma_down = gamma_up.abs(), gamma_down.abs()
    return {"gamma_up": gamma_up, "gamma_down": gamma_down}


@pulse_rule
def pow_step(  # type: ignore[no-untyped-def]
    w, down, xi, max_bound, min_bound, dwmin_down, dwmin_up, gamma_down, gamma_up, dw_min_std
):
    span = max_bound - min_bound
    movable = span != 0.0
    distance = maximum(where(down, w - min_bound, max_bound - w), 0.0) / where(movable, span, 1.0)
    step = where(down, -dwmin_down, dwmin_up) * pow(distance, where(down, gamma_down, gamma_up))
    return where(movable, w + step * (1.0 + dw_min_std * xi), w)


@register(PowStepDevice)
class PowStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.PowStepDevice` cross-points."""

    model_parameter_names = ("gamma_up", "gamma_down")
    rule = pow_step
    gamma_up: Tensor
    gamma_down: Tensor

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        return sample_pow_exponents(self.config, common["max_bound"].shape, generator)

    def _granularity(self) -> float:
        return self.dw_min * 0.5 ** float(self.config.pow_gamma)
