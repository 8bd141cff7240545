"""Fit a device model's parameters to measured pulse-response traces (scipy.optimize).

A measurement is a sequence of pulses (``pulse_data``: ``+n`` = ``n`` up pulses, ``-n``
down, ``0`` none) and the weight (conductance, in the model's weight units) measured
before the first and after each pulse (``response_data``). The model response is simulated
on the device's own update-once rule (:meth:`~analogtrain.devices.DeviceArray.pulse_once`,
the rule training uses): the first response value is the start weight, value ``k + 1`` the
weight after pulse ``k``; ``n_traces`` simulated copies are averaged. The fit minimises the
sum of squared differences over all traces, optionally weighted per trace (``fit_weights``).

Differences from aihwkit's ``utils.fitting`` (which uses lmfit and a whole tile): the
optimiser is scipy's (``"powell"``, ``"nelder"``, ``"least_squares"`` or any
``scipy.optimize.minimize`` method), the simulation pulses the device array directly
(``min(|n|, max_pulses)`` pulses per entry instead of a stochastic update of bit length
``max_pulses``; identical for aihwkit's default ``max_pulses=1`` and ``±1`` entries), and the
cycle-to-cycle draws use a fixed seed so the objective is a deterministic function.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy import ndarray

from analogtrain.errors import ArgumentError, ConfigError
from analogtrain.fitting.parameters import FitParameters, as_fit_parameters
from analogtrain.rng import make_generator

__all__ = ["FitResult", "fit_measurements", "model_response"]

_SCALAR_METHODS = {"powell": "Powell", "nelder": "Nelder-Mead", "nelder-mead": "Nelder-Mead"}
_LEAST_SQUARES = ("least_squares", "leastsq", "trf")


@dataclass
class FitResult:
    """Outcome and quality of a fit (the fields lmfit users read have lmfit's names).

    ``chisqr`` is the (weighted) sum of squared residuals, ``redchi = chisqr / (ndata -
    nvarys)``, ``rmse`` the root mean squared residual, ``r_squared`` the fraction of the
    response variance explained. ``params[name].stderr`` is one standard error from the
    Jacobian at the optimum (``redchi · (JᵀJ)⁻¹``); NaN where it cannot be told.
    """

    params: FitParameters
    success: bool
    message: str
    method: str
    nfev: int
    ndata: int
    nvarys: int
    residual: ndarray
    chisqr: float
    redchi: float
    rmse: float
    r_squared: float
    covar: ndarray | None

    def report(self) -> str:
        """A few lines describing the fit (the values, their errors and the fit quality)."""
        lines = [
            f"fit ({self.method}): {'converged' if self.success else 'NOT converged'}"
            f" after {self.nfev} evaluations: {self.message}",
            f"  data points {self.ndata}, varied parameters {self.nvarys}",
            f"  chi-square {self.chisqr:.6g}, reduced {self.redchi:.6g}, rmse {self.rmse:.6g},"
            f" R^2 {self.r_squared:.6f}",
        ]
        for p in self.params.values():
            err = f" ± {p.stderr:.3g}" if math.isfinite(p.stderr) else ""
            kind = f"in [{p.min:.4g}, {p.max:.4g}]" if p.vary else "(fixed)"
            lines.append(f"  {p.name} = {p.value:.6g}{err} {kind}")
        return "\n".join(lines)


def _traces(data: Any, what: str) -> tuple[list[ndarray], bool]:
    """The traces as 2-d float arrays ``[n_points, n_devices]``; and whether one was given."""
    single = not isinstance(data, tuple)
    items = (data,) if single else data
    out = []
    for k, item in enumerate(items):
        arr = np.asarray(item, dtype=float)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[0] < 2:
            raise ArgumentError(
                f"{what}[{k}] must be a 1-d or 2-d array of at least 2 points, got {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ArgumentError(f"{what}[{k}] contains non-finite values")
        out.append(arr)
    if not out:
        raise ArgumentError(f"{what} is an empty tuple")
    return out, single


def _device_of(config: Any) -> Any:
    from analogtrain.configs import PulsedDevice

    if isinstance(config, PulsedDevice):
        return config
    device = getattr(config, "device", None)
    if isinstance(device, PulsedDevice):
        return device
    raise ArgumentError(
        "device_config must be a pulsed device config or a SingleRPUConfig holding one, got "
        f"{type(config).__name__}"
    )


def _apply(device: Any, values: dict[str, float]) -> None:
    for name, value in values.items():
        if not hasattr(device, name):
            raise ConfigError(f"fit parameter {name!r} is not a field of {type(device).__name__}")
        setattr(device, name, value)


def _simulate(
    device: Any,
    pulses: ndarray,
    start: ndarray,
    n_points: int,
    n_traces: int,
    max_pulses: int | None,
    seed: int,
) -> ndarray:
    """Mean over ``n_traces`` of the simulated weights ``[n_points, n_devices]``."""
    from analogtrain.devices import create_device_array

    n_devices = pulses.shape[1]
    generator = make_generator(seed)
    array = create_device_array(device, n_traces, n_devices, generator, dtype=torch.float64)
    w0 = torch.as_tensor(start, dtype=torch.float64).reshape(1, -1).expand(n_traces, -1)
    with torch.no_grad():
        array.set_weights(w0.clone(), generator)
        trace = [array.weight.mean(dim=0).clone()]
        counts_all = np.abs(np.rint(pulses))
        if max_pulses is not None:
            counts_all = np.minimum(counts_all, max_pulses)
        for k in range(n_points - 1):
            counts = torch.as_tensor(counts_all[k], dtype=torch.float64).expand(n_traces, -1)
            down = torch.as_tensor(pulses[k] < 0).expand(n_traces, -1)
            array.apply_pulse_counts(counts.clone(), down.clone(), generator)
            trace.append(array.weight.mean(dim=0).clone())
    return torch.stack(trace).numpy()


def model_response(
    params: Any,
    pulse_data: Any,
    response_data: Any,
    device_config: Any,
    n_traces: int = 1,
    fit_weights: Any = None,
    verbose: bool = True,
    only_response: bool = False,
    *,
    max_pulses: int | None = 1,
    seed: int = 0,
) -> ndarray | list[ndarray]:
    """Simulated responses of ``device_config`` with ``params`` applied, or the residuals.

    Args:
        params: ``FitParameters`` (or the dict / lmfit form of :func:`fit_measurements`).
        pulse_data, response_data: one measurement (arrays) or a tuple of them.
        device_config: pulsed device (or a config holding one as ``.device``); a copy is used.
        n_traces: simulated copies averaged per response.
        fit_weights: per measurement, a weight per device column multiplying the residuals.
        verbose: print the standard deviation of the residuals (not with ``only_response``).
        only_response: return the simulated responses instead of the residuals.
        max_pulses: at most this many pulses per entry (``None``: no limit).
        seed: seed of the simulation's random draws.

    Returns:
        the residuals (model minus measurement, weighted, all traces concatenated), or the
        simulated responses (one array, or a list for tuple input).
    """
    values = params.valuesdict() if hasattr(params, "valuesdict") else dict(params)
    values = {k: (v[0] if isinstance(v, tuple) else v) for k, v in values.items()}
    pulses, single = _traces(pulse_data, "pulse_data")
    responses, single_r = _traces(response_data, "response_data")
    if single != single_r or len(pulses) != len(responses):
        raise ArgumentError("pulse_data and response_data must both be arrays or equal tuples")
    if isinstance(n_traces, bool) or not isinstance(n_traces, int) or n_traces < 1:
        raise ArgumentError(f"n_traces must be a positive int, got {n_traces!r}")
    if max_pulses is not None and (isinstance(max_pulses, bool) or max_pulses < 1):
        raise ArgumentError(f"max_pulses must be None or >= 1, got {max_pulses!r}")
    weights = _fit_weights(fit_weights, single, len(responses))
    device = copy.deepcopy(_device_of(device_config))
    _apply(device, values)
    simulated, residuals = [], []
    for k, (p, r) in enumerate(zip(pulses, responses)):
        if p.shape[1] != r.shape[1] or p.shape[0] < r.shape[0] - 1:
            raise ArgumentError(
                f"measurement {k}: pulse_data {p.shape} does not match response_data {r.shape}"
            )
        sim = _simulate(device, p, r[0], r.shape[0], n_traces, max_pulses, seed)
        simulated.append(sim)
        diff = sim - r
        if weights is not None:
            diff = diff * np.asarray(weights[k], dtype=float).reshape(-1)[: diff.shape[1]]
        residuals.append(diff.ravel())
    if only_response:
        return simulated[0] if single else simulated
    out = np.concatenate(residuals)
    if verbose:
        print(f"residual std {out.std():.6g}")
    return out


def _fit_weights(fit_weights: Any, single: bool, n: int) -> list[Any] | None:
    if fit_weights is None:
        return None
    items = (fit_weights,) if single else tuple(fit_weights)
    if len(items) != n:
        raise ArgumentError(f"fit_weights needs one entry per measurement ({n}), got {len(items)}")
    return list(items)


class _Space:
    """Varied parameters in the optimiser's coordinates: bounded ones mapped to [0, 1]."""

    def __init__(self, params: FitParameters) -> None:
        self.params = params
        self.varied = params.varied()

    def _bounded(self, p: Any) -> bool:
        return math.isfinite(p.min) and math.isfinite(p.max)

    def to_x(self) -> ndarray:
        return np.array(
            [
                (p.value - p.min) / (p.max - p.min) if self._bounded(p) else p.value
                for p in self.varied
            ]
        )

    def values(self, x: ndarray) -> dict[str, float]:
        out = self.params.valuesdict()
        for p, xi in zip(self.varied, x):
            if self._bounded(p):
                out[p.name] = p.min + float(np.clip(xi, 0.0, 1.0)) * (p.max - p.min)
            else:
                out[p.name] = float(np.clip(xi, p.min, p.max))
        return out

    def bounds(self) -> list[tuple[float, float]]:
        return [(0.0, 1.0) if self._bounded(p) else (p.min, p.max) for p in self.varied]

    def scale(self) -> ndarray:
        """d(value)/dx of every varied parameter."""
        return np.array([(p.max - p.min) if self._bounded(p) else 1.0 for p in self.varied])


def _jacobian(fun: Any, x: ndarray, f0: ndarray, bounds: list[tuple[float, float]]) -> ndarray:
    jac = np.empty((f0.size, x.size))
    for i in range(x.size):
        h = 1e-4 * max(1.0, abs(x[i])) if bounds[i] != (0.0, 1.0) else 1e-4
        step = h if x[i] + h <= bounds[i][1] else -h
        xp = x.copy()
        xp[i] += step
        jac[:, i] = (fun(xp) - f0) / step
    return jac


def fit_measurements(
    parameters: Any,
    pulse_data: Any,
    response_data: Any,
    device_config: Any,
    suppress_device_noise: bool = True,
    max_pulses: int | None = 1,
    n_traces: int = 1,
    fit_weights: Any = None,
    method: str = "powell",
    verbose: bool = False,
    *,
    seed: int = 0,
    **fit_kwargs: Any,
) -> tuple[FitResult, Any, ndarray | list[ndarray]]:
    """Fit fields of ``device_config`` to measured pulse responses (aihwkit's arguments).

    Args:
        parameters: the fields to fit: ``{"dw_min": (0.01, 0.001, 0.1), "w_max": 1.0}``
            (a tuple ``(start, min, max)`` varies, a number is held fixed), or an
            ``lmfit.Parameters``.
        pulse_data: pulses of one measurement (1-d, or 2-d ``[n, n_devices]`` for several
            devices at once), or a tuple of measurements.
        response_data: the measured weights, same structure, one more point than pulses
            used (``response[0]`` is the start weight).
        device_config: the device model (a ``PulsedDevice``, or a config with ``.device``).
        suppress_device_noise: set every ``*_dtod`` and ``*_std`` field to 0 before fitting.
        max_pulses: at most this many pulses per entry (``None``: ``|n|`` pulses).
        n_traces: simulated copies averaged (useful only with device noise left on).
        fit_weights: per measurement, a weight per device column for the residuals.
        method: ``"powell"`` (default), ``"nelder"``, ``"least_squares"``, or another
            ``scipy.optimize.minimize`` method name.
        verbose: print the fit report.
        seed: seed of the simulation's random draws (the objective is deterministic).
        fit_kwargs: passed to the scipy optimiser (e.g. ``options={"maxiter": 200}``).

    Returns:
        ``(fit_result, fitted_device_config, model_response)``: the :class:`FitResult`, a
        copy of ``device_config`` with the fitted values (and the suppressed noise, if
        chosen), and the simulated responses at the fitted values.
    """
    from scipy import optimize

    params = as_fit_parameters(parameters)
    config = copy.deepcopy(device_config)
    device = _device_of(config)
    _apply(device, params.valuesdict())  # unknown names fail here, before any fitting
    if suppress_device_noise:
        for field in dataclasses.fields(device):
            if field.name.endswith(("dtod", "std")) and isinstance(
                getattr(device, field.name), (int, float)
            ):
                setattr(device, field.name, 0.0)
    space = _Space(params)
    n_evals = 0

    def residual(x: ndarray) -> ndarray:
        nonlocal n_evals
        n_evals += 1
        return model_response(  # type: ignore[return-value]
            space.values(x),
            pulse_data,
            response_data,
            device,
            n_traces,
            fit_weights,
            verbose=False,
            max_pulses=max_pulses,
            seed=seed,
        )

    x0 = space.to_x()
    f_start = residual(x0)  # checks the data before the optimiser runs
    name = method.lower()
    if name in _LEAST_SQUARES:
        low, high = zip(*space.bounds())
        res = optimize.least_squares(residual, x0, bounds=(low, high), **fit_kwargs)
        x_best, success, message = res.x, bool(res.success), str(res.message)
    else:
        scipy_method = _SCALAR_METHODS.get(name, method)
        res = optimize.minimize(
            lambda x: float(np.sum(residual(x) ** 2)),
            x0,
            method=scipy_method,
            bounds=space.bounds(),
            **fit_kwargs,
        )
        x_best, success, message = np.asarray(res.x), bool(res.success), str(res.message)
    if float(np.sum(residual(x_best) ** 2)) > float(np.sum(f_start**2)):
        x_best = x0  # never report a worse point than the start
    best = residual(x_best)
    nfev = n_evals
    fitted = space.values(x_best)
    for p in params.values():
        p.value = fitted[p.name]

    ndata, nvarys = best.size, len(space.varied)
    chisqr = float(np.sum(best**2))
    redchi = chisqr / (ndata - nvarys) if ndata > nvarys else math.nan
    covar = _covariance(residual, x_best, best, space, redchi)
    if covar is not None:
        for p, var in zip(space.varied, np.diag(covar)):
            p.stderr = float(math.sqrt(var)) if var >= 0 else math.nan
    measured = np.concatenate([r.ravel() for r in _traces(response_data, "response_data")[0]])
    total = float(np.sum((measured - measured.mean()) ** 2))
    result = FitResult(
        params=params,
        success=success,
        message=message,
        method=method,
        nfev=nfev,
        ndata=ndata,
        nvarys=nvarys,
        residual=best,
        chisqr=chisqr,
        redchi=redchi,
        rmse=float(math.sqrt(chisqr / ndata)),
        r_squared=1.0 - chisqr / total if total > 0 else math.nan,
        covar=covar,
    )
    _apply(device, params.valuesdict())
    responses = model_response(
        params,
        pulse_data,
        response_data,
        device,
        n_traces,
        only_response=True,
        max_pulses=max_pulses,
        seed=seed,
    )
    if verbose:
        print(result.report())
    return result, config, responses


def _covariance(
    residual: Any, x: ndarray, f0: ndarray, space: _Space, redchi: float
) -> ndarray | None:
    if not math.isfinite(redchi):
        return None
    jac = _jacobian(residual, x, f0, space.bounds()) / space.scale()  # d residual / d value
    try:
        inv = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(inv)):
        return None
    return inv * redchi
