"""aihwkit's ``experiments.runners`` (local runs only)."""

from analogtrain.experiments.metrics import LocalMetric
from analogtrain.experiments.runners import LocalRunner

__all__ = ["LocalMetric", "LocalRunner"]
