"""Time of the CPU pulse-train kernel (``bit_masks``, serial and parallel) on LeNet-5's first
convolution update shape (batch 8: 4608 samples, 25 columns, 16 rows), per train length.

Prints one markdown row per ``BL`` (median of ``--repeats`` calls, ms). In LeNet-5 with
``build_config(alg, SoftBoundsReferenceDevice)`` almost every sample has ``BL = 1`` (sgd) or
``BL <= 5`` (c-ttv2); 31 is the default ``desired_bl``::

    python benchmarks/pulse_trains.py --lengths 1,2,4,8,16,31 --repeats 20
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="1,2,4,8,16,31")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--samples", type=int, default=4608)
    args = parser.parse_args(argv)

    import numpy as np

    from analogtrain.kernels.update.cpu import numba_kernels as k

    gen = np.random.default_rng(0)
    m, n_in, n_out = args.samples, 25, 16
    x = gen.random((m, n_in))
    d = gen.random((m, n_out)) * 0.5
    ones = np.ones(m)
    print("| BL | serial ms | parallel ms | fired / expected (columns) |")
    print("| --- | --- | --- | --- |")
    for length in (int(v) for v in args.lengths.split(",")):
        bl = np.full(m, length, dtype=np.int64)
        n_words = (length + 63) // 64
        cols = np.empty((m, n_in, n_words), np.uint64)
        rows = np.empty((m, n_out, n_words), np.uint64)
        row = [f"{length}"]
        for fn in (k.bit_masks_serial, k.bit_masks):
            call = (x, d, ones, ones, bl, np.uint64(1), np.uint64(2), cols, rows)
            fn(*call)  # compile / load
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                fn(*call)
                times.append(time.perf_counter() - t0)
            row.append(f"{statistics.median(times) * 1e3:.2f}")
        fired = sum(bin(int(w)).count("1") for w in cols[:200].reshape(-1))
        row.append(f"{fired / (x[:200].sum() * length):.3f}")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
