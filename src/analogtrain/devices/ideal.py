"""Exact floating-point weights (IdealDevice, FloatingPointDevice): no pulses, no bounds.

* update (``float_update``): ``W ← W − lr Σ_m d_m x_mᵀ`` for a batch ``x [m, in]``, ``d [m, out]``;
* decay: if ``lifetime > 1``, ``W ← s W`` with ``s = 1 − α / lifetime`` when ``0 < s < 1``;
* diffusion: ``W ← W + diffusion · ξ``;
* reset: selected elements become ``reset_std · ξ`` (``IdealDevice``; 0 for
  ``FloatingPointDevice``, which has no ``reset_std``);
* drift (``FloatingPointDevice`` only, explicit calls): the power law of
  :mod:`analogtrain.devices.drift` with one global exponent ``ν``.

There is no granularity (``granularity = 0``, ``n_states = inf``); the pulsed-update
machinery must route these arrays through ``float_update`` (``is_floating_point = True``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.devices import FloatingPointDevice, IdealDevice
from analogtrain.devices.base import DeviceArray
from analogtrain.devices.drift import DriftSettings, PowerLawDrift
from analogtrain.devices.registry import register
from analogtrain.devices.sampling import standard_normal
from analogtrain.errors import ArgumentError, TileError


@register(IdealDevice)
@register(FloatingPointDevice)
class FloatingPointDeviceArray(DeviceArray):
    """Array of exact floating-point weights (``is_floating_point = True``)."""

    is_floating_point = True

    def __init__(
        self,
        config: Any,
        out_size: int,
        in_size: int,
        generator: torch.Generator | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__(
            config, out_size, in_size, uses_persistent_weight=False, device=device, dtype=dtype
        )
        self.granularity = 0.0
        self.n_states = math.inf
        self.lifetime = max(float(config.lifetime), 0.0)
        self.diffusion = max(float(config.diffusion), 0.0)
        self.reset_std = (
            max(float(config.reset_std), 0.0) if isinstance(config, IdealDevice) else 0.0
        )
        drift = (
            DriftSettings.from_simple_drift_parameter(config.drift)
            if isinstance(config, FloatingPointDevice)
            else DriftSettings(nu=0.0)
        )
        self.drifter = PowerLawDrift(drift, self.weight) if drift.nu > 0.0 else None
        self.register_buffer(
            "drift_nu", torch.tensor(drift.nu, dtype=dtype, device=self.weight.device)
        )

    def float_update(self, x: Tensor, d: Tensor, lr: float) -> None:
        """``W ← W − lr · dᵀ x`` summed over the batch (``x [m, in]``, ``d [m, out]``)."""
        x = torch.as_tensor(x).to(self.weight)
        d = torch.as_tensor(d).to(self.weight)
        if x.dim() == 1:
            x = x.unsqueeze(0)
        if d.dim() == 1:
            d = d.unsqueeze(0)
        if x.shape[-1] != self.in_size or d.shape[-1] != self.out_size or x.shape[0] != d.shape[0]:
            raise TileError(
                f"float_update needs x [m, {self.in_size}] and d [m, {self.out_size}], "
                f"got {tuple(x.shape)} and {tuple(d.shape)}"
            )
        with torch.no_grad():
            self.weight.sub_(lr * (d.transpose(0, 1) @ x))

    def pulse_once(self, w: Tensor, down: Tensor, generator: torch.Generator | None) -> Tensor:
        raise TileError(f"{type(self.config).__name__} is updated exactly; it has no pulses")

    def apply_pulse_counts(
        self, counts: Tensor, down: Tensor, generator: torch.Generator | None
    ) -> None:
        raise TileError(f"{type(self.config).__name__} is updated exactly; it has no pulses")

    def set_weights(self, w: Tensor, generator: torch.Generator | None) -> None:
        with torch.no_grad():
            self.weight.copy_(self.check_matrix(w, "weights", finite=True))

    def clip_weights(self, c: float, generator: torch.Generator | None) -> None:
        if c >= 0.0:
            with torch.no_grad():
                self.weight.clamp_(-c, c)

    def decay_weights(self, alpha: float, generator: torch.Generator | None) -> None:
        if self.lifetime <= 1.0:
            return
        scale = 1.0 - alpha / self.lifetime
        if 0.0 < scale < 1.0:
            with torch.no_grad():
                self.weight.mul_(scale)

    def diffuse_weights(self, generator: torch.Generator | None) -> None:
        if self.diffusion > 0.0:
            noise = standard_normal(self.weight.shape, generator, like=self.weight)
            with torch.no_grad():
                self.weight.add_(self.diffusion * noise)

    def reset_columns(
        self, start: int, n: int, prob: float, generator: torch.Generator | None
    ) -> None:
        mask = self._reset_mask(start, n, prob, generator)
        if mask is None:
            return
        target = torch.zeros_like(self.weight)
        if self.reset_std > 0.0:
            target = self.reset_std * standard_normal(target.shape, generator, like=target)
        with torch.no_grad():
            self.weight.copy_(torch.where(mask, target, self.weight))

    def drift_weights(self, delta_t: float, generator: torch.Generator | None) -> None:
        if self.drifter is None:
            return
        if delta_t < 0.0:
            raise ArgumentError(f"drift time step must be >= 0, got {delta_t!r}")
        with torch.no_grad():
            self.weight.copy_(self.drifter.step(self.weight, self.drift_nu, delta_t, generator))
