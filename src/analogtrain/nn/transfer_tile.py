"""`TorchTransferTile`: aihwkit's tile module for the chopped / dynamic transfer compounds.

In aihwkit, ``rpu_config.tile_class = TorchTransferTile`` swaps the C++ simulation of a
:class:`~analogtrain.configs.ChoppedTransferCompound` (TTv2, c-TTv2) or
:class:`~analogtrain.configs.DynamicTransferCompound` (AGAD) for a torch one. Every
analogtrain tile is simulated in torch already, so this class is the
:class:`~analogtrain.nn.AnalogTileModule` with aihwkit's restriction on the configuration:
a :class:`~analogtrain.configs.UnitCellRPUConfig` whose device is one of those compounds.
"""

from __future__ import annotations

from typing import Any

import torch

from analogtrain.configs import ChoppedTransferCompound, UnitCellRPUConfig
from analogtrain.errors import ConfigError
from analogtrain.nn.tile_module import AnalogTileModule

__all__ = ["TorchTransferTile"]


class TorchTransferTile(AnalogTileModule):
    """An :class:`AnalogTileModule` accepting only a ``UnitCellRPUConfig`` with a
    ``ChoppedTransferCompound`` device (or a subclass such as ``DynamicTransferCompound``).

    Raises:
        ConfigError: another configuration.
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        rpu_config: Any,
        bias: bool = False,
        *,
        device: torch.device | str | None = None,
    ) -> None:
        if not isinstance(rpu_config, UnitCellRPUConfig) or not isinstance(
            rpu_config.device, ChoppedTransferCompound
        ):
            device_name = type(getattr(rpu_config, "device", None)).__name__
            raise ConfigError(
                "TorchTransferTile(rpu_config=...) needs a UnitCellRPUConfig with a "
                "ChoppedTransferCompound or DynamicTransferCompound device, got "
                f"{type(rpu_config).__name__} with {device_name}"
            )
        super().__init__(out_size, in_size, rpu_config, bias, device=device)
