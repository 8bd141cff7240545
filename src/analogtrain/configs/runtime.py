"""`RuntimeParameter`: numeric precision and memory options of the simulation."""

from __future__ import annotations

from dataclasses import dataclass

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.enums import RPUDataType

__all__ = ["RuntimeParameter"]


@dataclass
class RuntimeParameter(ConfigBase):
    """How the simulation runs; no effect on the modelled hardware.

    Attributes:
        data_type: precision of the tile state (float32 or float64; half is not simulated).
        on_the_fly_bindings: aihwkit engine detail; accepted and ignored.
        offload_input: keep the inputs stored for the update in CPU memory until the
            optimizer step (memory only: the update runs on the tile's device, same result).
        offload_gradient: the same for the stored output gradients.
    """

    data_type: RPUDataType = RPUDataType.FLOAT
    on_the_fly_bindings: bool = False
    offload_input: bool = False
    offload_gradient: bool = False
