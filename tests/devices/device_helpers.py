"""Shared helpers for the device-array tests (imported by name; fixtures live in conftest)."""

from __future__ import annotations

from typing import Any

import torch

from analogtrain.devices import DeviceArray, create_device_array

# every d2d and c2c spread of PulsedDevice switched off
NO_VARIATION: dict[str, float] = {
    "dw_min_dtod": 0.0,
    "dw_min_std": 0.0,
    "up_down_dtod": 0.0,
    "w_max_dtod": 0.0,
    "w_min_dtod": 0.0,
}


def build_array(config: Any, out_size: int = 4, in_size: int = 5, seed: int = 1234) -> DeviceArray:
    gen = torch.Generator().manual_seed(seed)
    return create_device_array(config, out_size, in_size, gen)


def one_pulse(array: DeviceArray, w0: float, down: bool, gen: torch.Generator) -> torch.Tensor:
    """Set all weights to ``w0``, apply one pulse everywhere, return the change."""
    array.set_weights(torch.full(array.shape, w0), gen)
    before = array.persistent_weight.clone()
    counts = torch.ones(array.shape, dtype=torch.int32)
    array.apply_pulse_counts(counts, torch.full(array.shape, down), gen)
    return array.persistent_weight - before
