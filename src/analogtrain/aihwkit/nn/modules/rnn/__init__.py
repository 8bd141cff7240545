"""``aihwkit.nn.modules.rnn``: cells, layers and the modular RNN."""
