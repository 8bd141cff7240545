"""Scalar update-once rules of the pulsed device models, for the numba update kernels.

Each rule returns the new, *unclipped* weight of one cross-point after one pulse, exactly as
the model's ``_update_once`` in :mod:`analogtrain.devices` (the equations and citations are
stated there and in spec single-tile 2.6). :func:`pulse_train` applies ``count`` pulses of
one model, clipping to ``[b_min, b_max]`` after every pulse (spec 2.5). ``xi`` is the
pulse's cycle-to-cycle N(0, 1) sample (0 when ``dw_min_std == 0``, which makes every noise
term vanish exactly as the reference's "no draw").

Arguments per cross-point: ``b_max, b_min`` bounds, ``up, dn`` the step sizes ``Δ⁺, Δ⁻``,
``e_up, e_dn`` the model's two extra per-device values (LinearStep slopes, PowStep
exponents; unused otherwise). Tile-global values come in ``consts`` (see the ``C_*`` indices)
and the PiecewiseStep nodes in ``nodes_up`` / ``nodes_dn``. The reference-read models
(SoftBoundsReference, and PowStepReference through the PowStep rule) receive the physical
value ``g = v + ref``. Models without a rule here are not registered for the fast path
(:data:`analogtrain.kernels.fast_cpu_inputs.SUPPORTED_ARRAYS`) and take the reference path.

This module imports numba; only :mod:`analogtrain.kernels.fast_cpu` imports it, lazily.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from analogtrain.kernels.fast_cpu_ids import (
    C_A,
    C_A_DOWN,
    C_A_UP,
    C_B,
    C_COMPLEX,
    C_GAMMA_DOWN,
    C_GAMMA_UP,
    C_MULT_NOISE,
    C_SIGMA,
    C_STD_ADD,
    C_STD_SLOPE,
    CONSTANT_STEP,
    EXP_STEP,
    LINEAR_STEP,
    PIECEWISE_STEP,
    POW_STEP,
    SOFT_BOUNDS_REFERENCE,
)
from analogtrain.kernels.fast_cpu_rng import standard_normal

__all__ = ["pulse_train"]


@numba.njit(cache=True, inline="always", error_model="numpy")
def _linear_step(w, down, xi, sigma, up, dn, e_up, e_dn, mult_noise):
    sign = -1.0 if down else 1.0
    slope = e_dn if down else e_up
    step = dn if down else up
    if mult_noise:
        return w + sign * (slope * w + step) * (1.0 + sigma * xi)
    return w + sign * (slope * w + step * (1.0 + sigma * xi))


@numba.njit(cache=True, inline="always", error_model="numpy")
def _soft_bounds_reference(g, down, xi, sigma, b_max, b_min, up, dn, mult_noise):
    # selects instead of branches: the direction is random from pulse to pulse
    bound = b_min if down else b_max
    step = -dn if down else up
    usable = (bound < 0.0) if down else (bound > 0.0)
    ratio = g / bound  # inf/nan where not usable (numpy error model), then discarded
    factor = 1.0 - (ratio if usable else 0.0)
    if mult_noise:
        return g + step * factor * (1.0 + sigma * xi)
    return g + step * (factor + sigma * xi)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _exp_step(w, down, xi, sigma, b_max, b_min, up, dn, consts):
    span = b_max - b_min
    if span <= 0.0:
        return w
    z = 2.0 * consts[C_A] * w / span + consts[C_B]
    if down:
        dw = -max(1.0 - consts[C_A_DOWN] * math.exp(-consts[C_GAMMA_DOWN] * z), 0.0) * dn
    else:
        dw = max(1.0 - consts[C_A_UP] * math.exp(consts[C_GAMMA_UP] * z), 0.0) * up
    if consts[C_COMPLEX] != 0.0:
        spread = abs(dw) + consts[C_STD_ADD] + consts[C_STD_SLOPE] * abs(w)
        return w + dw + sigma * spread * xi
    return w + dw * (1.0 + sigma * xi)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _pow_step(w, down, xi, sigma, b_max, b_min, up, dn, e_up, e_dn):
    span = b_max - b_min
    if span == 0.0:
        return w
    distance = max((w - b_min) if down else (b_max - w), 0.0) / span
    step = (-dn if down else up) * distance ** (e_dn if down else e_up)
    return w + step * (1.0 + sigma * xi)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _piecewise_step(w, down, xi, sigma, b_max, b_min, up, dn, nodes_up, nodes_dn):
    n = nodes_up.shape[0] - 1
    span = b_max - b_min
    k = 0
    t = 0.0
    if n > 0 and span > 0.0:
        s = max((w - b_min) / span * n, 0.0)
        k_float = min(math.floor(s), n - 1.0)
        t = min(s - k_float, 1.0)
        k = int(k_float)
    k_next = min(k + 1, n)
    nodes = nodes_dn if down else nodes_up
    factor = (1.0 - t) * nodes[k] + t * nodes[k_next]
    if down:
        return w - dn * factor * (1.0 + sigma * xi)
    return w + up * factor * (1.0 + sigma * xi)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _noise(key, t, sigma):  # type: ignore[no-untyped-def]
    """The c2c sample of pulse ``t`` (0 without c2c noise: no draw, as the reference)."""
    return standard_normal(key, np.uint64(t)) if sigma > 0.0 else 0.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def pulse_train(model, g, down, count, key, hi, lo, up, dn, eu, ed, consts, nodes_up, nodes_dn):
    """``count`` same-direction pulses of device ``model`` (a ``fast_cpu_ids`` model id) on one
    cross-point, each with its own c2c sample (number ``t`` of stream ``key``) and the clip to
    ``[lo, hi]``; returns the new weight. The model is chosen once per train, outside the
    pulse loop, so that each loop is a tight, specialised one."""
    sigma = consts[C_SIGMA]
    mult = consts[C_MULT_NOISE] != 0.0
    if model == SOFT_BOUNDS_REFERENCE:
        for t in range(count):
            g = _soft_bounds_reference(g, down, _noise(key, t, sigma), sigma, hi, lo, up, dn, mult)
            g = min(max(g, lo), hi)
    elif model == CONSTANT_STEP:
        step = -dn if down else up
        for t in range(count):
            g = min(max(g + step * (1.0 + sigma * _noise(key, t, sigma)), lo), hi)
    elif model == LINEAR_STEP:
        for t in range(count):
            g = _linear_step(g, down, _noise(key, t, sigma), sigma, up, dn, eu, ed, mult)
            g = min(max(g, lo), hi)
    elif model == EXP_STEP:
        for t in range(count):
            g = min(
                max(_exp_step(g, down, _noise(key, t, sigma), sigma, hi, lo, up, dn, consts), lo),
                hi,
            )
    elif model == POW_STEP:
        for t in range(count):
            g = min(
                max(_pow_step(g, down, _noise(key, t, sigma), sigma, hi, lo, up, dn, eu, ed), lo),
                hi,
            )
    elif model == PIECEWISE_STEP:
        for t in range(count):
            xi = _noise(key, t, sigma)
            g = _piecewise_step(g, down, xi, sigma, hi, lo, up, dn, nodes_up, nodes_dn)
            g = min(max(g, lo), hi)
    else:
        g = np.nan  # unknown model: never registered, poisons the result visibly
    return g
