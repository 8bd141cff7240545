"""Training steps per second of one large analog layer on a CUDA GPU, next to digital.

One ``AnalogLinear(N, N, bias=False)`` (default ``N = 4096``), batch 256, ``AnalogSGD(lr=0.01)``,
``build_config(alg, SoftBoundsReferenceDevice)`` for every algorithm, and a digital
``nn.Linear`` with ``torch.optim.SGD`` as the baseline. The loads are those of
``compare_aihwkit.py``: ``light`` (MSE against random targets: few pulses) and ``train``
(loss ``(y * G).sum()`` with ``G = 0.05 randn``: a realistic number of coincidences).

Every configuration is timed in the same process, one after the other: ``--warmup`` steps
(Triton compiles its kernels in the first), then ``--steps`` timed steps, each bracketed by
``torch.cuda.synchronize()``; the table gives the median. A configuration whose first step
takes longer than ``--slow`` seconds is timed on one more step only, and no configuration
starts after ``--deadline`` seconds, so the script ends in bounded time. It also counts the
calls of the Triton update and how many of them fell back to the reference path.

    python benchmarks/gpu_steps.py --json gpu_steps.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback

ALGORITHMS = ("sgd", "mp", "tt", "ttv2", "c-ttv2", "agad")


def _counting_fast_path():
    """Wrap the Triton update's entry to count calls and fallbacks (diagnostic only)."""
    from analogtrain.kernels.update.cuda import fast_update as fast_cuda

    counts = {"calls": 0, "fallbacks": 0}
    original = fast_cuda._run

    def counted(*args, **kwargs):
        done = original(*args, **kwargs)
        counts["calls"] += 1
        counts["fallbacks"] += 0 if done else 1
        return done

    fast_cuda._run = counted
    return counts


def _build(algorithm: str, size: int, device):
    import torch

    if algorithm == "digital":
        layer = torch.nn.Linear(size, size, bias=False).to(device)
        return layer, torch.optim.SGD(layer.parameters(), lr=0.01)
    from analogtrain.configs import SoftBoundsReferenceDevice, build_config
    from analogtrain.nn import AnalogLinear
    from analogtrain.optim import AnalogSGD

    config = build_config(algorithm, SoftBoundsReferenceDevice)
    layer = AnalogLinear(size, size, bias=False, rpu_config=config).to(device)
    return layer, AnalogSGD(layer.parameters(), lr=0.01)


def _time_config(algorithm: str, load: str, args, counts) -> dict:
    import torch

    device = torch.device("cuda")
    torch.manual_seed(0)
    torch.cuda.reset_peak_memory_stats()
    layer, opt = _build(algorithm, args.size, device)
    x = torch.rand(args.batch, args.size, device=device) * 2 - 1
    grad_scale = 0.05 * torch.randn(args.batch, args.size, device=device)
    target = torch.randn(args.batch, args.size, device=device)

    def step() -> float:
        torch.cuda.synchronize()
        start = time.perf_counter()
        opt.zero_grad()
        y = layer(x)
        if load == "light":
            loss = torch.nn.functional.mse_loss(y, target)
        else:
            loss = (y * grad_scale).sum()
        loss.backward()
        opt.step()
        torch.cuda.synchronize()
        return time.perf_counter() - start

    counts["calls"] = counts["fallbacks"] = 0
    first = [step() for _ in range(max(1, args.warmup))]
    n_steps = 1 if first[-1] > args.slow else args.steps
    times = [step() for _ in range(n_steps)]
    weight = next(iter(layer.parameters()))
    if algorithm != "digital":
        weight = layer.get_weights()[0]
    median = statistics.median(times)
    return {
        "algorithm": algorithm,
        "load": load,
        "size": args.size,
        "batch": args.batch,
        "first_step_s": first[0],
        "steps": n_steps,
        "ms_median": 1000 * median,
        "steps_per_s": 1.0 / median,
        "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20,
        "triton_calls": counts["calls"],
        "triton_fallbacks": counts["fallbacks"],
        "weights_finite": bool(torch.isfinite(weight).all()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--algorithms", default=",".join(("digital",) + ALGORITHMS))
    parser.add_argument("--loads", default="light,train")
    parser.add_argument("--slow", type=float, default=3.0, help="seconds; see the docstring")
    parser.add_argument("--deadline", type=float, default=420.0, help="seconds for all configs")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: this benchmark needs a GPU", file=sys.stderr)
        return 2
    counts = _counting_fast_path()
    print(f"# {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    start = time.perf_counter()
    rows = []
    for load in args.loads.split(","):
        for algorithm in args.algorithms.split(","):
            if time.perf_counter() - start > args.deadline:
                rows.append({"algorithm": algorithm, "load": load, "error": "deadline"})
                continue
            try:
                row = _time_config(algorithm, load, args, counts)
            except Exception as exc:  # a benchmark reports and carries on
                traceback.print_exc()
                row = {"algorithm": algorithm, "load": load, "error": repr(exc)[:300]}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.json:
                with open(args.json, "w") as fh:
                    json.dump(rows, fh, indent=1)
            torch.cuda.empty_cache()
    digital = {r["load"]: r for r in rows if r["algorithm"] == "digital" and "error" not in r}
    print(f"\n{args.size}x{args.size}, batch {args.batch}, median of timed steps")
    print(f"{'algorithm':10s} {'load':6s} {'ms/step':>10s} {'steps/s':>9s} {'x digital':>10s} "
          f"{'GPU MiB':>8s} {'triton':>8s}")  # fmt: skip
    for r in rows:
        if "error" in r:
            print(f"{r['algorithm']:10s} {r['load']:6s} error: {r['error']}")
            continue
        base = digital.get(r["load"])
        ratio = r["ms_median"] / base["ms_median"] if base else float("nan")
        calls = f"{r['triton_calls'] - r['triton_fallbacks']}/{r['triton_calls']}"
        print(
            f"{r['algorithm']:10s} {r['load']:6s} {r['ms_median']:10.2f} "
            f"{r['steps_per_s']:9.1f} {ratio:10.1f} {r['peak_gpu_mib']:8.0f} {calls:>8s}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
