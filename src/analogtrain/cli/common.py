"""Helpers shared by the subcommands: names to configs, options, output folders."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from analogtrain.cli.overrides import apply_overrides
from analogtrain.errors import ArgumentError

__all__ = [
    "ALGORITHM_CHOICES",
    "add_set_option",
    "build_rpu_config",
    "check_input_file",
    "resolve_device",
    "write_json",
]

#: Algorithms of ``compare`` by default, in display order.
ALGORITHM_CHOICES: tuple[str, ...] = ("sgd", "mp", "tt", "ttv2", "c-ttv2", "agad")


def add_set_option(
    parser: argparse.ArgumentParser, what: str, example: str = "forward.out_noise=0.02"
) -> None:
    """``--set PATH=VALUE`` (repeatable); ``example`` is shown in the help (and run by the
    tests, so it must be valid for the subcommand)."""
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=f"override a field of {what} (repeatable), e.g. {example}; "
        "paths and value types are checked",
    )


def resolve_device(name: str) -> Any:
    """A device config from a class or preset name, a JSON config file, or ``module:Class``
    (a user-defined device: the module is imported, which defines and registers it)."""
    if ":" in name and not name.endswith(".json"):
        return _user_device(name)
    if name.endswith(".json") or os.sep in name:
        path = Path(name)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "not found"
            raise ArgumentError(f"device file {what}: {path}")
        from analogtrain.configs import load_config

        device = load_config(path)
        if not _is_device_model(device):
            raise ArgumentError(
                f"{path} holds a {type(device).__name__}, not a device model: give a device "
                "name or a device JSON file here (a whole RPU config goes to "
                "'analogtrain train --config FILE')"
            )
        return device
    from analogtrain.presets import get_device

    return get_device(name)


def _user_device(name: str) -> Any:
    """``module:Class`` -> ``Class()`` after importing ``module`` (a dotted module name)."""
    import importlib

    module_name, _, class_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ArgumentError(
            f"device {name!r}: cannot import module {module_name!r}: {exc}"
        ) from exc
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ArgumentError(f"device {name!r}: {module_name} has no class {class_name!r}")
    return cls()


def _is_device_model(obj: Any) -> bool:
    """Whether ``obj`` is a device configuration (a single device or a compound)."""
    from analogtrain.configs.compounds import DigitalRankUpdateCell, UnitCell
    from analogtrain.configs.devices import FloatingPointDevice, IdealDevice, PulsedDevice

    return isinstance(
        obj, (PulsedDevice, IdealDevice, FloatingPointDevice, UnitCell, DigitalRankUpdateCell)
    )


def check_input_file(path: str | Path, what: str) -> Path:
    """``path`` as a Path if it is an existing file, else ArgumentError naming ``what``."""
    p = Path(path)
    if not p.exists():
        raise ArgumentError(f"{what} not found: {p}")
    if not p.is_file():
        raise ArgumentError(f"{what} is not a file: {p}")
    return p


def build_rpu_config(
    algorithm: str | None,
    device: str | None,
    sets: list[str],
    *,
    config_file: str | None = None,
    construction_seed: int = 0,
    device_sets: list[str] | None = None,
) -> Any:
    """The RPU config of ``algorithm`` around ``device`` (or read from ``config_file``),
    with ``device_sets`` applied to the device model and ``sets`` to the whole config."""
    from analogtrain.configs import build_config, load_config

    if config_file is not None:
        if algorithm is not None or device is not None:
            raise ArgumentError("give either --config FILE or --algorithm/--device, not both")
        config = load_config(check_input_file(config_file, "config file"))
    else:
        if algorithm is None or device is None:
            raise ArgumentError("give --algorithm and --device (or --config FILE)")
        dev = resolve_device(device)
        if device_sets:
            apply_overrides(dev, device_sets, validate=False)
        config = build_config(algorithm, dev, construction_seed=construction_seed)
    apply_overrides(config, sets)
    return config


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def info(message: str) -> None:
    """A status line on stderr (results go to stdout)."""
    print(message, file=sys.stderr, flush=True)
