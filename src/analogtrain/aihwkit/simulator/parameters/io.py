"""Mirror of ``aihwkit.simulator.parameters.io`` (forward/backward IO)."""

from analogtrain.configs import IOParameters

__all__ = [
    "IOParameters",
]
