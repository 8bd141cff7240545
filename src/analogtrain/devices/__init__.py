"""Pulsed device models: one crossbar of one model per :class:`DeviceArray`.

Importing this package registers every model with :func:`create_device_array`, which picks
the implementation from the config's type (presets resolve to their base model). A new
pulsed model is a config dataclass plus an update rule (:func:`pulse_rule`), made a model
with :func:`pulsed_device` / :func:`define_pulsed_device` (``docs/devices/custom.md``).
"""

from analogtrain.devices import (  # noqa: F401  (imported to register the models)
    constant_step,
    exp_step,
    ideal,
    linear_step,
    piecewise_step,
    pow_step,
    pow_step_reference,
    soft_bounds_reference,
)
from analogtrain.devices.base import DeviceArray
from analogtrain.devices.constant_step import ConstantStepDeviceArray
from analogtrain.devices.custom import define_pulsed_device, pulsed_device
from analogtrain.devices.exp_step import ExpStepDeviceArray
from analogtrain.devices.ideal import FloatingPointDeviceArray
from analogtrain.devices.linear_step import LinearStepDeviceArray
from analogtrain.devices.piecewise_step import PiecewiseStepDeviceArray
from analogtrain.devices.pow_step import PowStepDeviceArray
from analogtrain.devices.pow_step_reference import PowStepReferenceDeviceArray
from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.registry import create_device_array, implementation_for, register
from analogtrain.devices.rule import PulseRule, pulse_rule
from analogtrain.devices.soft_bounds_reference import SoftBoundsReferenceDeviceArray

__all__ = [
    "ConstantStepDeviceArray",
    "DeviceArray",
    "ExpStepDeviceArray",
    "FloatingPointDeviceArray",
    "LinearStepDeviceArray",
    "PiecewiseStepDeviceArray",
    "PowStepDeviceArray",
    "PowStepReferenceDeviceArray",
    "PulseRule",
    "PulsedDeviceArray",
    "SoftBoundsReferenceDeviceArray",
    "create_device_array",
    "define_pulsed_device",
    "implementation_for",
    "pulse_rule",
    "pulsed_device",
    "register",
]
