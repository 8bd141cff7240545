"""Layers always mapped onto a grid of tiles: ``AnalogLinearMapped``, ``AnalogConv{1,2,3}dMapped``
(aihwkit's names; compounds.md 4.5).

They compute the same function as :class:`AnalogLinear` / ``AnalogConvNd`` but always hold a
:class:`~analogtrain.nn.tile_array.TileModuleArray` (also when the layer fits one tile), split
by ``mapping.max_input_size`` and ``mapping.max_output_size``, with the bias always digital.

* ``AnalogLinearMapped`` splits the inputs into near-equal blocks, as the array does for any
  split ``AnalogLinear``.
* The mapped convolutions split along the *input channels* so that no kernel is cut: with
  ``k`` kernel elements per channel (``kh·kw`` for 2-d), a tile holds at most
  ``max_input_size // k`` channels, i.e. ``in_sizes`` (in channels) is the near-equal split
  of ``in_channels`` into ``ceil(in_channels / (max_input_size // k))`` parts. A kernel with
  ``k > max_input_size`` cannot be mapped (``ConfigError``). The plain convolutions split
  the flattened ``C·k`` inputs without regard to channels.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from torch import nn

from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.nn.conv import AnalogConv1d, AnalogConv2d, IntOrPair, _tuple
from analogtrain.nn.conv3d import AnalogConv3d
from analogtrain.nn.linear import AnalogLinear, default_rpu_config
from analogtrain.nn.tile_array import TileModuleArray
from analogtrain.nn.tile_module import split_sizes

__all__ = [
    "AnalogConv1dMapped",
    "AnalogConv2dMapped",
    "AnalogConv3dMapped",
    "AnalogLinearMapped",
    "channel_split_sizes",
]


def _array_class(layer: str, tile_module_class: type[nn.Module] | None) -> type[TileModuleArray]:
    if tile_module_class is None:
        return TileModuleArray
    if not (isinstance(tile_module_class, type) and issubclass(tile_module_class, TileModuleArray)):
        raise ArgumentError(
            f"{layer}: tile_module_class={tile_module_class!r} must be TileModuleArray or a "
            "subclass (a mapped layer is always a tile array)"
        )
    return tile_module_class


class AnalogLinearMapped(AnalogLinear):
    """:class:`AnalogLinear` on a :class:`TileModuleArray`, whatever its size; arguments as
    :class:`AnalogLinear` (``tile_module_class``: the array class). The bias is digital
    (held by the array) even with ``mapping.digital_bias=False``, as in aihwkit."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = TileModuleArray,
    ) -> None:
        array = _array_class("AnalogLinearMapped", tile_module_class)
        super().__init__(in_features, out_features, bias, rpu_config, array)

    @classmethod
    def from_digital(
        cls,
        module: nn.Linear,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = TileModuleArray,
    ) -> AnalogLinear:
        """An analog, mapped copy of ``module`` (its weights written with ``set_weights``)."""
        return super().from_digital(module, rpu_config, tile_module_class)


def check_has_mapping(layer: str, rpu_config: Any) -> None:
    """ConfigError unless ``rpu_config`` is a tile configuration (it has a ``mapping``)."""
    if not hasattr(rpu_config, "mapping"):
        raise ConfigError(
            f"{layer}: rpu_config={type(rpu_config).__name__} is not a tile configuration "
            "(expected e.g. SingleRPUConfig or FloatingPointRPUConfig)"
        )


def channel_split_sizes(in_channels: int, kernel_elements: int, max_input_size: int) -> list[int]:
    """Channels per tile: the near-equal split of ``in_channels`` with at most
    ``max_input_size // kernel_elements`` channels per tile (``max_input_size <= 0``: one
    tile). E.g. ``channel_split_sizes(14, 9, 20) == [2] * 7``."""
    if max_input_size <= 0:
        return [in_channels]
    if kernel_elements > max_input_size:
        raise ConfigError(
            f"mapping.max_input_size={max_input_size} is smaller than one kernel "
            f"({kernel_elements} inputs per channel): a kernel cannot be split over tiles"
        )
    return split_sizes(in_channels, max_input_size // kernel_elements)


class _ChannelMappedConv:
    """The constructor shared by the mapped convolutions (placed before the convolution class
    in the bases, it chooses the channel-aligned tile array and nothing else)."""

    _dims: int
    in_sizes: list[int]
    out_sizes: list[int]
    analog_module: Any

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair | str = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> None:
        name = type(self).__name__
        if rpu_config is None:
            rpu_config = default_rpu_config()
        check_has_mapping(name, rpu_config)
        if bias and not rpu_config.mapping.digital_bias:
            raise ConfigError(
                f"{name}: mapping.digital_bias=False; a mapped convolution only has a digital bias"
            )
        array = _array_class(name, tile_module_class)
        kernel_elements = math.prod(_tuple(kernel_size, self._dims, "kernel_size"))
        channels = channel_split_sizes(
            in_channels, kernel_elements, rpu_config.mapping.max_input_size
        )
        factory = functools.partial(array, in_sizes=[c * kernel_elements for c in channels])
        super().__init__(  # type: ignore[call-arg]
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            rpu_config,
            factory,
        )
        self.in_sizes = channels  # input channels per tile block (aihwkit's meaning)
        self.out_sizes = list(self.analog_module.out_sizes)


class AnalogConv1dMapped(_ChannelMappedConv, AnalogConv1d):
    """:class:`AnalogConv1d` on a channel-aligned tile array (see the module docstring)."""


class AnalogConv2dMapped(_ChannelMappedConv, AnalogConv2d):
    """:class:`AnalogConv2d` on a channel-aligned tile array (see the module docstring)."""


class AnalogConv3dMapped(_ChannelMappedConv, AnalogConv3d):
    """:class:`AnalogConv3d` on a channel-aligned tile array (see the module docstring)."""
