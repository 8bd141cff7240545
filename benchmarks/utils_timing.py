"""Wall time of the aihwkit-style utilities: device figures of a few presets and device fits.

Prints two tables: seconds per ``plot_device_compact`` / ``plot_device`` call (``--n-steps``
pulses per half cycle, 3 traces, one loop), and seconds, evaluations and fit quality of
``fit_measurements`` on a generated soft-bounds trace of ``--n-pulses`` up and as many down
pulses with read noise 0.01, for each optimiser method::

    python benchmarks/utils_timing.py --n-steps 200 --n-pulses 100
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-steps", type=int, default=200)
    parser.add_argument("--n-pulses", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from analogtrain.aihwkit.utils.fitting import fit_measurements
    from analogtrain.aihwkit.utils.visualization import plot_device, plot_device_compact
    from analogtrain.configs import SoftBoundsDevice
    from analogtrain.presets import (
        CapacitorPresetDevice,
        IdealizedPresetDevice,
        ReRamESPresetDevice,
    )

    torch.set_num_threads(args.threads)  # a benchmark process of its own: set on purpose
    plot_device_compact(SoftBoundsDevice(), n_steps=5, n_traces=1, n_loops=1)  # warm up

    print(f"| device | plot_device_compact s | plot_device s (n_steps={args.n_steps}) |")
    print("| --- | --- | --- |")
    for cls in (IdealizedPresetDevice, ReRamESPresetDevice, CapacitorPresetDevice):
        t0 = time.perf_counter()
        plot_device_compact(cls(), n_steps=args.n_steps, n_traces=3, n_loops=1)
        t1 = time.perf_counter()
        plot_device(cls(), n_steps=args.n_steps, n_traces=3, n_loops=1)
        t2 = time.perf_counter()
        print(f"| {cls.__name__} | {t1 - t0:.2f} | {t2 - t1:.2f} |")

    n = args.n_pulses
    pulses = np.concatenate([np.ones(n), -np.ones(n)])
    w, trace = -0.8, [-0.8]
    for p in pulses[:-1]:  # soft bounds, dw_min 0.02, up_down -0.1, w_max 0.9, w_min -1
        w = w + 0.02 * 0.9 * (1 - w / 0.9) if p > 0 else w - 0.02 * (1 - w / -1.0)
        trace.append(w)
    measured = np.array(trace) + 0.01 * np.random.default_rng(0).standard_normal(len(trace))
    params = {
        "dw_min": (0.01, 0.001, 0.1),
        "up_down": (0.0, -0.9, 0.9),
        "w_max": (1.0, 0.2, 2.0),
        "w_min": -1.0,
    }
    print()
    print(f"| method | s | evaluations | rmse | dw_min | up_down | w_max | ({2 * n} points) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for method in ("least_squares", "powell", "nelder"):
        t0 = time.perf_counter()
        result, _, _ = fit_measurements(params, pulses, measured, SoftBoundsDevice(), method=method)
        elapsed = time.perf_counter() - t0
        v = result.params.valuesdict()
        print(
            f"| {method} | {elapsed:.2f} | {result.nfev} | {result.rmse:.4f} | "
            f"{v['dw_min']:.4f} | {v['up_down']:.3f} | {v['w_max']:.3f} | |"
        )


if __name__ == "__main__":
    main()
