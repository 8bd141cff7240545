"""Side-by-side step times of analogtrain and aihwkit 1.1.0 on the same CPU work.

aihwkit runs from the reference virtualenv built by ``../shared/tools/aihwkit-reference.sh``
(pass its python with ``--aihwkit-python``; without it only analogtrain is measured). Each
configuration runs in its own subprocess (so peak RSS is per configuration), alternating
between the two implementations. Prints a table of median ms per step, the ratio
analogtrain/aihwkit, and peak RSS::

    python benchmarks/compare_aihwkit.py --aihwkit-python ~/.cache/aihwkit-reference/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALGORITHMS = ["sgd", "mp", "tt", "ttv2", "c-ttv2", "agad"]


def run_one(
    python: str,
    impl: str,
    algorithm: str,
    load: str,
    size: int,
    steps: int,
    conv: bool,
    warmup: int = 3,
) -> dict:
    cmd = [
        python,
        str(HERE / "step_time.py"),
        "--impl",
        impl,
        "--algorithm",
        algorithm,
        "--load",
        load,
        "--size",
        str(size),
        "--steps",
        str(steps),
        "--warmup",
        str(warmup),
    ]
    if conv:
        cmd.append("--conv")
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aihwkit-python", default=None)
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--loads", default="light,train")
    parser.add_argument("--sizes", default="512", help='comma-separated; "none": conv only')
    parser.add_argument("--conv", action="store_true", help="also time one AnalogConv2d layer")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    sizes = [s for s in args.sizes.split(",") if s and s != "none"]
    shapes: list[tuple[int, bool]] = [(int(s), False) for s in sizes]
    if args.conv:
        shapes.append((0, True))
    for size, conv in shapes:
        for load in args.loads.split(","):
            for alg in args.algorithms.split(","):
                common = (alg, load, size, args.steps, conv, args.warmup)
                ours = run_one(sys.executable, "analogtrain", *common)
                ref = None
                if args.aihwkit_python:
                    ref = run_one(args.aihwkit_python, "aihwkit", *common)
                label = "conv" if conv else str(size)
                ratio = f"{ours['median_ms'] / ref['median_ms']:.2f}" if ref else "-"
                ref_ms = f"{ref['median_ms']:.1f}" if ref else "-"
                ref_mb = f"{ref['peak_rss_mb']:.0f}" if ref else "-"
                print(
                    f"| {label} | {load} | {alg} | {ours['median_ms']:.1f} | {ref_ms} | "
                    f"{ratio} | {ours['peak_rss_mb']:.0f} | {ref_mb} |",
                    flush=True,
                )


if __name__ == "__main__":
    print(
        "| size | load | algorithm | analogtrain ms | aihwkit ms | ratio | "
        "analogtrain MB | aihwkit MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    main()
