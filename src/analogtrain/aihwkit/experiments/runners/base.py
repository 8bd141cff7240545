"""aihwkit's ``experiments.runners.base``."""

from analogtrain.experiments.runners import Runner

__all__ = ["Runner"]
