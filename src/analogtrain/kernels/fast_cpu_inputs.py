"""What the fast update kernels need from a device array: model id, per-cross-point
parameters and tile-global constants. :func:`model_tensors` gives the array's own tensors
(shared by the numba CPU and the Triton CUDA path); :func:`kernel_inputs` turns them into
the numpy views of the numba kernels.

Supported (exact classes): ConstantStep, LinearStep (also SoftBounds, SoftBoundsPmax),
SoftBoundsReference, ExpStep, PowStep, PowStepReference, PiecewiseStep. Everything else
(floating-point arrays, subclasses with their own pulse response) returns ``None`` and
takes the reference path. The numba path handles float32 arrays on the CPU with contiguous
weights. Pure Python/torch; no numba import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from analogtrain.devices.constant_step import ConstantStepDeviceArray
from analogtrain.devices.exp_step import ExpStepDeviceArray
from analogtrain.devices.linear_step import LinearStepDeviceArray
from analogtrain.devices.piecewise_step import PiecewiseStepDeviceArray
from analogtrain.devices.pow_step import PowStepDeviceArray
from analogtrain.devices.pow_step_reference import PowStepReferenceDeviceArray
from analogtrain.devices.soft_bounds_reference import SoftBoundsReferenceDeviceArray
from analogtrain.kernels import fast_cpu_ids as ids

__all__ = ["SUPPORTED_ARRAYS", "KernelInputs", "ModelTensors", "kernel_inputs", "model_tensors"]

#: model id of every array class with a fast path
SUPPORTED_ARRAYS: dict[type, int] = {
    ConstantStepDeviceArray: ids.CONSTANT_STEP,
    LinearStepDeviceArray: ids.LINEAR_STEP,
    SoftBoundsReferenceDeviceArray: ids.SOFT_BOUNDS_REFERENCE,
    ExpStepDeviceArray: ids.EXP_STEP,
    PowStepDeviceArray: ids.POW_STEP,
    PowStepReferenceDeviceArray: ids.POW_STEP,
    PiecewiseStepDeviceArray: ids.PIECEWISE_STEP,
}


@dataclass(frozen=True)
class ModelTensors:
    """What every fast update needs from a device array, as the array's own tensors.

    ``w_p``/``w_a`` are the persistent and apparent weights (the same tensor without write
    noise); the parameters are ``[out, in]``; ``e_up``/``e_dn`` are the model's two extra
    per-device values (LinearStep slopes, PowStep exponents), ``ref`` the reference of the
    reference-read models (None otherwise), ``nodes_*`` the PiecewiseStep nodes. Tile-global
    values are in ``consts`` (float64 ``[N_CONSTS]``, indexed by the ``C_*`` ids).
    Shared by the numba CPU path (:func:`kernel_inputs`) and the Triton CUDA path.
    """

    model: int
    w_p: torch.Tensor
    w_a: torch.Tensor
    b_max: torch.Tensor
    b_min: torch.Tensor
    dw_up: torch.Tensor
    dw_dn: torch.Tensor
    e_up: torch.Tensor | None
    e_dn: torch.Tensor | None
    ref: torch.Tensor | None
    nodes_up: torch.Tensor | None
    nodes_dn: torch.Tensor | None
    consts: np.ndarray
    wn_sigma: float


def model_tensors(array: Any) -> ModelTensors | None:
    """The fast-path description of ``array``, or ``None`` for classes without a fast path."""
    model = SUPPORTED_ARRAYS.get(type(array))
    if model is None:
        return None
    consts = np.zeros(ids.N_CONSTS, dtype=np.float64)
    consts[ids.C_SIGMA] = max(float(array.dw_min_std), 0.0)
    e_up = e_dn = ref = nodes_up = nodes_dn = None
    if isinstance(array, LinearStepDeviceArray):
        e_up, e_dn = array.slope_up, array.slope_down
        consts[ids.C_MULT_NOISE] = float(bool(array.mult_noise))
    elif isinstance(array, SoftBoundsReferenceDeviceArray):
        ref = array.reference
        consts[ids.C_MULT_NOISE] = float(bool(array.mult_noise))
    elif isinstance(array, ExpStepDeviceArray):
        cfg = array.config
        consts[ids.C_A_UP], consts[ids.C_A_DOWN] = float(cfg.A_up), float(cfg.A_down)
        consts[ids.C_GAMMA_UP] = float(cfg.gamma_up)
        consts[ids.C_GAMMA_DOWN] = float(cfg.gamma_down)
        consts[ids.C_A], consts[ids.C_B] = float(cfg.a), float(cfg.b)
        consts[ids.C_STD_ADD] = float(cfg.dw_min_std_add)
        consts[ids.C_STD_SLOPE] = float(cfg.dw_min_std_slope)
        consts[ids.C_COMPLEX] = float(bool(array.complex_noise))
    elif isinstance(array, (PowStepDeviceArray, PowStepReferenceDeviceArray)):
        e_up, e_dn = array.gamma_up, array.gamma_down
        if isinstance(array, PowStepReferenceDeviceArray):
            ref = array.reference
    elif isinstance(array, PiecewiseStepDeviceArray):
        nodes_up, nodes_dn = array.nodes_up, array.nodes_down
    wn_sigma = 0.0
    if array.uses_persistent_weight:
        wn_sigma = float(array.write_noise_std) * float(array.dw_min)
    return ModelTensors(
        model=model,
        w_p=array.persistent_weight,
        w_a=array.weight,
        b_max=array.max_bound,
        b_min=array.min_bound,
        dw_up=array.dwmin_up,
        dw_dn=array.dwmin_down,
        e_up=e_up,
        e_dn=e_dn,
        ref=ref,
        nodes_up=nodes_up,
        nodes_dn=nodes_dn,
        consts=consts,
        wn_sigma=wn_sigma,
    )


@dataclass(frozen=True)
class KernelInputs:
    """Model description for :func:`~analogtrain.kernels.fast_cpu_kernels.apply_pulses`.

    ``w_p``/``w_a`` are writable views of the persistent and apparent weights (the same
    array without write noise); the parameter arrays are ``[out, in]`` float32 (unused
    slots hold ``b_max`` as a harmless placeholder).
    """

    model: int
    w_p: np.ndarray
    w_a: np.ndarray
    b_max: np.ndarray
    b_min: np.ndarray
    dw_up: np.ndarray
    dw_dn: np.ndarray
    e_up: np.ndarray
    e_dn: np.ndarray
    ref: np.ndarray
    has_ref: bool
    consts: np.ndarray  # float64 [N_CONSTS]
    nodes_up: np.ndarray  # float32 [n_nodes]
    nodes_dn: np.ndarray
    wn_sigma: float


def _view(t: torch.Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


def _usable_weight(t: torch.Tensor) -> bool:
    return t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous()


def kernel_inputs(array: Any) -> KernelInputs | None:
    """The numba kernels' view of ``array``, or ``None`` when the fast path does not apply."""
    t = model_tensors(array)
    if t is None or not (_usable_weight(t.w_p) and _usable_weight(t.w_a)):
        return None
    b_max = _view(t.b_max)
    if b_max.dtype != np.float32:
        return None
    ones = np.ones(1, dtype=np.float32)
    return KernelInputs(
        model=t.model,
        w_p=t.w_p.detach().numpy(),
        w_a=t.w_a.detach().numpy(),
        b_max=b_max,
        b_min=_view(t.b_min),
        dw_up=_view(t.dw_up),
        dw_dn=_view(t.dw_dn),
        e_up=b_max if t.e_up is None else _view(t.e_up),
        e_dn=b_max if t.e_dn is None else _view(t.e_dn),
        ref=b_max if t.ref is None else _view(t.ref),
        has_ref=t.ref is not None,
        consts=t.consts,
        nodes_up=ones if t.nodes_up is None else _view(t.nodes_up),
        nodes_dn=ones if t.nodes_dn is None else _view(t.nodes_dn),
        wn_sigma=t.wn_sigma,
    )
