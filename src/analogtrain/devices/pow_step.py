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


def pow_step_update(
    w: Tensor,
    down: Tensor,
    xi: Tensor | None,
    sigma: float,
    p: dict[str, Tensor],
) -> Tensor:
    """The power-step rule above (unclipped); ``p`` holds the per-device parameters."""
    b_max, b_min = p["max_bound"], p["min_bound"]
    span = b_max - b_min
    movable = span != 0
    safe_span = torch.where(movable, span, torch.ones_like(span))
    distance = torch.where(down, w - b_min, b_max - w).clamp(min=0.0) / safe_span
    exponent = torch.where(down, p["gamma_down"], p["gamma_up"])
    step = torch.where(down, -p["dwmin_down"], p["dwmin_up"]) * distance.pow(exponent)
    if xi is not None:
        step = step * (1.0 + sigma * xi)
    return torch.where(movable, w + step, w)


@register(PowStepDevice)
class PowStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.PowStepDevice` cross-points."""

    model_parameter_names = ("gamma_up", "gamma_down")
    gamma_up: Tensor
    gamma_down: Tensor

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        return sample_pow_exponents(self.config, common["max_bound"].shape, generator)

    def _granularity(self) -> float:
        return self.dw_min * 0.5 ** float(self.config.pow_gamma)

    def _update_once(self, w: Tensor, down: Tensor, xi: Tensor | None) -> Tensor:
        return pow_step_update(w, down, xi, self.dw_min_std, self._pow_parameters())

    def _pow_parameters(self) -> dict[str, Tensor]:
        return {
            "max_bound": self.max_bound,
            "min_bound": self.min_bound,
            "dwmin_up": self.dwmin_up,
            "dwmin_down": self.dwmin_down,
            "gamma_up": self.gamma_up,
            "gamma_down": self.gamma_down,
        }
