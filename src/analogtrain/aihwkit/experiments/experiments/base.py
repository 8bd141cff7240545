"""aihwkit's ``experiments.experiments.base``."""

from analogtrain.experiments.base import Experiment, Signals

__all__ = ["Experiment", "Signals"]
