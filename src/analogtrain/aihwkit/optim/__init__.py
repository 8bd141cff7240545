"""Mirror of ``aihwkit.optim``: the analog optimizers."""

from analogtrain.optim import AnalogAdam, AnalogOptimizer, AnalogSGD

__all__ = ["AnalogAdam", "AnalogOptimizer", "AnalogSGD"]
