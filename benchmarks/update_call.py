"""Per-call cost of one pulsed update on the fast CPU path: wall time and Python-level calls.

For each ``m x in -> out`` shape (``--shapes``, default the small MLP's first layer and a
512 layer) a SoftBoundsReferenceDevice array (or ``--device``, ``--dtype``) is updated with
``x = 2 rand(m, in) - 1``, ``d = 0.05 randn(m, out)``, ``lr = 0.01`` through
:func:`analogtrain.kernels.update.pulsed.pulsed_update` under the backend ``"fast"`` (a
decline raises). Prints one markdown row per shape: the median and quartiles of the wall
time per call in microseconds over ``--repeats`` blocks of ``--calls`` calls, and the number
of Python-level function calls one update makes (cProfile, deterministic). The first calls
(numba compile or cache load) are not timed::

    python benchmarks/update_call.py --threads 1
    python benchmarks/update_call.py --shapes 16x64x32 --dtype float64
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time


def _shape(text: str) -> tuple[int, int, int]:
    m, n_in, n_out = (int(v) for v in text.lower().split("x"))
    return m, n_in, n_out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="16x64x32,64x512x512", help="m x in x out, ...")
    parser.add_argument("--device", default="SoftBoundsReferenceDevice")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--calls", type=int, default=0, help="calls per block (0: by size)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the process")
    args = parser.parse_args(argv)

    import torch

    import analogtrain.configs as configs
    from analogtrain.configs.update import UpdateParameters
    from analogtrain.devices import create_device_array
    from analogtrain.kernels import use_backend
    from analogtrain.kernels.update.pulsed import pulsed_update

    torch.set_num_threads(args.threads)  # a benchmark process of its own: set on purpose
    dtype = getattr(torch, args.dtype)
    up = UpdateParameters()
    print("| shape m x in -> out | dtype | threads | median us | q1-q3 us | Python calls |")
    print("| --- | --- | --- | --- | --- | --- |")
    for text in args.shapes.split(","):
        m, n_in, n_out = _shape(text)
        config = getattr(configs, args.device)()
        gen = torch.Generator().manual_seed(1)
        array = create_device_array(config, n_out, n_in, gen, dtype=dtype)
        source = torch.Generator().manual_seed(0)
        x = (torch.rand(m, n_in, generator=source) * 2 - 1).to(dtype)
        d = (0.05 * torch.randn(m, n_out, generator=source)).to(dtype)
        calls = args.calls or max(5, min(2000, 2_000_000 // (m * n_in * n_out)))
        with use_backend("fast"):
            for _ in range(3):
                pulsed_update(array, x, d, 0.01, up, gen)  # compile / load, warm up
            profile = cProfile.Profile()
            profile.enable()
            pulsed_update(array, x, d, 0.01, up, gen)
            profile.disable()
            n_calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
            blocks = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                for _ in range(calls):
                    pulsed_update(array, x, d, 0.01, up, gen)
                blocks.append(1e6 * (time.perf_counter() - start) / calls)
        q = statistics.quantiles(blocks, n=4)
        print(
            f"| {m} x {n_in} -> {n_out} | {args.dtype} | {args.threads} | "
            f"{statistics.median(blocks):.1f} | {q[0]:.1f}-{q[2]:.1f} | {n_calls} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
