"""Configuration fields that exist (for compatibility) but whose non-default values are not
simulated by analogtrain.

The single table :data:`NOT_SIMULATED` lists them; :func:`check_simulated` walks a
configuration tree and raises :class:`~analogtrain.errors.NotSimulatedError` naming the first
such field, so that a ported script fails loudly instead of silently training something else.
Engine teams change the table (through the configs owner) when a feature lands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.compounds import ChoppedTransferCompound
from analogtrain.configs.enums import AnalogMVType, BoundManagementType, RPUDataType
from analogtrain.configs.io import IOParameters
from analogtrain.configs.pre_post import InputRangeParameter
from analogtrain.configs.runtime import RuntimeParameter
from analogtrain.errors import NotSimulatedError

__all__ = ["NOT_SIMULATED", "NotSimulated", "check_simulated"]


class NotSimulated(NamedTuple):
    """One row: values of ``owner.field`` for which ``is_unsupported`` is true are refused."""

    owner: type
    field: str
    is_unsupported: Callable[[Any], bool]
    reason: str


#: Every configuration field whose listed values the engine does not simulate.
NOT_SIMULATED: tuple[NotSimulated, ...] = (
    NotSimulated(
        InputRangeParameter,
        "enable",
        lambda v: bool(v),
        "input-range learning is not simulated",
    ),
    NotSimulated(
        RuntimeParameter,
        "data_type",
        lambda v: v == RPUDataType.HALF,
        "half precision is not simulated (use FLOAT or DOUBLE)",
    ),
    NotSimulated(
        IOParameters,
        "mv_type",
        lambda v: v in (AnalogMVType.SPLIT_MODE, AnalogMVType.BIT_WISE),
        "SPLIT_MODE and BIT_WISE belong to aihwkit's IR-drop inference tile",
    ),
    NotSimulated(
        IOParameters,
        "bound_management",
        lambda v: v == BoundManagementType.SHIFT,
        "SHIFT bound management is not supported by pulsed tiles (as in aihwkit)",
    ),
    NotSimulated(
        ChoppedTransferCompound,
        "random_selection",
        lambda v: bool(v),
        "chopped transfer reads the columns in order (as aihwkit's GPU engine)",
    ),
    NotSimulated(
        ChoppedTransferCompound,
        "with_reset_prob",
        lambda v: v != 0,
        "chopped transfer does not reset the fast device (as aihwkit's GPU engine)",
    ),
)


def check_simulated(config: Any, path: str = "") -> None:
    """Raise if any field below ``config`` has a value listed in :data:`NOT_SIMULATED`.

    Args:
        config: a configuration object (any level of the tree).
        path: dotted path of ``config`` (for the message).

    Raises:
        NotSimulatedError: naming the dotted field path, the value and why.
    """
    if not isinstance(config, ConfigBase) or not dataclasses.is_dataclass(config):
        return
    for row in NOT_SIMULATED:
        if isinstance(config, row.owner):
            value = getattr(config, row.field)
            if row.is_unsupported(value):
                where = f"{path}.{row.field}" if path else row.field
                raise NotSimulatedError(f"{where}={value!r} is not simulated: {row.reason}")
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        sub = f"{path}.{f.name}" if path else f.name
        if isinstance(value, list):
            for i, item in enumerate(value):
                check_simulated(item, f"{sub}[{i}]")
        else:
            check_simulated(value, sub)
