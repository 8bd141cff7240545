"""`AnalogSGD`: stochastic gradient descent for models with analog tiles (compounds.md 4.3).

Digital parameters (biases, learned scales, digital layers) follow :class:`torch.optim.SGD`
with all its options. Every analog tile is represented in the parameter groups by its
:class:`~analogtrain.nn.context.AnalogContext`; in :meth:`AnalogSGD.step` it gets one
pulsed update with all the ``(x, d)`` rows stored since the last step,

    W ← W − lr · Σ_rows d xᵀ        (realised by coincidences of pulse trains, single-tile.md 4)

at the group's learning rate read at step time (so schedulers work), then one
``post_update_step`` (diffusion, decay). Momentum, dampening, Nesterov and weight decay act
on the digital parameters only.

A step checks everything it will use before it changes anything
(:mod:`analogtrain.optim.step_checks`): a NaN/inf/negative learning rate, a NaN/inf digital
gradient or a NaN/inf pending ``(x, d)`` pair raises :class:`~analogtrain.errors.ArgumentError`
with the model, the optimizer state and the pending pairs unchanged. ``zero_grad()`` (of the
optimizer or of the model) drops the pending analog update as it drops the gradients
(:class:`~analogtrain.nn.context.AnalogContext`), so a batch rejected or skipped that way
leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor

from analogtrain.nn.context import AnalogContext
from analogtrain.optim.step_checks import (
    check_learning_rate,
    check_step_inputs,
    claim_analog_pairs,
)

__all__ = ["AnalogSGD"]


class AnalogSGD(torch.optim.SGD):
    """SGD whose analog tiles are trained by pulsed updates.

    Args:
        params: parameters or parameter groups, typically ``model.parameters()``.
        lr: learning rate (of the digital parameters and of the tiles), ``>= 0``.
        momentum, dampening, weight_decay, nesterov, maximize, foreach, differentiable,
        fused: as in :class:`torch.optim.SGD`, for the digital parameters.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float | Tensor = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_learning_rate(lr, "AnalogSGD(lr=...)")
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """``torch.optim.SGD.add_param_group``, refusing a NaN/inf/negative ``lr`` first."""
        if isinstance(param_group, dict) and "lr" in param_group:
            check_learning_rate(
                param_group["lr"], f"param group {len(self.param_groups)} of AnalogSGD"
            )
        super().add_param_group(param_group)

    def analog_contexts(self) -> list[tuple[dict[str, Any], AnalogContext]]:
        """``(group, context)`` for every analog tile in the parameter groups."""
        return [
            (group, p)
            for group in self.param_groups
            for p in group["params"]
            if isinstance(p, AnalogContext)
        ]

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Digital SGD step, then one pulsed update and a post-update step per tile.

        The closure (if any) runs first; then every input of the step is checked, and a
        rejected step raises before any parameter, state or tile changes.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        check_step_inputs(self)
        claim_analog_pairs(self)
        super().step(None)
        with torch.no_grad():
            self._analog_step()
        return loss

    def _analog_step(self) -> None:
        contexts = self.analog_contexts()
        for group, ctx in contexts:
            if ctx.use_torch_update or not ctx.has_pairs():
                continue
            lr = float(group["lr"])
            if lr == 0.0:
                ctx.reset()
                continue
            x, d = ctx.take_pairs()
            if group.get("maximize", False):
                d = -d
            module = ctx.analog_module
            module.update(x.to(module.analog_ctx.device), d.to(module.analog_ctx.device), lr)
        for _, ctx in contexts:
            ctx.analog_module.post_update_step()

    def regroup_param_groups(self, *_: Any) -> None:
        """Move every analog context into a group of its own with the default settings
        (aihwkit compatibility; the model argument is accepted and not needed)."""
        analog: list[AnalogContext] = []
        for group in self.param_groups:
            analog += [p for p in group["params"] if isinstance(p, AnalogContext)]
            group["params"] = [p for p in group["params"] if not isinstance(p, AnalogContext)]
        self.param_groups = [g for g in self.param_groups if g["params"]]
        for ctx in analog:
            self.add_param_group({"params": [ctx]})

    def set_learning_rate(self, learning_rate: float = 0.1) -> None:
        """Set the learning rate of every group (digital and analog)."""
        check_learning_rate(learning_rate, "AnalogSGD.set_learning_rate(learning_rate=...)")
        for group in self.param_groups:
            group["lr"] = learning_rate
