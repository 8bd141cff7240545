"""Mirror of ``aihwkit.simulator.presets.devices`` (preset devices)."""

from analogtrain.presets import (
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

__all__ = [
    "CapacitorPresetDevice",
    "EcRamMOPresetDevice",
    "EcRamPresetDevice",
    "GokmenVlasovPresetDevice",
    "IdealizedPresetDevice",
    "PCMPresetDevice",
    "ReRamArrayHfO2PresetDevice",
    "ReRamArrayOMPresetDevice",
    "ReRamESPresetDevice",
    "ReRamSBPresetDevice",
]
