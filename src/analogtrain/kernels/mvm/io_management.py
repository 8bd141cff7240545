"""Converter settings and noise management of the analog MVM (spec single-tile 3.2, 3.3.3, 3.4).

:func:`effective_io` turns an ``IOParameters`` record into the numbers the MVM kernel works with
(DAC/ADC steps and bounds, the effective noise/bound management). :func:`noise_management_scale`
computes the per-sample input scale ``mu`` of noise management, vectorized over a batch.

Resolution convention (aihwkit): a resolution ``r`` is a fraction of the full range
``[-bound, bound]``; ``r > 1`` means "``r`` steps" (``r <- 1/r``) and ``r <= 0`` switches the
quantization off. The converter step is ``r * 2 * bound``, so the default DAC
(``inp_res = 1/126``, ``inp_bound = 1``) has step ``1/63`` and 127 levels, and the default ADC
(``out_res = 1/510``, ``out_bound = 12``) has step ``24/510`` and 511 levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from analogtrain.configs.enums import AnalogMVType, BoundManagementType, NoiseManagementType
from analogtrain.errors import ConfigError, NotSimulatedError

if TYPE_CHECKING:
    from analogtrain.configs.parameters import IOParameters

__all__ = [
    "AVERAGE_ABS_MAX_KEY",
    "NM_ASSUMED_WMAX",
    "NM_DECAY",
    "EffectiveIO",
    "bm_limit_reached",
    "converter_step",
    "discretize",
    "effective_io",
    "noise_management_scale",
]

NM_ASSUMED_WMAX = 0.6
"""Weight magnitude assumed by ``ABS_MAX_NP_SUM`` (hidden aihwkit field ``nm_assumed_wmax``)."""

NM_DECAY = 1e-3
"""Per-sample decay of the ``AVERAGE_ABS_MAX`` running value (hidden field ``nm_decay``)."""

AVERAGE_ABS_MAX_KEY = "average_abs_max"
"""Key of the ``AVERAGE_ABS_MAX`` running value in an IO state dict (0 = not initialised)."""

# Samples per chunk of the closed-form running average (keeps (1 - decay)^-k well scaled).
_EMA_CHUNK = 1024


def converter_step(res: float, bound: float) -> float:
    """Effective step of a DAC/ADC with resolution ``res`` over ``[-bound, bound]`` (spec 3.2
    step 2): ``0`` for ``res < 0``, ``1/res`` for ``res > 1``, then times ``2 * bound``.
    A result ``<= 0`` means "no quantization"."""
    if res < 0:
        res = 0.0
    elif res > 1:
        res = 1.0 / res
    return res * 2.0 * bound


@dataclass(frozen=True)
class EffectiveIO:
    """The IO settings of one MVM direction after the initialisation rules of spec 3.2.

    Bounds are ``math.inf`` when unbounded; steps are ``0.0`` when quantization is off.
    """

    perfect: bool
    mv_type: AnalogMVType
    inp_bound: float
    inp_step: float
    out_bound: float
    out_step: float
    noise_management: NoiseManagementType
    nm_thres: float
    bound_management: BoundManagementType

    @property
    def nm_active(self) -> bool:
        return self.noise_management is not NoiseManagementType.NONE

    @property
    def bm_active(self) -> bool:
        return self.bound_management is not BoundManagementType.NONE


def effective_io(io: IOParameters, *, is_backward: bool = False) -> EffectiveIO:
    """Apply the initialisation rules of spec 3.2 (steps 1-5) to ``io``.

    Raises ``NotSimulatedError`` for ``SPLIT_MODE``/``BIT_WISE`` MVM types and forward ``SHIFT``
    bound management, and ``ConfigError`` when noise management is on with ``inp_bound != 1``.
    """
    mv_type = io.mv_type
    if mv_type in (AnalogMVType.SPLIT_MODE, AnalogMVType.BIT_WISE):
        raise NotSimulatedError(
            f"mv_type={mv_type} is only defined for aihwkit's IR-drop inference tile and is not "
            "simulated by the pulsed tile; use ONE_PASS, POS_NEG_SEPARATE, "
            "POS_NEG_SEPARATE_DIGITAL_SUM or IDEAL"
        )
    perfect = bool(io.is_perfect) or mv_type is AnalogMVType.IDEAL
    nm = io.noise_management
    bm = BoundManagementType.NONE if is_backward else io.bound_management
    if perfect:
        return EffectiveIO(
            perfect=True,
            mv_type=AnalogMVType.IDEAL,
            inp_bound=math.inf,
            inp_step=0.0,
            out_bound=math.inf,
            out_step=0.0,
            noise_management=NoiseManagementType.NONE,
            nm_thres=0.0,
            bound_management=BoundManagementType.NONE,
        )
    if bm is BoundManagementType.SHIFT:
        raise NotSimulatedError(
            "bound_management=BoundManagementType.SHIFT is not supported by pulsed tiles "
            "(as in aihwkit); use NONE, ITERATIVE or ITERATIVE_WORST_CASE"
        )
    out_step = converter_step(float(io.out_res), float(io.out_bound))
    inp_step = converter_step(float(io.inp_res), float(io.inp_bound))
    nm_thres = float(io.nm_thres)
    if nm is not NoiseManagementType.NONE:
        if float(io.inp_bound) != 1.0:
            raise ConfigError(
                f"inp_bound={io.inp_bound}: noise management ({nm}) requires inp_bound == 1.0"
            )
    else:
        nm_thres = 0.0
    out_bound = float(io.out_bound) if io.out_bound > 0 else math.inf
    inp_bound = float(io.inp_bound) if io.inp_bound > 0 else math.inf
    return EffectiveIO(
        perfect=False,
        mv_type=mv_type,
        inp_bound=inp_bound,
        inp_step=max(inp_step, 0.0),
        out_bound=out_bound,
        out_step=max(out_step, 0.0),
        noise_management=nm,
        nm_thres=nm_thres,
        bound_management=bm,
    )


def bm_limit_reached(kappa: float, eff: EffectiveIO, io: IOParameters) -> bool:
    """Bound management stops once ``kappa`` exceeds ``max_bm_factor`` or the reduction would
    drop the input below ``max_bm_res`` DAC steps (spec 3.3)."""
    if kappa > io.max_bm_factor:
        return True
    return eff.inp_step > 0 and kappa > io.max_bm_res / eff.inp_step


def discretize(v: Tensor, step: float, stochastic: bool, generator: torch.Generator) -> Tensor:
    """Round ``v`` in place to the zero-centred grid ``step * k`` (spec 3.3.3).

    ``step * rint(v / step)`` (ties to even), or with stochastic rounding
    ``step * rint(v / step + U - 0.5)``, ``U ~ uniform[0, 1)``. ``step <= 0`` leaves ``v``.
    """
    if step <= 0:
        return v
    v.div_(step)
    if stochastic:
        u = torch.rand(v.shape, generator=generator, device=v.device, dtype=v.dtype)
        v.add_(u).sub_(0.5)
    return v.round_().mul_(step)


def _abs_max(x: Tensor, thres: float, abs_max: Tensor | None) -> Tensor:
    a = x.abs().amax(dim=1) if abs_max is None else abs_max
    return a.clamp(max=thres) if thres > 0 else a


def _np_sum_scale(x: Tensor, eff: EffectiveIO, max_bm_res: float, abs_max: Tensor | None) -> Tensor:
    """``ABS_MAX_NP_SUM``: a worst-case scale that keeps ``|W x / mu| <= out_bound`` if every
    weight had magnitude ``NM_ASSUMED_WMAX``, limited by the DAC resolution."""
    a = _abs_max(x, eff.nm_thres, abs_max)
    pos = x.clamp(min=0).sum(dim=1)
    neg = x.clamp(max=0).sum(dim=1)
    s = torch.maximum(pos, -neg)
    bound = eff.out_bound if math.isfinite(eff.out_bound) else 1.0
    s.mul_(NM_ASSUMED_WMAX / bound)
    if eff.inp_step > 0:
        s = torch.minimum(a * (max_bm_res / eff.inp_step), s)
    return torch.maximum(a, s)


def _running_abs_max(a: Tensor, running: Tensor) -> Tensor:
    """Per-sample running average of the abs-max, in sample order, in closed form.

    ``A_k = (1 - d) A_{k-1} + d a_k`` with ``d = NM_DECAY``; a running value of 0 means "not
    initialised": the first sample with ``a > 0`` sets ``A = a`` (rows before it get 0). With
    ``r = 1 - d`` and ``C_k = sum_{i<=k} r^-i a_i``: ``A_k = r^k (S + d C_k)``, ``S = r A_prev``
    (initialised) or ``r^(1 - f) a_f`` (first positive sample ``f``). Updates ``running`` in
    place and returns ``A`` for every sample.
    """
    work = torch.promote_types(a.dtype, torch.float32)
    a = a.detach().to(work)
    prev = running.detach().to(device=a.device, dtype=work).reshape(())
    r = 1.0 - NM_DECAY
    out = []
    for start in range(0, a.shape[0], _EMA_CHUNK):
        chunk = a[start : start + _EMA_CHUNK]
        k = torch.arange(chunk.shape[0], device=a.device, dtype=work)
        c = torch.cumsum(chunk * r ** (-k), dim=0)
        positive = chunk > 0
        first = torch.argmax(positive.to(torch.int8))
        a_first = chunk[first] * positive.any()
        initialised = prev > 0
        s = torch.where(initialised, r * prev, r ** (1.0 - first.to(work)) * a_first)
        avg = r**k * (s + NM_DECAY * c)
        avg = torch.where(initialised | (k >= first), avg, torch.zeros_like(avg))
        out.append(avg)
        prev = avg[-1]
    running.copy_(prev.reshape(running.shape))
    return torch.cat(out) if len(out) > 1 else out[0]


def noise_management_scale(
    x: Tensor,
    eff: EffectiveIO,
    state: dict[str, Tensor],
    *,
    max_bm_res: float,
    noise_management: NoiseManagementType | None = None,
    abs_max: Tensor | None = None,
) -> Tensor | None:
    """Per-sample noise-management scale ``mu`` (spec 3.4) of ``x`` [m, in] -> [m].

    Returns ``None`` when noise management is off (``mu = 1``, no scaling).
    ``noise_management`` overrides ``eff.noise_management`` (used for the worst-case pass of
    ``ITERATIVE_WORST_CASE``); ``abs_max`` [m] is ``max_j |x_j|`` if already computed.
    ``AVERAGE_ABS_MAX`` updates ``state[AVERAGE_ABS_MAX_KEY]`` in
    place, one sample after the other; store the same tensor object in the forward and the
    backward state dicts to share the running value between directions (aihwkit CPU quirk).
    """
    nm = eff.noise_management if noise_management is None else noise_management
    thres = eff.nm_thres
    if nm is NoiseManagementType.NONE:
        return None
    if nm is NoiseManagementType.ABS_MAX:
        return _abs_max(x, thres, abs_max)
    if nm is NoiseManagementType.MAX:
        mx = x.amax(dim=1)
        return mx.clamp_(max=thres) if thres > 0 else mx
    if nm is NoiseManagementType.CONSTANT:
        return torch.full(
            (x.shape[0],), thres if thres > 0 else 1.0, device=x.device, dtype=x.dtype
        )
    if nm is NoiseManagementType.ABS_MAX_NP_SUM:
        return _np_sum_scale(x, eff, max_bm_res, abs_max)
    if nm is NoiseManagementType.AVERAGE_ABS_MAX:
        running = state.get(AVERAGE_ABS_MAX_KEY)
        if running is None:
            raise ConfigError(
                f"noise_management={nm} needs the running value state['{AVERAGE_ABS_MAX_KEY}'] "
                "(create the state with init_io_state)"
            )
        a = x.abs().amax(dim=1) if abs_max is None else abs_max
        return _running_abs_max(a, running).to(x.dtype)
    raise ConfigError(f"noise_management={nm!r} is not a NoiseManagementType")
