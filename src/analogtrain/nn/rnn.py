"""`AnalogRNN`: stacked (optionally bidirectional) recurrent layers on analog tiles.

aihwkit's modular RNN: ``num_layers`` layers of one cell type
(:mod:`analogtrain.nn.rnn_cells`), the first fed with the input ``[T, B, input_size]``,
each further one with the previous layer's output ``[T, B, dirs·H]``; dropout between layers
(not after the last). Weights start ``U(±1/√H)`` as in ``torch.nn.LSTM`` (or Xavier-uniform
with zero biases, ``xavier=True``; Glorot & Bengio, 2010), so with exact tiles the network
computes what the torch RNN with the same weights computes. Unlike torch's RNNs, the forward
returns ``(output [T, B, dirs·H], states)`` with ``states`` a list of one state per layer
(a ``[forward, backward]`` pair per layer when bidirectional).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.errors import ArgumentError, check_positive_int
from analogtrain.nn.layer_base import AnalogLayerBase
from analogtrain.nn.linear import AnalogLinear
from analogtrain.nn.mapped import check_has_mapping
from analogtrain.nn.rnn_cells import AnalogGRUCell, AnalogLSTMCell
from analogtrain.nn.rnn_layers import AnalogBidirRNNLayer, AnalogRNNLayer

__all__ = ["AnalogGRU", "AnalogLSTM", "AnalogRNN", "ModularRNN"]


class ModularRNN(nn.Module):
    """``num_layers`` layers ``layer(*first_layer_args)``, ``layer(*other_layer_args)``, ...
    with ``Dropout(dropout)`` applied to every layer's output but the last's."""

    def __init__(
        self,
        num_layers: int,
        layer: type[nn.Module],
        dropout: float,
        first_layer_args: list[Any],
        other_layer_args: list[Any],
    ) -> None:
        super().__init__()
        check_positive_int(num_layers, "AnalogRNN num_layers")
        if not 0.0 <= dropout <= 1.0:
            raise ArgumentError(f"AnalogRNN: dropout={dropout!r} must be in [0, 1]")
        if num_layers == 1 and dropout > 0:
            warnings.warn(
                f"dropout={dropout} acts between recurrent layers only; with num_layers=1 "
                "it has no effect",
                UserWarning,
                stacklevel=3,
            )
        self.layers = nn.ModuleList(
            [layer(*first_layer_args)] + [layer(*other_layer_args) for _ in range(num_layers - 1)]
        )
        self.num_layers = num_layers
        self.dropout_layer = nn.Dropout(dropout) if dropout > 0.0 else None

    def get_zero_state(self, batch_size: int) -> list[Any]:
        """One zero state per layer."""
        return [layer.get_zero_state(batch_size) for layer in self.layers]

    def forward(self, x: Tensor, states: list[Any]) -> tuple[Tensor, list[Any]]:
        """``x [T, B, I]``, one state per layer -> ``(output, final states)``."""
        out_states = []
        out = x
        for i, layer in enumerate(self.layers):
            out, state = layer(out, states[i])
            if self.dropout_layer is not None and i < self.num_layers - 1:
                out = self.dropout_layer(out)
            out_states.append(state)
        return out, out_states


class AnalogRNN(AnalogLayerBase, nn.Module):
    """A stacked recurrent network of analog cells.

    Args:
        cell: the cell class: :class:`AnalogLSTMCell`, :class:`AnalogGRUCell`,
            :class:`AnalogVanillaRNNCell` or :class:`AnalogLSTMCellCombinedWeight`.
        input_size: features of the input sequence.
        hidden_size: features of every layer's hidden state.
        bias: whether the weight matrices have biases.
        rpu_config: tile configuration (each tile gets its own copy); None builds
            digital ``torch.nn.Linear`` weights.
        tile_module_class: tile module class of the analog weights (default from the config).
        xavier: Xavier-uniform weights and zero biases instead of ``U(±1/√H)``.
        num_layers: number of stacked layers.
        bidir: bidirectional layers (outputs ``2·hidden_size`` features).
        dropout: dropout probability on the outputs of all layers but the last.
    """

    def __init__(
        self,
        cell: type[nn.Module],
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
        xavier: bool = False,
        num_layers: int = 1,
        bidir: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if not (isinstance(cell, type) and issubclass(cell, nn.Module)):
            raise ArgumentError(f"AnalogRNN: cell={cell!r} must be a cell class")
        if rpu_config is not None:
            check_has_mapping(type(self).__name__, rpu_config)
        check_positive_int(input_size, "AnalogRNN input_size")
        check_positive_int(hidden_size, "AnalogRNN hidden_size")
        layer: type[nn.Module] = AnalogBidirRNNLayer if bidir else AnalogRNNLayer
        dirs = 2 if bidir else 1
        self.rnn = ModularRNN(
            num_layers,
            layer,
            dropout,
            first_layer_args=[cell, input_size, hidden_size, bias, rpu_config, tile_module_class],
            other_layer_args=[
                cell,
                dirs * hidden_size,
                hidden_size,
                bias,
                rpu_config,
                tile_module_class,
            ],
        )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidir = bool(bidir)
        self.reset_parameters(xavier)

    @torch.no_grad()
    def init_layers(
        self,
        weight_init_fn: Callable[[Tensor], Any],
        bias_init_fn: Callable[[Tensor], Any] | None = None,
    ) -> None:
        """Apply the in-place ``weight_init_fn`` to every weight matrix and ``bias_init_fn``
        (default: ``weight_init_fn``) to every bias; analog weights are read with
        ``get_weights`` and written back with ``set_weights``."""
        bias_fn = weight_init_fn if bias_init_fn is None else bias_init_fn
        for module in self.modules():
            if isinstance(module, AnalogLinear):
                weight, bias = module.get_weights()
                weight_init_fn(weight)
                if bias is not None:
                    bias_fn(bias)
                module.set_weights(weight, bias)
            elif isinstance(module, nn.Linear):
                weight_init_fn(module.weight)
                if module.bias is not None:
                    bias_fn(module.bias)

    def reset_parameters(self, xavier: bool = False) -> None:
        """``U(±1/√hidden_size)`` for all weights and biases (torch's RNN initialisation), or
        Xavier-uniform weights and zero biases with ``xavier=True``; drawn from torch's
        global generator."""
        if xavier:
            self.init_layers(nn.init.xavier_uniform_, nn.init.zeros_)
        else:
            bound = 1.0 / math.sqrt(self.hidden_size)
            self.init_layers(lambda t: t.uniform_(-bound, bound))

    def get_zero_state(self, batch_size: int) -> list[Any]:
        """One zero state per layer (a ``[forward, backward]`` pair when bidirectional)."""
        return self.rnn.get_zero_state(batch_size)

    def forward(self, x: Tensor, states: list[Any] | None = None) -> tuple[Tensor, list[Any]]:
        """``x [T, B, input_size]`` (time-major) and optional initial states (default zero)
        -> ``(output [T, B, dirs·hidden_size], final states)``."""
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ArgumentError(
                f"{type(self).__name__}: input has shape {tuple(x.shape)}; expected "
                f"[seq_len, batch, {self.input_size}] (time-major)"
            )
        zero = self.get_zero_state(x.shape[1])
        if states is None:
            states = zero
        else:  # checked up front: a call that fails mid-sequence would have drawn tile noise
            _check_like(states, zero, f"{type(self).__name__}: states")
        return self.rnn(x, states)

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"num_layers={self.num_layers}, bidir={self.bidir}"
        )


def _check_like(value: Any, reference: Any, where: str) -> None:
    """``value`` has the nesting (lists/tuples) and tensor shapes of ``reference``."""
    if isinstance(reference, Tensor):
        if not isinstance(value, Tensor) or value.shape != reference.shape:
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ArgumentError(f"{where} is {shape}; expected {tuple(reference.shape)}")
        return
    if not isinstance(value, (list, tuple)) or len(value) != len(reference):
        size = len(value) if isinstance(value, (list, tuple)) else type(value).__name__
        raise ArgumentError(f"{where} has {size} entries; expected {len(reference)}")
    for i, (v, r) in enumerate(zip(value, reference)):
        _check_like(v, r, f"{where}[{i}]")


class _OneCellRNN(AnalogRNN):
    """An :class:`AnalogRNN` of the fixed cell class ``_CELL``; arguments as
    :class:`AnalogRNN` without ``cell``."""

    _CELL: type[nn.Module]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
        xavier: bool = False,
        num_layers: int = 1,
        bidir: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(
            self._CELL,
            input_size,
            hidden_size,
            bias,
            rpu_config,
            tile_module_class,
            xavier,
            num_layers,
            bidir,
            dropout,
        )


class AnalogLSTM(_OneCellRNN):
    """``AnalogRNN(AnalogLSTMCell, ...)`` (an analogtrain shorthand; aihwkit has only
    :class:`AnalogRNN`). Arguments as :class:`AnalogRNN` without ``cell``."""

    _CELL = AnalogLSTMCell


class AnalogGRU(_OneCellRNN):
    """``AnalogRNN(AnalogGRUCell, ...)`` (an analogtrain shorthand; aihwkit has only
    :class:`AnalogRNN`). Arguments as :class:`AnalogRNN` without ``cell``."""

    _CELL = AnalogGRUCell
