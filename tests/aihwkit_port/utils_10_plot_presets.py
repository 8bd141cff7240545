"""Port check in the style of aihwkit example 10: step-response figures of preset devices.

Imports: ``analogtrain.aihwkit.utils.visualization`` (the mirror). The presets come from
``analogtrain.presets`` until the ``analogtrain.aihwkit.simulator.presets`` mirror exists
(the integrator switches that one import line).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from analogtrain.aihwkit.simulator.presets import (
    CapacitorPresetDevice,
    EcRamMOPresetDevice,
    EcRamPresetDevice,
    IdealizedPresetDevice,
    ReRamESPresetDevice,
    ReRamSBPresetDevice,
)
from analogtrain.aihwkit.utils.visualization import plot_device, plot_device_compact

#: preset and its pulses per half cycle (as many as its range holds, roughly)
DEVICES = [
    (IdealizedPresetDevice, 10000),
    (ReRamESPresetDevice, 1000),
    (ReRamSBPresetDevice, 1000),
    (CapacitorPresetDevice, 400),
    (EcRamPresetDevice, 1000),
    (EcRamMOPresetDevice, 8000),
]


def main(
    out_dir: str | None = None, steps_divisor: int = 1, devices: list | None = None
) -> list[Path]:
    """Draw every preset (or those of ``devices``) in full and compact form; write PNGs to
    ``out_dir``; ``steps_divisor`` shortens the traces."""
    target = Path(out_dir or tempfile.mkdtemp(prefix="analogtrain-presets-"))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for device_class, n_steps in DEVICES if devices is None else devices:
        steps = max(n_steps // steps_divisor, 2)
        name = device_class.__name__
        figure = plot_device(device_class(), n_steps=steps, n_loops=1, n_traces=3)
        written.append(target / f"{name}.png")
        figure.savefig(written[-1])
        compact = plot_device_compact(device_class(), n_steps=steps, n_traces=3, n_loops=1)
        written.append(target / f"{name}_compact.png")
        compact.savefig(written[-1])
        print(f"{name}: {steps} steps per half cycle -> {written[-2].name}, {written[-1].name}")
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
