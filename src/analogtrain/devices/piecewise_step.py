"""Piecewise-linear step device (PiecewiseStepDevice): the relative step size is interpolated
between nodes spread evenly over each device's own range.

With nodes ``p⁺_0 … p⁺_n`` (``piecewise_up``) and ``p⁻_0 … p⁻_n`` (``piecewise_down``), the first at
``b_min`` and the last at ``b_max``: ``s = max((w − b_min)/(b_max − b_min) · n, 0)``,
``k = min(⌊s⌋, n − 1)``, ``t = min(s − k, 1)`` and

    up:    w ← w + Δ⁺ ((1 − t) p⁺_k + t p⁺_{k+1}) (1 + σ ξ)
    down:  w ← w − Δ⁻ ((1 − t) p⁻_k + t p⁻_{k+1}) (1 + σ ξ)

then the clip. With a single node (``n = 0``) or a stuck device the first node is used.
Granularity ``g = dw_min · piecewise_up[len // 2]``.
Reference: the ``PiecewiseStepDevice`` model of IBM aihwkit 1.1.0.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.devices import PiecewiseStepDevice
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.errors import ConfigError


def _nodes(config: Any) -> tuple[list[float], list[float]]:
    up, down = list(config.piecewise_up), list(config.piecewise_down)
    if not up or len(up) != len(down):
        raise ConfigError(
            f"{type(config).__name__}: piecewise_up and piecewise_down must be non-empty and "
            f"of equal length, got {len(up)} and {len(down)} nodes"
        )
    return [float(v) for v in up], [float(v) for v in down]


@register(PiecewiseStepDevice)
class PiecewiseStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.PiecewiseStepDevice` cross-points."""

    nodes_up: Tensor
    nodes_down: Tensor

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        up, down = _nodes(self.config)
        device = self.weight.device
        self.register_buffer("nodes_up", torch.tensor(up, dtype=self.weight.dtype, device=device))
        self.register_buffer(
            "nodes_down", torch.tensor(down, dtype=self.weight.dtype, device=device)
        )
        return {}

    def _granularity(self) -> float:
        up, _ = _nodes(self.config)
        return self.dw_min * up[len(up) // 2]

    def _update_once(self, w: Tensor, down: Tensor, xi: Tensor | None) -> Tensor:
        n = self.nodes_up.numel() - 1
        span = self.max_bound - self.min_bound
        ranged = span > 0
        if n == 0:
            k = torch.zeros_like(w, dtype=torch.long)
            t = torch.zeros_like(w)
        else:
            safe_span = torch.where(ranged, span, torch.ones_like(span))
            s = torch.clamp((w - self.min_bound) / safe_span * n, min=0.0)
            k_float = torch.clamp(torch.floor(s), max=n - 1)
            t = torch.where(ranged, torch.clamp(s - k_float, max=1.0), 0.0)
            k = torch.where(ranged, k_float.long(), 0)
        k_next = torch.clamp(k + 1, max=n)
        node_lo = torch.where(down, self.nodes_down[k], self.nodes_up[k])
        node_hi = torch.where(down, self.nodes_down[k_next], self.nodes_up[k_next])
        factor = (1.0 - t) * node_lo + t * node_hi
        step = torch.where(down, -self.dwmin_down, self.dwmin_up) * factor
        if xi is not None:
            step = step * (1.0 + self.dw_min_std * xi)
        return w + step
