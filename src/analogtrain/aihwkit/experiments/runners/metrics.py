"""aihwkit's ``experiments.runners.metrics``."""

from analogtrain.experiments.metrics import LocalMetric

__all__ = ["LocalMetric"]
