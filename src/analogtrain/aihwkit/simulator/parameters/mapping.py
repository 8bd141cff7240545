"""Mirror of ``aihwkit.simulator.parameters.mapping``."""

from analogtrain.configs import MappingParameter

__all__ = [
    "MappingParameter",
]
