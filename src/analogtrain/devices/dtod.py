"""Device-to-device variation common to every pulsed model (spec single-tile 2.3).

Drawn once per array at construction, vectorised over the ``[out, in]`` matrix, in float64 on
the generator's device. With ``ξ`` standard normal and ``U`` uniform samples, per cross-point:

* bounds ``b_max = w_max (1 + w_max_dtod ξ)``, ``b_min = w_min (1 + w_min_dtod ξ)``;
* gain ``γ = 1 + dw_min_dtod ξ`` (or ``exp(dw_min_dtod ξ)`` if log-normal);
* steps ``Δ⁺ = (min(u, 0) + γ + r) dw_min`` and ``Δ⁻ = (−max(u, 0) + γ − r) dw_min`` with
  ``u = up_down`` and ``r = up_down_dtod ξ``: the asymmetry shrinks only one direction (the
  code of aihwkit, not its docstring, which describes a symmetric split);
* consistency, corrupt (stuck) devices, the "perfect" last column, diffusion rates
  ``ρ = |diffusion (1 + diffusion_dtod ξ)|``, reset bias ``reset + reset_dtod ξ``, decay
  factors ``δ = 1 − 1/t`` with ``t = lifetime (1 + lifetime_dtod ξ)`` (``0`` if ``t ≤ 1``,
  ``1`` without decay), and drift exponents ``ν = nu (1 + nu_dtod ξ)``.

Reference: M. J. Rasch et al., "A flexible and fast PyTorch toolkit for simulating training and
inference on analog crossbar arrays", AICAS 2021 (IBM aihwkit), device model documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from analogtrain.devices.sampling import standard_normal, uniform
from analogtrain.errors import ConfigError


@dataclass(frozen=True)
class MeanParameters:
    """The mean device parameters the d2d draws scale (derived for SoftBoundsPmax)."""

    w_min: float
    w_max: float
    dw_min: float
    up_down: float

    def check(self, config_name: str) -> None:
        if not self.w_min <= 0.0 <= self.w_max:
            raise ConfigError(
                f"{config_name}: [w_min, w_max] must contain 0, got "
                f"w_min={self.w_min!r}, w_max={self.w_max!r}"
            )


def split_up_down(gain: Tensor, asym: Tensor, up_down: float) -> tuple[Tensor, Tensor]:
    """Relative up/down magnitudes ``(min(u,0) + gain + asym, −max(u,0) + gain − asym)``."""
    up_bias = min(up_down, 0.0)
    down_bias = -max(up_down, 0.0)
    return up_bias + gain + asym, down_bias + gain - asym


def sample_common_parameters(
    config: Any,
    means: MeanParameters,
    out_size: int,
    in_size: int,
    generator: torch.Generator,
) -> dict[str, Tensor]:
    """Draw the common per-cross-point parameters; float64 tensors ``[out, in]``, keyed by the
    hidden-parameter names (``max_bound`` … ``drift_nu``)."""
    shape = (out_size, in_size)

    def normal() -> Tensor:
        return standard_normal(shape, generator)

    b_max = means.w_max * (1.0 + config.w_max_dtod * normal())
    b_min = means.w_min * (1.0 + config.w_min_dtod * normal())
    xi_gain = normal()
    if config.dw_min_dtod_log_normal:
        gain = torch.exp(config.dw_min_dtod * xi_gain)
    else:
        gain = 1.0 + config.dw_min_dtod * xi_gain
    asym = config.up_down_dtod * normal()
    rel_up, rel_down = split_up_down(gain, asym, means.up_down)
    dw_up = rel_up * means.dw_min
    dw_down = rel_down * means.dw_min

    if config.enforce_consistency:
        dw_up, dw_down = dw_up.abs(), dw_down.abs()
        lo, hi = torch.minimum(b_min, b_max), torch.maximum(b_min, b_max)
        b_max, b_min = hi.abs(), -lo.abs()
    else:
        mid = 0.5 * (b_max + b_min)
        crossed = b_min > b_max
        b_max = torch.where(crossed, mid, b_max)
        b_min = torch.where(crossed, mid, b_min)

    if config.corrupt_devices_prob > 0.0:
        corrupt = uniform(shape, generator) < config.corrupt_devices_prob
        span = abs(config.corrupt_devices_range)
        lo = torch.clamp(torch.minimum(b_max, b_min), min=-span)
        hi = torch.clamp(torch.maximum(b_max, b_min), max=span)
        stuck = lo + (hi - lo) * uniform(shape, generator)
        b_max = torch.where(corrupt, stuck, b_max)
        b_min = torch.where(corrupt, stuck, b_min)
        dw_up = torch.where(corrupt, 0.0, dw_up)
        dw_down = torch.where(corrupt, 0.0, dw_down)

    if config.perfect_bias:
        b_max[:, -1] = 100.0 * means.w_max
        b_min[:, -1] = 100.0 * means.w_min
        dw_up[:, -1] = means.dw_min
        dw_down[:, -1] = means.dw_min

    diffusion = max(config.diffusion, 0.0)
    diffusion_rates = (diffusion * (1.0 + config.diffusion_dtod * normal())).abs()
    reset_bias = max(config.reset, 0.0) + max(config.reset_dtod, 0.0) * normal()

    lifetime = max(config.lifetime, 0.0)
    if lifetime > 0.0:
        t = lifetime * (1.0 + config.lifetime_dtod * normal())
        decay_scales = torch.where(t > 1.0, 1.0 - 1.0 / t, torch.zeros_like(t))
    else:
        decay_scales = torch.ones(shape, dtype=torch.float64, device=generator.device)

    nu = config.drift.nu
    if nu > 0.0:
        drift_nu = nu + config.drift.nu_dtod * nu * normal()
    else:
        drift_nu = torch.full(shape, float(nu), dtype=torch.float64, device=generator.device)

    return {
        "max_bound": b_max,
        "min_bound": b_min,
        "dwmin_up": dw_up,
        "dwmin_down": dw_down,
        "decay_scales": decay_scales,
        "diffusion_rates": diffusion_rates,
        "reset_bias": reset_bias,
        "drift_nu": drift_nu,
    }
