"""Which validation rules apply to which configuration class.

A rule registered for a class also applies to its subclasses; rules run base class first.
"""

from __future__ import annotations

from functools import cache

from analogtrain.configs import compound_rules as cr
from analogtrain.configs import compounds as cp
from analogtrain.configs import devices as dv
from analogtrain.configs import rpu_configs as rc
from analogtrain.configs import rules as r
from analogtrain.configs.drift import DriftParameter, SimpleDriftParameter
from analogtrain.configs.inference import (
    WeightClipParameter,
    WeightModifierParameter,
    WeightRemapParameter,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.mapping import MappingParameter
from analogtrain.configs.pre_post import InputRangeParameter
from analogtrain.configs.update import UpdateParameters

__all__ = ["ABSTRACT", "rules_for"]

#: Classes that only serve as bases; an object of exactly this class cannot build a tile.
ABSTRACT: tuple[type, ...] = (dv.PulsedDevice, cp.UnitCell, cp.DigitalRankUpdateCell)

_TABLE: tuple[tuple[type, tuple[r.Rule, ...]], ...] = (
    (dv.PulsedDevice, (r.pulsed, r.pulsed_common)),
    (dv.SoftBoundsPmaxDevice, (r.soft_bounds_pmax,)),
    (dv.LinearStepDevice, (r.reverse_needs_mult_noise,)),
    (dv.SoftBoundsDevice, (r.reverse_needs_mult_noise,)),
    (dv.PowStepDevice, (r.pow_step,)),
    (dv.PowStepReferenceDevice, (r.pow_step,)),
    (dv.PiecewiseStepDevice, (r.piecewise,)),
    (dv.IdealDevice, (r.simple_device,)),
    (dv.FloatingPointDevice, (r.simple_device,)),
    (IOParameters, (r.io,)),
    (UpdateParameters, (r.update,)),
    (MappingParameter, (r.mapping,)),
    (SimpleDriftParameter, (r.simple_drift,)),
    (DriftParameter, (r.drift,)),
    (WeightClipParameter, (r.clip,)),
    (WeightModifierParameter, (r.modifier,)),
    (WeightRemapParameter, (r.remap,)),
    (InputRangeParameter, (r.input_range,)),
    (cp.VectorUnitCell, (cr.vector,)),
    (cp.OneSidedUnitCell, (cr.one_sided,)),
    (cp.TransferCompound, (cr.transfer,)),
    (cp.BufferedTransferCompound, (cr.buffered,)),
    (cp.ChoppedTransferCompound, (cr.chopped,)),
    (cp.DynamicTransferCompound, (cr.dynamic,)),
    (cp.MixedPrecisionCompound, (cr.mixed_precision,)),
    (rc.SingleRPUConfig, (cr.single_config,)),
)


@cache
def rules_for(cls: type) -> tuple[r.Rule, ...]:
    """The rules of ``cls``: those registered for it and its bases, base classes first."""
    found: list[r.Rule] = []
    for base in reversed(cls.__mro__):
        for owner, rules in _TABLE:
            if owner is base:
                found.extend(rule for rule in rules if rule not in found)
    return tuple(found)
