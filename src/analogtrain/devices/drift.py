"""Power-law conductance drift, applied only on explicit ``drift_weights`` calls (spec 2.9).

Each element remembers the weight ``w0`` it had when it was last written and the time ``t_ij``
of that write; on every call the global clock advances by ``delta_t / t_0`` and an unchanged
element relaxes as

    w = w0 · Δ^(−ν) + a · (Δ^(−ν) − 1),      Δ = max(T − t_ij, 1),
    a = g_offset · wg_ratio + w_offset         (ignored if |a| < reset_tol)

with the exponent ``ν`` optionally perturbed per call (``nu_std``) and made weight dependent
(``ν ← ν − nu_k log((w − w_offset)/wg_ratio + g_offset) + nu_k log_g0``). An element whose
weight changed since the last call (by more than ``reset_tol``) restarts its clock instead.
Optionally read noise ``w_noise_std · ξ`` is added to every element afterwards.

Reference: D. Ielmini et al., "Physical interpretation, modeling and impact on phase change
memory (PCM) reliability of resistance drift due to chalcogenide structural relaxation",
IEDM 2007; parameters as in IBM aihwkit's ``DriftParameter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.devices.sampling import standard_normal


@dataclass(frozen=True)
class DriftSettings:
    """Drift parameters; the simple drift of floating-point devices uses only the first three."""

    nu: float
    t_0: float = 1.0
    reset_tol: float = 1e-7
    nu_std: float = 0.0
    wg_ratio: float = 1.0
    g_offset: float = 0.0
    w_offset: float = 0.0
    nu_k: float = 0.0
    log_g0: float = 0.0
    w_noise_std: float = 0.0

    @classmethod
    def from_drift_parameter(cls, p: Any) -> DriftSettings:
        """From a full ``DriftParameter`` (pulsed devices)."""
        return cls(
            nu=p.nu,
            t_0=p.t_0,
            reset_tol=p.reset_tol,
            nu_std=p.nu_std,
            wg_ratio=p.wg_ratio,
            g_offset=p.g_offset,
            w_offset=p.w_offset,
            nu_k=p.nu_k,
            log_g0=p.log_g0,
            w_noise_std=p.w_noise_std,
        )

    @classmethod
    def from_simple_drift_parameter(cls, p: Any) -> DriftSettings:
        """From a ``SimpleDriftParameter`` (floating-point devices: one global ν)."""
        return cls(nu=p.nu, t_0=p.t_0, reset_tol=p.reset_tol)


class PowerLawDrift(nn.Module):
    """The drift state of one array (buffers) and its update rule."""

    def __init__(self, settings: DriftSettings, like: Tensor) -> None:
        super().__init__()
        self.settings = settings
        self.register_buffer("w0", torch.zeros_like(like))
        self.register_buffer("w_prev", torch.zeros_like(like))
        self.register_buffer("t_start", torch.zeros_like(like))
        self.register_buffer("clock", torch.zeros((), dtype=like.dtype, device=like.device))
        self.register_buffer("started", torch.zeros((), dtype=torch.bool, device=like.device))

    def step(
        self, w: Tensor, nu: Tensor, delta_t: float, generator: torch.Generator | None
    ) -> Tensor:
        """Return the drifted weights; ``nu`` is ``[out, in]`` or a scalar tensor."""
        s = self.settings
        if not bool(self.started):
            self.w0.copy_(w)
            self.w_prev.copy_(w)
            self.t_start.zero_()
            self.clock.zero_()
            self.started.fill_(True)
        self.clock += delta_t / s.t_0
        a = s.g_offset * s.wg_ratio + s.w_offset
        if abs(a) < s.reset_tol:
            a = 0.0

        changed = (self.w_prev - w).abs() > s.reset_tol
        self.t_start.copy_(torch.where(changed, self.clock, self.t_start))
        self.w0.copy_(torch.where(changed, w, self.w0))

        exponent = nu.expand_as(w).to(w.dtype)
        if s.nu_std > 0.0:
            exponent = exponent + s.nu_std * exponent * standard_normal(w.shape, generator, like=w)
        if s.nu_k != 0.0:
            arg = (w - s.w_offset) / s.wg_ratio + s.g_offset
            # [undetermined] the log is undefined for arg <= 0; such elements keep ν unchanged
            log_arg = torch.log(torch.where(arg > 0, arg, torch.ones_like(arg)))
            exponent = exponent + torch.where(arg > 0, -s.nu_k * log_arg + s.nu_k * s.log_g0, 0.0)
        age = torch.clamp(self.clock - self.t_start, min=1.0)
        factor = age.pow(-exponent)
        drifted = self.w0 * factor
        if a != 0.0:
            drifted = drifted + a * (factor - 1.0)
        out = torch.where(changed, w, drifted)
        if s.w_noise_std > 0.0:
            out = out + s.w_noise_std * standard_normal(w.shape, generator, like=w)
        self.w_prev.copy_(out)
        return out

    def clip_previous(self, lo: Tensor, hi: Tensor) -> None:
        """Clip the remembered weight like the device weight (pulsed devices)."""
        self.w_prev.copy_(torch.minimum(torch.maximum(self.w_prev, lo), hi))
