"""The ``analogtrain`` command line (also ``python -m analogtrain``).

Subcommands (one module each): ``compare`` (train one network with several algorithms on one
device and compare them), ``train`` (one run with checkpoints), ``device`` (pulse response
of a device model), ``config`` (print or export a built configuration). ``--set`` overrides
are parsed in :mod:`analogtrain.cli.overrides`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from analogtrain import __version__
from analogtrain.errors import AnalogTrainError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from analogtrain.cli import compare, config, device, train

    parser = argparse.ArgumentParser(
        prog="analogtrain",
        description="Simulate training of neural networks on analog (resistive crossbar) hardware.",
    )
    parser.add_argument("--version", action="version", version=f"analogtrain {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (compare, train, device, config):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 2 usage/config error)."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    args.argv = ["analogtrain", *(list(argv) if argv is not None else sys.argv[1:])]
    try:
        return int(args.run(args) or 0)
    except AnalogTrainError as exc:
        print(f"analogtrain {args.command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"analogtrain {args.command}: error: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:  # a file or folder the user named: missing, unreadable, full
        print(f"analogtrain {args.command}: error: {_os_error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"analogtrain {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(text: str) -> str:
    """A message on one line (the lines of a multi-line message joined with "; ")."""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def _os_error_text(exc: OSError) -> str:
    """``"cannot write runs/x/results.json: No space left on device"`` and the like."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    name = exc.filename
    if name is None:
        return reason
    return f"{name}: {reason}"
