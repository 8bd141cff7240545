"""Soft-bounds device read against a per-device reference (SoftBoundsReferenceDevice).

The physical value is ``g = v + ref_ij`` where ``v`` is the stored (and read-out) weight. One
pulse acts on ``g`` with soft bounds,

    up:   a = g / b_max (0 if b_max ≤ 0)
          g ← g + Δ⁺ (1 − a)(1 + σ ξ)    (multiplicative noise)
          g ← g + Δ⁺ (1 − a + σ ξ)       (additive noise, the default)
    down: a = g / b_min (0 if b_min ≥ 0)
          g ← g − Δ⁻ (1 − a)(1 + σ ξ)  or  g − Δ⁻ (1 − a + σ ξ)

then ``g`` is clipped to ``[b_min, b_max]`` and ``v = g − ref_ij``. At construction the bounds of
consistent devices (``b_max > 0 > b_min``) are divided by ``|1 + slope_*_dtod ξ|`` (varying the
slopes ``Δ/b``), ``ref_ij = reference_mean + reference_std ξ``, and with
``subtract_symmetry_point`` the symmetry point ``sp = (Δ⁺ − Δ⁻)/(Δ⁺/b_max − Δ⁻/b_min)`` is added
to both the reference and the reset bias, so that the stored weight reads 0 there.

[quirk] The operations inherited from the common framework (clip on set, decay, diffusion,
reset, clip_weights) act on the stored value ``v`` with the bounds of ``g``, as aihwkit 1.1.0
does.
Reference: the ``SoftBoundsReferenceDevice`` model of IBM aihwkit 1.1.0; symmetry-point
subtraction as in M. J. Rasch et al., "Fast and robust analog in-memory deep neural network
training", Nat. Commun. (2024).
"""

from __future__ import annotations

import torch
from torch import Tensor

from analogtrain.configs.devices import SoftBoundsReferenceDevice
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.rule import pulse_rule, where
from analogtrain.devices.sampling import standard_normal


@pulse_rule
def soft_bounds_reference(  # type: ignore[no-untyped-def]
    w, down, xi, max_bound, min_bound, dwmin_down, dwmin_up, dw_min_std, mult_noise
):
    a_up = where(max_bound > 0.0, w / max_bound, 0.0)
    a_down = where(min_bound < 0.0, w / min_bound, 0.0)
    factor = 1.0 - where(down, a_down, a_up)
    step = where(down, -dwmin_down, dwmin_up)
    multiplicative = w + step * factor * (1.0 + dw_min_std * xi)
    return where(mult_noise > 0.0, multiplicative, w + step * (factor + dw_min_std * xi))


@register(SoftBoundsReferenceDevice)
class SoftBoundsReferenceDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.SoftBoundsReferenceDevice` cross-points."""

    model_parameter_names = ("reference",)
    rule = soft_bounds_reference
    reference_parameter = "reference"
    reference: Tensor

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        cfg = self.config
        self.mult_noise = bool(cfg.mult_noise)
        b_max, b_min = common["max_bound"], common["min_bound"]
        shape = b_max.shape
        consistent = (b_max > 0) & (b_min < 0)
        if cfg.slope_up_dtod != 0.0 or cfg.slope_down_dtod != 0.0:
            b_max = torch.where(
                consistent,
                b_max / (1.0 + cfg.slope_up_dtod * standard_normal(shape, generator)).abs(),
                b_max,
            )
            b_min = torch.where(
                consistent,
                b_min / (1.0 + cfg.slope_down_dtod * standard_normal(shape, generator)).abs(),
                b_min,
            )
        reference = cfg.reference_mean + cfg.reference_std * standard_normal(shape, generator)
        reset_bias = common["reset_bias"]
        if cfg.subtract_symmetry_point:
            up, dn = common["dwmin_up"], common["dwmin_down"]
            denom = torch.where(consistent, up / b_max - dn / b_min, torch.ones_like(up))
            sp = torch.where(consistent, (up - dn) / denom, torch.zeros_like(up))
            reference = reference + sp
            reset_bias = reset_bias + sp
        return {
            "max_bound": b_max,
            "min_bound": b_min,
            "reset_bias": reset_bias,
            "reference": reference,
        }
