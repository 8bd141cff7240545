"""Time one pulsed update call, reference (torch) path against the fast (numba) path.

A ``--size x --size`` SoftBoundsReferenceDevice array (or ``--device``), one update of a batch
``x = 2 rand(m, size) - 1``, ``d = d_scale randn(m, size)``, ``lr = 0.01``. Prints one JSON
line per path: median and quartiles of the wall time in ms, ``median_cpu_ms`` (the process
CPU time of all threads, a better measure on a loaded machine) and the mean number of pulses
a cross-point receives per call. The first fast call (numba compile or cache load) is not
timed::

    python benchmarks/profile_update.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--d-scale", type=float, default=0.05)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--device", default="SoftBoundsReferenceDevice")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--reference-steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--numba-threads", type=int, default=None, help="default: --threads")
    args = parser.parse_args(argv)

    import numba
    import torch

    import analogtrain.configs as configs
    import analogtrain.kernels.update.cpu.fast_update  # noqa: F401  (registers the fast path)
    from analogtrain.configs.update import UpdateParameters
    from analogtrain.devices import create_device_array
    from analogtrain.kernels import use_reference
    from analogtrain.kernels.update.pulsed import pulsed_update

    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.numba_threads or args.threads)
    torch.manual_seed(0)
    config = getattr(configs, args.device)()
    array = create_device_array(config, args.size, args.size, torch.Generator().manual_seed(1))
    x = torch.rand(args.batch, args.size) * 2 - 1
    d = args.d_scale * torch.randn(args.batch, args.size)
    up = UpdateParameters()
    generator = torch.Generator().manual_seed(2)
    expected = (args.lr * (d.abs().T @ x.abs()) / array.granularity).mean().item()

    def time_calls(n: int) -> tuple[list[float], list[float]]:
        wall, cpu = [], []
        for _ in range(n):
            t0, c0 = time.perf_counter(), time.process_time()
            pulsed_update(array, x, d, args.lr, up, generator)
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        return wall, cpu

    pulsed_update(array, x, d, args.lr, up, generator)  # compile / load the cache
    results = {"fast": time_calls(args.steps)}
    if args.reference_steps > 0:
        with use_reference():
            results["reference"] = time_calls(args.reference_steps)
    for path, (times, cpu) in results.items():
        q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
        record = {
            "path": path,
            "device": args.device,
            "size": args.size,
            "batch": args.batch,
            "d_scale": args.d_scale,
            "threads": args.threads,
            "numba_threads": args.numba_threads or args.threads,
            "pulses_per_crosspoint": round(expected, 3),
            "median_ms": round(statistics.median(times), 2),
            "q1_ms": round(q[0], 2),
            "q3_ms": round(q[2], 2),
            "median_cpu_ms": round(statistics.median(cpu), 2),
        }
        print(json.dumps(record))


if __name__ == "__main__":
    main()
