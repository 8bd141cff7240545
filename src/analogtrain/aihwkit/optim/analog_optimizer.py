"""Mirror of ``aihwkit.optim.analog_optimizer``."""

from analogtrain.optim import AnalogAdam, AnalogOptimizer, AnalogSGD

__all__ = ["AnalogAdam", "AnalogOptimizer", "AnalogSGD"]
