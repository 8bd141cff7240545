"""``aihwkit.nn.modules.rnn.cells`` (re-exported from :mod:`analogtrain.nn.rnn_cells`)."""

from analogtrain.nn.rnn_cells import (
    AnalogGRUCell,
    AnalogLSTMCell,
    AnalogLSTMCellCombinedWeight,
    AnalogVanillaRNNCell,
    LSTMState,
)

__all__ = [
    "AnalogGRUCell",
    "AnalogLSTMCell",
    "AnalogLSTMCellCombinedWeight",
    "AnalogVanillaRNNCell",
    "LSTMState",
]
