"""Optimizers for models with analog tiles."""

from analogtrain.optim.sgd import AnalogSGD

__all__ = ["AnalogSGD"]
