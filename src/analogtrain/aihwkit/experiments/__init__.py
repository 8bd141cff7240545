"""aihwkit's ``experiments`` package (training part), over :mod:`analogtrain.experiments`."""

from analogtrain.experiments import BasicTraining

__all__ = ["BasicTraining"]
