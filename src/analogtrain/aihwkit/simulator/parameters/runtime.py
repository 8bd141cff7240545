"""Mirror of ``aihwkit.simulator.parameters.runtime``."""

from analogtrain.configs import RuntimeParameter

__all__ = [
    "RuntimeParameter",
]
