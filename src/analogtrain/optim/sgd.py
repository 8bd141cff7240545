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

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from analogtrain.optim.analog_optimizer import AnalogOptimizerMixin
from analogtrain.optim.step_checks import check_learning_rate

__all__ = ["AnalogSGD"]


class AnalogSGD(AnalogOptimizerMixin, torch.optim.SGD):
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
