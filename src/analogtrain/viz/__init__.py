"""Device and training visualisation: ``compute_*`` functions return numbers (tested),
``plot_*`` functions draw them with matplotlib (imported lazily; the ``plot`` extra).
"""

from analogtrain.viz.pulse_response import (
    PulseResponse,
    PulseStatistics,
    compute_pulse_response,
    compute_pulse_statistics,
)

__all__ = [
    "PulseResponse",
    "PulseStatistics",
    "compute_pulse_response",
    "compute_pulse_statistics",
]
