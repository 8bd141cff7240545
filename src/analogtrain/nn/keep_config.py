"""``load_state_dict(load_rpu_config=False)``: load a checkpoint's weights and states into a
model while every tile keeps its own configuration (aihwkit's
``AnalogLayerBase.load_state_dict``).

A tile saves its configuration inside its extra state (``<tile>._extra_state``, see
:meth:`analogtrain.tiles.base.AnalogTileBase.get_extra_state`). To keep the model's
configurations, :func:`with_own_configs` returns a copy of the state dict in which each
tile's saved configuration is replaced by the tile's current one, after the checks aihwkit
makes (``TileModule.compatible_with``):

* with ``strict_rpu_config_check`` (the default), the saved and the current configuration
  must be of the same class or one a subclass of the other;
* always, the mapping parameters must agree except ``weight_scaling_omega``,
  ``weight_scaling_columnwise`` and ``weight_scaling_lr_compensation``, because the others
  change the layer's structure (tiling, bias placement, learned output scales).

As in aihwkit, a current configuration that passes the checks but expects other device
states (another device type) fails when torch loads the buffers: missing or unexpected keys,
or wrong shapes, reported by the (atomic) load with the model unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from torch import nn

from analogtrain.errors import TileModuleError
from analogtrain.tiles.base import AnalogTileBase, _config_from_state, _config_to_state

__all__ = ["check_config_compatible", "with_own_configs"]

#: mapping fields a loaded state may differ in (aihwkit ``MappingParameter.compatible_with``)
FREE_MAPPING_FIELDS = (
    "weight_scaling_omega",
    "weight_scaling_columnwise",
    "weight_scaling_lr_compensation",
)

_EXTRA_STATE_KEY = "_extra_state"


def check_config_compatible(current: Any, saved: Any, strict: bool, where: str) -> None:
    """TileModuleError unless the ``current`` config may replace the ``saved`` one."""
    if strict and not (isinstance(current, type(saved)) or isinstance(saved, type(current))):
        raise TileModuleError(
            f"{where}: RPU config mismatch: cannot replace the saved "
            f"{type(saved).__name__} with {type(current).__name__} "
            "(pass strict_rpu_config_check=False to allow it)"
        )
    mine, theirs = getattr(current, "mapping", None), getattr(saved, "mapping", None)
    if mine is None or theirs is None or mine == theirs:
        return
    different = [
        f.name
        for f in dataclasses.fields(mine)
        if f.name not in FREE_MAPPING_FIELDS
        and getattr(mine, f.name) != getattr(theirs, f.name, None)
    ]
    if different:
        raise TileModuleError(
            f"{where}: mapping mismatch in {', '.join(different)}: these fields change the "
            "layer's structure and cannot differ from the saved ones"
        )


def with_own_configs(
    module: nn.Module, state_dict: Mapping[str, Any], strict_rpu_config_check: bool = True
) -> dict[str, Any]:
    """A shallow copy of ``state_dict`` whose tile states carry the configs of ``module``'s
    tiles instead of the saved ones (``state_dict`` itself is not changed).

    Raises:
        TileModuleError: a saved config cannot be replaced (see the module docstring).
    """
    loaded = dict(state_dict)
    for name, tile in module.named_modules():
        if not isinstance(tile, AnalogTileBase):
            continue
        key = f"{name}.{_EXTRA_STATE_KEY}" if name else _EXTRA_STATE_KEY
        saved_state = loaded.get(key)
        if not isinstance(saved_state, Mapping) or "rpu_config" not in saved_state:
            continue  # a missing or foreign state: the load itself reports it
        saved = _config_from_state(saved_state["rpu_config"])
        check_config_compatible(tile.rpu_config, saved, strict_rpu_config_check, name or "tile")
        loaded[key] = {**saved_state, "rpu_config": _config_to_state(tile.rpu_config)}
    return loaded
