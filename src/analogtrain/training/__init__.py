"""A small reusable training loop for analog networks (used by the CLI and the examples).

Models (:func:`build_model`: ``"mlp"``, ``"lenet"``) made of analog layers, data sets
(:func:`load_dataset`), :class:`TrainingRun` with per-epoch metrics and exact
checkpoint/resume.
"""

from analogtrain.training.checkpoint import load_checkpoint, save_checkpoint
from analogtrain.training.datasets import DATASETS, ImageDataset, load_dataset, synthetic_dataset
from analogtrain.training.loop import EpochMetrics, History, TrainingRun, evaluate
from analogtrain.training.models import MODELS, build_model, lenet, mlp
from analogtrain.training.progress import ProgressBar

__all__ = [
    "DATASETS",
    "MODELS",
    "EpochMetrics",
    "History",
    "ImageDataset",
    "ProgressBar",
    "TrainingRun",
    "build_model",
    "evaluate",
    "lenet",
    "load_checkpoint",
    "load_dataset",
    "mlp",
    "save_checkpoint",
    "synthetic_dataset",
]
