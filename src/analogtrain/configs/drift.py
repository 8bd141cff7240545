"""Power-law conductance drift (`SimpleDriftParameter`, `DriftParameter`; spec single-tile 2.9).

Drift only acts when a tile's ``drift_weights(delta_t)`` is called explicitly, never during
training. A weight ``w0`` programmed at time ``t_ij`` relaxes as
``w(t) = w0 · (max(t - t_ij, 1) / t_0)^(-nu)``; any weight change restarts its clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from analogtrain.configs.base import ConfigBase

__all__ = ["DriftParameter", "SimpleDriftParameter"]


@dataclass
class SimpleDriftParameter(ConfigBase):
    """Drift with one global exponent (used by the floating-point device).

    Attributes:
        nu: drift exponent (dimensionless; 0 = no drift).
        t_0: time unit: ``delta_t`` of a drift call is divided by ``t_0``.
        reset_tol: a weight that moved by more than this since the last call restarts its
            drift clock.
    """

    nu: float = 0.0
    t_0: float = 1.0
    reset_tol: float = 1e-7


@dataclass
class DriftParameter(SimpleDriftParameter):
    """Drift of a pulsed device with per-device and per-call variation of the exponent.

    Attributes (beyond :class:`SimpleDriftParameter`):
        nu_dtod: relative device-to-device spread of ``nu`` (drawn at construction).
        nu_std: relative cycle-to-cycle spread of ``nu`` (drawn at every drift call).
        wg_ratio: weight-to-conductance ratio used by the conductance-dependent exponent.
        g_offset: conductance offset of that conversion.
        w_offset: weight offset of that conversion.
        nu_k: slope of the exponent's dependence on ``log`` conductance (0 = none).
        log_g0: reference ``log`` conductance of that dependence.
        w_noise_std: std of Gaussian read noise added to the weight at each drift call.
    """

    nu_dtod: float = 0.0
    nu_std: float = 0.0
    wg_ratio: float = 1.0
    g_offset: float = 0.0
    w_offset: float = 0.0
    nu_k: float = 0.0
    log_g0: float = 0.0
    w_noise_std: float = 0.0
