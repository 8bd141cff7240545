"""``aihwkit.nn.modules.rnn.rnn`` (re-exported from :mod:`analogtrain.nn.rnn`)."""

from analogtrain.nn.rnn import AnalogRNN, ModularRNN

__all__ = ["AnalogRNN", "ModularRNN"]
