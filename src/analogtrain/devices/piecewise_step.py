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
from analogtrain.devices.rule import floor, maximum, minimum, pulse_rule, take, where
from analogtrain.errors import ConfigError


def _nodes(config: Any) -> tuple[list[float], list[float]]:
    up, down = list(config.piecewise_up), list(config.piecewise_down)
    if not up or len(up) != len(down):
        raise ConfigError(
            f"{type(config).__name__}: piecewise_up and piecewise_down must be non-empty and "
            f"of equal length, got {len(up)} and {len(down)} nodes"
        )
    return [float(v) for v in up], [float(v) for v in down]


@pulse_rule
def piecewise_step(  # type: ignore[no-untyped-def]
    w, down, xi, max_bound, min_bound, dwmin_down, dwmin_up, nodes_down, nodes_up,
    n_segments, dw_min_std,
):  # fmt: skip
    span = max_bound - min_bound
    ranged = minimum(span, n_segments) > 0.0  # both positive
    s = maximum((w - min_bound) / where(ranged, span, 1.0) * n_segments, 0.0)
    k_float = minimum(floor(s), n_segments - 1.0)
    t = where(ranged, minimum(s - k_float, 1.0), 0.0)
    k = where(ranged, k_float, 0.0)
    k_next = minimum(k + 1.0, n_segments)
    node_k = where(down, take(nodes_down, k), take(nodes_up, k))
    node_next = where(down, take(nodes_down, k_next), take(nodes_up, k_next))
    factor = (1.0 - t) * node_k + t * node_next
    return w + where(down, -dwmin_down, dwmin_up) * factor * (1.0 + dw_min_std * xi)


@register(PiecewiseStepDevice)
class PiecewiseStepDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.PiecewiseStepDevice` cross-points."""

    nodes_up: Tensor
    nodes_down: Tensor
    rule = piecewise_step

    @property
    def n_segments(self) -> int:
        """The number of linear pieces between the nodes."""
        return self.nodes_up.numel() - 1

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
