"""Experiments: a training run described as an object, executed by a runner (aihwkit's
``experiments`` package, for local runs on data at hand; nothing is downloaded).

:class:`BasicTraining` holds the dataset, model and hyper-parameters;
:class:`LocalRunner` runs it and returns per-epoch metrics.
"""

from analogtrain.experiments.base import Experiment, Signals
from analogtrain.experiments.metrics import LocalMetric
from analogtrain.experiments.runners import LocalRunner, Runner
from analogtrain.experiments.training import BasicTraining

__all__ = ["BasicTraining", "Experiment", "LocalMetric", "LocalRunner", "Runner", "Signals"]
