"""Mirror of ``aihwkit.simulator.parameters.training`` (update parameters)."""

from analogtrain.configs import UpdateParameters

__all__ = [
    "UpdateParameters",
]
