"""What the fast CPU MVM (:mod:`.fast`) does for one configuration: its plan.

:func:`plan_for` turns ``IOParameters``, a direction and a dtype into a :class:`Plan`: the
:class:`.EffectiveIO`, the modes of the kernels of :mod:`.cpu_kernels` and their constants as
arrays of the working dtype (a Python float ``c`` is used as ``dtype(c)``, as torch casts a
scalar operand). Plans are memoised by the configuration object's id, direction and dtype,
and used only while the object's type and field values are those they were built for.
"""

from __future__ import annotations

import functools
import importlib
import math
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import torch

from analogtrain.configs.enums import BoundManagementType, NoiseManagementType, WeightNoiseType
from analogtrain.kernels.mvm.io_management import EffectiveIO, effective_io
from analogtrain.kernels.mvm.io_state import nonlinearity_active, required_state_shapes

if TYPE_CHECKING:
    from analogtrain.configs.parameters import IOParameters

__all__ = ["NP_DTYPES", "Plan", "numba_kernels", "plan_for"]

#: the torch dtypes the kernels compute in, and their numpy types
NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}
_MAX_PLANS = 256
_plans: dict[tuple, tuple[type, tuple, Plan]] = {}


@functools.cache
def numba_kernels() -> ModuleType | None:
    """The compiled-on-demand kernel module :mod:`.cpu_kernels`, or None without numba."""
    try:
        return importlib.import_module("analogtrain.kernels.mvm.cpu_kernels")
    except (ImportError, RuntimeError, OSError):
        return None


@functools.cache
def _alpha_add_rounding(dtype: torch.dtype) -> str:
    """How torch's ``y.add_(n, alpha=a)`` rounds ``y + a n`` for ``dtype`` on this build:
    ``"fused"`` (one rounding, as the vectorised kernels), ``"plain"`` (two) or ``"mixed"``.

    Probed on 67 elements (vector body and tail) with ``a = n = 1 + 2^-k`` and ``y = -1``,
    where the two roundings differ."""
    k = 13 if dtype == torch.float32 else 28
    a = 1.0 + 2.0**-k
    y = torch.full((67,), -1.0, dtype=dtype).add_(torch.full((67,), a, dtype=dtype), alpha=a)
    fused, plain = 2.0**-k * 2 + 2.0 ** (-2 * k), 2.0**-k * 2
    if bool((y == fused).all()):
        return "fused"
    if bool((y == plain).all()):
        return "plain"
    return "mixed"


@dataclass(frozen=True)
class Plan:
    """What the kernels do for one configuration, direction and dtype."""

    eff: EffectiveIO
    reason: str | None  # why the fast path declines this configuration (None: it takes it)
    nm_mode: int = 0
    torch_mu: bool = False  # the scale mu comes from noise_management_scale (torch)
    zero_mode: bool = False  # rows with mu <= 0 give exactly 0
    inp_sto: bool = False
    inp_noise: float = 0.0
    inp_asymmetry: float = 0.0
    asym_in_dac: bool = False  # the input asymmetry in the DAC kernel (no input noise)
    dac_c: np.ndarray | None = None
    adc_c: np.ndarray | None = None
    has_nl: bool = False
    out_asym: bool = False
    noise_mode: int = 0
    out_sto: bool = False
    bm_mode: int = 0
    worst_case: bool = False
    needs_state: bool = False  # the IO state dict must hold entries (check_io_state)
    pass_nonideal: bool = False  # apply_pass_nonidealities (torch) after the product


def _pass_nonidealities(io: IOParameters) -> bool:
    """Whether IR drop, voltage offsets / series resistance or weight noise act on the pass
    (they run as the reference's torch functions between the product and the ADC)."""
    return (
        io.ir_drop > 0
        or io.v_offset_std > 0
        or io.r_series > 0
        or (io.w_noise_type is not WeightNoiseType.NONE and io.w_noise > 0)
    )


def _build_plan(io: IOParameters, is_backward: bool, dtype: torch.dtype) -> Plan:
    from analogtrain.kernels.mvm import cpu_kernels as k  # numba is importable (checked)

    eff = effective_io(io, is_backward=is_backward)
    if eff.perfect:
        return Plan(eff=eff, reason=None)
    npt = NP_DTYPES[dtype]
    nm = eff.noise_management
    modes = {
        NoiseManagementType.NONE: k.NM_NONE,
        NoiseManagementType.ABS_MAX: k.NM_ABS_MAX,
        NoiseManagementType.MAX: k.NM_MAX,
        NoiseManagementType.CONSTANT: k.NM_CONSTANT,
    }
    info = np.finfo(npt)
    thres = eff.nm_thres
    dac_c = np.array(
        [
            thres,
            eff.inp_step,
            eff.inp_bound,
            1.0 - float(io.inp_asymmetry),
            2.0 / float(info.max),
            2.0 ** (math.frexp(float(info.max))[1] // 2),
            thres if thres > 0 else 1.0,
            1.0,
            0.5,
        ],
        dtype=npt,
    )
    noise_mode = k.NOISE_NONE
    if io.out_noise_std > 0:
        noise_mode = k.NOISE_PER_OUTPUT
    elif io.out_noise > 0:
        rounding = _alpha_add_rounding(dtype)
        if rounding == "mixed":
            return Plan(
                eff=eff,
                reason="torch's add(alpha=) rounds some elements fused and others not here",
            )
        noise_mode = k.NOISE_FUSED if rounding == "fused" else k.NOISE_PLAIN
    bm_mode = k.BM_NONE
    if eff.bm_active and math.isfinite(eff.out_bound):
        bm_mode = k.BM_NEGATIVE if io.bm_test_negative_bound else k.BM_LAST_DECIDES
    adc_c = np.array(
        [
            1.0,  # the non-linearity factor F comes from the state (per call)
            1.0 - float(io.out_asymmetry),
            float(io.out_noise),
            eff.out_step,
            eff.out_bound,
            float(io.out_scale),
            1.0,
            0.5,
        ],
        dtype=npt,
    )
    return Plan(
        eff=eff,
        reason=None,
        nm_mode=modes.get(nm, k.NM_GIVEN),
        torch_mu=nm not in modes,
        zero_mode=bool(is_backward or io.inp_noise <= 0),
        inp_sto=bool(io.inp_sto_round) and eff.inp_step > 0,
        inp_noise=float(io.inp_noise) if io.inp_noise > 0 else 0.0,
        inp_asymmetry=float(io.inp_asymmetry),
        asym_in_dac=io.inp_asymmetry != 0 and not io.inp_noise > 0,
        dac_c=dac_c,
        adc_c=adc_c,
        has_nl=nonlinearity_active(io),
        out_asym=io.out_asymmetry > 0,
        noise_mode=noise_mode,
        out_sto=bool(io.out_sto_round) and eff.out_step > 0,
        bm_mode=bm_mode,
        worst_case=eff.bound_management is BoundManagementType.ITERATIVE_WORST_CASE
        and nm is not NoiseManagementType.ABS_MAX_NP_SUM,
        needs_state=bool(required_state_shapes(io, eff, 1, 1)),
        pass_nonideal=_pass_nonidealities(io),
    )


def plan_for(io: IOParameters, is_backward: bool, dtype: torch.dtype) -> Plan:
    """The memoised plan (an invalid configuration raises, as ``effective_io``).

    Memo key: the object's id, direction and dtype; an entry is used only while the object's
    type and field values are those it was built for (a changed field or a new object at a
    reused id builds the plan again)."""
    key = (id(io), is_backward, dtype)
    values = tuple(io.__dict__.values())
    entry = _plans.get(key)
    if entry is not None and entry[0] is type(io) and entry[1] == values:
        return entry[2]
    plan = _build_plan(io, is_backward, dtype)
    if len(_plans) >= _MAX_PLANS:
        _plans.clear()
    _plans[key] = (type(io), values, plan)
    return plan
