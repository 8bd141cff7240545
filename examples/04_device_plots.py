"""Look at device models before training on them: pulse loops, step sizes, summary numbers.

For a few device presets, measures (``analogtrain.viz.compute_pulse_statistics``) the number
of states, the up/down asymmetry at ``w = 0`` and the symmetry point, prints them as a table,
and draws up/down loops of several sampled devices plus step size against weight into one
PNG (needs matplotlib, the ``plot`` extra).

    python examples/04_device_plots.py --out devices.png
"""

from __future__ import annotations

import argparse

from analogtrain.presets import get_device
from analogtrain.viz import compute_pulse_response, compute_pulse_statistics

DEVICES = ("ConstantStep", "SoftBounds", "EcRam", "ReRamES", "ReRamSB")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description="Pulse responses of device presets")
    parser.add_argument("--devices", default=",".join(DEVICES))
    parser.add_argument("--n-devices", type=int, default=6)
    parser.add_argument("--pulses", type=int, default=None, help="pulses per up/down block")
    parser.add_argument("--out", default="devices.png", help="PNG file ('' for no plot)")
    args = parser.parse_args(argv)

    responses, stats = [], []
    for name in args.devices.split(","):
        config = get_device(name.strip())
        responses.append(
            compute_pulse_response(config, n_pulses=args.pulses, n_devices=args.n_devices)
        )
        stats.append(compute_pulse_statistics(config, n_devices=args.n_devices))
    print(f"{'device':<28} {'states':>8} {'asymmetry':>10} {'symmetry point':>15}")
    for s in stats:
        print(
            f"{s.device_name:<28} {s.n_states:8.0f} {s.asymmetry:+10.3f} {s.symmetry_point:+15.4f}"
        )
    if args.out:
        from analogtrain.viz.plots import plot_devices, save_figure

        save_figure(plot_devices(responses, stats), args.out)
        print(f"wrote {args.out}")
    return [s.summary() for s in stats]


if __name__ == "__main__":
    main()
