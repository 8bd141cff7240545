"""Compound devices: several device arrays behind one tile (spec compounds 3).

A compound holds a list of sub-device configurations (``unit_cell_devices``) and the rules
that combine them: vector unit cells (sum of devices), one-sided and reference cells,
Tiki-taka transfer compounds (TTv1, buffered TTv2, chopped TTv2 / c-TTv2, AGAD) and mixed
precision (digital accumulation plus analog transfer). Only the top-level
``construction_seed`` of a tree is used when a tile is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.devices import PulsedDevice
from analogtrain.configs.enums import VectorUnitCellUpdatePolicy
from analogtrain.configs.io import IOParameters
from analogtrain.configs.update import UpdateParameters

__all__ = [
    "BufferedTransferCompound",
    "ChoppedTransferCompound",
    "DifferenceUnitCell",
    "DigitalRankUpdateCell",
    "DynamicTransferCompound",
    "MixedPrecisionCompound",
    "OneSidedUnitCell",
    "ReferenceUnitCell",
    "TransferCompound",
    "UnitCell",
    "VectorUnitCell",
]


def _transfer_update_default() -> UpdateParameters:
    return UpdateParameters(desired_bl=1, update_bl_management=False, update_management=False)


@dataclass
class UnitCell(ConfigBase):
    """Base of the compounds made of a list of devices (abstract: pick a subclass).

    Attributes:
        unit_cell_devices: the sub-device configurations, in order.
        construction_seed: seed of all device-to-device draws of the tree (0 = random).
    """

    unit_cell_devices: list[PulsedDevice | UnitCell] = field(default_factory=list)
    construction_seed: int = 0

    def requires_diffusion(self) -> bool:
        """Whether any sub-device diffuses."""
        return any(d.requires_diffusion() for d in self.unit_cell_devices)

    def requires_decay(self) -> bool:
        """Whether any sub-device decays."""
        return any(d.requires_decay() for d in self.unit_cell_devices)


@dataclass
class VectorUnitCell(UnitCell):
    """The visible weight is ``sum_k gamma_k·W_k`` over the sub-devices.

    Attributes:
        update_policy: which devices receive an update's pulses: all (the same pulse trains),
            one fixed, one in turn, or one at random.
        first_update_idx: device index used first (and after ``set_weights``).
        gamma_vec: the weights ``gamma_k`` (empty = ``1/n`` each; else one per device).
    """

    update_policy: VectorUnitCellUpdatePolicy = VectorUnitCellUpdatePolicy.ALL
    first_update_idx: int = 0
    gamma_vec: list[float] = field(default_factory=list, metadata={"hide_if": []})


@dataclass
class ReferenceUnitCell(VectorUnitCell):
    """``W = W_0 - W_1``: updates go to device 0, device 1 is a fixed reference."""

    update_policy: VectorUnitCellUpdatePolicy = VectorUnitCellUpdatePolicy.SINGLE_FIXED
    first_update_idx: int = 0
    gamma_vec: list[float] = field(
        default_factory=lambda: [1.0, -1.0], metadata={"hide_if": [1.0, -1.0]}
    )


@dataclass
class OneSidedUnitCell(UnitCell):
    """A differential pair ``W = g⁺ - g⁻`` in which both devices only ever move up.

    Attributes:
        refresh_every: refresh saturated pairs every this many updates (0 = never).
        units_in_mbatch: count ``refresh_every`` in mini-batches instead of vector updates.
        refresh_upper_thres, refresh_lower_thres: a pair is refreshed when the larger device
            is above the upper and the smaller above the lower threshold (fractions of the
            device's ``w_max``).
        refresh_forward: IO of the reads made during a refresh.
        refresh_update: pulse settings of the re-writes made during a refresh.
        copy_inverted: device 1 is device 0 mirrored (bounds and steps swapped).
    """

    refresh_every: int = 0
    units_in_mbatch: bool = True
    refresh_upper_thres: float = 0.75
    refresh_lower_thres: float = 0.25
    refresh_forward: IOParameters = field(default_factory=IOParameters)
    refresh_update: UpdateParameters = field(default_factory=UpdateParameters)
    copy_inverted: bool = False


@dataclass
class DifferenceUnitCell(OneSidedUnitCell):
    """Deprecated name of :class:`OneSidedUnitCell` (identical behaviour)."""


@dataclass
class TransferCompound(UnitCell):
    """Tiki-taka (TTv1): SGD pulses go to a fast device A, whose columns are periodically
    read and transferred onto a slow device C (``unit_cell_devices = [A, C]``).

    Attributes:
        gamma: weight of A in the visible weight ``gamma·A + C`` (0 = only C is visible).
        gamma_vec: explicit weights per device (empty = powers of ``gamma``).
        transfer_every: transfer period (in vector updates, or mini-batches if
            ``units_in_mbatch``; 0 = never; < 0 = automatic for chopped compounds).
        no_self_transfer: the last device does not transfer onto itself.
        transfer_every_vec: explicit period per device (empty = derived).
        units_in_mbatch: ``transfer_every`` counts mini-batches.
        n_reads_per_transfer: columns read and written per transfer.
        transfer_columns: transfer columns (forward reads); False: rows (backward reads).
        with_reset_prob: probability to reset the read column of A after a transfer.
        random_selection: start each transfer at a random column instead of in order.
        fast_lr: learning rate of the pulses on A (``<= 0``: use the SGD rate).
        scale_fast_lr: the pulses on A use ``fast_lr`` times the SGD rate (else the fixed
            ``fast_lr``); aihwkit 1.2.0's field, True here, False on the chopped compounds.
        transfer_lr: learning rate of the transfer write (times the SGD rate if
            ``scale_transfer_lr``).
        transfer_lr_vec: explicit transfer rates per device (empty = ``transfer_lr``).
        scale_transfer_lr: multiply the transfer rate by the SGD learning rate.
        transfer_forward: IO of the transfer reads (noise and bound management forced off).
        transfer_update: pulse settings of the transfer write.
    """

    gamma: float = 0.0
    gamma_vec: list[float] = field(default_factory=list, metadata={"hide_if": []})
    transfer_every: float = 1.0
    no_self_transfer: bool = True
    transfer_every_vec: list[float] = field(default_factory=list, metadata={"hide_if": []})
    units_in_mbatch: bool = True
    n_reads_per_transfer: int = 1
    transfer_columns: bool = True
    with_reset_prob: float = 0.0
    random_selection: bool = False
    fast_lr: float = 1.0
    transfer_lr: float = 1.0
    transfer_lr_vec: list[float] = field(default_factory=list, metadata={"hide_if": []})
    scale_transfer_lr: bool = True
    scale_fast_lr: bool = True
    transfer_forward: IOParameters = field(default_factory=IOParameters)
    transfer_update: UpdateParameters = field(default_factory=UpdateParameters)


@dataclass
class BufferedTransferCompound(TransferCompound):
    """TTv2 with a digital buffer: reads accumulate in a buffer; each crossing of the
    threshold writes a step onto the slow device.

    Attributes:
        thres_scale: buffer threshold in units of the slow device's granularity.
        step: write amplitude in units of the slow device's granularity.
        momentum: fraction of the buffer kept after a write.
        forget_buffer: after a write keep ``momentum·h`` (else subtract what was written).
    """

    transfer_update: UpdateParameters = field(default_factory=_transfer_update_default)
    thres_scale: float = 1.0
    step: float = 1.0
    momentum: float = 0.1
    forget_buffer: bool = True


@dataclass
class ChoppedTransferCompound(TransferCompound):
    """TTv2 / chopped TTv2 (c-TTv2): inputs and outputs of A are sign-modulated by choppers,
    the reads are demodulated into a buffer that writes steps onto C.

    Attributes:
        in_chop_prob: probability (per column read) to flip the input chopper.
        in_chop_random: flip at random; else regularly every ``ceil(1/in_chop_prob)`` passes.
        out_chop_prob: probability to flip each output chopper after a full pass.
        buffer_granularity: buffer threshold in units of the fast device's granularity.
        auto_granularity: if > 0, scale the threshold with the transfer period.
        step: write amplitude (in units of the slow device's granularity).
        momentum: fraction of the buffer kept after a write.
        forget_buffer: after a write keep ``momentum·h`` (else subtract what was written).
        no_buffer: do not accumulate (each read is thresholded on its own).
        auto_scale: normalise the fast learning rate by running abs-max of ``x`` and ``d``.
        auto_momentum: momentum of those running abs-max estimates.
        correct_gradient_magnitudes: scale the buffer so that C follows the SGD rate.
        scale_fast_lr: as in :class:`TransferCompound`, but False by default (aihwkit 1.2.0).
        gamma: weight of A in the visible weight, which shows A demodulated by the current
            chopper signs: ``gamma (c_out c_in^T) * A + C`` (residual learning).
    """

    units_in_mbatch: bool = False
    transfer_update: UpdateParameters = field(default_factory=_transfer_update_default)
    in_chop_prob: float = 0.1
    in_chop_random: bool = True
    out_chop_prob: float = 0.0
    buffer_granularity: float = 1.0
    auto_granularity: float = 0.0
    step: float = 1.0
    momentum: float = 0.0
    forget_buffer: bool = True
    no_buffer: bool = False
    auto_scale: bool = False
    auto_momentum: float = 0.99
    correct_gradient_magnitudes: bool = False
    scale_fast_lr: bool = False


@dataclass
class DynamicTransferCompound(ChoppedTransferCompound):
    """AGAD: like c-TTv2, but the read of A is compared with a running reference taken at
    the last chopper flip, so static offsets of A cancel.

    Attributes:
        experimental_correct_accumulation: divide the accumulation by the pass number.
        buffer_cap: cap of the buffer in units of ``desired_bl`` (0 = none).
        tail_weightening: weight of the newest read in the running mean (times the phase
            length).
    """

    in_chop_random: bool = False
    experimental_correct_accumulation: bool = False
    buffer_cap: float = 0.0
    tail_weightening: float = 5.0


def _vector_unit_cell() -> VectorUnitCell:
    return VectorUnitCell()


@dataclass
class DigitalRankUpdateCell(ConfigBase):
    """Base of compounds whose gradient is accumulated digitally (abstract).

    Attributes:
        device: the analog device (a pulsed device or a vector/one-sided/reference cell).
        construction_seed: seed of the device-to-device draws (0 = random).
    """

    device: PulsedDevice | UnitCell = field(default_factory=_vector_unit_cell)
    construction_seed: int = 0

    def requires_diffusion(self) -> bool:
        """Whether the analog device diffuses."""
        return self.device.requires_diffusion()

    def requires_decay(self) -> bool:
        """Whether the analog device decays."""
        return self.device.requires_decay()


@dataclass
class MixedPrecisionCompound(DigitalRankUpdateCell):
    """Mixed precision: ``lr·d·xᵀ`` accumulates in a digital matrix ``chi``; whole device
    steps are periodically written onto the analog device row by row.

    Attributes:
        transfer_every: transfer every this many mini-batches (0 = never).
        n_rows_per_transfer: rows written per transfer (-1 = all).
        random_row: start each transfer at a random row.
        granularity: write quantum (weight units; 0 = the device's granularity).
        transfer_lr: scale of the write.
        n_x_bins, n_d_bins: quantise ``x`` (``d``) to this many levels before accumulation
            (0 = off; 1 is not allowed).
        stoc_round_x, stoc_round_d: stochastic rounding for that quantisation.
    """

    transfer_every: int = 1
    n_rows_per_transfer: int = -1
    random_row: bool = False
    granularity: float = 0.0
    transfer_lr: float = 1.0
    n_x_bins: int = 0
    n_d_bins: int = 0
    stoc_round_x: bool = True
    stoc_round_d: bool = True
