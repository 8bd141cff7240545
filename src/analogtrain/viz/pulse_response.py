"""Numbers that describe how a pulsed device model responds to pulses (no plotting here).

Three measurements on a few sampled devices (each with its own device-to-device variation,
drawn from ``seed``), all made through the device arrays' own update-once rule
(:meth:`analogtrain.devices.DeviceArray.pulse_once`), so they show exactly what training sees:

* :func:`compute_pulse_response`: the classic *up/down loop*: starting at ``w = 0``, blocks
  of ``n_pulses`` up pulses then ``n_pulses`` down pulses, repeated ``n_cycles`` times; the
  weight after every pulse.
* :func:`compute_pulse_statistics`: the mean step size of one up and one down pulse as a
  function of the weight (averaged over cycle-to-cycle noise), and summary numbers:

  - ``granularity`` ``g`` and ``n_states = (w_max − w_min) / g`` (the device's own values,
    spec single-tile 2.4);
  - ``step_up_at_zero``, ``step_down_at_zero``: mean step magnitudes at ``w = 0``;
  - ``asymmetry = (Δ⁺(0) − Δ⁻(0)) / max(Δ⁺(0), Δ⁻(0))``, the relative up/down imbalance at
    ``w = 0`` (it equals ``up_down`` for a device without other asymmetries);
  - ``symmetry_point``: the weight at which a device settles under alternating up/down
    pulses, measured by pulsing (the mean weight over the second half of ``2 · n_states``
    up/down pairs). For soft-bounds models it is ``w* = (Δ⁺ − Δ⁻)/(Δ⁺/b_max − Δ⁻/b_min)``;
    a constant-step device has none and ends wherever its random walk (or, with
    ``up_down ≠ 0``, its drift to a bound) took it.

The devices of both functions are the same for the same ``config``, ``n_devices`` and
``seed``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from analogtrain.errors import ArgumentError
from analogtrain.rng import derive_seed, make_generator

__all__ = [
    "PulseResponse",
    "PulseStatistics",
    "compute_pulse_response",
    "compute_pulse_statistics",
]

_MAX_PULSES = 20_000


@dataclass(frozen=True)
class PulseResponse:
    """Weight trajectories of an up/down pulse loop."""

    device_name: str
    directions: Tensor  # [n_total] +1 for an up pulse, -1 for a down pulse
    weights: Tensor  # [n_total + 1, n_devices] weight before the first and after each pulse
    min_bound: Tensor  # [n_devices] each device's lower bound
    max_bound: Tensor  # [n_devices]
    granularity: float
    n_states: float

    @property
    def n_devices(self) -> int:
        """Number of sampled devices."""
        return int(self.weights.shape[1])


@dataclass(frozen=True)
class PulseStatistics:
    """Step size against weight, and the summary numbers of a device model."""

    device_name: str
    weights: Tensor  # [n_devices, n_grid] grid over each device's own [b_min, b_max]
    step_up: Tensor  # [n_devices, n_grid] mean weight change of one up pulse (>= 0 mostly)
    step_down: Tensor  # [n_devices, n_grid] mean magnitude of one down pulse
    granularity: float
    n_states: float
    w_min: float  # mean lower bound of the sampled devices
    w_max: float
    step_up_at_zero: float  # mean over devices
    step_down_at_zero: float
    asymmetry: float
    symmetry_points: Tensor  # [n_devices]

    @property
    def symmetry_point(self) -> float:
        """Mean over the sampled devices of where they settle under alternating pulses."""
        return float(self.symmetry_points.mean())

    def summary(self) -> dict[str, float | str]:
        """The scalar numbers, for printing or JSON."""
        return {
            "device": self.device_name,
            "granularity": self.granularity,
            "n_states": self.n_states,
            "w_min": self.w_min,
            "w_max": self.w_max,
            "step_up_at_zero": self.step_up_at_zero,
            "step_down_at_zero": self.step_down_at_zero,
            "asymmetry": self.asymmetry,
            "symmetry_point": self.symmetry_point,
            "symmetry_point_std": float(self.symmetry_points.std())
            if self.symmetry_points.numel() > 1
            else 0.0,
        }


def _check_config(config: Any) -> None:
    from analogtrain.configs import PulsedDevice

    if isinstance(config, type):
        raise ArgumentError(f"give a device instance, not the class {config.__name__}")
    if not isinstance(config, PulsedDevice):
        raise ArgumentError(
            f"{type(config).__name__} is not a pulsed device model: a pulse response exists "
            "only for PulsedDevice subclasses (IdealDevice, FloatingPointDevice and compounds "
            "have none; plot their sub-devices instead)"
        )


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be a positive int, got {value!r}")


def _base_array(config: Any, n_devices: int, seed: int) -> Any:
    """``n_devices`` sampled devices, as column 0 of a ``[n_devices, 2]`` array.

    Two columns keep ``perfect_bias`` (which acts on the last column) off the sampled devices.
    """
    from analogtrain.devices import create_device_array

    _check_config(config)
    _check_positive("n_devices", n_devices)
    generator = make_generator(derive_seed(seed, "pulse-response", "construction"))
    return create_device_array(copy.deepcopy(config), n_devices, 2, generator, dtype=torch.float64)


def _replicate(base: Any, n_columns: int) -> Any:
    """A ``[n_devices, n_columns]`` array whose every column is a copy of ``base``'s column 0."""
    from analogtrain.devices import create_device_array

    generator = make_generator(1)
    array = create_device_array(
        base.config, base.out_size, n_columns, generator, dtype=torch.float64
    )
    params = {
        name: value[:, :1].expand(-1, n_columns).clone()
        for name, value in base.get_hidden_parameters().items()
    }
    array.set_hidden_parameters(params)
    return array


def _name(config: Any) -> str:
    return type(config).__name__


def default_n_pulses(n_states: float) -> int:
    """Pulses per block: enough to sweep the whole range of a constant-step device."""
    if not math.isfinite(n_states) or n_states <= 0:
        return 1000
    return int(min(max(math.ceil(n_states), 10), _MAX_PULSES))


def compute_pulse_response(
    device_config: Any,
    *,
    n_pulses: int | None = None,
    n_devices: int = 8,
    n_cycles: int = 2,
    seed: int = 1,
) -> PulseResponse:
    """Up/down pulse loops of ``n_devices`` sampled devices of ``device_config``.

    Each cycle is ``n_pulses`` up pulses followed by ``n_pulses`` down pulses, starting at
    ``w = 0``; the weight (the persistent one, without write noise) is recorded after every
    pulse. ``n_pulses=None`` takes the device's number of states (capped at 20 000).
    """
    base = _base_array(device_config, n_devices, seed)
    _check_positive("n_cycles", n_cycles)
    if n_pulses is None:
        n_pulses = default_n_pulses(base.n_states)
    _check_positive("n_pulses", n_pulses)
    generator = make_generator(derive_seed(seed, "pulse-response", "cycles"))
    directions = torch.cat(
        [torch.ones(n_pulses), -torch.ones(n_pulses)] * n_cycles
    )  # [2 * n_pulses * n_cycles]
    w = torch.zeros(base.out_size, base.in_size, dtype=torch.float64)
    trace = torch.empty(directions.numel() + 1, base.out_size, dtype=torch.float64)
    trace[0] = w[:, 0]
    up = torch.zeros_like(w, dtype=torch.bool)
    down = torch.ones_like(w, dtype=torch.bool)
    with torch.no_grad():
        for k, direction in enumerate(directions.tolist()):
            w = base.pulse_once(w, up if direction > 0 else down, generator)
            trace[k + 1] = w[:, 0]
    return PulseResponse(
        device_name=_name(device_config),
        directions=directions.to(torch.int8),
        weights=trace,
        min_bound=base.min_bound[:, 0].clone(),
        max_bound=base.max_bound[:, 0].clone(),
        granularity=float(base.granularity),
        n_states=float(base.n_states),
    )


def _mean_step(array: Any, w: Tensor, down: bool, repeats: int, generator: Any) -> Tensor:
    mask = torch.full_like(w, down, dtype=torch.bool)
    total = torch.zeros_like(w)
    for _ in range(repeats):
        total += array.pulse_once(w, mask, generator) - w
    step = total / repeats
    return -step if down else step


def compute_pulse_statistics(
    device_config: Any,
    *,
    n_devices: int = 8,
    seed: int = 1,
    n_grid: int = 41,
    n_repeats: int = 64,
    n_pairs: int | None = None,
    n_chains: int = 8,
) -> PulseStatistics:
    """Step size against weight and summary numbers of ``device_config`` (see module doc).

    Args:
        device_config: a pulsed device config instance (e.g. ``SoftBoundsDevice()``).
        n_devices: number of sampled devices (the same ones as :func:`compute_pulse_response`
            with the same ``seed``).
        seed: seed of the device-to-device and cycle-to-cycle draws.
        n_grid: weights per device at which the mean step is measured, evenly spaced over
            the device's own ``[b_min, b_max]``.
        n_repeats: pulses averaged per grid point (cycle-to-cycle noise).
        n_pairs: up/down pairs used to find the symmetry point (default ``2 · n_states``,
            at most 20 000).
        n_chains: independent alternating-pulse chains per device.
    """
    base = _base_array(device_config, n_devices, seed)
    for name, value in (("n_grid", n_grid), ("n_repeats", n_repeats), ("n_chains", n_chains)):
        _check_positive(name, value)
    if n_grid < 2:
        raise ArgumentError(f"n_grid must be at least 2, got {n_grid}")
    generator = make_generator(derive_seed(seed, "pulse-response", "statistics"))
    lo = base.min_bound[:, :1]
    hi = base.max_bound[:, :1]
    t = torch.linspace(0.0, 1.0, n_grid, dtype=torch.float64)
    with torch.no_grad():
        grid_array = _replicate(base, n_grid)
        grid = lo + (hi - lo) * t  # [n_devices, n_grid]
        step_up = _mean_step(grid_array, grid, False, n_repeats, generator)
        step_down = _mean_step(grid_array, grid, True, n_repeats, generator)

        n_zero = max(n_repeats, 1024)  # one call; many samples for noisy devices
        zero_array = _replicate(base, n_zero)
        zero = torch.zeros(base.out_size, n_zero, dtype=torch.float64)
        up0 = float(_mean_step(zero_array, zero, False, 1, generator).mean())
        down0 = float(_mean_step(zero_array, zero, True, 1, generator).mean())

        if n_pairs is None:
            n_pairs = 2 * default_n_pulses(base.n_states)
        _check_positive("n_pairs", n_pairs)
        chains = _replicate(base, n_chains)
        w = torch.zeros(base.out_size, n_chains, dtype=torch.float64)
        up = torch.zeros_like(w, dtype=torch.bool)
        down = torch.ones_like(w, dtype=torch.bool)
        acc = torch.zeros_like(w)
        start = n_pairs // 2
        for k in range(n_pairs):
            w = chains.pulse_once(w, up, generator)
            if k >= start:
                acc += w
            w = chains.pulse_once(w, down, generator)
            if k >= start:
                acc += w
        symmetry = (acc / (2 * (n_pairs - start))).mean(dim=1)

    biggest = max(abs(up0), abs(down0))
    return PulseStatistics(
        device_name=_name(device_config),
        weights=grid,
        step_up=step_up,
        step_down=step_down,
        granularity=float(base.granularity),
        n_states=float(base.n_states),
        w_min=float(base.min_bound[:, 0].mean()),
        w_max=float(base.max_bound[:, 0].mean()),
        step_up_at_zero=up0,
        step_down_at_zero=down0,
        asymmetry=(up0 - down0) / biggest if biggest > 0 else 0.0,
        symmetry_points=symmetry,
    )
