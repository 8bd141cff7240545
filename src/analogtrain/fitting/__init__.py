"""Fitting device models to measured pulse responses (needs scipy: the ``fitting`` extra).

:func:`fit_measurements` fits chosen fields of a pulsed device config to measured up/down
pulse traces and reports the fit quality (:class:`FitResult`); :func:`model_response`
simulates the traces for given values.
"""

from analogtrain.fitting.measurements import FitResult, fit_measurements, model_response
from analogtrain.fitting.parameters import FitParameter, FitParameters, as_fit_parameters

__all__ = [
    "FitParameter",
    "FitParameters",
    "FitResult",
    "as_fit_parameters",
    "fit_measurements",
    "model_response",
]
