"""aihwkit's ``utils.fitting``, over :mod:`analogtrain.fitting` (scipy.optimize)."""

from analogtrain.fitting import FitResult, fit_measurements, model_response

__all__ = ["FitResult", "fit_measurements", "model_response"]
