"""The fast CPU path of the analog MVM: the converters in two numba calls per pass.

:func:`fast_analog_mvm` runs the same process as the torch reference
(:func:`analogtrain.kernels.mvm.mvm.analog_mvm`) for CPU tensors: the DAC (finiteness check,
noise-management scale, lift of tiny rows, scaling, quantization, clip) in one compiled call
(:func:`.cpu_kernels.dac`), the product ``v @ W.T`` with torch, and the ADC (non-linearity,
asymmetry, output noise, quantization, clip, bound-management test, rescaling) in a second
(:func:`.cpu_kernels.adc`). Bound-management retries loop in Python over the failed rows
with the same kernels. The noise is drawn by the same torch calls, in the same order, as the
reference, and every arithmetic step is the reference's in the same precision, so for the
same generator state the result is bit-identical (``tests/kernels/test_mvm_fast.py``).

Covered: float32 and float64 CPU tensors; every simulated MVM type (the separate
positive/negative passes take two products, and two ADC calls for the digital sum); every noise
management (``ABS_MAX_NP_SUM`` and ``AVERAGE_ABS_MAX`` compute their scale with torch); bound
management NONE / ITERATIVE / ITERATIVE_WORST_CASE; input and output noise, per-output noise
spread, resolutions, stochastic rounding, bounds, asymmetries, the output non-linearity and
``out_scale``. IR drop, voltage offsets / series resistance and weight noise act between
the product and the ADC through the reference's own torch functions
(:func:`.io_nonideal.apply_pass_nonidealities`: extra products and draws, in the same order).
Declined (the reason returned as a falsy
:class:`~analogtrain.kernels.update.backend.Declined`, nothing changed): other devices and
dtypes, autograd through the MVM, and a machine without numba.

What the kernels do for a configuration is its plan (:mod:`.fast_plan`).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from analogtrain.configs.enums import AnalogMVType, NoiseManagementType
from analogtrain.errors import AnalogTrainError
from analogtrain.kernels.io_checks import non_finite_input_error
from analogtrain.kernels.io_threads import pooled_matmul
from analogtrain.kernels.mvm.fast_plan import NP_DTYPES, Plan, numba_kernels, plan_for
from analogtrain.kernels.mvm.io_management import bm_limit_reached, noise_management_scale
from analogtrain.kernels.mvm.io_nonideal import apply_pass_nonidealities, times_rows
from analogtrain.kernels.mvm.io_state import check_io_state
from analogtrain.kernels.update.backend import Declined

if TYPE_CHECKING:
    from analogtrain.configs.parameters import IOParameters

__all__ = ["CONFIG_ERROR", "fast_analog_mvm"]

#: :func:`fast_analog_mvm`'s answer when the configuration itself is invalid: the reference
#: path then raises the error, after the input checks that come first.
CONFIG_ERROR = None


def _state_vector(state: dict[str, Tensor], key: str, like: Tensor) -> np.ndarray | Declined:
    value = state[key]
    if value.dtype != like.dtype or value.device.type != "cpu":
        return Declined(
            f"IO state entry '{key}' is {value.dtype} on {value.device}, the input "
            f"{like.dtype} on {like.device}"
        )
    return np.ascontiguousarray(value.detach().reshape(-1).numpy())


def _numpy(t: Tensor) -> np.ndarray:
    return np.ascontiguousarray((t.detach() if t.requires_grad else t).numpy())


def fast_analog_mvm(
    weight: Tensor,
    x: Tensor,
    io: IOParameters,
    state: dict[str, Tensor],
    generator: torch.Generator,
    is_backward: bool,
    threads: int,
) -> Tensor | Declined | None:
    """The analog MVM of ``x`` [m, in] with ``weight`` [out, in] (shapes, dtypes and devices
    already checked), or why not (:class:`Declined`, nothing changed), or
    :data:`CONFIG_ERROR` for an invalid configuration. Raises the reference's TileError for
    non-finite input. ``threads``: the torch threads of the product.

    ``weight`` may also be a stack ``[m, out, in]``, one weight per row of ``x`` (row ``r``
    is read through ``weight[r]``); its DAC, input-noise and ADC draws are then made row by
    row, so that a call with one kind of draw (e.g. input noise alone) equals ``m`` single-row
    calls bit for bit, and any other call (weight noise draws for all rows at once) equals
    them in distribution."""
    if x.device.type != "cpu" or weight.device.type != "cpu":
        return Declined(f"the fast MVM runs on CPU tensors, not {x.device.type}")
    if x.dtype not in NP_DTYPES:
        return Declined(f"the fast MVM computes in float32 or float64, not {x.dtype}")
    if torch.is_grad_enabled() and (weight.requires_grad or x.requires_grad):
        return Declined("the fast MVM is not differentiable (call it under torch.no_grad())")
    if x.shape[1] == 0:
        return Declined("inputs of size 0")
    kernels = numba_kernels()
    if kernels is None:
        return Declined("numba cannot be imported")
    try:
        plan = plan_for(io, is_backward, x.dtype)
    except AnalogTrainError:
        return CONFIG_ERROR
    if plan.reason is not None:
        return Declined(plan.reason)
    run = _Run(weight, x, io, state, generator, plan, kernels, threads)
    if plan.eff.perfect:
        if not kernels.all_finite(run.xn):
            raise non_finite_input_error(x)
        y = pooled_matmul(x, weight.T, threads) if weight.dim() == 2 else times_rows(x, weight)
        out_scale = float(io.out_scale)
        return y.mul_(out_scale) if out_scale != 1.0 else y
    if x.shape[0] == 0:
        return x.new_zeros((0, weight.shape[-2]))
    if plan.needs_state:
        check_io_state(io, plan.eff, state, *weight.shape[-2:])
    adc_c = plan.adc_c
    if plan.noise_mode == kernels.NOISE_PER_OUTPUT:
        run.values = _state_vector(state, "out_noise_values", x)
        if isinstance(run.values, Declined):
            return run.values
    if plan.has_nl:
        run.nl = _state_vector(state, "out_nonlinearity", x)
        if isinstance(run.nl, Declined):
            return run.nl
        adc_c = adc_c.copy()
        adc_c[kernels.ADC_NL_F] = float(state["out_nonlinearity_factor"])
    return run.first_pass(adc_c)


class _Run:
    """One fast MVM: the first pass and the bound-management retries."""

    def __init__(
        self,
        weight: Tensor,
        x: Tensor,
        io: IOParameters,
        state: dict[str, Tensor],
        generator: torch.Generator,
        plan: Plan,
        kernels: ModuleType,
        threads: int,
    ) -> None:
        self.weight, self.x, self.io, self.state = weight, x, io, state
        self.generator, self.plan, self.k, self.threads = generator, plan, kernels, threads
        self.xn = _numpy(x)
        self.values: np.ndarray | Declined | None = None
        self.nl: np.ndarray | Declined | None = None
        self.index: np.ndarray | None = None  # the rows of x in this pass (None: all)

    def _rand(self, shape: tuple[int, ...], normal: bool) -> np.ndarray:
        draw = torch.randn if normal else torch.rand
        if self.weight.dim() == 2:
            return draw(shape, generator=self.generator, dtype=self.x.dtype).numpy()
        row = (1, *shape[1:])  # one draw per row, as single-row calls make them
        rows = [draw(row, generator=self.generator, dtype=self.x.dtype) for _ in range(shape[0])]
        return torch.cat(rows).numpy()

    def _weights(self) -> Tensor:
        """The weight of this pass: the one weight, or the stacked weights of its rows."""
        if self.weight.dim() == 2 or self.index is None:
            return self.weight
        return self.weight[torch.from_numpy(self.index)]

    def _product(self, vt: Tensor, weight: Tensor) -> Tensor:
        """``vt @ weight.T`` and the pass non-idealities (the reference's torch functions)."""
        if weight.dim() == 3:
            y = times_rows(vt, weight)
        elif self.threads <= 1:
            y = vt @ weight.T
        else:
            y = pooled_matmul(vt, weight.T, self.threads)
        if self.plan.pass_nonideal:
            y = apply_pass_nonidealities(y, vt, weight, self.io, self.state, self.generator)
        return y.contiguous()

    def _pass(self, v: np.ndarray, adc_c: np.ndarray, rows: np.ndarray) -> tuple[Tensor, int]:
        """One analog pass of the DAC output ``v``: input noise and asymmetry (torch, as the
        reference), the product(s), the ADC(s); returns ``(y, number of failed rows)``."""
        vt = torch.from_numpy(v)
        plan, k = self.plan, self.k
        if plan.inp_noise > 0:
            noise = torch.from_numpy(self._rand(tuple(vt.shape), True))
            vt.add_(noise, alpha=plan.inp_noise)
            if plan.inp_asymmetry != 0:
                vt = torch.where(vt < 0, vt * (1.0 - plan.inp_asymmetry), vt)
        mv_type = plan.eff.mv_type
        weight = self._weights()
        if mv_type is AnalogMVType.ONE_PASS:
            y = self._product(vt, weight)
            return y, self._adc(y, adc_c, rows)
        # separate passes for the negative and the positive inputs (spec 3.6)
        w_neg = weight * self.state["w_asymmetry"] if self.io.w_read_asymmetry_dtod > 0 else weight
        y_neg = self._product(vt.clamp(max=0.0), w_neg)
        y_pos = self._product(vt.clamp_(min=0.0), weight)
        if mv_type is AnalogMVType.POS_NEG_SEPARATE:
            y = y_pos.add_(y_neg)
            return y, self._adc(y, adc_c, rows)
        # POS_NEG_SEPARATE_DIGITAL_SUM: two ADC conversions, summed, then rescaled
        unit = np.zeros_like(rows)
        unit[k.ROW_MU], unit[k.ROW_LIFT] = 1.0, 1.0
        plain = adc_c.copy()
        plain[k.ADC_SCALE] = 1.0
        self._adc(y_neg, plain, unit)
        passed = unit[k.ROW_PASSED] != 0
        self._adc(y_pos, plain, unit)
        passed &= unit[k.ROW_PASSED] != 0
        y = y_pos.add_(y_neg)
        zero = rows[k.ROW_ZERO] != 0
        factor = rows[k.ROW_MU] * adc_c[k.ADC_SCALE]
        factor[zero] = 0.0
        y.mul_(torch.from_numpy(factor).unsqueeze(1))
        y.div_(torch.from_numpy(np.ascontiguousarray(rows[k.ROW_LIFT])).unsqueeze(1))
        passed |= zero
        rows[k.ROW_PASSED] = passed
        return y, int(passed.size - np.count_nonzero(passed))

    def _adc(self, y: Tensor, adc_c: np.ndarray, rows: np.ndarray) -> int:
        plan, k = self.plan, self.k
        yn = y.numpy()
        noise = self._rand(yn.shape, True) if plan.noise_mode != k.NOISE_NONE else yn
        u = self._rand(yn.shape, False) if plan.out_sto else yn
        vec = rows[0]
        values = vec if self.values is None else self.values
        nl = vec if self.nl is None else self.nl
        return k.adc(
            yn, noise, values, u, nl, adc_c, plan.has_nl, plan.out_asym, plan.noise_mode,
            plan.out_sto, plan.bm_mode, rows,
        )  # fmt: skip

    def first_pass(self, adc_c: np.ndarray) -> Tensor:
        plan, k, xn, x = self.plan, self.k, self.xn, self.x
        m = xn.shape[0]
        rows = np.empty((4, m), dtype=xn.dtype)
        mu_given = rows[0]
        if plan.torch_mu or plan.inp_sto:  # checked before anything is drawn
            abs_max = np.empty(m, dtype=xn.dtype)
            if not k.row_abs_max(xn, abs_max):
                raise non_finite_input_error(x)
            if plan.torch_mu:
                mu = noise_management_scale(
                    x,
                    plan.eff,
                    self.state,
                    max_bm_res=float(self.io.max_bm_res),
                    abs_max=torch.from_numpy(abs_max),
                )
                mu_given = _numpy(mu)
        u = self._rand(xn.shape, False) if plan.inp_sto else xn
        v = np.empty(xn.shape, dtype=xn.dtype)
        ok = k.dac(
            xn, mu_given, u, plan.dac_c, plan.nm_mode, plan.zero_mode, plan.inp_sto,
            plan.asym_in_dac, v, rows,
        )  # fmt: skip
        if not ok:
            raise non_finite_input_error(x)
        y, failed = self._pass(v, adc_c, rows)
        if failed and plan.bm_mode != k.BM_NONE:
            self._retries(y, rows, adc_c)
        return y

    def _retries(self, y: Tensor, rows: np.ndarray, adc_c: np.ndarray) -> None:
        """Bound management (spec 3.3): the failed rows again with the input divided by
        ``kappa = 2, 4, ...`` (first the worst-case scale for ITERATIVE_WORST_CASE)."""
        plan, k, xn, eff, io = self.plan, self.k, self.xn, self.plan.eff, self.io
        mu, lift = rows[k.ROW_MU].copy(), rows[k.ROW_LIFT].copy()
        passed = rows[k.ROW_PASSED] != 0
        yn = y.numpy()
        index = None
        kappa, retry = 1.0, 1
        out_scale = float(io.out_scale)
        while not bm_limit_reached(kappa, eff, io):
            failed = np.flatnonzero(~passed)
            if failed.size == 0:
                break
            index = failed if index is None else index[failed]
            mu = mu[failed]
            kappa *= 2.0
            if retry == 1 and plan.worst_case:
                kappa = 1.0
                if eff.nm_active:
                    x_rows = torch.from_numpy(xn[index] * lift[index][:, None])
                    worst = noise_management_scale(
                        x_rows,
                        eff,
                        self.state,
                        max_bm_res=float(io.max_bm_res),
                        noise_management=NoiseManagementType.ABS_MAX_NP_SUM,
                    )
                    mu = _numpy(torch.where(worst > 0, worst, torch.ones_like(worst)))
            retry += 1
            n_rows = index.size
            u = self._rand((n_rows, xn.shape[1]), False) if plan.inp_sto else xn
            v = np.empty((n_rows, xn.shape[1]), dtype=xn.dtype)
            kappas = np.array([kappa, 1.0 / kappa], dtype=xn.dtype)
            k.dac_rows(
                xn, index, mu, lift[index], kappas, plan.dac_c, eff.nm_active, plan.inp_sto,
                plan.asym_in_dac, u, v,
            )  # fmt: skip
            rows_k = np.zeros((4, n_rows), dtype=xn.dtype)
            rows_k[k.ROW_MU] = mu
            rows_k[k.ROW_LIFT] = lift[index]
            c = adc_c.copy()
            c[k.ADC_SCALE] = kappa * out_scale
            self.index = index
            y_rows, _ = self._pass(v, c, rows_k)
            yn[index] = y_rows.numpy()
            passed = rows_k[k.ROW_PASSED] != 0
