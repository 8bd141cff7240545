"""The top-level RPU configurations: one object describes everything about a tile.

Field order (as aihwkit): ``tile_class, runtime, pre_post, tile_array_class, mapping,
forward, backward, update, device``. ``tile_class`` / ``tile_array_class`` name the
implementing classes by string (configs never import their implementation); they exist for
compatibility and printing only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.compounds import DigitalRankUpdateCell, UnitCell
from analogtrain.configs.devices import (
    ConstantStepDevice,
    FloatingPointDevice,
    IdealDevice,
    PulsedDevice,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.mapping import MappingParameter
from analogtrain.configs.pre_post import PrePostProcessingParameter
from analogtrain.configs.runtime import RuntimeParameter
from analogtrain.configs.tile_classes import TileClassName
from analogtrain.configs.update import UpdateParameters

__all__ = [
    "DigitalRankUpdateRPUConfig",
    "FloatingPointRPUConfig",
    "SingleRPUConfig",
    "UnitCellRPUConfig",
]


@dataclass
class _IOManagedRPUConfig(ConfigBase):
    """Fields shared by the training configurations.

    Attributes:
        tile_class: the tile module class layers are built with: a class registered in
            :mod:`analogtrain.configs.tile_classes` or its name (aihwkit holds the class).
        runtime: precision/memory options (ignored by ``==``).
        pre_post: input-range learning (not simulated when enabled).
        tile_array_class: name of the class used for layers split over several tiles.
        mapping: bias, weight scaling and tiling.
        forward: IO non-idealities of the forward pass.
        backward: IO non-idealities of the backward pass (bound management always off).
        update: pulse settings of the update.
        device: the device (or compound) configuration.
    """

    tile_class: str | type | None = TileClassName("AnalogTile")
    runtime: RuntimeParameter = field(default_factory=RuntimeParameter, compare=False)
    pre_post: PrePostProcessingParameter = field(default_factory=PrePostProcessingParameter)
    tile_array_class: str | None = "TileModuleArray"
    mapping: MappingParameter = field(default_factory=MappingParameter)
    forward: IOParameters = field(default_factory=IOParameters)
    backward: IOParameters = field(default_factory=IOParameters)
    update: UpdateParameters = field(default_factory=UpdateParameters)


@dataclass
class SingleRPUConfig(_IOManagedRPUConfig):
    """One pulsed analog tile with a single device model (default ConstantStepDevice)."""

    device: PulsedDevice | IdealDevice = field(default_factory=ConstantStepDevice)


@dataclass
class UnitCellRPUConfig(_IOManagedRPUConfig):
    """A tile whose device is a compound (vector, one-sided, reference, transfer cells).

    The default ``UnitCell()`` is abstract; set ``device`` (or use ``build_config``).
    """

    device: UnitCell = field(default_factory=UnitCell)


@dataclass
class DigitalRankUpdateRPUConfig(_IOManagedRPUConfig):
    """A tile whose gradient is accumulated digitally (mixed precision).

    The default ``DigitalRankUpdateCell()`` is abstract; use ``MixedPrecisionCompound``.
    """

    device: DigitalRankUpdateCell = field(default_factory=DigitalRankUpdateCell)


@dataclass
class FloatingPointRPUConfig(ConfigBase):
    """An exact floating-point tile (no IO non-idealities, exact update).

    Attributes: ``tile_class``, ``runtime``, ``pre_post``, ``tile_array_class``, ``mapping``
    as for the training configs, and ``device`` (a :class:`FloatingPointDevice`).
    """

    tile_class: str | type | None = TileClassName("FloatingPointTile")
    runtime: RuntimeParameter = field(default_factory=RuntimeParameter, compare=False)
    pre_post: PrePostProcessingParameter = field(default_factory=PrePostProcessingParameter)
    tile_array_class: str | None = "TileModuleArray"
    mapping: MappingParameter = field(default_factory=MappingParameter)
    device: FloatingPointDevice = field(default_factory=FloatingPointDevice)
