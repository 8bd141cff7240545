"""Power-step device read against a per-device reference (PowStepReferenceDevice).

The stored weight is ``v = g − ref_ij``; a pulse applies the power-step rule of
:mod:`analogtrain.devices.pow_step` to ``g = v + ref_ij``, clips ``g`` and stores ``g − ref_ij``.
No write noise. ``ref_ij = reference_mean + reference_std ξ``; with
``subtract_symmetry_point`` (devices with ``b_max > 0 > b_min``) the noise-free symmetry point is
found by iterating alternate up and down pulses from 0 without clipping,

    sp ← sp − Δ⁻ ((sp − b_min)/D)^Γ⁻ + Δ⁺ ((b_max − sp)/D)^Γ⁺,

``n_estimation_steps`` times (if > 0, else ``min(round(10 D / min(|Δ⁺|, |Δ⁻|)), 10000)``), and
added to both the reference and the reset bias.
Reference: the ``PowStepReferenceDevice`` model of IBM aihwkit 1.1.0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from analogtrain.configs.devices import PowStepReferenceDevice
from analogtrain.devices.pow_step import pow_step_update, sample_pow_exponents
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.sampling import standard_normal

_MAX_ESTIMATION_STEPS = 10000


def estimate_symmetry_point(p: dict[str, Tensor], n_estimation_steps: int) -> Tensor:
    """Noise-free symmetry point of each consistent device (0 elsewhere), float64."""
    b_max, b_min = p["max_bound"], p["min_bound"]
    consistent = (b_max > 0) & (b_min < 0)
    span = torch.where(consistent, b_max - b_min, torch.ones_like(b_max))
    if n_estimation_steps > 0:
        steps = torch.full_like(b_max, float(n_estimation_steps))
    else:
        smallest = torch.minimum(p["dwmin_up"].abs(), p["dwmin_down"].abs())
        ratio = 10.0 * span / torch.where(smallest > 0, smallest, torch.ones_like(smallest))
        rounded = torch.floor(ratio + 0.5)  # positive, so this rounds half away from zero
        steps = torch.where(
            smallest > 0,
            rounded.clamp(max=_MAX_ESTIMATION_STEPS),
            torch.full_like(ratio, _MAX_ESTIMATION_STEPS),
        )
    steps = torch.where(consistent, steps, torch.zeros_like(steps))
    sp = torch.zeros_like(b_max)
    for t in range(int(steps.max()) if steps.numel() else 0):
        down_part = p["dwmin_down"] * ((sp - b_min) / span).clamp(min=0.0).pow(p["gamma_down"])
        up_part = p["dwmin_up"] * ((b_max - sp) / span).clamp(min=0.0).pow(p["gamma_up"])
        sp = torch.where(steps > t, sp - down_part + up_part, sp)
    return sp


@register(PowStepReferenceDevice)
class PowStepReferenceDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.PowStepReferenceDevice` cross-points."""

    supports_write_noise = False
    model_parameter_names = ("gamma_up", "gamma_down", "reference")
    gamma_up: Tensor
    gamma_down: Tensor
    reference: Tensor

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        cfg = self.config
        shape = common["max_bound"].shape
        params = sample_pow_exponents(cfg, shape, generator)
        reference = cfg.reference_mean + cfg.reference_std * standard_normal(shape, generator)
        reset_bias = common["reset_bias"]
        if cfg.subtract_symmetry_point:
            sp = estimate_symmetry_point({**common, **params}, int(cfg.n_estimation_steps))
            reference = reference + sp
            reset_bias = reset_bias + sp
        return {**params, "reference": reference, "reset_bias": reset_bias}

    def _granularity(self) -> float:
        return self.dw_min * 0.5 ** float(self.config.pow_gamma)

    def pulse_once(self, w: Tensor, down: Tensor, generator: torch.Generator | None) -> Tensor:
        return super().pulse_once(w + self.reference, down, generator) - self.reference

    def _update_once(self, g: Tensor, down: Tensor, xi: Tensor | None) -> Tensor:
        p = {
            "max_bound": self.max_bound,
            "min_bound": self.min_bound,
            "dwmin_up": self.dwmin_up,
            "dwmin_down": self.dwmin_down,
            "gamma_up": self.gamma_up,
            "gamma_down": self.gamma_down,
        }
        return pow_step_update(g, down, xi, self.dw_min_std, p)
