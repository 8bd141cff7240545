"""``analogtrain compare``: train the same network with several algorithms on one device.

For every algorithm (and seed) the RPU config is ``build_config(algorithm, device,
construction_seed=seed)`` (``fp``: a floating-point baseline), the network and its
initialisation are the same, and so is the order of the training data. Prints a table
(final and best test accuracy, wall time per algorithm) and writes ``results.csv``
(one row per algorithm, seed and epoch), ``results.json`` (settings, summary, histories) and
``compare.png`` (learning curves and final-accuracy bars) to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path
from typing import Any

from analogtrain.cli.common import (
    ALGORITHM_CHOICES,
    add_set_option,
    info,
    resolve_device,
    write_json,
)
from analogtrain.cli.overrides import apply_overrides
from analogtrain.cli.run_setup import (
    DEFAULTS,
    RunSettings,
    add_training_options,
    device_choice,
    load_data,
    make_run,
    settings_from_args,
)
from analogtrain.errors import ArgumentError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``compare`` subcommand."""
    p = sub.add_parser(
        "compare",
        help="compare training algorithms on one device (table, CSV, JSON, PNG)",
        description="Train the same network with each algorithm on the same device model and "
        "compare test accuracies. Without options: the digits MLP on "
        f"{DEFAULTS['device']} with {', '.join(ALGORITHM_CHOICES)}.",
    )
    p.add_argument(
        "--device",
        default=None,
        help=f"device class or preset name, or JSON device file (default {DEFAULTS['device']} "
        f"with {', '.join(DEFAULTS['device_sets'])})",
    )
    p.add_argument(
        "--algorithms",
        default=",".join(ALGORITHM_CHOICES),
        help="comma-separated build_config names; 'fp' adds a floating-point "
        f"baseline (default {','.join(ALGORITHM_CHOICES)})",
    )
    add_training_options(p, defaults=DEFAULTS)
    p.add_argument("--seeds", type=int, default=1, help="seeds per algorithm (default 1)")
    add_set_option(p, "every algorithm's RPU config")
    p.add_argument(
        "--device-set",
        dest="device_sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the device model (all algorithms, all "
        "sub-devices), e.g. dw_min=0.002",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("runs/compare"),
        help="output folder (default runs/compare)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def _configs(args: argparse.Namespace, algorithms: list[str], seed: int) -> dict[str, Any]:
    """Build (and check) every algorithm's config before any training starts."""
    from analogtrain.configs import FloatingPointRPUConfig, build_config

    device = resolve_device(args.device_name)
    if args.device_sets:
        apply_overrides(device, args.device_sets, validate=False)
    configs = {}
    for alg in algorithms:
        if alg.lower() == "fp":
            config: Any = FloatingPointRPUConfig()
        else:
            config = build_config(alg, device, construction_seed=seed)
        try:
            apply_overrides(config, args.sets)
        except ArgumentError:
            raise
        except Exception as exc:
            raise type(exc)(f"[{alg}] {exc}") from exc
        configs[alg] = config
    return configs


def _mean_std(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    if len(values) < 2:
        return m, 0.0
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def _fmt(values: list[float]) -> str:
    m, s = _mean_std(values)
    return f"{m:6.2f}" + (f" ± {s:5.2f}" if len(values) > 1 else "")


def run(args: argparse.Namespace) -> int:
    """Execute ``analogtrain compare``."""
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    if not algorithms:
        raise ArgumentError("--algorithms is empty")
    if len(set(a.lower() for a in algorithms)) != len(algorithms):
        raise ArgumentError(f"--algorithms lists a name twice: {args.algorithms}")
    if args.seeds < 1:
        raise ArgumentError(f"--seeds must be >= 1, got {args.seeds}")
    settings = settings_from_args(args, DEFAULTS)
    args.device_name, args.device_sets, device_label = device_choice(args.device, args.device_sets)
    args.device_label = device_label
    seeds = list(range(1, args.seeds + 1))
    _configs(args, algorithms, seeds[0])  # fail fast on bad names / overrides
    data = load_data(settings)
    stream = None if args.quiet else sys.stderr
    header = (
        f"device {device_label}, data {data.name} ({len(data.y_train)} train / "
        f"{len(data.y_test)} test), {settings.model}, {settings.epochs} epochs, batch "
        f"{settings.batch_size}, lr {settings.lr}, seeds {len(seeds)}"
    )
    info(header)
    results: dict[str, list[dict[str, Any]]] = {a: [] for a in algorithms}
    start_all = time.perf_counter()
    for alg in algorithms:
        for seed in seeds:
            config = _configs(args, [alg], seed)[alg]
            run_ = make_run(config, data, settings, seed)
            t0 = time.perf_counter()
            history = run_.fit(settings.epochs, desc=f"{alg:>7} seed {seed}", stream=stream)
            results[alg].append(
                {"seed": seed, "seconds": time.perf_counter() - t0, "history": history}
            )
    total = time.perf_counter() - start_all
    summary = _summarise(results)
    _print_table(header, summary, total)
    _write_outputs(args.out, args, settings, results, summary, total, data.name)
    return 0


def _summarise(results: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out = {}
    for alg, runs in results.items():
        finals = [r["history"].final_test_accuracy for r in runs]
        bests = [r["history"].best_test_accuracy for r in runs]
        secs = [r["seconds"] for r in runs]
        out[alg] = {
            "final_test_accuracy": finals,
            "best_test_accuracy": bests,
            "seconds": secs,
            "final_mean": _mean_std(finals)[0],
            "final_std": _mean_std(finals)[1],
            "best_mean": _mean_std(bests)[0],
            "seconds_mean": _mean_std(secs)[0],
        }
    return out


def _print_table(header: str, summary: dict[str, dict[str, Any]], total: float) -> None:
    print(header)
    print(
        f"{'algorithm':<10} {'final test acc (%)':>20} {'best test acc (%)':>20} "
        f"{'time/run (s)':>13}"
    )
    print("-" * 66)
    for alg, s in summary.items():
        print(
            f"{alg:<10} {_fmt(s['final_test_accuracy']):>20} "
            f"{_fmt(s['best_test_accuracy']):>20} {s['seconds_mean']:>13.1f}"
        )
    print(f"total wall time {total:.1f} s")


def _write_outputs(
    out: Path,
    args: argparse.Namespace,
    settings: RunSettings,
    results: dict[str, list[dict[str, Any]]],
    summary: dict[str, dict[str, Any]],
    total: float,
    data_name: str,
) -> None:
    from analogtrain.viz.plots import plot_comparison, save_figure

    out.mkdir(parents=True, exist_ok=True)
    fields = [
        "algorithm",
        "seed",
        "epoch",
        "train_loss",
        "train_accuracy",
        "test_loss",
        "test_accuracy",
        "seconds",
    ]
    with open(out / "results.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for alg, runs in results.items():
            for r in runs:
                for row in r["history"].to_list():
                    writer.writerow({"algorithm": alg, "seed": r["seed"], **row})
    write_json(
        out / "results.json",
        {
            "device": args.device_name,
            "device_sets": args.device_sets,
            "sets": args.sets,
            "settings": settings.as_dict(),
            "dataset": data_name,
            "seeds": [r["seed"] for r in next(iter(results.values()))],
            "total_seconds": total,
            "summary": summary,
            "histories": {
                alg: [{"seed": r["seed"], "epochs": r["history"].to_list()} for r in runs]
                for alg, runs in results.items()
            },
        },
    )
    curves = {alg: [r["history"].test_accuracies for r in runs] for alg, runs in results.items()}
    finals = {alg: s["final_test_accuracy"] for alg, s in summary.items()}
    title = f"{args.device_label}: {settings.model} on {data_name}"
    save_figure(plot_comparison(curves, finals, title=title), out / "compare.png")
    info(f"wrote {out}/results.csv, results.json, compare.png")
