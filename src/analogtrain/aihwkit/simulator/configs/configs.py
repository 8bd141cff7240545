"""Mirror of ``aihwkit.simulator.configs.configs`` (the training RPU configs)."""

from analogtrain.configs import (
    DigitalRankUpdateRPUConfig,
    FloatingPointRPUConfig,
    SingleRPUConfig,
    UnitCellRPUConfig,
)

__all__ = [
    "DigitalRankUpdateRPUConfig",
    "FloatingPointRPUConfig",
    "SingleRPUConfig",
    "UnitCellRPUConfig",
]
