"""Single-device configurations: the pulsed device models, the ideal and floating-point devices.

Every pulsed model shares the fields of :class:`PulsedDevice`; each subclass adds the fields of
its update-once rule. The physics (equations of each step rule) is documented where it is
implemented, in :mod:`analogtrain.devices`; here each field is described by its meaning and
units. Units: weights and steps are in normalised weight units; ``*_dtod`` fields are
device-to-device spreads drawn once when a tile is built, ``*_std`` fields are
cycle-to-cycle spreads drawn anew for every pulse (or call).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.drift import DriftParameter, SimpleDriftParameter

__all__ = [
    "ConstantStepDevice",
    "ExpStepDevice",
    "FloatingPointDevice",
    "IdealDevice",
    "LinearStepDevice",
    "PiecewiseStepDevice",
    "PowStepDevice",
    "PowStepReferenceDevice",
    "PulsedDevice",
    "SoftBoundsDevice",
    "SoftBoundsPmaxDevice",
    "SoftBoundsReferenceDevice",
]


@dataclass
class PulsedDevice(ConfigBase):
    """Fields common to every pulsed resistive device model (abstract: pick a subclass).

    Construction and corruption:
        construction_seed: seed of the device-to-device draws (0 = a fresh random seed).
        corrupt_devices_prob: probability that a crosspoint is stuck at a random value.
        corrupt_devices_range: stuck values are uniform within ``±range`` (and the bounds).
        perfect_bias: make the last column an (almost) ideal device: no variation, bounds
            ×100 (meant for an analog bias column).
        enforce_consistency: force positive step sizes and ``b_min <= 0 <= b_max`` per device.

    Step size (one pulse):
        dw_min: mean weight change of one pulse at the reference point (weight units).
        dw_min_dtod: relative device-to-device spread of the step size (a gain shared by
            up and down steps).
        dw_min_dtod_log_normal: draw that gain log-normally (``exp(dw_min_dtod·ξ)``).
        dw_min_std: relative cycle-to-cycle noise of each pulse (times the device's step).
        up_down: systematic up/down asymmetry: ``> 0`` shrinks the *down* step by the factor
            ``1 - up_down`` (net upward drift), ``< 0`` shrinks the up step by
            ``1 + up_down``; the other direction keeps the step ``dw_min``.
        up_down_dtod: device-to-device spread of the asymmetry (in units of ``dw_min``,
            added to the up step and subtracted from the down step).

    Bounds:
        w_max, w_min: mean upper and lower hard bounds of a device's weight.
        w_max_dtod, w_min_dtod: their relative device-to-device spreads.

    Slow processes (applied once per optimizer step when non-zero):
        diffusion: std of the random walk added at each step (weight units);
            ``diffusion_dtod`` its relative device-to-device spread.
        lifetime: decay time constant in optimizer steps (0 = no decay), the weight decays
            towards the reset value; ``lifetime_dtod`` its relative spread.
        drift: power-law drift, only on explicit ``drift_weights`` calls.

    Reset (only on explicit reset calls, or by compounds):
        reset: mean value a device is reset to; ``reset_dtod`` its absolute
            device-to-device spread; ``reset_std`` the cycle-to-cycle noise of a reset.

    Diagnostics:
        count_pulses: count the pulses per device (aihwkit GPU diagnostic; no effect).
    """

    construction_seed: int = 0
    corrupt_devices_prob: float = 0.0
    corrupt_devices_range: float = 0.1
    diffusion: float = 0.0
    diffusion_dtod: float = 0.0
    drift: DriftParameter = field(
        default_factory=DriftParameter, metadata={"hide_if": DriftParameter()}
    )
    dw_min: float = 0.001
    dw_min_dtod: float = 0.3
    dw_min_dtod_log_normal: bool = False
    dw_min_std: float = 0.3
    enforce_consistency: bool = True
    lifetime: float = 0.0
    lifetime_dtod: float = 0.0
    perfect_bias: bool = False
    reset: float = 0.0
    reset_dtod: float = 0.0
    reset_std: float = 0.01
    up_down: float = 0.0
    up_down_dtod: float = 0.01
    w_max: float = 0.6
    w_max_dtod: float = 0.3
    w_min: float = -0.6
    w_min_dtod: float = 0.3
    count_pulses: bool = False

    def requires_diffusion(self) -> bool:
        """Whether the optimizer must diffuse the weights after each step."""
        return self.diffusion > 0

    def requires_decay(self) -> bool:
        """Whether the optimizer must decay the weights after each step."""
        return self.lifetime > 0


@dataclass
class ConstantStepDevice(PulsedDevice):
    """Every pulse changes the weight by a constant (noisy) step until a hard bound."""


@dataclass
class LinearStepDevice(PulsedDevice):
    """The step size changes linearly with the weight (shrinking towards the bounds).

    Attributes:
        gamma_up, gamma_down: relative step decrease at the upper (lower) reference bound
            (0 = constant step, 1 = the step vanishes at the bound).
        gamma_up_dtod, gamma_down_dtod: absolute device-to-device spread of those slopes.
        allow_increasing: keep negatively drawn slopes (steps growing towards the bound).
        mean_bound_reference: slopes refer to the mean bounds ``w_max``/``w_min`` instead of
            each device's own bounds.
        mult_noise: cycle-to-cycle noise multiplies the whole (weight-dependent) step;
            otherwise it is added with std ``dw_min_std·dw_min``.
        write_noise_std: std of the write noise on the read-out weight, in units of
            ``dw_min`` (redrawn after every pulse; 0 = off).
        apply_write_noise_on_set: also add write noise when weights are set.
        reverse_up, reverse_down: the step grows (instead of shrinking) as the weight
            moves in that direction.
        reverse_offset: offset of the reference point when reversed (avoids a zero step).
    """

    gamma_up: float = 0.0
    gamma_down: float = 0.0
    gamma_up_dtod: float = 0.05
    gamma_down_dtod: float = 0.05
    allow_increasing: bool = False
    mean_bound_reference: bool = True
    mult_noise: bool = True
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True
    reverse_up: bool = False
    reverse_down: bool = False
    reverse_offset: float = 0.01


@dataclass
class SoftBoundsDevice(PulsedDevice):
    """The step shrinks linearly to zero at each device's own bound ("soft bounds").

    Attributes: ``mult_noise``, ``write_noise_std``, ``apply_write_noise_on_set``,
    ``reverse_up``, ``reverse_down``, ``reverse_offset`` as in :class:`LinearStepDevice`.
    """

    mult_noise: bool = True
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True
    reverse_up: bool = False
    reverse_down: bool = False
    reverse_offset: float = 0.01


@dataclass
class SoftBoundsPmaxDevice(SoftBoundsDevice):
    """Soft bounds parameterised by the pulse count that sweeps a given weight range.

    ``w_min``, ``w_max``, ``dw_min`` and ``up_down`` are derived (leave them None); see
    :meth:`as_soft_bounds`.

    Attributes:
        p_max: number of up pulses that move the weight from ``range_min`` to ``range_max``.
        alpha: relative step at the lower end: the first step is ``alpha·B``.
        range_min, range_max: the weight range swept by ``p_max`` pulses.
    """

    dw_min: float | None = None
    up_down: float | None = None
    w_max: float | None = None
    w_min: float | None = None
    p_max: int = 1000
    alpha: float = 0.0005
    range_min: float = -1.0
    range_max: float = 1.0

    def derived_parameters(self) -> dict[str, float]:
        """``w_min``, ``w_max``, ``dw_min``, ``up_down`` of the equivalent soft-bounds device.

        ``B = (range_max - range_min) / (1 - exp(-p_max·alpha))``, ``w_min = range_min``,
        ``w_max = range_min + B``, ``dw_min = B·alpha``, ``up_down = 1 + 2·range_min/B``
        (spec single-tile 2.6.4).
        """
        span = (self.range_max - self.range_min) / (1.0 - math.exp(-self.p_max * self.alpha))
        return {
            "w_min": self.range_min,
            "w_max": self.range_min + span,
            "dw_min": span * self.alpha,
            "up_down": 1.0 + 2.0 * self.range_min / span,
        }

    def as_soft_bounds(self) -> SoftBoundsDevice:
        """The equivalent :class:`SoftBoundsDevice` (all other fields copied)."""
        keep = {f.name for f in fields(SoftBoundsDevice)}
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name in keep}
        values.update(self.derived_parameters())
        return SoftBoundsDevice(**values)


@dataclass
class SoftBoundsReferenceDevice(PulsedDevice):
    """Soft bounds with a subtracted reference device (a differential pair).

    The weight read out is ``g - ref`` with ``g`` the soft-bounds device value.

    Attributes:
        mult_noise: multiplicative cycle-to-cycle noise (additive by default, unlike
            :class:`SoftBoundsDevice`).
        write_noise_std, apply_write_noise_on_set: as in :class:`LinearStepDevice`.
        slope_up_dtod, slope_down_dtod: relative device-to-device spread of the up and down
            slopes (``Δ/b``), drawn independently of the step sizes.
        reference_mean, reference_std: mean and device-to-device std of the reference value.
        subtract_symmetry_point: add each device's symmetry point (where up and down steps
            are equal) to its reference, so the read-out weight is 0 there.
    """

    mult_noise: bool = False
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True
    slope_up_dtod: float = 0.0
    slope_down_dtod: float = 0.0
    reference_mean: float = 0.0
    reference_std: float = 0.0
    subtract_symmetry_point: bool = False


@dataclass
class ExpStepDevice(PulsedDevice):
    """The step depends exponentially on the weight (fit to measured ReRAM/PCM data).

    With ``z = 2·a·w/(b_max - b_min) + b`` the up step is ``Δ·max(1 - A_up·exp(gamma_up·z), 0)``
    and the down step ``Δ·max(1 - A_down·exp(-gamma_down·z), 0)``.

    Attributes:
        A_up, A_down: amplitudes of the exponential terms (dimensionless).
        gamma_up, gamma_down: exponents (dimensionless).
        a, b: slope and offset of the normalised weight coordinate ``z``.
        dw_min_std_add: additive part of the weight-dependent cycle-to-cycle noise (weight
            units); with ``dw_min_std_slope`` (part proportional to ``|w|``) it switches to
            the "complex" noise model.
        dw_min_std_slope: see ``dw_min_std_add``.
        write_noise_std, apply_write_noise_on_set: as in :class:`LinearStepDevice`.
    """

    A_up: float = 0.00081
    A_down: float = 0.36833
    gamma_up: float = 12.44625
    gamma_down: float = 12.78785
    a: float = 0.244
    b: float = 0.2425
    dw_min_std_add: float = 0.0
    dw_min_std_slope: float = 0.0
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


@dataclass
class PowStepDevice(PulsedDevice):
    """The step is a power of the distance to the bound: ``Δ·((b_max - w)/range)^gamma`` up.

    Attributes:
        pow_gamma: the exponent (1 = soft-bounds-like).
        pow_gamma_dtod: relative device-to-device spread of the exponent.
        pow_up_down: up/down asymmetry of the exponent (same convention as ``up_down``).
        pow_up_down_dtod: device-to-device spread of that asymmetry.
        write_noise_std, apply_write_noise_on_set: as in :class:`LinearStepDevice`.
    """

    pow_gamma: float = 1.0
    pow_gamma_dtod: float = 0.1
    pow_up_down: float = 0.0
    pow_up_down_dtod: float = 0.0
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


@dataclass
class PowStepReferenceDevice(PulsedDevice):
    """A :class:`PowStepDevice` read out against a reference device (no write noise).

    Attributes:
        pow_gamma, pow_gamma_dtod, pow_up_down, pow_up_down_dtod: as in PowStepDevice.
        subtract_symmetry_point: add the estimated symmetry point to the reference.
        n_estimation_steps: pulse pairs used to estimate the symmetry point (``<= 0``: an
            automatic count, at most 10000).
        reference_mean, reference_std: mean and device-to-device std of the reference.
    """

    pow_gamma: float = 1.0
    pow_gamma_dtod: float = 0.1
    pow_up_down: float = 0.0
    pow_up_down_dtod: float = 0.0
    subtract_symmetry_point: bool = False
    n_estimation_steps: int = -1
    reference_mean: float = 0.0
    reference_std: float = 0.0


@dataclass
class PiecewiseStepDevice(PulsedDevice):
    """The step is interpolated linearly between nodes spread evenly over the weight range.

    Attributes:
        piecewise_up, piecewise_down: step scale (relative to ``dw_min``) at equally spaced
            nodes from ``b_min`` to ``b_max``; non-empty and of equal length.
        write_noise_std, apply_write_noise_on_set: as in :class:`LinearStepDevice`.
    """

    piecewise_up: list[float] = field(default_factory=lambda: [1])
    piecewise_down: list[float] = field(default_factory=lambda: [1])
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


@dataclass
class IdealDevice(ConfigBase):
    """Exact floating-point update ``W -= lr·d·xᵀ`` without bounds (the IO still applies).

    Attributes:
        construction_seed: seed of construction draws (0 = random).
        diffusion: std of the random walk added after each optimizer step.
        lifetime: decay time constant (optimizer steps) towards 0 (0 = none).
        reset_std: std of the value a reset sets a weight to (mean 0).
    """

    construction_seed: int = 0
    diffusion: float = 0.0
    lifetime: float = 0.0
    reset_std: float = 0.01

    def requires_diffusion(self) -> bool:
        """Whether the optimizer must diffuse the weights after each step."""
        return self.diffusion > 0

    def requires_decay(self) -> bool:
        """Whether the optimizer must decay the weights after each step."""
        return self.lifetime > 0


@dataclass
class FloatingPointDevice(ConfigBase):
    """The device of :class:`FloatingPointRPUConfig`: exact forward, backward and update.

    Attributes:
        diffusion: std of the random walk added after each optimizer step.
        lifetime: decay time constant (optimizer steps) towards 0 (0 = none).
        drift: power-law drift with one global exponent (explicit calls only).
    """

    diffusion: float = 0.0
    lifetime: float = 0.0
    drift: SimpleDriftParameter = field(default_factory=SimpleDriftParameter)

    def requires_diffusion(self) -> bool:
        """Whether the optimizer must diffuse the weights after each step."""
        return self.diffusion > 0

    def requires_decay(self) -> bool:
        """Whether the optimizer must decay the weights after each step."""
        return self.lifetime > 0
