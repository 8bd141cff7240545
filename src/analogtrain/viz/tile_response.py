"""Pulse responses measured on a tile, the way aihwkit's ``utils.visualization`` measures them.

These functions work on a *tile* (not on a device config alone, compare
:mod:`analogtrain.viz.pulse_response`): ``n_traces`` rows of one input each, every row one
sampled device with its own device-to-device variation.

* :func:`tile_for_plotting` builds such a tile from an RPU config (single pulses per update,
  optionally with the cycle-to-cycle noise switched off);
* :func:`compute_tile_pulse_response` sends one pulse per entry of ``direction`` (``+1`` up,
  ``-1`` down) and records the weights after every pulse;
* :func:`compute_step_statistics` turns such a trace into the mean and spread of one step
  as a function of the weight (a Gaussian-kernel average over the steps taken near each
  weight node);
* :func:`estimate_n_steps` is the number of steps from ``w_min`` to ``w_max`` of a
  single-device config, ``(w_max - w_min) / granularity``.

Everything here returns numbers (numpy arrays); drawing them is in
:mod:`analogtrain.viz.device_figures`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from numpy import ndarray

from analogtrain.errors import ArgumentError

__all__ = [
    "compute_step_statistics",
    "compute_tile_pulse_response",
    "estimate_n_steps",
    "pulse_directions",
    "tile_for_plotting",
]

#: the number of steps assumed for configs without a single pulsed device (aihwkit's choice)
DEFAULT_N_STEPS = 1000


def _core_tile(analog_tile: Any) -> Any:
    """The :class:`~analogtrain.tiles.AnalogTileBase` inside ``analog_tile``.

    Accepts a tile itself or a tile module (``AnalogTileModule`` and the aihwkit-style
    tile classes built on it), which holds its crossbar as ``.tile``.
    """
    from analogtrain.tiles import AnalogTileBase

    if isinstance(analog_tile, AnalogTileBase):
        return analog_tile
    inner = getattr(analog_tile, "tile", None)
    if isinstance(inner, AnalogTileBase):
        return inner
    raise ArgumentError(
        f"analog_tile must be an analog tile or tile module, got {type(analog_tile).__name__}"
    )


def _check_direction(direction: Any) -> ndarray:
    values = np.asarray(direction, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ArgumentError(
            f"direction must be a non-empty 1-d sequence of +1/-1, got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ArgumentError("direction contains non-finite values")
    return values


def pulse_directions(n_steps: int, total_iters: int, *, alternating: bool = False) -> ndarray:
    """Directions of ``total_iters`` pulses: blocks of ``n_steps`` up then ``n_steps`` down
    pulses (``alternating=True``: up, down, up, ... one pulse each)."""
    for name, value in (("n_steps", n_steps), ("total_iters", total_iters)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ArgumentError(f"{name} must be a positive int, got {value!r}")
    k = np.arange(total_iters)
    if alternating:
        return np.where(k % 2 == 0, 1.0, -1.0)
    return np.where((k // n_steps) % 2 == 0, 1.0, -1.0)


@torch.no_grad()
def compute_tile_pulse_response(
    analog_tile: Any, direction: Any, use_forward: bool = False
) -> ndarray:
    """Weights of ``analog_tile`` after each pulse of ``direction``.

    Each entry of ``direction`` is one update call with input ``-1`` on every column and
    error ``direction[k]`` on every row at the tile's learning rate, so that a positive
    entry moves every weight up (``W <- W - lr * d x^T``). With the single-pulse update
    settings of :func:`tile_for_plotting` (learning rate 1) that is one pulse per entry.

    Args:
        analog_tile: the tile (or tile module) to pulse; it is changed in place.
        direction: 1-d sequence of pulse directions (``+1`` up, ``-1`` down, ``0`` none).
        use_forward: read the weights with the tile's (noisy) forward pass on unit vectors
            instead of reading the stored weights exactly.

    Returns:
        ``w_trace``, an array ``[len(direction), out_size, in_size]``.
    """
    tile = _core_tile(analog_tile)
    values = _check_direction(direction)
    out_size, in_size = tile.out_size, tile.in_size
    x = -torch.ones(1, in_size, device=tile.device, dtype=tile.dtype)
    d_unit = torch.ones(1, out_size, device=tile.device, dtype=tile.dtype)
    eye = torch.eye(in_size, device=tile.device, dtype=tile.dtype)
    w_trace = np.zeros((values.size, out_size, in_size))
    for k, step in enumerate(values.tolist()):
        tile.update(x, d_unit * step)
        if use_forward:
            w_trace[k] = tile.forward_mvm(eye).t().cpu().double().numpy()
        else:
            w_trace[k] = tile.get_weights().cpu().double().numpy()
    return w_trace


def compute_step_statistics(
    w_nodes: Any,
    w_trace: Any,
    direction: Any,
    up_direction: bool,
    smoothness: float = 0.5,
) -> tuple[ndarray, ndarray]:
    """Mean and standard deviation of one step near each weight node.

    A *step* is the weight change of pulse ``k + 1`` given the weight after pulse ``k``;
    only steps of the chosen direction that continue a run of the same direction are used
    (the first pulse after a reversal is left out). Around each node ``n`` the steps are
    averaged with Gaussian weights ``exp(-(n - w)^2 / (2 lam^2))``, ``lam = smoothness *
    (node spacing) / 2``; where the weights sum to less than 0.1 (no step near the node)
    the result is NaN.

    Args:
        w_nodes: increasing, evenly spaced weights (at least two) at which to estimate.
        w_trace: ``[n_pulses, out_size, in_size]`` from :func:`compute_tile_pulse_response`.
        direction: the ``direction`` that produced ``w_trace``.
        up_direction: statistics of the up steps (True) or of the down steps (False).
        smoothness: kernel width in units of half the node spacing.

    Returns:
        ``(dw_mean, dw_std)``, each ``[len(w_nodes), out_size, in_size]``; down steps are
        negative numbers.
    """
    nodes = np.asarray(w_nodes, dtype=float)
    trace = np.asarray(w_trace, dtype=float)
    values = _check_direction(direction)
    if nodes.ndim != 1 or nodes.size < 2:
        raise ArgumentError(f"w_nodes must be a 1-d array of at least 2 weights, got {nodes.shape}")
    if trace.ndim != 3 or trace.shape[0] != values.size:
        raise ArgumentError(
            f"w_trace must be [len(direction)={values.size}, out, in], got {trace.shape}"
        )
    if not smoothness > 0:
        raise ArgumentError(f"smoothness must be > 0, got {smoothness!r}")
    sign = 1.0 if up_direction else -1.0
    keep = (values[:-1] * sign > 0) & (values[1:] == values[:-1])
    w_before = trace[:-1][keep]  # [n_steps, out, in]
    steps = np.diff(trace, axis=0)[keep]
    width = (nodes[1] - nodes[0]) / 2.0 * smoothness
    mean = np.full((nodes.size,) + trace.shape[1:], np.nan)
    std = np.full_like(mean, np.nan)
    if w_before.shape[0] == 0:
        return mean, std
    for i, node in enumerate(nodes):
        kernel = np.exp(-0.5 * ((node - w_before) / width) ** 2)
        total = kernel.sum(axis=0)
        enough = total >= 0.1
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = kernel / total
            m = (weights * steps).sum(axis=0)
            s = np.sqrt((weights * (steps - m) ** 2).sum(axis=0))
        mean[i] = np.where(enough, m, np.nan)
        std[i] = np.where(enough, s, np.nan)
    return mean, std


def _single_device(rpu_config: Any) -> Any:
    from analogtrain.configs import PulsedDevice, SingleRPUConfig

    if isinstance(rpu_config, SingleRPUConfig) and isinstance(rpu_config.device, PulsedDevice):
        return rpu_config.device
    return None


def estimate_n_steps(rpu_config: Any) -> int:
    """Pulses needed to sweep from ``w_min`` to ``w_max``: ``round((w_max - w_min) / g)``
    with the device's granularity ``g`` (for a ``SingleRPUConfig`` with a pulsed device).

    Only a rough number for non-linear devices. Configs of other devices (unit cells,
    compounds) get 1000, as in aihwkit.
    """
    from analogtrain.configs import SingleRPUConfig

    if not isinstance(rpu_config, SingleRPUConfig):
        return DEFAULT_N_STEPS
    device = _single_device(rpu_config)
    if device is None:
        raise ArgumentError(
            f"n_steps can be estimated only for a pulsed device, not "
            f"{type(rpu_config.device).__name__}: give n_steps explicitly"
        )
    from analogtrain.devices import create_device_array
    from analogtrain.rng import make_generator

    array = create_device_array(copy.deepcopy(device), 1, 1, make_generator(0))
    return int(round((device.w_max - device.w_min) / float(array.granularity)))


def _quiet_device(device: Any) -> None:
    """Switch off the cycle-to-cycle noise of one device config (in place)."""
    from analogtrain.configs import IOParameters

    if hasattr(device, "dw_min_std"):
        device.dw_min_std = 0.0
    if getattr(device, "write_noise_std", 0.0) > 0.0:
        # kept tiny rather than 0 so that the hidden parameters keep their names
        device.write_noise_std = 1e-6
    for name in ("refresh_forward", "transfer_forward"):
        if hasattr(device, name):
            setattr(device, name, IOParameters(is_perfect=True))
    # aihwkit also sets the transfer (and refresh) update to PulseType.NONE; analogtrain
    # does not simulate that on pulsed arrays, so transfers stay pulsed (onto devices that
    # are noise-free themselves)


def tile_for_plotting(
    rpu_config: Any,
    n_traces: int,
    use_cuda: bool = False,
    noise_free: bool = False,
    w_init: float | None = None,
) -> Any:
    """A ``[n_traces, 1]`` tile of ``rpu_config`` set up to show single pulses.

    The update sends exactly one pulse per update call (no update or bit-length management,
    ``desired_bl = 1``, learning rate 1); all weights start at ``w_init`` (default: the
    device's ``w_min``, or -1 for configs without one).

    Args:
        rpu_config: a ``SingleRPUConfig`` or ``UnitCellRPUConfig`` (not changed).
        n_traces: number of rows, i.e. of sampled devices.
        use_cuda: put the tile on CUDA (an error when torch has no CUDA device).
        noise_free: switch off cycle-to-cycle noise: ``dw_min_std = 0`` on every device,
            perfect forward and transfer reads, write noise reduced to 1e-6 (transfers of
            compounds stay pulsed, unlike aihwkit's exact transfers).
        w_init: initial weight of every row.
    """
    from analogtrain.tiles import create_tile

    if isinstance(n_traces, bool) or not isinstance(n_traces, int) or n_traces < 1:
        raise ArgumentError(f"n_traces must be a positive int, got {n_traces!r}")
    config = copy.deepcopy(rpu_config)
    config.update.update_bl_management = False
    config.update.update_management = False
    config.update.desired_bl = 1
    if noise_free:
        config.forward.is_perfect = True
        _quiet_device(config.device)
        for sub in getattr(config.device, "unit_cell_devices", ()) or ():
            _quiet_device(sub)
        inner = getattr(config.device, "device", None)
        if inner is not None:
            _quiet_device(inner)
    if use_cuda and not torch.cuda.is_available():
        raise ArgumentError("use_cuda=True, but torch sees no CUDA device (pass use_cuda=False)")
    device = "cuda" if use_cuda else None
    tile = create_tile(config, n_traces, 1, device=device)
    tile.set_learning_rate(1.0)
    if w_init is None:
        w_min = getattr(config.device, "w_min", None)
        w_init = float(w_min) if isinstance(w_min, (int, float)) else -1.0
    tile.set_weights(torch.full((n_traces, 1), float(w_init)))
    return tile
