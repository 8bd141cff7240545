"""`UpdateParameters`: how a pulsed update turns ``-lr·d·xᵀ`` into pulses (spec single-tile 4)."""

from __future__ import annotations

from dataclasses import dataclass

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.enums import PulseType

__all__ = ["UpdateParameters"]


@dataclass
class UpdateParameters(ConfigBase):
    """Settings of the stochastic pulse trains of an in-memory (rank-update) weight update.

    Each input ``x_j`` and each error ``d_i`` is turned into a train of at most ``desired_bl``
    pulse slots; a device at ``(i, j)`` receives one pulse per coincidence, so the expected
    number of pulses is ``lr·|x_j|·|d_i| / g`` with ``g`` the device's weight granularity.

    Pulse-train length:
        desired_bl: number of pulse slots (the maximum when ``update_bl_management`` is on).
        fixed_bl: keep the length at ``desired_bl`` (only used without BL management).
        update_bl_management: choose the train length per sample from ``max|x|·max|d|``.
        update_management: balance the x-side and d-side probabilities per sample (always on
            when ``update_bl_management`` is on).
        um_grad_scale: bias of that balance towards clipping ``d``.

    Pulse generation:
        pulse_type: stochastic (compressed or not), deterministic, mean count, or none (exact
            floating-point update; NONE_WITH_DEVICE also keeps the device bounds).
        res: bin width in ``(0, 1]`` of the pulse probabilities (``<= 0``: continuous). Note:
            unlike the IO resolutions this is *not* a number of steps; a value > 1 would round
            every probability to zero.
        sto_round: stochastic rounding of the probabilities when ``res > 0``.
        x_res_implicit, d_res_implicit: bin widths of the scaled ``x`` and ``d`` for the
            DETERMINISTIC_IMPLICIT pulse type.
        d_sparsity: keep a running average of the fraction of *non-zero* ``d`` entries per
            row (aihwkit's ``d_noz / d_size``, whatever the name suggests); a statistic kept
            in the chopped-transfer tile's state, no effect on any update.
    """

    desired_bl: int = 31
    fixed_bl: bool = True
    pulse_type: PulseType = PulseType.STOCHASTIC_COMPRESSED
    res: float = 0
    x_res_implicit: float = 0
    d_res_implicit: float = 0
    d_sparsity: bool = False
    sto_round: bool = False
    update_bl_management: bool = True
    update_management: bool = True
    um_grad_scale: float = 1.0
