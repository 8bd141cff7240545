"""Systematic (per tile and direction) IO parameters of the analog MVM (spec single-tile 3.2).

:func:`init_io_state` draws them once from the tile's generator; the resulting dict of tensors
is the ``state`` argument of :func:`analogtrain.kernels.mvm.mvm.analog_mvm` (one dict per
direction, its tensors typically registered as buffers of the tile). :func:`check_io_state`
verifies that a state dict fits an ``IOParameters`` and a weight shape.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from analogtrain.configs.enums import AnalogMVType, NoiseManagementType
from analogtrain.errors import TileError
from analogtrain.kernels.mvm.io_management import AVERAGE_ABS_MAX_KEY, EffectiveIO, effective_io

if TYPE_CHECKING:
    from analogtrain.configs.parameters import IOParameters

__all__ = ["check_io_state", "init_io_state", "nonlinearity_active", "required_state_shapes"]


def nonlinearity_active(io: IOParameters) -> bool:
    """Whether the ADC applies the output non-linearity of spec 3.7.4."""
    return io.out_nonlinearity > 0 or io.r_series > 0


def init_io_state(
    io: IOParameters,
    out_size: int,
    in_size: int,
    generator: torch.Generator,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> dict[str, Tensor]:
    """Draw the systematic (fixed per tile and direction) IO parameters of spec 3.2 step 6.

    Entries, each created only when its feature is on: ``v_offset`` [out] (half-normal
    ``max(v_offset_std xi, 0)``), ``out_nonlinearity`` [out] and ``out_nonlinearity_factor``
    (scalar ``F``), ``w_asymmetry`` [out, in] (``1 + w_read_asymmetry_dtod xi``),
    ``out_noise_values`` [out] (``|out_noise (1 + out_noise_std xi)|``) and, for
    ``AVERAGE_ABS_MAX``, the running value ``average_abs_max`` (scalar, 0 = not initialised).
    For the backward direction pass ``out_size = x_size``, ``in_size = d_size``.
    """
    eff = effective_io(io, is_backward=True)  # bound management plays no role here
    state: dict[str, Tensor] = {}
    if eff.perfect:
        return state

    def normal(*shape: int) -> Tensor:
        return torch.randn(shape, generator=generator, device=device, dtype=dtype)

    if io.v_offset_std > 0 or io.r_series > 0:
        state["v_offset"] = (io.v_offset_std * normal(out_size)).clamp_(min=0.0)
    if nonlinearity_active(io):
        b = float(io.out_bound) if 0 < io.out_bound < math.inf else 1.0
        spread = 1.0 + max(float(io.out_nonlinearity_std), 0.0) * normal(out_size)
        n = (io.out_nonlinearity / b * spread).abs_()
        state["out_nonlinearity"] = n
        f = torch.ones((), device=device, dtype=dtype)
        if io.slope_calibration > 0:
            mean_n = n.mean() if io.out_nonlinearity > 0 else torch.zeros_like(f)
            f = (1.0 + (mean_n + float(io.r_series)) * float(io.slope_calibration) * b) ** 2
        state["out_nonlinearity_factor"] = f
    if io.w_read_asymmetry_dtod > 0:
        state["w_asymmetry"] = 1.0 + io.w_read_asymmetry_dtod * normal(out_size, in_size)
    if io.out_noise_std > 0:
        state["out_noise_values"] = (
            io.out_noise * (1.0 + io.out_noise_std * normal(out_size))
        ).abs_()
    if eff.noise_management is NoiseManagementType.AVERAGE_ABS_MAX:
        state[AVERAGE_ABS_MAX_KEY] = torch.zeros((), device=device, dtype=dtype)
    return state


def required_state_shapes(
    io: IOParameters, eff: EffectiveIO, out_size: int, in_size: int
) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    if io.v_offset_std > 0 or io.r_series > 0:
        shapes["v_offset"] = (out_size,)
    if nonlinearity_active(io):
        shapes["out_nonlinearity"] = (out_size,)
        shapes["out_nonlinearity_factor"] = ()
    if io.w_read_asymmetry_dtod > 0 and eff.mv_type in (
        AnalogMVType.POS_NEG_SEPARATE,
        AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM,
    ):
        shapes["w_asymmetry"] = (out_size, in_size)
    if io.out_noise_std > 0:
        shapes["out_noise_values"] = (out_size,)
    if eff.noise_management is NoiseManagementType.AVERAGE_ABS_MAX:
        shapes[AVERAGE_ABS_MAX_KEY] = ()
    return shapes


def check_io_state(
    io: IOParameters, eff: EffectiveIO, state: dict[str, Tensor], out_size: int, in_size: int
) -> None:
    """Raise ``TileError`` if ``state`` lacks an entry ``io`` needs or has a wrong shape
    (e.g. the forward state used for the backward direction)."""
    if eff.perfect:
        return
    for key, shape in required_state_shapes(io, eff, out_size, in_size).items():
        value = state.get(key)
        if value is None:
            raise TileError(
                f"IO state lacks '{key}' needed by these IOParameters (create the state with "
                "init_io_state for the same parameters)"
            )
        if tuple(value.shape) != shape and not (shape == () and value.numel() == 1):
            raise TileError(
                f"IO state entry '{key}' has shape {tuple(value.shape)}, expected {shape} for "
                f"a [{out_size}, {in_size}] weight"
            )
