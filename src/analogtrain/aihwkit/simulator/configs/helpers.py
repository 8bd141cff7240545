"""Mirror of ``aihwkit.simulator.configs.helpers`` (``build_config``)."""

from analogtrain.configs import build_config

__all__ = [
    "build_config",
]
