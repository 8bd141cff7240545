"""Step-response figures of a device or RPU config, with aihwkit's arguments.

The figures of aihwkit's ``utils.visualization`` (``plot_device``, ``plot_device_compact``,
``plot_response_overview``, ``plot_device_symmetry``, ``plot_pulse_response``,
``plot_pulse_statistics``), drawn from the numbers of :mod:`analogtrain.viz.tile_response`.
Unlike aihwkit they never touch ``pyplot``: every function builds a
:class:`matplotlib.figure.Figure` itself and returns it (or draws into the ``axes`` it is
given), so nothing pops up and no global figure state changes. matplotlib is imported only
when a figure is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy import ndarray

from analogtrain.errors import ArgumentError
from analogtrain.viz.tile_response import (
    compute_step_statistics,
    compute_tile_pulse_response,
    estimate_n_steps,
    pulse_directions,
    tile_for_plotting,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_device_compact",
    "plot_device_response",
    "plot_device_symmetry",
    "plot_response_overview",
    "plot_step_statistics",
    "plot_tile_pulse_response",
    "read_noise_io_parameters",
]


def _figure(width: float, height: float) -> Figure:
    from analogtrain.viz.plots import _figure_class

    return _figure_class()(figsize=(width, height), layout="constrained")


def _device_name(analog_tile: Any) -> str:
    config = getattr(analog_tile, "rpu_config", None)
    return type(getattr(config, "device", None)).__name__


def read_noise_io_parameters(w_noise: float = 0.0) -> Any:
    """Forward IO settings that read the weights with Gaussian noise ``w_noise`` only:
    no input/output quantisation, no output noise, no bound or noise management."""
    from analogtrain.configs import (
        BoundManagementType,
        IOParameters,
        NoiseManagementType,
        WeightNoiseType,
    )

    if not w_noise >= 0.0:
        raise ArgumentError(f"w_noise must be >= 0, got {w_noise!r}")
    return IOParameters(
        out_noise=0.0,
        w_noise=float(w_noise),
        inp_res=-1.0,
        out_bound=100.0,
        out_res=-1.0,
        bound_management=BoundManagementType.NONE,
        noise_management=NoiseManagementType.NONE,
        w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT,
    )


def _config_for_device(device: Any, w_noise: float) -> Any:
    from analogtrain.configs import PulsedDevice, SingleRPUConfig, UnitCellRPUConfig

    if isinstance(device, type):
        raise ArgumentError(f"give a device instance, not the class {device.__name__}")
    io_pars = read_noise_io_parameters(w_noise)
    if isinstance(device, PulsedDevice):
        return SingleRPUConfig(device=device, forward=io_pars)
    return UnitCellRPUConfig(device=device, forward=io_pars)


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ArgumentError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _total_iters(n_loops: int, n_steps: int) -> int:
    """aihwkit's trace length: ``n_loops`` up/down cycles, at least 1000 pulses and at most
    ``max(50000, 2 n_steps)``."""
    return min(max(n_loops * 2 * n_steps, 1000), max(50000, 2 * n_steps))


def plot_tile_pulse_response(
    analog_tile: Any, direction: Any, use_forward: bool = False, axes: Axes | None = None
) -> ndarray:
    """Draw the weight of every cross point against the pulse number.

    Returns the ``w_trace`` of :func:`compute_tile_pulse_response` (as aihwkit does); the
    drawing goes to ``axes`` (a new figure's axes when none is given: ``axes.figure``).
    """
    w_trace = compute_tile_pulse_response(analog_tile, direction, use_forward)
    ax = axes if axes is not None else _figure(7, 3).add_subplot()
    ax.plot(w_trace.reshape(w_trace.shape[0], -1), linewidth=0.8)
    name = _device_name(analog_tile)
    ax.set_title(name if use_forward else f"{name} (without cycle/read noise)")
    ax.set_ylabel("weight [conductance]")
    ax.set_xlabel("pulse number")
    return w_trace


def plot_step_statistics(
    w_trace: Any,
    direction: Any,
    up_direction: bool,
    num_nodes: int = 100,
    smoothness: float = 0.5,
    axes: Axes | None = None,
) -> tuple[ndarray, ndarray, ndarray]:
    """Draw the mean step (± one standard deviation) against the weight, one line per trace.

    Returns ``(w_nodes, dw_mean, dw_std)`` (nodes evenly spaced over the trace's range).
    """
    trace = np.asarray(w_trace, dtype=float)
    nodes = np.linspace(trace.min(), trace.max(), _positive("num_nodes", num_nodes))
    mean, std = compute_step_statistics(nodes, trace, direction, up_direction, smoothness)
    ax = axes if axes is not None else _figure(5, 4).add_subplot()
    flat_mean = mean.reshape(nodes.size, -1)
    flat_std = std.reshape(nodes.size, -1)
    for k in range(flat_mean.shape[1]):
        (line,) = ax.plot(nodes, flat_mean[:, k])
        ax.fill_between(
            nodes,
            flat_mean[:, k] - flat_std[:, k],
            flat_mean[:, k] + flat_std[:, k],
            facecolor=line.get_color(),
            alpha=0.5,
        )
    ax.set_xlabel("weight $w$")
    ax.set_ylabel("mean step $\\Delta w$")
    ax.set_title("up-direction" if up_direction else "down-direction")
    return nodes, mean, std


def plot_response_overview(
    rpu_config: Any,
    n_loops: int = 5,
    n_steps: int | None = None,
    n_traces: int = 5,
    use_cuda: bool = False,
    smoothness: float = 0.1,
) -> Figure:
    """Three panels of one config: the pulse response read with noise, the same devices
    without cycle-to-cycle noise, and the up and down step statistics of the latter.

    Args:
        rpu_config: ``SingleRPUConfig`` or ``UnitCellRPUConfig``.
        n_loops: up/down cycles drawn.
        n_steps: pulses per half cycle (default :func:`estimate_n_steps`).
        n_traces: sampled devices.
        use_cuda: compute on CUDA (an error without a CUDA device).
        smoothness: kernel width of the step statistics.
    """
    n_loops = _positive("n_loops", n_loops)
    n_steps = _positive("n_steps", estimate_n_steps(rpu_config) if n_steps is None else n_steps)
    direction = pulse_directions(n_steps, _total_iters(n_loops, n_steps))
    fig = _figure(7, 7)
    panels = fig.subplot_mosaic([["noisy", "noisy"], ["exact", "exact"], ["up", "down"]])
    noisy = tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=False)
    exact = tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=True)
    exact.set_hidden_parameters(noisy.get_hidden_parameters())
    plot_tile_pulse_response(noisy, direction, use_forward=True, axes=panels["noisy"])
    w_trace = plot_tile_pulse_response(exact, direction, use_forward=False, axes=panels["exact"])
    num_nodes = min(n_steps, 100)
    for key, up in (("up", True), ("down", False)):
        plot_step_statistics(w_trace, direction, up, num_nodes, smoothness, axes=panels[key])
    return fig


def plot_device_response(device: Any, w_noise: float = 0.0, **kwargs: Any) -> Figure:
    """:func:`plot_response_overview` of a device config (pulsed device or unit cell) whose
    weights are read with Gaussian noise ``w_noise`` (aihwkit's ``plot_device``)."""
    return plot_response_overview(_config_for_device(device, w_noise), **kwargs)


def plot_device_compact(
    device: Any,
    w_noise: float = 0.0,
    n_steps: int | None = None,
    n_traces: int = 3,
    n_loops: int = 2,
    w_init: float | None = None,
    use_cuda: bool = False,
    axes: Axes | None = None,
    **plot_kwargs: Any,
) -> Figure | Axes:
    """One wide panel of noisy up/down loops flanked by the mean up and down step sizes.

    Args:
        device: pulsed device or unit cell config.
        w_noise: standard deviation of the read noise of the drawn traces.
        n_steps: pulses per half cycle (default :func:`estimate_n_steps`).
        n_traces: sampled devices.
        n_loops: up/down cycles.
        w_init: initial weight (default the device's ``w_min``).
        use_cuda: compute on CUDA (an error without a CUDA device).
        axes: draw only the loops, into these axes, and return them (no statistics).
        plot_kwargs: passed to the loops' ``plot`` (``linewidth`` defaults to 1).

    Returns:
        the figure (first axes: the loops, then the up and the down step panel), or
        ``axes`` when given.
    """
    rpu_config = _config_for_device(device, w_noise)
    n_loops = _positive("n_loops", n_loops)
    n_steps = _positive("n_steps", estimate_n_steps(rpu_config) if n_steps is None else n_steps)
    total_iters = n_loops * 2 * n_steps
    direction = pulse_directions(n_steps, total_iters)
    noisy = tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=False, w_init=w_init)
    # the noise-free twin gets the same devices, copied before any pulse changes their state
    exact = None
    if axes is None:
        exact = tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=True, w_init=w_init)
        exact.set_hidden_parameters(noisy.get_hidden_parameters())
    w_trace = compute_tile_pulse_response(noisy, direction, use_forward=True).reshape(-1, n_traces)
    plot_kwargs.setdefault("linewidth", 1)
    limit = float(np.abs(w_trace).max()) * 1.2 or 1.0

    def draw_loops(ax: Axes) -> None:
        ax.plot(w_trace, **plot_kwargs)
        ax.set_title(type(rpu_config.device).__name__)
        ax.set_xlabel("pulse number")
        ax.set_ylim(-limit, limit)
        ax.set_xlim(0, total_iters - 1)

    if axes is not None:
        draw_loops(axes)
        return axes

    fig = _figure(12, 4)
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 6, 1])
    main = fig.add_subplot(grid[0, 1])  # created first, so it is fig.axes[0]
    left = fig.add_subplot(grid[0, 0], sharey=main)
    right = fig.add_subplot(grid[0, 2], sharey=main)
    draw_loops(main)
    main.tick_params(labelleft=False)

    assert exact is not None
    direction = pulse_directions(n_steps, _total_iters(1, n_steps))
    exact_trace = compute_tile_pulse_response(exact, direction, use_forward=False)
    nodes = np.linspace(exact_trace.min(), exact_trace.max(), min(n_steps, 100))
    up = compute_step_statistics(nodes, exact_trace, direction, True)[0].reshape(-1, n_traces)
    down = compute_step_statistics(nodes, exact_trace, direction, False)[0].reshape(-1, n_traces)
    for k in range(n_traces):
        left.plot(up[:, k], nodes)
        right.plot(np.abs(down[:, k]), nodes)
    left.set_xlabel("up pulse size")
    left.set_ylabel("weight\n[conductance]")
    right.set_xlabel("down pulse size")
    finite = np.abs(np.concatenate([up.ravel(), down.ravel()]))
    finite = finite[np.isfinite(finite)]
    x_limit = float(finite.max()) * 1.2 if finite.size and finite.max() > 0 else 1.0
    for ax in (left, right):
        ax.set_xlim(0.0, x_limit)
        ax.set_ylim(-limit, limit)
    return fig


def plot_device_symmetry(
    device: Any,
    w_noise: float = 0.0,
    n_pulses: int = 10000,
    n_traces: int = 3,
    use_cuda: bool = False,
    w_init: float = 1.0,
) -> Figure:
    """The weights under alternating up/down pulses, starting at ``w_init``: they settle at
    the device's symmetry point (soft-bounds devices) or random-walk (constant step)."""
    from analogtrain.configs import PulsedDevice, SingleRPUConfig

    if not isinstance(device, PulsedDevice):
        raise ArgumentError(
            f"plot_device_symmetry needs a pulsed device, got {type(device).__name__}"
        )
    rpu_config = SingleRPUConfig(device=device, forward=read_noise_io_parameters(w_noise))
    n_pulses = _positive("n_pulses", n_pulses)
    direction = pulse_directions(1, n_pulses, alternating=True)
    tile = tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=False, w_init=w_init)
    fig = _figure(10, 5)
    ax = fig.add_subplot()
    plot_tile_pulse_response(tile, direction, use_forward=False, axes=ax)
    ax.set_ylim(-1, 1)
    ax.grid(True)
    return fig
