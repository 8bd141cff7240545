"""aihwkit's ``utils.visualization`` for training devices, over :mod:`analogtrain.viz`.

The figures are returned (never shown); see ``docs/aihwkit-utilities.md`` for the
differences from aihwkit (no ``pyplot``, no inference-noise plots).
"""

from analogtrain.viz.device_figures import (
    plot_device_compact,
    plot_device_symmetry,
    plot_response_overview,
)
from analogtrain.viz.device_figures import plot_device_response as plot_device
from analogtrain.viz.device_figures import plot_step_statistics as plot_pulse_statistics
from analogtrain.viz.device_figures import plot_tile_pulse_response as plot_pulse_response
from analogtrain.viz.tile_response import compute_step_statistics as compute_pulse_statistics
from analogtrain.viz.tile_response import compute_tile_pulse_response as compute_pulse_response
from analogtrain.viz.tile_response import estimate_n_steps
from analogtrain.viz.tile_response import tile_for_plotting as get_tile_for_plotting

__all__ = [
    "compute_pulse_response",
    "compute_pulse_statistics",
    "estimate_n_steps",
    "get_tile_for_plotting",
    "plot_device",
    "plot_device_compact",
    "plot_device_symmetry",
    "plot_pulse_response",
    "plot_pulse_statistics",
    "plot_response_overview",
]
