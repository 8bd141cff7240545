"""Analog training with any torch optimizer: `AnalogOptimizer` and `AnalogAdam` (aihwkit names).

The digital parameters (biases, learned scales, digital layers) are stepped by the wrapped
torch optimizer with all its options; every analog tile, represented in the parameter groups
by its :class:`~analogtrain.nn.context.AnalogContext`, gets one pulsed update with the
``(x, d)`` rows stored since the last step at its group's learning rate, then one
``post_update_step``, exactly as in :class:`~analogtrain.optim.AnalogSGD`. The analog update
is the pulsed SGD step of the tile's RPU config whatever the wrapped optimizer is (Adam's
moments only act on digital parameters), as in aihwkit.
"""

from __future__ import annotations

from collections.abc import Callable
from types import new_class
from typing import Any, ClassVar

import torch

from analogtrain.errors import ArgumentError
from analogtrain.kernels.io_checks import values_checked
from analogtrain.nn.context import AnalogContext
from analogtrain.optim.step_checks import (
    check_learning_rate,
    check_step_inputs,
    claim_analog_pairs,
)

__all__ = ["AnalogAdam", "AnalogOptimizer", "AnalogOptimizerMixin"]


class AnalogOptimizerMixin:
    """Adds the analog tile step to a :class:`torch.optim.Optimizer` subclass.

    A step runs the closure, checks every input it will use
    (:func:`~analogtrain.optim.step_checks.check_step_inputs`: learning rates, digital
    gradients, pending ``(x, d)`` pairs) before anything changes, takes the contexts' gradient
    markers off (:meth:`AnalogContext.claim_pairs`, so the wrapped optimizer never sees them),
    runs the wrapped optimizer's step on the digital parameters, then gives every tile one
    pulsed update at its group's learning rate and one ``post_update_step``.
    """

    param_groups: list[dict[str, Any]]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """The wrapped optimizer's ``add_param_group``, refusing a NaN/inf/negative ``lr`` first."""
        if isinstance(param_group, dict):
            # a group without its own rate takes the default (checked here too: torch only
            # refuses negative rates, not NaN/inf)
            lr = param_group.get("lr", getattr(self, "defaults", {}).get("lr", 0.0))
            check_learning_rate(
                lr, f"param group {len(self.param_groups)} of {type(self).__name__}"
            )
        super().add_param_group(param_group)  # type: ignore[misc]

    def analog_contexts(self) -> list[tuple[dict[str, Any], AnalogContext]]:
        """``(group, context)`` for every analog tile in the parameter groups."""
        return [
            (group, p)
            for group in self.param_groups
            for p in group["params"]
            if isinstance(p, AnalogContext)
        ]

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Digital step of the wrapped optimizer, then one pulsed update and a post-update
        step per tile; a rejected step raises before any parameter, state or tile changes."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        check_step_inputs(self)  # type: ignore[arg-type]
        claim_analog_pairs(self)  # type: ignore[arg-type]
        super().step(None)  # type: ignore[misc]
        with torch.no_grad():
            self._analog_step()
        return loss

    def _analog_step(self) -> None:
        contexts = self.analog_contexts()
        with values_checked():  # check_step_inputs scanned every pending pair
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
                device = module.analog_ctx.device
                if x.device != device:  # offloaded pairs (runtime.offload_*) go back
                    x = x.to(device)
                if d.device != device:
                    d = d.to(device)
                module.update(x, d, lr)
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
        check_learning_rate(
            learning_rate, f"{type(self).__name__}.set_learning_rate(learning_rate=...)"
        )
        for group in self.param_groups:
            group["lr"] = learning_rate


class AnalogOptimizer(AnalogOptimizerMixin, torch.optim.Optimizer):
    """``AnalogOptimizer(torch_optimizer_cls, params, *args, **kwargs)``.

    The instance is of a new class deriving from this one and ``torch_optimizer_cls`` (one
    class per wrapped optimizer, cached), so it is also an instance of the wrapped optimizer.
    Example: ``AnalogOptimizer(torch.optim.RMSprop, model.parameters(), lr=0.01)``.
    """

    _SUBCLASSES: ClassVar[dict[type, type]] = {}

    def __new__(cls, optimizer_cls: type, *_: Any, **__: Any) -> AnalogOptimizer:
        if not (
            isinstance(optimizer_cls, type) and issubclass(optimizer_cls, torch.optim.Optimizer)
        ):
            raise ArgumentError(
                f"AnalogOptimizer: optimizer_cls must be a torch.optim.Optimizer subclass, "
                f"got {optimizer_cls!r}"
            )
        sub = cls._SUBCLASSES.get(optimizer_cls)
        if sub is None:
            sub = new_class(f"{cls.__name__}{optimizer_cls.__name__}", (cls, optimizer_cls))
            cls._SUBCLASSES[optimizer_cls] = sub
        return super().__new__(sub)

    def __init__(self, optimizer_cls: type, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class AnalogAdam(AnalogOptimizerMixin, torch.optim.Adam):
    """Adam for the digital parameters, pulsed analog updates for the tiles (aihwkit name).

    Arguments as :class:`torch.optim.Adam`; ``lr`` is also the tiles' learning rate.
    """

    def __init__(
        self, params: Any, lr: float | torch.Tensor = 1e-3, *args: Any, **kwargs: Any
    ) -> None:
        check_learning_rate(lr, "AnalogAdam(lr=...)")
        super().__init__(params, lr, *args, **kwargs)
