"""Preset devices and configurations fitted to published hardware (aihwkit names).

Devices (:mod:`analogtrain.presets.devices`), peripheral parameter presets
(:mod:`analogtrain.presets.parameters`), single-device preset RPU configs
(:mod:`analogtrain.presets.configs`), and device lookup by name
(:data:`DEVICE_NAMES`, :func:`get_device`), compound preset RPU configs
(:mod:`analogtrain.presets.compound_configs`: multi-device, Tiki-Taka, TTv2, c-TTv2, AGAD,
mixed precision, PCM) and :class:`FloatingPointPreset`.
"""

from analogtrain.configs.serialization import register_config_class
from analogtrain.presets import compound_configs as _compound_configs
from analogtrain.presets.compound_configs import *  # noqa: F403 (the generated presets)
from analogtrain.presets.compound_configs import COMPOUND_PRESETS
from analogtrain.presets.configs import (
    CapacitorPreset,
    EcRamMOPreset,
    EcRamPreset,
    GokmenVlasovPreset,
    IdealizedPreset,
    ReRamESPreset,
    ReRamSBPreset,
)
from analogtrain.presets.devices import (
    CapacitorPresetDevice,
    EcRamMOPresetDevice,
    EcRamPresetDevice,
    GokmenVlasovPresetDevice,
    IdealizedPresetDevice,
    PCMPresetDevice,
    ReRamArrayHfO2PresetDevice,
    ReRamArrayOMPresetDevice,
    ReRamESPresetDevice,
    ReRamSBPresetDevice,
)
from analogtrain.presets.floating_point import FloatingPointPreset
from analogtrain.presets.names import DEVICE_NAMES, get_device, get_device_class
from analogtrain.presets.parameters import (
    PresetIOParameters,
    PresetUpdateParameters,
    StandardIOParameters,
)

#: Every configuration class defined by the presets (known to configuration loading).
PRESET_CLASSES: tuple[type, ...] = (
    ReRamESPresetDevice,
    ReRamSBPresetDevice,
    CapacitorPresetDevice,
    EcRamPresetDevice,
    EcRamMOPresetDevice,
    IdealizedPresetDevice,
    GokmenVlasovPresetDevice,
    PCMPresetDevice,
    ReRamArrayOMPresetDevice,
    ReRamArrayHfO2PresetDevice,
    PresetIOParameters,
    StandardIOParameters,
    PresetUpdateParameters,
    ReRamESPreset,
    ReRamSBPreset,
    CapacitorPreset,
    EcRamPreset,
    EcRamMOPreset,
    IdealizedPreset,
    GokmenVlasovPreset,
    *COMPOUND_PRESETS,
    FloatingPointPreset,
)

__all__ = [
    "DEVICE_NAMES",
    "PRESET_CLASSES",
    "CapacitorPreset",
    "CapacitorPresetDevice",
    "EcRamMOPreset",
    "EcRamMOPresetDevice",
    "EcRamPreset",
    "EcRamPresetDevice",
    "GokmenVlasovPreset",
    "GokmenVlasovPresetDevice",
    "IdealizedPreset",
    "IdealizedPresetDevice",
    "PCMPresetDevice",
    "PresetIOParameters",
    "PresetUpdateParameters",
    "ReRamArrayHfO2PresetDevice",
    "ReRamArrayOMPresetDevice",
    "ReRamESPreset",
    "ReRamESPresetDevice",
    "ReRamSBPreset",
    "ReRamSBPresetDevice",
    "StandardIOParameters",
    "get_device",
    "get_device_class",
    "COMPOUND_PRESETS",
    "FloatingPointPreset",
    *_compound_configs.__all__,
]

# the presets make themselves known to save_config / load_config (configs never import us)
for _cls in PRESET_CLASSES:
    register_config_class(_cls)
del _cls
