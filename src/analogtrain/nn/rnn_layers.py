"""One recurrent layer: a cell applied along a sequence (aihwkit's RNN layers).

Sequences are time-major, ``[T, B, features]`` (as ``torch.nn.LSTM`` with
``batch_first=False``). :class:`AnalogRNNLayer` runs its cell from ``t = 0`` to ``T - 1``;
:class:`AnalogReverseRNNLayer` from ``T - 1`` to ``0`` (its outputs are returned in the input's
time order); :class:`AnalogBidirRNNLayer` runs both, each with its own cell, and concatenates
their outputs along the features, ``[T, B, 2H]`` (Schuster & Paliwal, 1997).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["AnalogBidirRNNLayer", "AnalogRNNLayer", "AnalogReverseRNNLayer"]


class AnalogRNNLayer(nn.Module):
    """A cell run forward in time.

    Args:
        cell: the cell class (e.g. :class:`~analogtrain.nn.rnn_cells.AnalogLSTMCell`).
        cell_args: its constructor arguments (``input_size, hidden_size, bias, rpu_config,
            tile_module_class``).
    """

    def __init__(self, cell: type[nn.Module], *cell_args: Any) -> None:
        super().__init__()
        self.cell = cell(*cell_args)

    def get_zero_state(self, batch_size: int) -> Any:
        """The cell's zero state for ``batch_size`` sequences."""
        return self.cell.get_zero_state(batch_size)

    def forward(self, x: Tensor, state: Any) -> tuple[Tensor, Any]:
        """``x [T, B, I]`` and the initial state -> ``(outputs [T, B, H], final state)``."""
        outputs = []
        for x_t in x.unbind(0):
            out, state = self.cell(x_t, state)
            outputs.append(out)
        return torch.stack(outputs), state


class AnalogReverseRNNLayer(AnalogRNNLayer):
    """A cell run backward in time; outputs in the input's time order."""

    def forward(self, x: Tensor, state: Any) -> tuple[Tensor, Any]:
        """``x [T, B, I]`` and the state at ``t = T - 1`` -> ``(outputs [T, B, H], state)``."""
        out, state = super().forward(x.flip(0), state)
        return out.flip(0), state


class AnalogBidirRNNLayer(nn.Module):
    """A forward and a backward layer (``directions[0]``, ``directions[1]``), each with its
    own cell built from ``cell(*cell_args)``; outputs concatenated, ``[T, B, 2H]``."""

    def __init__(self, cell: type[nn.Module], *cell_args: Any) -> None:
        super().__init__()
        self.directions = nn.ModuleList(
            [AnalogRNNLayer(cell, *cell_args), AnalogReverseRNNLayer(cell, *cell_args)]
        )

    def get_zero_state(self, batch_size: int) -> list[Any]:
        """``[forward state, backward state]``."""
        return [direction.get_zero_state(batch_size) for direction in self.directions]

    def forward(self, x: Tensor, states: list[Any]) -> tuple[Tensor, list[Any]]:
        """``x [T, B, I]``, ``[forward state, backward state]`` ->
        ``(outputs [T, B, 2H], [forward state, backward state])``."""
        outputs, out_states = [], []
        for direction, state in zip(self.directions, states):
            out, out_state = direction(x, state)
            outputs.append(out)
            out_states.append(out_state)
        return torch.cat(outputs, -1), out_states
