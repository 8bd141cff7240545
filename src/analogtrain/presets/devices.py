"""Preset devices: pulsed device models with parameters fitted to published hardware.

Each preset is a dataclass subclass of a device model whose defaults are the fitted values
(spec single-tile 2.11, aihwkit 1.1.0 ``presets/devices.py``); any field can still be changed
per instance. The class names are aihwkit's, so ported scripts run unchanged. The number of
states quoted is ``(w_max - w_min) / granularity`` of the mean device.
"""

from __future__ import annotations

from dataclasses import dataclass

from analogtrain.configs.devices import (
    ConstantStepDevice,
    ExpStepDevice,
    LinearStepDevice,
    SoftBoundsReferenceDevice,
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


@dataclass
class ReRamESPresetDevice(ExpStepDevice):
    """ReRAM fitted with the exponential-step model (about 1000 states, strong write noise).

    Data: Gong et al., "Signal and noise extraction from analog memory elements for
    neuromorphic computing", Nature Communications 9, 2102 (2018).
    """

    dw_min: float = 0.00135
    dw_min_dtod: float = 0.2
    dw_min_std: float = 5.0
    up_down: float = 0.259359
    up_down_dtod: float = 0.05
    w_min: float = -1.0
    w_max: float = 1.0
    A_up: float = -1.18445
    A_down: float = -0.081404
    gamma_up: float = 5.0
    gamma_down: float = 5.0
    a: float = -0.5
    b: float = -0.5
    write_noise_std: float = 75.0


@dataclass
class ReRamSBPresetDevice(SoftBoundsReferenceDevice):
    """ReRAM fitted with the soft-bounds model (1000 states, strong write noise).

    Data: Gong et al., Nature Communications 9, 2102 (2018) (as ReRamESPresetDevice).
    """

    dw_min: float = 0.002
    dw_min_std: float = 3.75
    w_min: float = -0.75
    w_min_dtod: float = 0.3 / 0.75
    w_max: float = 1.25
    w_max_dtod: float = 0.3 / 1.25
    write_noise_std: float = 56


@dataclass
class CapacitorPresetDevice(LinearStepDevice):
    """Capacitor-based cell: nearly linear and symmetric steps, 400 states, leaky (decays).

    Data: Li et al., "Capacitor-based cross-point array for analog neural network with
    record symmetry and linearity", Symposium on VLSI Technology (2018).
    """

    dw_min: float = 0.005
    dw_min_dtod: float = 0.1
    up_down_dtod: float = 0.06
    w_min: float = -1.0
    w_min_dtod: float = 0.07
    w_max: float = 1.0
    w_max_dtod: float = 0.07
    lifetime: float = 1.0e6
    lifetime_dtod: float = 0.3
    gamma_up: float = 0.05
    gamma_down: float = 0.05
    gamma_up_dtod: float = 0.01
    gamma_down_dtod: float = 0.01
    mult_noise: bool = False


@dataclass
class EcRamPresetDevice(LinearStepDevice):
    """Electro-chemical RAM (Li-ion based), linear-step fit, 1000 states.

    Data: Tang et al., "ECRAM as scalable synaptic cell for high-speed, low-power
    neuromorphic computing", IEEE IEDM (2018).
    """

    dw_min: float = 0.002
    dw_min_dtod: float = 0.1
    w_min: float = -0.8276
    w_min_dtod: float = 0.05
    w_max: float = 1.1724
    w_max_dtod: float = 0.05
    gamma_up: float = 0.1153
    gamma_down: float = 0.5085


@dataclass
class EcRamMOPresetDevice(LinearStepDevice):
    """Metal-oxide ECRAM, linear-step fit, about 7000 states with strong pulse noise.

    Data: Kim et al., "Metal-oxide based, CMOS-compatible ECRAM for deep learning
    accelerator", IEEE IEDM (2019).
    """

    dw_min: float = 2.8214e-4
    dw_min_dtod: float = 0.1
    dw_min_std: float = 2.0
    w_min: float = -0.8286
    w_min_dtod: float = 0.05
    w_max: float = 1.1714
    w_max_dtod: float = 0.05
    gamma_up: float = 0.4152
    gamma_down: float = 0.7342


@dataclass
class IdealizedPresetDevice(ConstantStepDevice):
    """An idealised constant-step device with 10000 states and no up/down asymmetry."""

    dw_min: float = 0.0002
    up_down_dtod: float = 0.0
    w_min: float = -1.0
    w_max: float = 1.0


@dataclass
class GokmenVlasovPresetDevice(ConstantStepDevice):
    """The constant-step device of the original RPU design study (1250 states).

    Data: Gokmen and Vlasov, "Acceleration of deep neural network training with resistive
    cross-point devices: design considerations", Frontiers in Neuroscience 10:333 (2016).
    """

    dw_min: float = 0.0016
    w_min: float = -1.0
    w_max: float = 1.0


@dataclass
class PCMPresetDevice(ExpStepDevice):
    """Phase-change memory: one-sided (only potentiation is gradual), about 60 states.

    Meant as the device of a one-sided unit cell (aihwkit's ``PCMPresetUnitCell``). Uses the
    weight-dependent ("complex") pulse noise. Data: Nandakumar et al., "Mixed-precision deep
    learning based on computational memory", Frontiers in Neuroscience 14:406 (2020).
    """

    dw_min: float = 0.01
    dw_min_dtod: float = 0.2
    dw_min_std: float = 0.6
    up_down_dtod: float = 0.05
    w_min: float = 0.0
    w_min_dtod: float = 0.0
    w_max: float = 2.0
    w_max_dtod: float = 0.1
    reset: float = 0.01
    reset_dtod: float = 0.02
    A_up: float = -27.235
    A_down: float = -2.235
    gamma_up: float = 2.5
    gamma_down: float = 2.5
    a: float = -1.0
    b: float = 0.0
    dw_min_std_add: float = 0.042
    dw_min_std_slope: float = 0.108


@dataclass
class ReRamArrayOMPresetDevice(SoftBoundsReferenceDevice):
    """ReRAM in a 14 nm CMOS array with an optimised material stack (about 21 states).

    Data: Gong et al., "Deep learning acceleration in 14nm CMOS compatible ReRAM array:
    device, material and algorithm co-optimization", IEEE IEDM (2022).
    """

    dw_min: float = 0.0949
    dw_min_dtod: float = 0.7829
    dw_min_dtod_log_normal: bool = True
    dw_min_std: float = 0.4158
    w_min: float = -1.0
    w_min_dtod: float = 0.5695
    w_max: float = 1.0
    w_max_dtod: float = 0.3499
    corrupt_devices_range: float = 0.01
    write_noise_std: float = 1.4113
    reference_std: float = 0.05
    subtract_symmetry_point: bool = True


@dataclass
class ReRamArrayHfO2PresetDevice(SoftBoundsReferenceDevice):
    """ReRAM (HfO2) in a 14 nm CMOS array, baseline material stack (about 4 states).

    Data: Gong et al., IEEE IEDM (2022) (as ReRamArrayOMPresetDevice).
    """

    dw_min: float = 0.4622
    dw_min_dtod: float = 0.7125
    dw_min_dtod_log_normal: bool = True
    dw_min_std: float = 0.2174
    w_min: float = -1.0
    w_min_dtod: float = 0.599
    w_max: float = 1.0
    w_max_dtod: float = 0.4295
    corrupt_devices_range: float = 0.01
    write_noise_std: float = 0.5841
    reference_std: float = 0.05
    subtract_symmetry_point: bool = True
