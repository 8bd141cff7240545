"""Range and consistency rules of devices and parameter groups (used by ``validate()``).

Each rule is a function ``rule(obj, path)`` raising :class:`ConfigError`; the table that
assigns rules to classes is :mod:`analogtrain.configs.rule_table`. Type checks are done before
the rules run (see :mod:`analogtrain.configs.validation`), so rules may assume numbers are
finite numbers of the right kind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from analogtrain.configs import devices as dv
from analogtrain.configs.drift import DriftParameter, SimpleDriftParameter
from analogtrain.configs.enums import NoiseManagementType
from analogtrain.configs.inference import (
    WeightClipParameter,
    WeightModifierParameter,
    WeightRemapParameter,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.mapping import MappingParameter
from analogtrain.configs.pre_post import InputRangeParameter
from analogtrain.configs.update import UpdateParameters
from analogtrain.configs.validation import join_path
from analogtrain.errors import ConfigError

__all__ = [
    "Rule",
    "at_least",
    "fail",
    "greater",
    "lengths",
    "probability",
]

Rule = Callable[[Any, str], None]


def fail(path: str, name: str, text: str, value: Any) -> None:
    """Raise ConfigError ``"<path>.<name> <text>, got <value>"``."""
    raise ConfigError(f"{join_path(path, name)} {text}, got {value!r}")


def greater(obj: Any, path: str, bound: float, *names: str) -> None:
    """Each field ``names`` of ``obj`` (unless None) must be ``> bound``."""
    for n in names:
        v = getattr(obj, n)
        if v is not None and not v > bound:
            fail(path, n, f"must be > {bound}", v)


def at_least(obj: Any, path: str, bound: float, *names: str) -> None:
    """Each field ``names`` of ``obj`` (unless None) must be ``>= bound``."""
    for n in names:
        v = getattr(obj, n)
        if v is not None and not v >= bound:
            fail(path, n, f"must be >= {bound}", v)


def probability(obj: Any, path: str, *names: str) -> None:
    """Each field ``names`` of ``obj`` must lie in ``[0, 1]``."""
    for n in names:
        v = getattr(obj, n)
        if not 0.0 <= v <= 1.0:
            fail(path, n, "must be a probability in [0, 1]", v)


def non_negative_spreads(obj: Any, path: str) -> None:
    """Every float field named ``*_std`` or ``*_dtod`` is a spread and must be >= 0."""
    for f in dataclasses.fields(obj):
        if f.name.endswith(("_std", "_dtod")):
            at_least(obj, path, 0, f.name)


def lengths(obj: Any, path: str, name: str, n: int, what: str) -> None:
    """The list field ``name`` must be empty or hold ``n`` entries (one per ``what``)."""
    v = getattr(obj, name)
    if v and len(v) != n:
        fail(path, name, f"must be empty or have one entry per {what} ({n})", v)


# ---- devices ----------------------------------------------------------------------------


def pulsed(d: dv.PulsedDevice, path: str) -> None:
    if isinstance(d, dv.SoftBoundsPmaxDevice):
        return  # bounds and step are derived; see soft_bounds_pmax
    bounds_contain_zero(path, d.w_min, d.w_max)
    greater(d, path, 0, "dw_min")


def bounds_contain_zero(path: str, w_min: float, w_max: float) -> None:
    """``w_min < w_max`` and ``w_min <= 0 <= w_max`` (the bounds of a pulsed device at ``path``)."""
    where = join_path(path, "w_min")
    if not w_min < w_max:
        raise ConfigError(f"{where} must be < w_max, got w_min={w_min!r}, w_max={w_max!r}")
    if not w_min <= 0.0 <= w_max:
        raise ConfigError(
            f"{where}/w_max must contain 0 (w_min <= 0 <= w_max), "
            f"got w_min={w_min!r}, w_max={w_max!r}"
        )


def pulsed_common(d: dv.PulsedDevice, path: str) -> None:
    probability(d, path, "corrupt_devices_prob")
    at_least(d, path, 0, "corrupt_devices_range", "diffusion", "lifetime")
    if d.reset < 0:
        fail(path, "reset", "must be >= 0 (aihwkit silently uses 0 for a negative reset)", d.reset)
    non_negative_spreads(d, path)


def soft_bounds_pmax(d: dv.SoftBoundsPmaxDevice, path: str) -> None:
    for name in ("w_min", "w_max", "dw_min", "up_down"):
        if getattr(d, name) is not None:
            fail(
                path,
                name,
                "is derived from p_max, alpha, range_min, range_max; leave it None",
                getattr(d, name),
            )
    at_least(d, path, 1, "p_max")
    greater(d, path, 0, "alpha")
    if not d.range_min < d.range_max:
        raise ConfigError(
            f"{join_path(path, 'range_min')} must be < range_max, "
            f"got range_min={d.range_min!r}, range_max={d.range_max!r}"
        )
    derived = d.derived_parameters()
    bounds_contain_zero(path, derived["w_min"], derived["w_max"])


def reverse_needs_mult_noise(d: Any, path: str) -> None:
    if (d.reverse_up or d.reverse_down) and not d.mult_noise:
        fail(
            path, "mult_noise", "must be True when reverse_up or reverse_down is set", d.mult_noise
        )


def pow_step(d: Any, path: str) -> None:
    at_least(d, path, 0, "pow_gamma")


def piecewise(d: dv.PiecewiseStepDevice, path: str) -> None:
    if not d.piecewise_up:
        fail(path, "piecewise_up", "must not be empty", d.piecewise_up)
    if len(d.piecewise_down) != len(d.piecewise_up):
        fail(
            path,
            "piecewise_down",
            f"must have the length of piecewise_up ({len(d.piecewise_up)})",
            d.piecewise_down,
        )


def simple_device(d: Any, path: str) -> None:
    at_least(d, path, 0, "diffusion", "lifetime")
    non_negative_spreads(d, path)


# ---- parameter groups -------------------------------------------------------------------


def io(p: IOParameters, path: str) -> None:
    at_least(
        p,
        path,
        0,
        "inp_noise",
        "out_noise",
        "w_noise",
        "ir_drop",
        "out_nonlinearity",
        "slope_calibration",
        "r_series",
        "nm_thres",
    )
    greater(p, path, 0, "ir_drop_g_ratio", "max_bm_res")
    at_least(p, path, 1, "max_bm_factor")
    non_negative_spreads(p, path)
    if not p.is_perfect and p.noise_management != NoiseManagementType.NONE and p.inp_bound != 1.0:
        fail(path, "inp_bound", "must be 1.0 when noise_management is not NONE", p.inp_bound)


def update(p: UpdateParameters, path: str) -> None:
    at_least(p, path, 1, "desired_bl")
    at_least(p, path, 0, "um_grad_scale")
    for name in ("res", "x_res_implicit", "d_res_implicit"):
        v = getattr(p, name)
        if v > 1:
            fail(
                path,
                name,
                "must be a bin width <= 1 (not a number of steps; a value > 1 "
                "rounds every pulse probability to 0)",
                v,
            )


def mapping(p: MappingParameter, path: str) -> None:
    at_least(p, path, 0, "weight_scaling_omega", "max_input_size", "max_output_size")


def simple_drift(p: SimpleDriftParameter, path: str) -> None:
    greater(p, path, 0, "t_0")
    at_least(p, path, 0, "reset_tol")
    non_negative_spreads(p, path)


def drift(p: DriftParameter, path: str) -> None:
    greater(p, path, 0, "wg_ratio")


def clip(p: WeightClipParameter, path: str) -> None:
    at_least(p, path, 0, "sigma")


def modifier(p: WeightModifierParameter, path: str) -> None:
    at_least(p, path, 0, "std_dev", "res", "pcm_t_inference", "pcm_zero_thres")
    greater(p, path, 0, "g_max", "assumed_wmax", "pcm_t0")
    probability(p, path, "pdrop", "pcm_prob_at_reset", "pcm_prob_at_gmax", "pcm_prob_at_random")


def remap(p: WeightRemapParameter, path: str) -> None:
    greater(p, path, 0, "remapped_wmax")
    at_least(p, path, 0, "max_scale_range", "max_scale_ref")
    if p.max_scale_range > 0 and p.remapped_wmax != 1.0:
        fail(path, "remapped_wmax", "must be 1.0 when max_scale_range > 0", p.remapped_wmax)


def input_range(p: InputRangeParameter, path: str) -> None:
    greater(p, path, 0, "init_value")
    at_least(p, path, 0, "init_from_data", "init_std_alpha", "gradient_scale")
    probability(p, path, "decay", "input_min_percentage", "output_min_percentage")
