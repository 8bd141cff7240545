"""Linear-step devices: the step shrinks linearly with the weight (LinearStep, SoftBounds,
SoftBoundsPmax).

Per cross-point slopes are drawn at construction,

    slope⁺ = −G⁺ Δ⁺ / R⁺,   slope⁻ = −G⁻ Δ⁻ / R⁻,
    G± = |gamma_± + gamma_±_dtod ξ|   (sign kept if ``allow_increasing``),
    R⁺ = B_max (or B_min − reverse_offset if ``reverse_up``),
    R⁻ = B_min (or B_max + reverse_offset if ``reverse_down``),

with ``(B_max, B_min)`` the mean bounds if ``mean_bound_reference`` else the device's own
bounds (a zero reference gives slope 0). One pulse then moves the weight by

    multiplicative noise:  up  w ← w + (slope⁺ w + Δ⁺)(1 + σ ξ)
                           down w ← w − (slope⁻ w + Δ⁻)(1 + σ ξ)
    additive noise:        up  w ← w + slope⁺ w + Δ⁺ (1 + σ ξ)
                           down w ← w − slope⁻ w − Δ⁻ (1 + σ ξ)

and is clipped to the bounds. ``SoftBoundsDevice`` is this model with ``G± = 1`` (no spread)
and per-device references, i.e. ``Δw⁺ = Δ⁺ (1 − w / b_max)``, ``Δw⁻ = Δ⁻ (1 − w / b_min)``: the
step vanishes at each device's own bound. ``SoftBoundsPmaxDevice`` is SoftBounds with
``w_min, w_max, dw_min, up_down`` derived from ``p_max, alpha, range_min, range_max``.
References: S. Kim et al., "Zero-shifting technique for deep neural network training on
resistive cross-point arrays", arXiv:1907.10228 (2019); T. Gokmen and W. Haensch, "Algorithm
for training neural networks on resistive device arrays", Front. Neurosci. 14:103 (2020).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.devices import LinearStepDevice, SoftBoundsDevice, SoftBoundsPmaxDevice
from analogtrain.devices.dtod import MeanParameters
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.rule import pulse_rule, where
from analogtrain.devices.sampling import standard_normal
from analogtrain.errors import ConfigError


@dataclass(frozen=True)
class LinearStepSettings:
    """The linear-step parameters in effect (fixed ones for the soft-bounds configs)."""

    gamma_up: float
    gamma_down: float
    gamma_up_dtod: float
    gamma_down_dtod: float
    allow_increasing: bool
    mean_bound_reference: bool
    mult_noise: bool
    reverse_up: bool
    reverse_down: bool
    reverse_offset: float

    @classmethod
    def from_config(cls, config: Any) -> LinearStepSettings:
        if isinstance(config, SoftBoundsDevice):
            gammas: tuple[float, float, float, float] = (1.0, 1.0, 0.0, 0.0)
            allow_increasing, mean_bound_reference = False, False
        else:
            gammas = (
                config.gamma_up,
                config.gamma_down,
                config.gamma_up_dtod,
                config.gamma_down_dtod,
            )
            allow_increasing = config.allow_increasing
            mean_bound_reference = config.mean_bound_reference
        settings = cls(
            *map(float, gammas),
            bool(allow_increasing),
            bool(mean_bound_reference),
            bool(config.mult_noise),
            bool(config.reverse_up),
            bool(config.reverse_down),
            float(config.reverse_offset),
        )
        if (settings.reverse_up or settings.reverse_down) and not settings.mult_noise:
            raise ConfigError(
                f"{type(config).__name__}: reverse_up/reverse_down need mult_noise=True "
                f"(got reverse_up={settings.reverse_up}, reverse_down={settings.reverse_down})"
            )
        return settings


@pulse_rule
def linear_step(  # type: ignore[no-untyped-def]
    w, down, xi, slope_down, slope_up, dwmin_down, dwmin_up, dw_min_std, mult_noise
):
    sign = where(down, -1.0, 1.0)
    slope = where(down, slope_down, slope_up)
    step = where(down, dwmin_down, dwmin_up)
    noise = 1.0 + dw_min_std * xi
    multiplicative = w + sign * ((slope * w + step) * noise)
    return where(mult_noise > 0.0, multiplicative, w + sign * (slope * w + step * noise))


@register(LinearStepDevice)
@register(SoftBoundsDevice)
@register(SoftBoundsPmaxDevice)
class LinearStepDeviceArray(PulsedDeviceArray):
    """Array of LinearStep / SoftBounds / SoftBoundsPmax cross-points."""

    model_parameter_names = ("slope_up", "slope_down")
    rule = linear_step
    slope_up: Tensor
    slope_down: Tensor

    def _mean_parameters(self, config: Any) -> MeanParameters:
        if isinstance(config, SoftBoundsPmaxDevice):
            derived = config.derived_parameters()
            return MeanParameters(
                w_min=float(derived["w_min"]),
                w_max=float(derived["w_max"]),
                dw_min=float(derived["dw_min"]),
                up_down=float(derived["up_down"]),
            )
        return super()._mean_parameters(config)

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        s = LinearStepSettings.from_config(self.config)
        self.mult_noise = s.mult_noise
        shape = common["max_bound"].shape
        g_up = s.gamma_up + s.gamma_up_dtod * standard_normal(shape, generator)
        g_down = s.gamma_down + s.gamma_down_dtod * standard_normal(shape, generator)
        if not s.allow_increasing:
            g_up, g_down = g_up.abs(), g_down.abs()
        if s.mean_bound_reference:
            b_max = torch.full_like(g_up, self.w_max)
            b_min = torch.full_like(g_up, self.w_min)
        else:
            b_max, b_min = common["max_bound"], common["min_bound"]
        ref_up = b_min - s.reverse_offset if s.reverse_up else b_max
        ref_down = b_max + s.reverse_offset if s.reverse_down else b_min
        return {
            "slope_up": _slope(g_up, common["dwmin_up"], ref_up),
            "slope_down": _slope(g_down, common["dwmin_down"], ref_down),
        }


def _slope(gamma: Tensor, step: Tensor, reference: Tensor) -> Tensor:
    """``−gamma · step / reference``, 0 where the reference is 0."""
    safe = torch.where(reference == 0, torch.ones_like(reference), reference)
    return torch.where(reference == 0, torch.zeros_like(gamma), -gamma * step / safe)
