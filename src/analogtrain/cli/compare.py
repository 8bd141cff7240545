"""``analogtrain compare``: train the same network with several algorithms on one device.

For every algorithm the RPU config is ``build_config(algorithm, device,
construction_seed=seed)`` (``fp``: a floating-point baseline) with the ``--set`` overrides.
Unless ``--no-tune``, each algorithm's own hyper-parameters are first chosen by successive
halving on a validation split of the training data (:mod:`analogtrain.cli.tuning`); then the
chosen setting is trained on the full training split for every seed (same network, same
initialisation and same data order for a given seed) and evaluated on the test set.

Prints the search budget, then a table (chosen setting, final and best test accuracy with the
spread over seeds, time per run) and writes ``results.csv`` (one row per algorithm, seed and
epoch), ``results.json`` (settings, versions, kernel backend, every resolved config, the
search, summary and histories) and ``compare.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Any

from analogtrain.cli.common import (
    ALGORITHM_CHOICES,
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
from analogtrain.cli.scoped_sets import ScopedSets, split_sets
from analogtrain.errors import AnalogTrainError, ArgumentError

__all__ = ["OUTPUT_FILES", "add_parser", "run"]

#: The files a compare run writes (a folder holding any of them is not overwritten silently).
OUTPUT_FILES = ("results.json", "results.csv", "compare.png")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``compare`` subcommand."""
    p = sub.add_parser(
        "compare",
        help="compare training algorithms on one device (tuned; table, CSV, JSON, PNG)",
        description="Train the same network with each algorithm on the same device model and "
        "compare test accuracies. Each algorithm's own hyper-parameters are tuned first on a "
        "validation split of the training data (successive halving; --no-tune skips it). "
        f"Without options: the digits MLP on {DEFAULTS['device']} with "
        f"{', '.join(ALGORITHM_CHOICES)}, 3 seeds.",
        epilog="examples:\n"
        "  analogtrain compare\n"
        "  analogtrain compare --algorithms sgd,c-ttv2 --set c-ttv2:device.fast_lr=0.5 "
        "--no-tune\n"
        "  analogtrain compare --device ReRamSB --seeds 2 --out runs/reramsb\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    p.add_argument("--seeds", type=int, default=3, help="seeds per algorithm (default 3)")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="[ALG:]PATH=VALUE",
        help="override a field of every algorithm's RPU config (PATH=VALUE, e.g. "
        "forward.out_noise=0.02) or of one algorithm's (ALG:PATH=VALUE, e.g. "
        "c-ttv2:device.fast_lr=0.5); ALG:lr=X fixes that algorithm's learning rate; a set "
        "path is left out of the tuning (repeatable)",
    )
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
        "--no-tune",
        action="store_true",
        help="no hyper-parameter search: every algorithm runs with its defaults and --lr",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("runs/compare"),
        help="output folder (default runs/compare)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the results of a run already in --out"
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=run)


# ------------------------------------------------------------------------------- configs
def _device(args: argparse.Namespace) -> Any:
    device = resolve_device(args.device_name)
    if args.device_sets:
        apply_overrides(device, args.device_sets, validate=False)
    return device


def _build(
    args: argparse.Namespace,
    scoped: ScopedSets,
    alg: str,
    seed: int,
    params: dict[str, Any] | None = None,
) -> Any:
    """The config of ``alg`` for ``seed``, with the user's overrides and the tuned ``params``
    (all but ``lr``)."""
    from analogtrain.cli.tuning import resolve_value
    from analogtrain.configs import FloatingPointRPUConfig, build_config

    if alg.lower() == "fp":
        config: Any = FloatingPointRPUConfig()
    else:
        config = build_config(alg, _device(args), construction_seed=seed)
    sets = scoped.for_algorithm(alg)
    for path, value in (params or {}).items():
        if path != "lr":
            sets.append(f"{path}={resolve_value(value, config)}")
    try:
        apply_overrides(config, sets)
    except AnalogTrainError as exc:
        raise type(exc)(f"[{alg}] {exc}") from None
    return config


def _lr(args: argparse.Namespace, scoped: ScopedSets, alg: str, params: dict[str, Any]) -> float:
    if alg in scoped.lr:
        return scoped.lr[alg]
    if "lr" in params:
        return float(params["lr"])
    return float(args.lr if args.lr is not None else DEFAULTS["lr"])


def _mean_std(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    if len(values) < 2:
        return m, 0.0
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def _fmt(values: list[float]) -> str:
    m, s = _mean_std(values)
    return f"{m:6.2f}" + (f" ± {s:5.2f}" if len(values) > 1 else "")


def _setting_text(
    params: dict[str, Any], lr: float, fixed: set[str], own_sets: list[str] | None = None
) -> str:
    """``lr=0.2 fast_lr=1``: the tuned values, then the algorithm's own ``--set`` values
    (marked ``*``, like a learning rate the user fixed)."""
    parts = [f"lr={lr:g}" + ("*" if "lr" in fixed else "")]
    for path, value in params.items():
        if path != "lr":
            short = path.split(".")[-1]
            parts.append(f"{short}={value:g}" if isinstance(value, float) else f"{short}={value}")
    for text in own_sets or []:
        path, _, value = text.partition("=")
        parts.append(f"{path.split('.')[-1]}={value}*")
    return " ".join(parts)


# ------------------------------------------------------------------------------- phases
def _warm_up(
    args: argparse.Namespace, scoped: ScopedSets, algorithms: list[str], data: Any, seed: int
) -> float:
    """Run every algorithm for two mini-batches so that numba compiles (or loads from its
    cache) the kernels before anything is timed; returns the seconds it took."""
    from analogtrain.training.datasets import ImageDataset

    tiny = ImageDataset(
        data.name,
        data.x_train[:8],
        data.y_train[:8],
        data.x_test[:8],
        data.y_test[:8],
        data.n_classes,
    )
    settings = RunSettings(None, None, args.settings.model, 1, 0.1, 4, max_batches=2)
    _torch_start_up(args)
    t0 = time.perf_counter()
    for alg in algorithms:  # a real compilation announces itself (kernels.compile_notice)
        make_run(_build(args, scoped, alg, seed), tiny, settings, seed).fit(1, stream=None)
    seconds = time.perf_counter() - t0
    if not args.quiet:
        sys.stderr.write(
            f"kernel warm-up (compile or cache load): {seconds:.1f} s, not charged to any "
            "algorithm\n"
        )
        sys.stderr.flush()
    return seconds


def _torch_start_up(args: argparse.Namespace) -> None:
    """torch imports its compiler stack (``torch._dynamo``, about 1 s here) when a process
    builds its first optimizer. Done before the kernel warm-up is timed, and reported on its
    own line, so that the warm-up line counts the kernels only (and no algorithm pays it)."""
    import torch

    t0 = time.perf_counter()
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    if not args.quiet:
        seconds = time.perf_counter() - t0
        sys.stderr.write(f"torch start-up (its first optimizer): {seconds:.1f} s\n")
        sys.stderr.flush()


def _tune_all(
    args: argparse.Namespace, scoped: ScopedSets, algorithms: list[str], data: Any, seed: int
) -> dict[str, dict[str, Any]]:
    """Search every algorithm's grid on the validation split; the per-algorithm record."""
    from analogtrain.cli.tuning import (
        ETA,
        VALIDATION_FRACTION,
        resolve_value,
        search_space,
        tune,
    )
    from analogtrain.training.search import rung_epochs

    split = validation_split_of(data, seed)
    settings: RunSettings = args.settings
    spaces = {a: search_space(a, scoped.fixed_paths(a)) for a in algorithms}
    if args.lr is not None:
        spaces = {a: {p: v for p, v in s.items() if p != "lr"} for a, s in spaces.items()}
    n_total = sum(math.prod(len(v) for v in s.values()) for s in spaces.values() if s)
    info(
        f"tuning: successive halving (eta {ETA}) over {n_total} settings in all, on "
        f"{len(split.y_train)} training / {len(split.y_test)} validation images "
        f"({VALIDATION_FRACTION:.0%} of the training data held out), up to "
        f"{settings.epochs} epochs, seed {seed}"
    )
    records: dict[str, dict[str, Any]] = {}
    for alg in algorithms:
        space = spaces[alg]
        if not space:
            records[alg] = {"space": {}, "best": {}, "seconds": 0.0, "epochs_trained": 0}
            continue

        def make(params: dict[str, Any], alg: str = alg) -> Any:
            s = dataclasses.replace(settings, lr=_lr(args, scoped, alg, params))
            return make_run(_build(args, scoped, alg, seed, params), split, s, seed)

        n = math.prod(len(v) for v in space.values())
        t0 = time.perf_counter()
        result = tune(space, make, max_epochs=settings.epochs)
        seconds = time.perf_counter() - t0
        best_trial = max(
            (t for t in result.trials if len(t.scores) == len(result.rungs)), key=lambda t: t.key
        )
        config = _build(args, scoped, alg, seed)
        result.best = {p: resolve_value(v, config) for p, v in result.best.items()}
        records[alg] = {
            "space": {p: list(v) for p, v in space.items()},
            "seconds": seconds,
            **result.as_dict(),
            "validation_accuracy": best_trial.scores[-1][1],
        }
        if not args.quiet:
            rungs = "/".join(str(e) for e in rung_epochs(settings.epochs, n, ETA))
            info(
                f"  {alg:>7}: {n:2d} settings, rungs {rungs} epochs, {result.epochs_trained:3d} "
                f"epochs trained, {seconds:5.1f} s -> "
                f"{_setting_text(result.best, _lr(args, scoped, alg, result.best), set())} "
                f"(validation {best_trial.scores[-1][1]:.1f}%)"
            )
    return records


def validation_split_of(data: Any, seed: int) -> Any:
    """The validation split used for tuning (fixed by ``seed``)."""
    from analogtrain.cli.tuning import validation_split

    return validation_split(data, seed=seed)


def run(args: argparse.Namespace) -> int:
    """Execute ``analogtrain compare``."""
    from analogtrain.configs import to_dict
    from analogtrain.training.progress import OuterProgress
    from analogtrain.training.records import (
        claim_output_folder,
        command_line,
        environment,
        kernel_backend,
    )

    start_all = time.perf_counter()
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    if not algorithms:
        raise ArgumentError("--algorithms is empty")
    if len(set(a.lower() for a in algorithms)) != len(algorithms):
        raise ArgumentError(f"--algorithms lists a name twice: {args.algorithms}")
    if args.seeds < 1:
        raise ArgumentError(f"--seeds must be >= 1, got {args.seeds}")
    settings = settings_from_args(args, DEFAULTS)
    args.settings = settings
    args.device_name, args.device_sets, device_label = device_choice(args.device, args.device_sets)
    args.device_label = device_label
    scoped = split_sets(args.sets, algorithms)
    seeds = list(range(1, args.seeds + 1))
    for alg in algorithms:  # fail fast on bad names / overrides
        _build(args, scoped, alg, seeds[0])
    claim_output_folder(args.out, OUTPUT_FILES, overwrite=args.overwrite)
    data = load_data(settings)
    stream = None if args.quiet else sys.stderr
    tuned = not args.no_tune
    header = (
        f"device {device_label}, data {data.name} ({len(data.y_train)} train / "
        f"{len(data.y_test)} test), {settings.model}, {settings.epochs} epochs, batch "
        f"{settings.batch_size}, seeds {len(seeds)}, "
        + (
            "tuned per algorithm on a validation split"
            if tuned
            else f"no tuning (lr {settings.lr} unless --set ALG:lr=X)"
        )
    )
    info(header)
    compile_seconds = _warm_up(args, scoped, algorithms, data, seeds[0])
    t_tune = time.perf_counter()
    tuning = _tune_all(args, scoped, algorithms, data, seeds[0]) if tuned else {}
    tune_seconds = time.perf_counter() - t_tune
    chosen = {a: dict(tuning.get(a, {}).get("best", {})) for a in algorithms}

    results: dict[str, list[dict[str, Any]]] = {a: [] for a in algorithms}
    configs: dict[str, Any] = {}
    backends: dict[str, dict[str, int]] = {}
    progress = OuterProgress(len(algorithms) * len(seeds), settings.epochs, stream=stream)
    t_final = time.perf_counter()
    for alg in algorithms:
        lr = _lr(args, scoped, alg, chosen[alg])
        alg_settings = dataclasses.replace(settings, lr=lr)
        for seed in seeds:
            config = _build(args, scoped, alg, seed, chosen[alg])
            if seed == seeds[0]:
                configs[alg] = to_dict(config)
            run_ = make_run(config, data, alg_settings, seed)
            backends.setdefault(alg, kernel_backend(run_.model))
            label = f"{alg} seed {seed}"
            t0 = time.perf_counter()
            history = run_.fit(
                settings.epochs,
                stream=None,
                on_epoch=lambda r, m, label=label: progress.epoch_done(
                    f"{label} epoch {m.epoch}/{settings.epochs}"
                ),
            )
            seconds = time.perf_counter() - t0
            progress.run_done(label, f"test {history.final_test_accuracy:.1f}% in {seconds:.1f} s")
            results[alg].append({"seed": seed, "seconds": seconds, "history": history})
    progress.close()
    final_seconds = time.perf_counter() - t_final
    summary = _summarise(results)
    for alg in algorithms:
        summary[alg]["lr"] = _lr(args, scoped, alg, chosen[alg])
        summary[alg]["chosen"] = chosen[alg]
        summary[alg]["setting"] = _setting_text(
            chosen[alg], summary[alg]["lr"], scoped.fixed_paths(alg), scoped.per_algorithm[alg]
        )
    total = time.perf_counter() - start_all
    timing = {
        "total_seconds": total,
        "compile_seconds": compile_seconds,
        "tuning_seconds": tune_seconds,
        "final_runs_seconds": final_seconds,
    }
    _print_table(header, summary, timing, tuned, tuning)
    split = validation_split_of(data, seeds[0]) if tuned else None
    record = {
        "command": command_line(getattr(args, "argv", None)),
        "environment": environment(),
        "numba_kernels_loaded": "analogtrain.kernels.update.cpu.numba_kernels" in sys.modules,
        "kernel_backend": backends,
        "device": args.device_name,
        "device_label": device_label,
        "device_sets": args.device_sets,
        "sets": args.sets,
        "settings": settings.as_dict(),
        "dataset": {
            "name": data.name,
            "train": len(data.y_train),
            "test": len(data.y_test),
            "tuning_train": None if split is None else len(split.y_train),
            "validation": None if split is None else len(split.y_test),
            "validation_seed": seeds[0] if tuned else None,
        },
        "seeds": seeds,
        "construction_seed": "equal to the seed of each run (configs shown for the first seed)",
        "tuned": tuned,
        "tuning": tuning,
        "configs": configs,
        **timing,
        "summary": summary,
        "histories": {
            alg: [{"seed": r["seed"], "epochs": r["history"].to_list()} for r in runs]
            for alg, runs in results.items()
        },
    }
    _write_outputs(args.out, args, settings, results, summary, record, data.name)
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


def _print_table(
    header: str,
    summary: dict[str, dict[str, Any]],
    timing: dict[str, float],
    tuned: bool,
    tuning: dict[str, dict[str, Any]],
) -> None:
    print(header)
    if tuned:
        budget = sum(t.get("epochs_trained", 0) for t in tuning.values())
        n = sum(len(t.get("trials", [])) for t in tuning.values())
        print(
            f"search budget: {n} settings, {budget} epochs on the validation split "
            f"({timing['tuning_seconds']:.0f} s); * = fixed by the user"
        )
    width = max(24, *(len(s["setting"]) for s in summary.values()))
    print(
        f"{'algorithm':<10} {'setting':<{width}} {'final test acc (%)':>18} "
        f"{'best test acc (%)':>18} {'time/run (s)':>12}"
    )
    print("-" * (62 + width))
    for alg, s in summary.items():
        print(
            f"{alg:<10} {s['setting']:<{width}} {_fmt(s['final_test_accuracy']):>18} "
            f"{_fmt(s['best_test_accuracy']):>18} {s['seconds_mean']:>12.1f}"
        )
    print(
        f"mean ± standard deviation over seeds; wall time {timing['total_seconds']:.0f} s "
        f"(kernel compilation {timing['compile_seconds']:.0f} s, tuning "
        f"{timing['tuning_seconds']:.0f} s, final runs {timing['final_runs_seconds']:.0f} s)"
    )


def _write_outputs(
    out: Path,
    args: argparse.Namespace,
    settings: RunSettings,
    results: dict[str, list[dict[str, Any]]],
    summary: dict[str, dict[str, Any]],
    record: dict[str, Any],
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
    write_json(out / "results.json", record)
    curves = {alg: [r["history"].test_accuracies for r in runs] for alg, runs in results.items()}
    finals = {alg: s["final_test_accuracy"] for alg, s in summary.items()}
    title = f"{args.device_label}: {settings.model} on {data_name}"
    save_figure(plot_comparison(curves, finals, title=title), out / "compare.png")
    info(f"wrote {out}/results.csv, results.json, compare.png")
