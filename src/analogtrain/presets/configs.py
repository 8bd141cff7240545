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
class ReRamESPreset(SingleRPUConfig):
    """One ReRAM tile (exponential-step fit) with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=ReRamESPresetDevice)


@dataclass
class ReRamSBPreset(SingleRPUConfig):
    """One ReRAM tile (soft-bounds fit) with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=ReRamSBPresetDevice)


@dataclass
class CapacitorPreset(SingleRPUConfig):
    """One capacitor-cell tile with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=CapacitorPresetDevice)


@dataclass
class EcRamPreset(SingleRPUConfig):
    """One ECRAM tile with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=EcRamPresetDevice)


@dataclass
class EcRamMOPreset(SingleRPUConfig):
    """One metal-oxide ECRAM tile with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=EcRamMOPresetDevice)


@dataclass
class IdealizedPreset(SingleRPUConfig):
    """One tile of the idealised constant-step device with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=IdealizedPresetDevice)


@dataclass
class GokmenVlasovPreset(SingleRPUConfig):
    """One tile of the Gokmen-Vlasov constant-step device with the preset periphery."""

    forward: IOParameters = field(default_factory=PresetIOParameters)
    backward: IOParameters = field(default_factory=PresetIOParameters)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters)
    device: PulsedDevice | IdealDevice = field(default_factory=GokmenVlasovPresetDevice)
