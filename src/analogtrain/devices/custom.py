"""User-defined pulsed device models: a config dataclass plus an update rule, nothing else.

:func:`pulsed_device` (a class decorator) or :func:`define_pulsed_device` (a call) turn a
config class derived from :class:`~analogtrain.configs.PulsedDevice` and a
:func:`~analogtrain.devices.rule.pulse_rule` into a full device model: a
:class:`~analogtrain.devices.pulsed.PulsedDeviceArray` subclass with the common framework
(device-to-device variation, bounds and clip, write noise, decay, diffusion, reset, drift),
registered for ``create_device_array`` (so ``build_config(alg, MyDevice)`` and every
algorithm use it), known to ``save_config``/``load_config``, and compiled for the CPU (numba)
and CUDA (Triton) update paths from the rule's one definition. See ``docs/devices/custom.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from analogtrain.configs.devices import PulsedDevice
from analogtrain.configs.serialization import register_config_class
from analogtrain.devices.pulsed import COMMON_PARAMETER_NAMES, PulsedDeviceArray
from analogtrain.devices.registry import register
from analogtrain.devices.rule import PulseRule
from analogtrain.errors import ConfigError

__all__ = ["define_pulsed_device", "pulsed_device"]

_ConfigT = TypeVar("_ConfigT", bound=type)

#: rule parameters every pulsed array provides besides its buffers and the config's fields
_ARRAY_VALUES = frozenset({"dw_min", "dw_min_std", "w_min", "w_max", "up_down"})


def define_pulsed_device(
    config_cls: type,
    rule: PulseRule,
    *,
    granularity: Callable[[PulsedDeviceArray], float] | None = None,
) -> type[PulsedDeviceArray]:
    """Make ``config_cls`` (a dataclass derived from ``PulsedDevice``) a pulsed device model
    whose pulses follow ``rule``; returns the new array class.

    Each rule parameter must be a common per-device buffer (``max_bound``, ``min_bound``,
    ``dwmin_up``, ``dwmin_down``, ``reset_bias``, ...), one of ``dw_min``, ``dw_min_std``,
    ``w_min``, ``w_max``, ``up_down``, or a numeric field of the config (one value for the
    whole tile). ``granularity(array)`` gives the weight granularity of spec 2.4 (default
    ``dw_min``), which sets the pulse-train scaling.
    """
    if not (isinstance(config_cls, type) and issubclass(config_cls, PulsedDevice)):
        raise ConfigError(f"config_cls must be a subclass of PulsedDevice, got {config_cls!r}")
    if not dataclasses.is_dataclass(config_cls):
        raise ConfigError(f"{config_cls.__name__} must be a dataclass (@dataclass)")
    if not isinstance(rule, PulseRule):
        raise ConfigError(f"rule must be made with @pulse_rule, got {rule!r}")
    fields = {f.name for f in dataclasses.fields(config_cls)}
    known = fields | set(COMMON_PARAMETER_NAMES) | _ARRAY_VALUES
    unknown = [name for name in rule.parameters if name not in known]
    if unknown:
        raise ConfigError(
            f"rule {rule.name!r}: parameters {unknown} are neither fields of "
            f"{config_cls.__name__} nor device values ({sorted(COMMON_PARAMETER_NAMES)}, "
            f"{sorted(_ARRAY_VALUES)})"
        )
    namespace: dict[str, Any] = {
        "__doc__": f"Array of {config_cls.__name__} cross-points (rule {rule.name!r}).",
        "__module__": config_cls.__module__,
        "rule": rule,
        "supports_write_noise": {"write_noise_std", "apply_write_noise_on_set"} <= fields,
    }
    if granularity is not None:
        if not callable(granularity):
            raise ConfigError(f"granularity must be callable, got {granularity!r}")

        def _granularity(self: PulsedDeviceArray) -> float:
            return float(granularity(self))

        namespace["_granularity"] = _granularity
    array_cls = type(f"{config_cls.__name__}Array", (PulsedDeviceArray,), namespace)
    register(config_cls)(array_cls)
    register_config_class(config_cls)
    return array_cls


def pulsed_device(
    rule: PulseRule, *, granularity: Callable[[PulsedDeviceArray], float] | None = None
) -> Callable[[_ConfigT], _ConfigT]:
    """Class decorator form of :func:`define_pulsed_device` (put it above ``@dataclass``)."""

    def decorate(config_cls: _ConfigT) -> _ConfigT:
        define_pulsed_device(config_cls, rule, granularity=granularity)
        return config_cls

    return decorate
