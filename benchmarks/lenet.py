"""Per-step time of aihwkit's LeNet-5 example network (examples/04) in analogtrain and in
aihwkit 1.1.0, side by side in the same run (like ``compare_aihwkit.py``).

The network: ``AnalogConv2d(1, 16, 5)`` tanh maxpool2, ``AnalogConv2d(16, 32, 5)`` tanh
maxpool2, flatten, ``AnalogLinear(512, 128)`` tanh, ``AnalogLinear(128, 10)``, every layer
with ``build_config(alg, SoftBoundsReferenceDevice)``, ``AnalogSGD(lr=0.01)``,
cross-entropy, on MNIST-shaped random input ``[batch, 1, 28, 28]``. Each (implementation,
algorithm, batch) runs in its own subprocess with 2 torch threads, alternating between the
two implementations; the table gives the median ms per step after ``--warmup`` steps, the
ratio analogtrain/aihwkit and the implied time of a 60,000-image epoch::

    python benchmarks/lenet.py --aihwkit-python ~/.cache/aihwkit-reference/bin/python
    python benchmarks/lenet.py --worker --impl analogtrain --algorithm sgd --batch 8

A worker also reports the median process CPU ms per step (all threads: robust on a shared
machine) and, with ``--count-calls``, the Python function calls per step (cProfile over
``--steps`` further steps, after the timed ones).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ALGORITHMS = ["sgd", "mp", "tt", "ttv2", "c-ttv2", "agad"]
EPOCH_IMAGES = 60_000


def worker(
    impl: str, algorithm: str, batch: int, steps: int, warmup: int, count_calls: bool = False
) -> dict:
    """Time ``steps`` training steps of the network after ``warmup`` steps (wall and process
    CPU ms); with ``count_calls`` also count the Python calls of ``steps`` more steps."""
    import torch

    if impl == "aihwkit":
        from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
        from aihwkit.optim import AnalogSGD
        from aihwkit.simulator.configs import SoftBoundsReferenceDevice, build_config
    else:
        from analogtrain.configs import SoftBoundsReferenceDevice, build_config
        from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential
        from analogtrain.optim import AnalogSGD

    torch.set_num_threads(2)
    torch.manual_seed(0)
    config = build_config(algorithm, SoftBoundsReferenceDevice)
    nn = torch.nn
    model = AnalogSequential(
        AnalogConv2d(1, 16, kernel_size=5, rpu_config=config),
        nn.Tanh(),
        nn.MaxPool2d(kernel_size=2),
        AnalogConv2d(16, 32, kernel_size=5, rpu_config=config),
        nn.Tanh(),
        nn.MaxPool2d(kernel_size=2),
        nn.Flatten(),
        AnalogLinear(512, 128, rpu_config=config),
        nn.Tanh(),
        AnalogLinear(128, 10, rpu_config=config),
    )
    opt = AnalogSGD(model.parameters(), lr=0.01)
    x, y = torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))

    def step() -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    times, cpu = [], []
    for k in range(warmup + steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        if k >= warmup:
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    result = {"median_ms": 1e3 * statistics.median(times),
              "median_cpu_ms": 1e3 * statistics.median(cpu)}  # fmt: skip
    if count_calls:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(steps):
            step()
        profile.disable()
        result["calls_per_step"] = pstats.Stats(profile).total_calls / steps  # type: ignore[attr-defined]
    return result


def run_one(python: str, impl: str, algorithm: str, batch: int, steps: int, warmup: int) -> dict:
    cmd = [python, str(Path(__file__).resolve()), "--worker", "--impl", impl,
           "--algorithm", algorithm, "--batch", str(batch), "--steps", str(steps),
           "--warmup", str(warmup)]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aihwkit-python", default=None)
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--batches", default="8,64")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help="time one configuration")
    parser.add_argument("--impl", choices=["analogtrain", "aihwkit"], default="analogtrain")
    parser.add_argument("--algorithm", default="sgd")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument(
        "--count-calls", action="store_true", help="worker: also count Python calls per step"
    )
    args = parser.parse_args(argv)
    if args.worker:
        result = worker(
            args.impl, args.algorithm, args.batch, args.steps, args.warmup, args.count_calls
        )
        print(json.dumps(result), flush=True)
        return
    print("| batch | algorithm | analogtrain ms | aihwkit ms | ratio | "
          "analogtrain epoch s | aihwkit epoch s |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for batch in (int(b) for b in args.batches.split(",")):
        for alg in args.algorithms.split(","):
            common = (alg, batch, args.steps, args.warmup)
            ours = run_one(sys.executable, "analogtrain", *common)["median_ms"]
            ref = run_one(args.aihwkit_python, "aihwkit", *common)["median_ms"] \
                if args.aihwkit_python else None  # fmt: skip
            epoch = EPOCH_IMAGES / batch / 1e3
            ref_ms = f"{ref:.1f}" if ref else "-"
            ratio = f"{ours / ref:.2f}" if ref else "-"
            ref_epoch = f"{ref * epoch:.0f}" if ref else "-"
            print(f"| {batch} | {alg} | {ours:.1f} | {ref_ms} | {ratio} | {ours * epoch:.0f} | "
                  f"{ref_epoch} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
