"""`AnalogContext`: the handle by which an optimizer finds an analog tile.

A torch optimizer only sees parameters. Each tile module therefore registers one scalar
parameter, an :class:`AnalogContext`, that points back at the module and collects the
``(x, d)`` pairs of every backward pass since the last optimizer step. The optimizer turns
these pairs into one pulsed update of the tile (compounds.md 4.3). The value of the
parameter (1.0) has no meaning.

Stored pairs are a pending update, and they are forgotten exactly when torch forgets a
gradient: the first stored pair puts a zero *gradient marker* into the context's ``.grad``,
and pairs whose marker was cleared (``optimizer.zero_grad()``, ``model.zero_grad()``, with
``set_to_none`` either way, or ``p.grad = None``) are dropped before the next pair is stored
and before the optimizer uses them. A zero marker adds nothing to gradient norms;
:meth:`AnalogContext.claim_pairs` removes it before a digital optimizer step can see it.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

if TYPE_CHECKING:  # pragma: no cover
    from analogtrain.nn.tile_module import AnalogTileModule

__all__ = ["AnalogContext"]


def _rebuild_context(data: Tensor, requires_grad: bool) -> AnalogContext:
    return AnalogContext(None, data=data, requires_grad=requires_grad)


class AnalogContext(torch.nn.Parameter):
    """A scalar parameter standing for one tile module in optimizer parameter groups.

    Attributes:
        analog_module: the :class:`~analogtrain.nn.tile_module.AnalogTileModule` it stands for.
        analog_input: inputs ``x`` ``[m_k, x_size]`` stored by the backward passes.
        analog_grad_output: output gradients ``d`` ``[m_k, out_size]`` (raw, unscaled).
        use_torch_update: always False for training tiles (aihwkit compatibility).
    """

    analog_module: AnalogTileModule | None
    analog_input: list[Tensor]
    analog_grad_output: list[Tensor]
    use_torch_update: bool

    def __new__(
        cls,
        analog_module: AnalogTileModule | None,
        *,
        data: Tensor | None = None,
        requires_grad: bool = True,
    ) -> AnalogContext:
        if data is None:
            data = torch.ones(())
        return super().__new__(cls, data, requires_grad)

    def __init__(
        self,
        analog_module: AnalogTileModule | None,
        *,
        data: Tensor | None = None,
        requires_grad: bool = True,
    ) -> None:
        self.analog_module = analog_module
        self.analog_input = []
        self.analog_grad_output = []
        self.use_torch_update = False
        self._marker: tuple[Tensor, int] | None = None

    def _marker_intact(self) -> bool:
        """Whether the gradient marker of the stored pairs is still this context's grad,
        unzeroed (an in-place ``zero_()`` bumps the tensor's version counter)."""
        if self._marker is None:
            return False
        marker, version = self._marker
        return self.grad is marker and marker._version == version

    def _drop_if_zeroed(self) -> None:
        if self._marker is not None and not self._marker_intact():
            self.reset()

    @property
    def analog_tile(self) -> AnalogTileModule | None:
        """The tile module this context stands for (aihwkit's name of ``analog_module``)."""
        return self.analog_module

    def store(self, x: Tensor, d: Tensor) -> None:
        """Keep one ``(x, d)`` pair for the next optimizer step (after dropping pairs a
        ``zero_grad`` has discarded since they were stored)."""
        self._drop_if_zeroed()
        if self._marker is None:
            marker = torch.zeros_like(self.data)
            self.grad = marker  # setting .grad is not recorded by autograd: no no_grad needed
            self._marker = (marker, marker._version)
        self.analog_input.append(x)
        self.analog_grad_output.append(d)

    def has_pairs(self) -> bool:
        """Whether a backward pass stored pairs since the last step that no ``zero_grad``
        discarded."""
        self._drop_if_zeroed()
        return bool(self.analog_input)

    def claim_pairs(self) -> bool:
        """Take the pending pairs for this optimizer step: drop discarded ones, remove the
        gradient marker from ``.grad`` (so a digital step never sees it) and return whether
        pairs are pending. Call it before the digital step; the pairs stay stored until
        :meth:`take_pairs` or :meth:`reset`."""
        self._drop_if_zeroed()
        if self._marker is not None:
            if self.grad is self._marker[0]:
                self.grad = None
            self._marker = None
        return bool(self.analog_input)

    def take_pairs(self) -> tuple[Tensor, Tensor]:
        """Concatenate and clear the stored pairs: ``X [m, x_size]``, ``D [m, out]``."""
        x = (
            torch.cat(self.analog_input, dim=0)
            if len(self.analog_input) > 1
            else self.analog_input[0]
        )
        d = (
            torch.cat(self.analog_grad_output, dim=0)
            if len(self.analog_grad_output) > 1
            else self.analog_grad_output[0]
        )
        self.reset()
        return x, d

    def reset(self) -> None:
        """Drop the stored pairs (e.g. when the learning rate is zero)."""
        self.analog_input = []
        self.analog_grad_output = []
        self._marker = None

    # A deep copy must follow the copy of the module it belongs to (the memo makes
    # ``deepcopy(model)`` give contexts that point at the copied tiles). Stored pairs are
    # transient and not copied.
    def __deepcopy__(self, memo: dict[int, Any]) -> AnalogContext:
        if id(self) in memo:
            return memo[id(self)]
        new = AnalogContext(None, data=self.data.clone(), requires_grad=self.requires_grad)
        memo[id(self)] = new
        new.analog_module = copy.deepcopy(self.analog_module, memo)
        new.use_torch_update = self.use_torch_update
        return new

    # Pickling (torch.save of a whole model) rebuilds an AnalogContext; the module reference
    # goes into the state, which pickle writes after the object is memoised, so reference
    # cycles through the module resolve to this same object.
    def __reduce_ex__(self, protocol: int) -> Any:
        return (
            _rebuild_context,
            (self.data, self.requires_grad),
            {"analog_module": self.analog_module, "use_torch_update": self.use_torch_update},
        )

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.analog_module = state["analog_module"]
            self.use_torch_update = state.get("use_torch_update", False)
            self.analog_input = []
            self.analog_grad_output = []
            self._marker = None
        else:  # legacy tensor state
            super().__setstate__(state)

    def __repr__(self) -> str:
        name = type(self.analog_module).__name__ if self.analog_module is not None else None
        return f"AnalogContext(module={name}, stored={len(self.analog_input)})"
