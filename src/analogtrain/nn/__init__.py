"""Analog layers: drop-in replacements for torch layers, computed on simulated tiles.

The layers (:class:`AnalogLinear`, :class:`AnalogConv1d`, :class:`AnalogConv2d`,
:class:`AnalogSequential`, :func:`convert_to_analog`; also the 3-d, mapped and recurrent
layers, docs/layers.md) are thin wrappers around tile modules
(:class:`AnalogTileModule`, or a :class:`TileModuleArray` for layers split over several
tiles) that add the digital periphery: bias, mapping scales, output scales.
"""

from analogtrain.nn.container import AnalogSequential
from analogtrain.nn.context import AnalogContext
from analogtrain.nn.conv import AnalogConv1d, AnalogConv2d
from analogtrain.nn.conv3d import AnalogConv3d
from analogtrain.nn.conversion import (
    AnalogWrapper,
    convert_to_analog,
    convert_to_digital,
    default_mapped_conversion_map,
)
from analogtrain.nn.function import AnalogFunction
from analogtrain.nn.layer_base import AnalogLayer, AnalogLayerBase
from analogtrain.nn.linear import AnalogLinear
from analogtrain.nn.mapped import (
    AnalogConv1dMapped,
    AnalogConv2dMapped,
    AnalogConv3dMapped,
    AnalogLinearMapped,
)
from analogtrain.nn.rnn import AnalogGRU, AnalogLSTM, AnalogRNN
from analogtrain.nn.rnn_cells import (
    AnalogGRUCell,
    AnalogLSTMCell,
    AnalogLSTMCellCombinedWeight,
    AnalogVanillaRNNCell,
)
from analogtrain.nn.rnn_layers import AnalogBidirRNNLayer, AnalogRNNLayer
from analogtrain.nn.tile_array import TileModuleArray
from analogtrain.nn.tile_module import AnalogTileModule

__all__ = [
    "AnalogContext",
    "AnalogConv1d",
    "AnalogConv2d",
    "AnalogFunction",
    "AnalogLayer",
    "AnalogLayerBase",
    "AnalogLinear",
    "AnalogSequential",
    "AnalogTileModule",
    "AnalogWrapper",
    "TileModuleArray",
    "convert_to_analog",
    "AnalogConv3d",
    "AnalogLinearMapped",
    "AnalogConv1dMapped",
    "AnalogConv2dMapped",
    "AnalogConv3dMapped",
    "AnalogRNN",
    "AnalogLSTM",
    "AnalogGRU",
    "AnalogVanillaRNNCell",
    "AnalogLSTMCell",
    "AnalogLSTMCellCombinedWeight",
    "AnalogGRUCell",
    "AnalogRNNLayer",
    "AnalogBidirRNNLayer",
    "default_mapped_conversion_map",
    "convert_to_digital",
]
