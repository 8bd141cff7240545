"""``analogtrain config ALGORITHM DEVICE``: print or export the configuration build_config makes.

Printed as the compact diff-from-defaults form (``str(config)``) or, with ``--json``, as the
JSON that ``analogtrain.configs.load_config`` (and ``analogtrain train --config``) reads.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analogtrain.cli.common import add_set_option, build_rpu_config, info

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``config`` subcommand."""
    p = sub.add_parser(
        "config",
        help="print or export the configuration of an algorithm on a device",
        description="Build the RPU configuration of ALGORITHM (sgd, tt, ttv2, c-ttv2, agad, mp, "
        "... any build_config name) around DEVICE (device class or preset name, or a JSON "
        "device file), apply --set overrides and print it.",
        epilog="examples:\n"
        "  analogtrain config c-ttv2 SoftBoundsReference --set device.fast_lr=0.5\n"
        "  analogtrain config sgd ConstantStep --json --out cfg.json\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("algorithm", help="build_config algorithm name, e.g. c-ttv2")
    p.add_argument("device", help="device class or preset name (e.g. SoftBounds, ReRamSB)")
    add_set_option(p, "the built configuration")
    p.add_argument(
        "--device-set",
        dest="device_sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the device model before building (applies to every "
        "sub-device of a compound), e.g. dw_min=0.01",
    )
    p.add_argument("--seed", type=int, default=0, help="construction_seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the compact form")
    p.add_argument("--out", type=Path, help="also write the JSON to this file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``analogtrain config``."""
    from analogtrain.configs import save_config, to_dict

    config = build_rpu_config(
        args.algorithm,
        args.device,
        args.sets,
        construction_seed=args.seed,
        device_sets=args.device_sets,
    )
    if args.json:
        print(json.dumps(to_dict(config), indent=2))
    else:
        print(config)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        save_config(config, args.out)
        info(f"wrote {args.out}")
    return 0
