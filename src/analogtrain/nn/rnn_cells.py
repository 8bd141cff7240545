"""Recurrent cells whose matrix products run on analog tiles (aihwkit's cells).

Each cell computes one time step from the input ``x [B, I]`` and the state; its weight
matrices are :class:`~analogtrain.nn.linear.AnalogLinear` layers (or ``torch.nn.Linear``
when ``rpu_config`` is None), each with its own bias, so with exact tiles a cell computes
exactly what torch's cell of the same name does (same gate order as ``torch.nn.LSTM`` and
``torch.nn.GRU``). With ``σ`` the logistic function:

* vanilla RNN (Elman, 1990): ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``;
* LSTM (Hochreiter & Schmidhuber, 1997, with the forget gate of Gers et al., 2000):
  ``[i, f, g, o] = W_ih x + b_ih + W_hh h + b_hh`` split in four,
  ``c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g)``, ``h' = σ(o) ⊙ tanh(c')``;
* LSTM with a combined weight: the same, with one tile ``W [4H, I + H]`` on ``[x, h]``
  (one bias);
* GRU (Cho et al., 2014): ``[r, z, n]`` gates from ``W_ih x + b_ih`` and ``W_hh h + b_hh``
  split in three, ``r = σ(r_i + r_h)``, ``z = σ(z_i + z_h)``, ``n = tanh(n_i + r ⊙ n_h)``,
  ``h' = n + z ⊙ (h - n)``.

The weights are ``[gates·H, in]`` matrices, gates stacked along the rows (torch's layout).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from analogtrain.errors import ArgumentError
from analogtrain.nn.linear import AnalogLinear

__all__ = [
    "AnalogGRUCell",
    "AnalogLSTMCell",
    "AnalogLSTMCellCombinedWeight",
    "AnalogVanillaRNNCell",
    "LSTMState",
]


class LSTMState(NamedTuple):
    """The state of an LSTM cell: hidden ``hx [B, H]`` and cell ``cx [B, H]``."""

    hx: Tensor
    cx: Tensor


def make_linear(
    in_size: int,
    out_size: int,
    bias: bool,
    rpu_config: Any,
    tile_module_class: type[nn.Module] | None,
) -> nn.Module:
    """An :class:`AnalogLinear`, or a ``torch.nn.Linear`` if ``rpu_config`` is None."""
    if rpu_config is None:
        return nn.Linear(in_size, out_size, bias)
    return AnalogLinear(in_size, out_size, bias, rpu_config, tile_module_class)


class _Cell(nn.Module):
    """Sizes, zero state and input checks shared by the cells."""

    input_size: int
    hidden_size: int

    def _zeros(self, batch_size: int) -> Tensor:
        param = next(self.parameters())
        return torch.zeros(batch_size, self.hidden_size, device=param.device, dtype=param.dtype)

    def _check(self, x: Tensor, hidden: Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ArgumentError(
                f"{type(self).__name__}: input has shape {tuple(x.shape)}; expected "
                f"[batch, {self.input_size}]"
            )
        if hidden.shape != (x.shape[0], self.hidden_size):
            raise ArgumentError(
                f"{type(self).__name__}: state has shape {tuple(hidden.shape)}; expected "
                f"[{x.shape[0]}, {self.hidden_size}]"
            )

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"


class _TwoTileCell(_Cell):
    """A cell with ``weight_ih [G·H, I]`` and ``weight_hh [G·H, H]`` (``G = _GATES``), built
    in that order; its state is one tensor ``[B, H]`` unless a subclass says otherwise."""

    _GATES = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        rows = self._GATES * hidden_size
        self.weight_ih = make_linear(input_size, rows, bias, rpu_config, tile_module_class)
        self.weight_hh = make_linear(hidden_size, rows, bias, rpu_config, tile_module_class)

    def get_zero_state(self, batch_size: int) -> Any:
        """Zero hidden state ``[batch_size, hidden_size]``."""
        return self._zeros(batch_size)


class AnalogVanillaRNNCell(_TwoTileCell):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``; returns ``(h', h')``.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        bias: whether ``weight_ih`` and ``weight_hh`` have a bias.
        rpu_config: tile configuration; None builds digital ``torch.nn.Linear`` weights.
        tile_module_class: tile module class of the analog weights (default from the config).
    """

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """``x [B, I]``, ``h [B, H]`` -> ``(h', h')``."""
        self._check(x, state)
        out = torch.tanh(self.weight_ih(x) + self.weight_hh(state))
        return out, out


class _LSTMCellBase(_Cell):
    """The LSTM step on gates ``[B, 4H]`` computed by the subclass's ``_gates``."""

    def _gates(self, x: Tensor, hx: Tensor) -> Tensor:
        raise NotImplementedError

    def get_zero_state(self, batch_size: int) -> LSTMState:
        """Zero ``LSTMState(hx, cx)``, each ``[batch_size, hidden_size]``."""
        return LSTMState(self._zeros(batch_size), self._zeros(batch_size))

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, LSTMState]:
        """``x [B, I]``, ``(h, c)`` -> ``(h', LSTMState(h', c'))``."""
        hx, cx = state
        self._check(x, hx)
        in_gate, forget_gate, cell_gate, out_gate = self._gates(x, hx).chunk(4, 1)
        cy = torch.sigmoid(forget_gate) * cx + torch.sigmoid(in_gate) * torch.tanh(cell_gate)
        hy = torch.sigmoid(out_gate) * torch.tanh(cy)
        return hy, LSTMState(hy, cy)


class AnalogLSTMCell(_LSTMCellBase, _TwoTileCell):
    """LSTM cell with two tiles, ``W_ih [4H, I]`` and ``W_hh [4H, H]`` (gates i, f, g, o);
    returns ``(h', LSTMState(h', c'))``. Arguments as :class:`AnalogVanillaRNNCell`."""

    _GATES = 4

    def _gates(self, x: Tensor, hx: Tensor) -> Tensor:
        return self.weight_ih(x) + self.weight_hh(hx)  # [B, 4H]


class AnalogLSTMCellCombinedWeight(_LSTMCellBase):
    """LSTM cell with one tile ``W [4H, I + H]`` applied to ``[x, h]`` (one bias, attribute
    ``weight``). Arguments as :class:`AnalogVanillaRNNCell`."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.weight = make_linear(
            input_size + hidden_size, 4 * hidden_size, bias, rpu_config, tile_module_class
        )

    def _gates(self, x: Tensor, hx: Tensor) -> Tensor:
        return self.weight(torch.cat((x, hx), 1))  # [B, 4H]


class AnalogGRUCell(_TwoTileCell):
    """GRU cell with ``W_ih [3H, I]`` and ``W_hh [3H, H]`` (gates r, z, n); returns
    ``(h', h')``. Arguments as :class:`AnalogVanillaRNNCell`.

    aihwkit builds this cell with an ``InferenceRPUConfig`` when ``rpu_config`` is None;
    analogtrain simulates no inference tiles and builds digital weights, as for the other
    cells (docs/differences.md).
    """

    _GATES = 3

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """``x [B, I]``, ``h [B, H]`` -> ``(h', h')``."""
        self._check(x, state)
        i_r, i_z, i_n = self.weight_ih(x).chunk(3, 1)
        h_r, h_z, h_n = self.weight_hh(state).chunk(3, 1)
        reset_gate = torch.sigmoid(i_r + h_r)
        update_gate = torch.sigmoid(i_z + h_z)
        new_gate = torch.tanh(i_n + reset_gate * h_n)
        out = new_gate + update_gate * (state - new_gate)
        return out, out
