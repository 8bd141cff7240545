"""Constant-step device: every pulse moves the weight by the device's own fixed step.

    up:    w ← w + Δ⁺_ij (1 + σ ξ)
    down:  w ← w − Δ⁻_ij (1 + σ ξ)

followed by the hard-bound clip to ``[b_min_ij, b_max_ij]``; ``σ = dw_min_std`` (so the
absolute c2c std is ``σ Δ±_ij``). No write noise (the config has no such field).
Reference: T. Gokmen and Y. Vlasov, "Acceleration of deep neural network training with
resistive cross-point devices", Front. Neurosci. 10:333 (2016).
"""

from __future__ import annotations

from analogtrain.configs.devices import ConstantStepDevice
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.rule import pulse_rule, where


@pulse_rule
def constant_step(w, down, xi, dwmin_down, dwmin_up, dw_min_std):  # type: ignore[no-untyped-def]
    return w + where(down, -dwmin_down, dwmin_up) * (1.0 + dw_min_std * xi)


@register(ConstantStepDevice)
class ConstantStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.ConstantStepDevice` cross-points."""

    supports_write_noise = False
    rule = constant_step
