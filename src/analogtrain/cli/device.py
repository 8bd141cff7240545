"""``analogtrain device NAME [NAME ...]``: how a device model responds to pulses.

Prints, per device model, the number of states, the granularity, the mean up/down step at
``w = 0``, the asymmetry and the symmetry point (see :mod:`analogtrain.viz.pulse_response`),
and draws up/down pulse loops of several sampled devices and the step size against the
weight.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analogtrain.cli.common import add_set_option, info, resolve_device
from analogtrain.cli.overrides import apply_overrides

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``device`` subcommand."""
    p = sub.add_parser(
        "device",
        help="pulse response of device models (plot and summary)",
        description="Sample a few devices of each model, pulse them up and down, print a "
        "summary (states, asymmetry, symmetry point) and plot the loops and step sizes.",
        epilog="examples:\n"
        "  analogtrain device SoftBounds ReRamSB --set up_down=0.2\n"
        "  analogtrain device SoftBoundsReference --set reference_std=0.1 --json --no-plot\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "devices",
        nargs="+",
        metavar="DEVICE",
        help="device class or preset name(s), JSON device file(s), or module:Class for a "
        "user-defined device",
    )
    add_set_option(
        p, "every device model (paths relative to the device)", example="up_down=0.2"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("pulse_response.png"),
        help="PNG file for the plot (default: pulse_response.png)",
    )
    p.add_argument("--no-plot", action="store_true", help="only print the summary")
    p.add_argument("--n-devices", type=int, default=8, help="sampled devices (default 8)")
    p.add_argument(
        "--pulses",
        type=int,
        default=None,
        help="pulses per up or down block (default: the number of states)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the sampled devices")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=run)


def _row(summary: dict) -> str:
    return (
        f"{summary['device']:<28} {summary['n_states']:>9.0f} {summary['granularity']:>11.4g} "
        f"{summary['step_up_at_zero']:>11.4g} {summary['step_down_at_zero']:>11.4g} "
        f"{summary['asymmetry']:>+10.3f} {summary['symmetry_point']:>+10.4f} "
        f"± {summary['symmetry_point_std']:.4f}"
    )


def run(args: argparse.Namespace) -> int:
    """Execute ``analogtrain device``."""
    from analogtrain.viz.pulse_response import compute_pulse_response, compute_pulse_statistics

    configs = []
    for name in args.devices:
        config = resolve_device(name)
        apply_overrides(config, args.sets)
        configs.append(config)
    responses, stats = [], []
    for config in configs:
        responses.append(
            compute_pulse_response(
                config, n_pulses=args.pulses, n_devices=args.n_devices, seed=args.seed
            )
        )
        stats.append(compute_pulse_statistics(config, n_devices=args.n_devices, seed=args.seed))
    summaries = [s.summary() for s in stats]
    if args.json:
        print(json.dumps(summaries, indent=2))
    else:
        header = (
            f"{'device':<28} {'states':>9} {'granularity':>11} {'step up(0)':>11} "
            f"{'step dn(0)':>11} {'asymmetry':>10} {'sym. point':>10}"
        )
        print(header)
        print("-" * len(header))
        for summary in summaries:
            print(_row(summary))
    if not args.no_plot:
        from analogtrain.viz.plots import plot_devices, save_figure

        title = ", ".join(args.devices) + (f" ({', '.join(args.sets)})" if args.sets else "")
        save_figure(plot_devices(responses, stats, title=title), args.out)
        info(f"wrote {args.out}")
    return 0
