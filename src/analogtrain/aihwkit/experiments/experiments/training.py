"""aihwkit's ``experiments.experiments.training``."""

from analogtrain.experiments.training import BasicTraining

__all__ = ["BasicTraining"]
