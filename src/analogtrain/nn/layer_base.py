"""Helper methods every analog layer and analog container offers (aihwkit's names).

``AnalogLayerBase`` adds no state, only ways to find the tiles inside a model:
``analog_tiles()`` yields every :class:`~analogtrain.nn.tile_module.AnalogTileModule`
(one per crossbar, so a split layer yields several), ``analog_layers()`` every analog layer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from torch import Tensor, nn

from analogtrain.errors import ArgumentError
from analogtrain.module_entry import module_entry
from analogtrain.nn.atomic import load_state_dict_atomically
from analogtrain.nn.keep_config import with_own_configs
from analogtrain.nn.tile_module import AnalogTileModule, check_weight_shapes

__all__ = ["AnalogLayer", "AnalogLayerBase"]


class AnalogLayerBase:
    """Methods shared by analog layers and containers (to be mixed into an ``nn.Module``)."""

    def named_analog_tiles(self) -> Iterator[tuple[str, AnalogTileModule]]:
        """``(name, tile module)`` for every crossbar inside, in module order."""
        assert isinstance(self, nn.Module)
        for name, module in self.named_modules():
            if isinstance(module, AnalogTileModule):
                yield name, module

    def analog_tiles(self) -> Iterator[AnalogTileModule]:
        """Every crossbar (tile module) inside, in module order."""
        for _, tile in self.named_analog_tiles():
            yield tile

    def named_analog_layers(self) -> Iterator[tuple[str, AnalogLayer]]:
        """``(name, layer)`` for every analog layer inside (itself included)."""
        assert isinstance(self, nn.Module)
        for name, module in self.named_modules():
            if isinstance(module, AnalogLayer):
                yield name, module

    def analog_layers(self) -> Iterator[AnalogLayer]:
        """Every analog layer inside (itself included)."""
        for _, layer in self.named_analog_layers():
            yield layer

    def apply_to_analog_tiles(self, fn: Callable[[AnalogTileModule], Any]) -> Any:
        """Call ``fn(tile_module)`` on every crossbar; returns ``self``."""
        for tile in self.analog_tiles():
            fn(tile)
        return self

    def get_weights(self, apply_weight_scaling: bool = True, realistic: bool = False) -> Any:
        """Ordered dict ``tile name -> (weight, bias)`` of every crossbar (CPU tensors)."""
        return OrderedDict(
            (name, tile.get_weights(apply_weight_scaling, realistic))
            for name, tile in self.named_analog_tiles()
        )

    def set_weights(self, weights: Any, apply_weight_scaling: bool = True) -> None:
        """Inverse of :meth:`get_weights`: ``{tile name: (weight, bias)}``."""
        tiles = dict(self.named_analog_tiles())
        checked = []
        for name, value in weights.items():  # every entry is checked before any is written
            if name not in tiles:
                raise ArgumentError(f"no analog tile named {name!r}; known: {sorted(tiles)}")
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ArgumentError(f"set_weights[{name!r}] must be (weight, bias), got {value!r}")
            tile = tiles[name]
            weight, bias = check_weight_shapes(
                value[0],
                value[1],
                tile.out_size,
                tile.in_size,
                tile.digital_bias or tile.analog_bias,
                f"set_weights[{name!r}]",
            )
            checked.append((tile, weight, bias))
        for tile, weight, bias in checked:
            tile.set_weights(weight, bias, apply_weight_scaling=apply_weight_scaling)

    def load_state_dict(
        self,
        state_dict: Any,
        strict: bool = True,
        assign: bool = False,
        *,
        load_rpu_config: bool | None = None,
        strict_rpu_config_check: bool | None = None,
    ) -> Any:
        """``torch.nn.Module.load_state_dict``; by default the tiles restore their saved configs.

        ``load_rpu_config=False`` keeps every tile's current config and loads only the weights
        and states; the saved and current configs must then be of related classes (unless
        ``strict_rpu_config_check=False``) and agree in the structural mapping fields
        (:mod:`analogtrain.nn.keep_config`, aihwkit's checks). ``None`` means the default
        (``True``) for both flags.

        All or nothing: a state with NaN values, a wrong shape, a wrong tile class or a bad
        config raises with the model unchanged (tried on a copy first,
        :func:`~analogtrain.nn.atomic.load_state_dict_atomically`).
        """
        assert isinstance(self, nn.Module)
        if load_rpu_config is False:
            strict_check = strict_rpu_config_check is not False
            state_dict = with_own_configs(self, state_dict, strict_check)
        return load_state_dict_atomically(self, state_dict, strict, assign)

    def drift_analog_weights(self, t_inference: float = 0.0) -> None:
        """Drift every tile's weights by ``t_inference`` seconds (single-tile.md 2.9)."""
        for tile in self.analog_tiles():
            tile.tile.drift_weights(t_inference)

    # aihwkit's remaining helpers (AnalogLayerBase in aihwkit.nn.modules.base) -------------
    def apply_to_analog_layers(self, fn: Callable[[AnalogLayer], Any]) -> Any:
        """Call ``fn(layer)`` on every analog layer (containers excluded); returns ``self``."""
        for layer in self.analog_layers():
            fn(layer)
        return self

    def named_analog_modules(self) -> Iterator[tuple[str, AnalogLayerBase]]:
        """``(name, module)`` for every analog layer *and* analog container inside."""
        assert isinstance(self, nn.Module)
        for name, module in self.named_modules():
            if isinstance(module, AnalogLayerBase):
                yield name, module

    def analog_modules(self) -> Iterator[AnalogLayerBase]:
        """Every analog layer and analog container inside (itself included)."""
        for _, module in self.named_analog_modules():
            yield module

    def analog_tile_count(self) -> int:
        """Number of crossbars (tile modules) inside, counted now (aihwkit caches the
        first count)."""
        return sum(1 for _ in self.analog_tiles())

    def get_analog_tile_devices(self) -> list[Any]:
        """The torch device of every crossbar, in module order."""
        return [tile.analog_ctx.device for tile in self.analog_tiles()]

    def remap_analog_weights(self, weight_scaling_omega: float | None = 1.0) -> None:
        """Recompute every tile's mapping scales for its current logical weights, with
        ``weight_scaling_omega`` (aihwkit's default 1.0; None: each config's own value).
        The logical weights are unchanged; the crossbar values are rescaled."""
        tiles = list(self.named_analog_tiles())
        for name, tile in tiles:  # all checked before any tile is rewritten
            omega = weight_scaling_omega
            if omega is None:
                omega = tile.rpu_config.mapping.weight_scaling_omega
            if not omega > 0:
                raise ArgumentError(
                    f"remap_analog_weights: weight_scaling_omega={omega!r} for tile {name!r} "
                    "must be > 0"
                )
        for _, tile in tiles:
            weight, bias = tile.get_weights()
            tile.set_weights(weight, bias, weight_scaling_omega=weight_scaling_omega)


class AnalogLayer(AnalogLayerBase):
    """An analog layer: owns ``self.analog_module`` (a tile module or a tile array)."""

    analog_module: nn.Module = module_entry("_modules")

    def get_weights(  # type: ignore[override]
        self, apply_weight_scaling: bool = True, realistic: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """``(weight [out, in], bias or None)`` of the layer, CPU tensors (compounds.md 4.8)."""
        return self.analog_module.get_weights(apply_weight_scaling, realistic)

    def set_weights(  # type: ignore[override]
        self,
        weight: Tensor,
        bias: Tensor | None = None,
        apply_weight_scaling: bool = True,
        realistic: bool = False,
        weight_scaling_omega: float | None = None,
    ) -> None:
        """Write the layer's weight and bias (compounds.md 4.7, 4.8)."""
        self.analog_module.set_weights(
            weight,
            bias,
            apply_weight_scaling=apply_weight_scaling,
            realistic=realistic,
            weight_scaling_omega=weight_scaling_omega,
        )
