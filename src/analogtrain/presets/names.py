"""Look up device configurations by name (for the command line and sweeps).

Every concrete device class of :mod:`analogtrain.configs` and every preset device is known
under its class name and a short name (``"ConstantStep"``, ``"SoftBoundsReference"``,
``"ReRamES"``, ...). Lookup ignores case and the characters ``-``, ``_`` and spaces, and
also accepts a preset's config-style name (``"ReRamESPreset"``).
"""

from __future__ import annotations

import difflib
from types import MappingProxyType

from analogtrain.configs import devices as dv
from analogtrain.configs.base import ConfigBase
from analogtrain.errors import ArgumentError
from analogtrain.presets import devices as pd

__all__ = ["DEVICE_NAMES", "get_device", "get_device_class"]

_DEVICE_CLASSES: tuple[type[ConfigBase], ...] = (
    dv.ConstantStepDevice,
    dv.LinearStepDevice,
    dv.SoftBoundsDevice,
    dv.SoftBoundsPmaxDevice,
    dv.SoftBoundsReferenceDevice,
    dv.ExpStepDevice,
    dv.PowStepDevice,
    dv.PowStepReferenceDevice,
    dv.PiecewiseStepDevice,
    dv.IdealDevice,
    dv.FloatingPointDevice,
    pd.ReRamESPresetDevice,
    pd.ReRamSBPresetDevice,
    pd.CapacitorPresetDevice,
    pd.EcRamPresetDevice,
    pd.EcRamMOPresetDevice,
    pd.IdealizedPresetDevice,
    pd.GokmenVlasovPresetDevice,
    pd.PCMPresetDevice,
    pd.ReRamArrayOMPresetDevice,
    pd.ReRamArrayHfO2PresetDevice,
)


def _short_name(cls: type) -> str:
    name = cls.__name__
    for suffix in ("PresetDevice", "Device"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


#: Short device name -> device configuration class (read-only).
DEVICE_NAMES = MappingProxyType({_short_name(cls): cls for cls in _DEVICE_CLASSES})


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in "-_ ")


def _aliases() -> dict[str, type[ConfigBase]]:
    table: dict[str, type[ConfigBase]] = {}
    for short, cls in DEVICE_NAMES.items():
        table[_normalise(short)] = cls
        table[_normalise(cls.__name__)] = cls
        if cls.__name__.endswith("PresetDevice"):
            table[_normalise(short + "Preset")] = cls
    return table


def get_device_class(name: str) -> type[ConfigBase]:
    """The device configuration class called ``name`` (class, short or preset name).

    Raises:
        ArgumentError: unknown name (the message lists close matches and all short names).
    """
    if not isinstance(name, str):
        raise ArgumentError(f"device name must be a string, got {name!r}")
    table = _aliases()
    cls = table.get(_normalise(name))
    if cls is not None:
        return cls
    shorts = {_normalise(s): s for s in DEVICE_NAMES}
    close = difflib.get_close_matches(_normalise(name), list(shorts), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(shorts[c] for c in close)}?)" if close else ""
    raise ArgumentError(f"unknown device {name!r}{hint}; known devices: {', '.join(DEVICE_NAMES)}")


def get_device(name: str) -> ConfigBase:
    """A new default instance of the device called ``name`` (see :func:`get_device_class`)."""
    return get_device_class(name)()
