"""Device and training visualisation: ``compute_*`` functions return numbers (tested),
``plot_*`` functions draw them with matplotlib (imported lazily; the ``plot`` extra).
"""

from analogtrain.viz.pulse_response import (
    PulseResponse,
    PulseStatistics,
    compute_pulse_response,
    compute_pulse_statistics,
)
from analogtrain.viz.summary import AnalogInfo, analog_summary
from analogtrain.viz.tile_response import (
    compute_step_statistics,
    compute_tile_pulse_response,
    estimate_n_steps,
    tile_for_plotting,
)

__all__ = [
    "AnalogInfo",
    "PulseResponse",
    "PulseStatistics",
    "compute_pulse_response",
    "compute_pulse_statistics",
    "analog_summary",
    "compute_step_statistics",
    "compute_tile_pulse_response",
    "estimate_n_steps",
    "tile_for_plotting",
]
