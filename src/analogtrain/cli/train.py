"""``analogtrain train``: one training run with per-epoch metrics, checkpoints and a plot.

Writes to ``--out``: ``checkpoint.pt`` (after every epoch; ``--resume`` continues from it
exactly), ``metrics.csv`` and ``metrics.json`` (per-epoch metrics and the settings),
``config.json`` (the RPU config, reloadable with ``--config``) and ``learning_curve.png``.

Under ``torchrun --nproc_per_node N -m analogtrain train ...`` the model is replicated over
the N processes (:mod:`analogtrain.distributed`; ``--batch-size`` is per process) and rank 0
alone prints and writes files.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from analogtrain.cli.common import add_set_option, build_rpu_config, info, write_json
from analogtrain.cli.run_setup import (
    DEFAULTS,
    add_training_options,
    device_choice,
    load_data,
    make_run,
    settings_from_args,
)
from analogtrain.errors import ArgumentError
from analogtrain.training.records import (
    claim_output_folder,
    command_line,
    environment,
    kernel_backend,
)

__all__ = ["add_parser", "run"]

_RESUME_FIXED = (
    "algorithm",
    "device",
    "config",
    "sets",
    "device_sets",
    "dataset",
    "data",
    "model",
    "lr",
    "batch_size",
    "seed",
    "limit",
    "max_batches",
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``train`` subcommand."""
    p = sub.add_parser(
        "train",
        help="train one network with one algorithm on one device",
        description="Train a network with analog SGD, print per-epoch metrics, save a "
        "checkpoint after every epoch and a learning-curve plot.",
        epilog="examples:\n"
        "  analogtrain train -a c-ttv2 --set device.fast_lr=0.5 --epochs 10\n"
        "  analogtrain train -a sgd -d ConstantStep --set forward.out_noise=0.02\n"
        "  analogtrain train --resume runs/train/checkpoint.pt --epochs 20\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--algorithm",
        "-a",
        default=None,
        help="build_config algorithm: sgd, mp, tt, ttv2, c-ttv2, agad, ...",
    )
    p.add_argument(
        "--device",
        "-d",
        default=None,
        help=f"device class or preset name, or JSON device file (default {DEFAULTS['device']} "
        f"with {', '.join(DEFAULTS['device_sets'])})",
    )
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="RPU config JSON (from 'analogtrain config --out') instead of --algorithm/--device",
    )
    add_set_option(p, "the RPU config")
    p.add_argument(
        "--device-set",
        dest="device_sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the device model before building the config "
        "(every sub-device of a compound gets it)",
    )
    add_training_options(p, defaults=DEFAULTS)
    p.add_argument("--seed", type=int, default=None, help="seed (default 1)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/train)")
    p.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="CKPT",
        help="continue the run saved in this checkpoint up to --epochs",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a run already saved in --out (default: refuse)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run, sets=[], device_sets=[])


#: The files a train run writes (a folder holding one is not overwritten silently).
OUTPUT_FILES = ("checkpoint.pt", "metrics.json", "metrics.csv")


def _record(meta: dict[str, Any], t0: float) -> dict[str, Any]:
    """What metrics.json holds besides the epochs: the run's settings and records (the full
    resolved config is in config.json) and this session's wall time."""
    return {
        **{k: v for k, v in meta.items() if k != "config"},
        "config_file": "config.json",
        "wall_seconds": time.perf_counter() - t0,
    }


def _write_metrics(out: Path, history: Any, meta: dict[str, Any]) -> None:
    rows = history.to_list()
    with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_json(out / "metrics.json", {**meta, "epochs": rows})


def _plot(out: Path, history: Any, title: str) -> None:
    from analogtrain.viz.plots import new_figure, plot_learning_curves, save_figure

    fig = new_figure(2)
    plot_learning_curves(
        {"test": history.test_accuracies, "train": [m.train_accuracy for m in history.epochs]},
        fig.axes[0],
        ylabel="accuracy (%)",
    )
    plot_learning_curves(
        {
            "test": [m.test_loss for m in history.epochs],
            "train": [m.train_loss for m in history.epochs],
        },
        fig.axes[1],
        ylabel="cross-entropy loss",
    )
    fig.suptitle(title)
    save_figure(fig, out / "learning_curve.png")


def run(args: argparse.Namespace) -> int:
    """Execute ``analogtrain train`` (in one process, or on every rank under ``torchrun``)."""
    from analogtrain.distributed import init_from_environment, shutdown, world_size

    created = init_from_environment("gloo")
    try:
        return _run(args, world_size() > 1)
    finally:
        if created:
            shutdown()


def _run(args: argparse.Namespace, replicated: bool) -> int:
    from analogtrain.configs import from_dict, save_config, to_dict
    from analogtrain.distributed import is_main_process
    from analogtrain.training import load_checkpoint, save_checkpoint

    state = None
    if args.resume is not None:
        given = [n for n in _RESUME_FIXED if getattr(args, n, None) not in (None, [])]
        if given:
            names = ", ".join("--" + n.replace("_", "-") for n in given)
            raise ArgumentError(
                f"--resume continues the saved run with its own settings; only --epochs and "
                f"--out may be given (got {names})"
            )
        state = load_checkpoint(args.resume)
        meta = state["meta"]
        settings = settings_from_args(args, meta["settings"])
        done = len(state["run"].get("history", []))
        if settings.epochs < done:
            raise ArgumentError(
                f"--epochs {settings.epochs} is fewer than the {done} epochs already saved in "
                f"{args.resume}; give --epochs {done + 1} or more to continue"
            )
        config = from_dict(meta["config"])
        seed = int(meta["seed"])
        out = args.out if args.out is not None else args.resume.parent
    else:
        seed = 1 if args.seed is None else args.seed
        if args.config:
            device, device_sets, device_label = None, args.device_sets, "config file"
        else:
            device, device_sets, device_label = device_choice(args.device, args.device_sets)
        config = build_rpu_config(
            args.algorithm,
            device,
            args.sets,
            config_file=args.config,
            construction_seed=seed,
            device_sets=device_sets,
        )
        settings = settings_from_args(args, DEFAULTS)
        out = args.out if args.out is not None else Path("runs/train")
        meta = {
            "algorithm": args.algorithm,
            "device": device_label if args.config is None else None,
            "config": to_dict(config),
            "settings": settings.as_dict(),
            "seed": seed,
        }
    resuming_here = args.resume is not None and out.resolve() == args.resume.parent.resolve()
    if is_main_process():  # rank 0 alone owns the output folder
        claim_output_folder(
            out, () if resuming_here else OUTPUT_FILES, overwrite=bool(args.overwrite)
        )
    data = load_data(settings)
    run_ = make_run(config, data, settings, seed, data_parallel=replicated)
    if state is not None:
        run_.load_state_dict(state["run"])
    main = is_main_process()  # rank 0 (or the only process) prints and writes
    meta = {
        **meta,
        "command": command_line(getattr(args, "argv", None)),
        "environment": environment(),
        "kernel_backend": kernel_backend(run_.model),
        "dataset": {"name": data.name, "train": len(data.y_train), "test": len(data.y_test)},
    }
    label = meta.get("algorithm") or type(config).__name__
    if main:
        out.mkdir(parents=True, exist_ok=True)
        save_config(config, out / "config.json")
        procs = f" x {run_.world_size} processes" if run_.world_size > 1 else ""
        print(
            f"{label} on {meta.get('device') or 'config file'}: {data.name} "
            f"({len(data.y_train)} train / {len(data.y_test)} test), {settings.model}, "
            f"lr {settings.lr}, batch {settings.batch_size}{procs}, seed {seed}"
        )
        for m in run_.history.epochs:
            print(_epoch_line(m) + "  (from checkpoint)")

    def on_epoch(r: Any, m: Any) -> None:
        if main:
            print(_epoch_line(m), flush=True)
            save_checkpoint(out / "checkpoint.pt", r, meta)

    quiet = args.quiet or not main
    t0 = time.perf_counter()
    try:
        history = run_.fit(
            settings.epochs,
            desc=label,
            stream=None if quiet else sys.stderr,
            on_epoch=on_epoch,
        )
    except KeyboardInterrupt:
        if not main:
            raise
        if run_.history.epochs:
            _write_metrics(out, run_.history, _record(meta, t0))
            info(
                f"interrupted after epoch {len(run_.history.epochs)}: {out}/metrics.json "
                f"holds the epochs so far; continue with: analogtrain train --resume "
                f"{shlex.quote(str(out / 'checkpoint.pt'))} --epochs {settings.epochs}"
            )
        else:
            info("interrupted before the first epoch ended; nothing saved")
        raise
    if not main:
        return 0
    _write_metrics(out, history, _record(meta, t0))
    _plot(out, history, f"{label}: {data.name}, {settings.model}")
    print(
        f"final test accuracy {history.final_test_accuracy:.2f}%, best "
        f"{history.best_test_accuracy:.2f}%, {history.seconds:.1f} s"
    )
    info(f"wrote {out}/checkpoint.pt, metrics.csv, metrics.json, config.json, learning_curve.png")
    return 0


def _epoch_line(m: Any) -> str:
    return (
        f"epoch {m.epoch:3d}: train loss {m.train_loss:.4f} acc {m.train_accuracy:6.2f}% | "
        f"test loss {m.test_loss:.4f} acc {m.test_accuracy:6.2f}% | {m.seconds:.1f} s"
    )
