"""``aihwkit.nn.modules.rnn.layers`` (re-exported from :mod:`analogtrain.nn.rnn_layers`)."""

from analogtrain.nn.rnn_layers import AnalogBidirRNNLayer, AnalogReverseRNNLayer, AnalogRNNLayer

__all__ = ["AnalogBidirRNNLayer", "AnalogRNNLayer", "AnalogReverseRNNLayer"]
