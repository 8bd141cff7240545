"""Single-device preset RPU configurations.

Each is a :class:`SingleRPUConfig` whose defaults are a preset device, preset IO parameters
for forward and backward, and the preset update parameters (spec single-tile 2.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.configs.devices import IdealDevice, PulsedDevice
from analogtrain.configs.io import IOParameters
from analogtrain.configs.rpu_configs import SingleRPUConfig
from analogtrain.configs.update import UpdateParameters
from analogtrain.presets.devices import (
    CapacitorPresetDevice,
    EcRamMOPresetDevice,
    EcRamPresetDevice,
    GokmenVlasovPresetDevice,
    IdealizedPresetDevice,
    ReRamESPresetDevice,
    ReRamSBPresetDevice,
)
from analogtrain.presets.parameters import PresetIOParameters, PresetUpdateParameters

__all__ = [
    "CapacitorPreset",
    "EcRamMOPreset",
    "EcRamPreset",
    "GokmenVlasovPreset",
    "IdealizedPreset",
    "ReRamESPreset",
    "ReRamSBPreset",
]


@dataclass
class _PresetPeriphery(SingleRPUConfig):
    """The preset IO (forward and backward) and update parameters the presets share."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)


@dataclass
class ReRamESPreset(_PresetPeriphery):
    """One ReRAM tile (exponential-step fit) with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=ReRamESPresetDevice)


@dataclass
class ReRamSBPreset(_PresetPeriphery):
    """One ReRAM tile (soft-bounds fit) with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=ReRamSBPresetDevice)


@dataclass
class CapacitorPreset(_PresetPeriphery):
    """One capacitor-cell tile with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=CapacitorPresetDevice)


@dataclass
class EcRamPreset(_PresetPeriphery):
    """One ECRAM tile with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=EcRamPresetDevice)


@dataclass
class EcRamMOPreset(_PresetPeriphery):
    """One metal-oxide ECRAM tile with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=EcRamMOPresetDevice)


@dataclass
class IdealizedPreset(_PresetPeriphery):
    """One tile of the idealised constant-step device with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=IdealizedPresetDevice)


@dataclass
class GokmenVlasovPreset(_PresetPeriphery):
    """One tile of the Gokmen-Vlasov constant-step device with the preset periphery."""

    device: PulsedDevice | IdealDevice = field(default_factory=GokmenVlasovPresetDevice)
