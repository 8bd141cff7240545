"""Power-step device read against a per-device reference (PowStepReferenceDevice).

The stored weight is ``v = g − ref_ij``; a pulse applies the power-step rule of
:mod:`analogtrain.devices.pow_step` to ``g = v + ref_ij``, clips ``g`` and stores ``g − ref_ij``.
No write noise. ``ref_ij = reference_mean + reference_std ξ``; with
``subtract_symmetry_point`` (devices with ``b_max > 0 > b_min``) the noise-free symmetry point is
found by iterating alternate up and down pulses from 0 without clipping,

    sp ← sp − Δ⁻ ((sp − b_min)/D)^Γ⁻ + Δ⁺ ((b_max − sp)/D)^Γ⁺,

``n_estimation_steps`` times (if > 0, else ``min(round(10 D / min(|Δ⁺|, |Δ⁻|)), 10000)``), and
added to both the reference and the reset bias. Converged devices take the root of the
iteration's fixed-point equation plus its linearised tail instead of thousands of explicit steps
(see :func:`estimate_symmetry_point`; same result far below float32 resolution).
Reference: the ``PowStepReferenceDevice`` model of IBM aihwkit 1.1.0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from analogtrain.configs.devices import PowStepReferenceDevice
from analogtrain.devices.pow_step import pow_step, sample_pow_exponents
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.sampling import standard_normal

_MAX_ESTIMATION_STEPS = 10000


def _iteration_counts(p: dict[str, Tensor], n_estimation_steps: int) -> Tensor:
    """How many estimation steps each device takes (0 for inconsistent devices)."""
    b_max, b_min = p["max_bound"], p["min_bound"]
    consistent = (b_max > 0) & (b_min < 0)
    if n_estimation_steps > 0:
        steps = torch.full_like(b_max, float(n_estimation_steps))
    else:
        smallest = torch.minimum(p["dwmin_up"].abs(), p["dwmin_down"].abs())
        ratio = 10.0 * (b_max - b_min) / torch.where(smallest > 0, smallest, 1.0)
        rounded = torch.floor(ratio + 0.5)  # positive, so this rounds half away from zero
        steps = torch.where(
            smallest > 0, rounded.clamp(max=_MAX_ESTIMATION_STEPS), float(_MAX_ESTIMATION_STEPS)
        )
    return torch.where(consistent, steps, 0.0).long()


def _net_step(s: Tensor, p: dict[str, Tensor]) -> Tensor:
    """``h(s) = Δ⁺ ((b_max − s)/D)^Γ⁺ − Δ⁻ ((s − b_min)/D)^Γ⁻``: one up plus one down pulse."""
    span = p["max_bound"] - p["min_bound"]
    up = ((p["max_bound"] - s) / span).clamp(min=0.0).pow(p["gamma_up"])
    down = ((s - p["min_bound"]) / span).clamp(min=0.0).pow(p["gamma_down"])
    return p["dwmin_up"] * up - p["dwmin_down"] * down


def _contraction(s: Tensor, p: dict[str, Tensor]) -> Tensor:
    """``−h'(s)``, the fraction of the distance to the fixed point removed per step."""
    span = p["max_bound"] - p["min_bound"]
    up = ((p["max_bound"] - s) / span).clamp(min=1e-300).pow(p["gamma_up"] - 1.0)
    down = ((s - p["min_bound"]) / span).clamp(min=1e-300).pow(p["gamma_down"] - 1.0)
    return (p["dwmin_up"] * p["gamma_up"] * up + p["dwmin_down"] * p["gamma_down"] * down) / span


def _iterate(p: dict[str, Tensor], steps: Tensor) -> Tensor:
    """The plain iteration ``s ← s + h(s)`` from 0, ``steps`` times per device (1-D inputs).

    Devices are sorted by their step count (descending) so that the devices still iterating
    at step t are a prefix and every update works on contiguous slices.
    """
    order = torch.argsort(steps, descending=True)
    q = {name: value[order].contiguous() for name, value in p.items()}
    sorted_steps = steps[order]
    thresholds = torch.arange(int(sorted_steps[0]) if steps.numel() else 0)
    active = steps.numel() - torch.searchsorted(sorted_steps.flip(0), thresholds, right=True)
    sp = torch.zeros_like(q["max_bound"])
    for k in active.tolist():
        part = {name: value[:k] for name, value in q.items()}
        sp[:k] += _net_step(sp[:k], part)
    result = torch.empty_like(sp)
    result[order] = sp
    return result


def estimate_symmetry_point(p: dict[str, Tensor], n_estimation_steps: int) -> Tensor:
    """The symmetry point after the prescribed number of estimation steps, float64.

    The iteration converges geometrically to the root ``r`` of ``h``. Devices for which the
    remaining distance after ``n`` steps, about ``|r| (1 − κ)^n`` with ``κ = −h'(r)``, is below
    ``|r| e^-12`` take ``r − r (1 − κ)^n`` instead (the linearised tail; it differs from the
    explicit iterate far below float32 resolution), the others are iterated explicitly.
    Thousands of steps over a whole array would otherwise dominate construction time.
    """
    shape = p["max_bound"].shape
    flat = {name: p[name].flatten().to(torch.float64) for name in _PARAMETERS}
    steps = _iteration_counts(flat, n_estimation_steps)
    sp = torch.zeros_like(flat["max_bound"])

    # root of the decreasing function h on [b_min, b_max] by bisection
    lo, hi = flat["min_bound"].clone(), flat["max_bound"].clone()
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = _net_step(mid, flat) > 0
        lo, hi = torch.where(above, mid, lo), torch.where(above, hi, mid)
    root = 0.5 * (lo + hi)
    kappa = _contraction(root, flat)
    worst = torch.maximum(kappa, _contraction(torch.zeros_like(root), flat))
    regular = (flat["gamma_up"] > 0) & (flat["gamma_down"] > 0)
    regular &= (flat["dwmin_up"] > 0) & (flat["dwmin_down"] > 0)
    settled = (steps > 0) & regular & (worst < 0.5) & (steps * kappa >= 12.0)
    tail = (1.0 - kappa).clamp(min=0.0).pow(steps.to(torch.float64))
    sp = torch.where(settled, root - root * tail, sp)

    explicit = (steps > 0) & ~settled
    if explicit.any():
        subset = {name: value[explicit] for name, value in flat.items()}
        sp[explicit] = _iterate(subset, steps[explicit])
    return sp.view(shape)


_PARAMETERS = ("max_bound", "min_bound", "dwmin_up", "dwmin_down", "gamma_up", "gamma_down")


@register(PowStepReferenceDevice)
class PowStepReferenceDeviceArray(PulsedDeviceArray):
    """Array of :class:`~analogtrain.configs.PowStepReferenceDevice` cross-points."""

    supports_write_noise = False
    model_parameter_names = ("gamma_up", "gamma_down", "reference")
    rule = pow_step
    reference_parameter = "reference"
    gamma_up: Tensor
    gamma_down: Tensor
    reference: Tensor

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        cfg = self.config
        shape = common["max_bound"].shape
        params = sample_pow_exponents(cfg, shape, generator)
        reference = cfg.reference_mean + cfg.reference_std * standard_normal(shape, generator)
        reset_bias = common["reset_bias"]
        if cfg.subtract_symmetry_point:
            sp = estimate_symmetry_point({**common, **params}, int(cfg.n_estimation_steps))
            reference = reference + sp
            reset_bias = reset_bias + sp
        return {**params, "reference": reference, "reset_bias": reset_bias}

    def _granularity(self) -> float:
        return self.dw_min * 0.5 ** float(self.config.pow_gamma)
