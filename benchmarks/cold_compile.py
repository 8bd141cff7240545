"""Wall and CPU time of the first numba compilation: of the first fast (numba) update of one
device model, or (``--job``) of the kernel warm-up of the main job, ``analogtrain compare``
(a short run: one seed, one epoch, two mini-batches, no tuning, in a temporary folder; the
warm-up compiles what the full job uses and prints its own ``kernel warm-up`` line). For a
cold measurement point ``NUMBA_CACHE_DIR`` and ``ANALOGTRAIN_CACHE_DIR`` at empty folders::

    NUMBA_CACHE_DIR=/tmp/nb ANALOGTRAIN_CACHE_DIR=/tmp/kc python benchmarks/cold_compile.py
    NUMBA_CACHE_DIR=/tmp/nb2 ANALOGTRAIN_CACHE_DIR=/tmp/kc2 python benchmarks/cold_compile.py --job

``--profile`` adds the compile time of each numba function (its own, without the functions it
compiled on the way), from numba's ``"numba:compile"`` events.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from typing import Any


def first_update() -> None:
    import torch

    from analogtrain.configs import SoftBoundsReferenceDevice, UpdateParameters
    from analogtrain.devices import create_device_array
    from analogtrain.kernels import use_backend
    from analogtrain.kernels.update.pulsed import pulsed_update

    array = create_device_array(SoftBoundsReferenceDevice(), 8, 8, torch.Generator().manual_seed(0))
    with use_backend("fast"):
        x, d = torch.rand(4, 8), torch.rand(4, 8)
        pulsed_update(array, x, d, 0.1, UpdateParameters(), torch.Generator())


def job_warm_up() -> None:
    from analogtrain.cli import main as cli

    with tempfile.TemporaryDirectory() as out:
        args = ["compare", "--no-tune", "--epochs", "1", "--max-batches", "2", "--seeds", "1"]
        status = cli([*args, "--limit", "64", "--out", out, "--overwrite"])
    if status:
        raise SystemExit(status)


class _CompileTimes:
    """Seconds of each numba compilation, less those of the compilations nested in it."""

    def __init__(self) -> None:
        from numba.core import event

        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        stack: list[list[float]] = []
        times = self

        class Listener(event.Listener):  # type: ignore[misc]
            def on_start(self, ev: Any) -> None:
                stack.append([time.perf_counter(), 0.0])

            def on_end(self, ev: Any) -> None:
                start, nested = stack.pop()
                seconds = time.perf_counter() - start
                func = getattr(ev.data.get("dispatcher"), "py_func", None)
                module = getattr(func, "__module__", "?").rsplit(".", 1)[-1]
                name = f"{module}.{getattr(func, '__qualname__', '?')}"
                times.own[name] += seconds - nested
                times.calls[name] += 1
                if stack:
                    stack[-1][1] += seconds

        self.listener = Listener()

    def report(self) -> None:
        total = sum(self.own.values())
        print(f"numba compile events: {total:.1f} s (own time per function, largest first)")
        for name, seconds in sorted(self.own.items(), key=lambda kv: -kv[1]):
            if seconds >= 0.05:
                print(f"  {seconds:5.2f} s  {self.calls[name]:2d}x  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", action="store_true", help="the warm-up of analogtrain compare")
    parser.add_argument("--profile", action="store_true", help="compile time per function")
    args = parser.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    times = None
    if args.profile:
        from numba.core import event

        times = _CompileTimes()
        event.register("numba:compile", times.listener)
    if args.job:
        job_warm_up()
    else:
        first_update()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    what = "compare job (warm-up and the short run)" if args.job else "first update"
    print(f"{what}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    if times is not None:
        times.report()


if __name__ == "__main__":
    main()
