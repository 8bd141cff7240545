"""Optimizers for models with analog tiles."""

from analogtrain.optim.analog_optimizer import AnalogAdam, AnalogOptimizer
from analogtrain.optim.sgd import AnalogSGD

__all__ = ["AnalogAdam", "AnalogOptimizer", "AnalogSGD"]
