"""aihwkit's ``experiments.runners.local``."""

from analogtrain.experiments.runners import LocalRunner

__all__ = ["LocalRunner"]
