"""Where a training step's time goes: cProfile of the small MLP (``small_mlp.py``'s network,
batch 16) and of aihwkit's LeNet-5 example (``lenet.py``'s network, batch 8), per algorithm,
split into compiled kernels (numba), torch operations and Python-level code.

A function's own time (cProfile ``tottime``) is *compiled* when it is a numba kernel (the
generated rule modules, ``fast_cpu_kernels.py``), *torch* when it is a built-in torch function
or tensor method, and *Python* otherwise (the library's and torch's Python code, the
interpreter). Profiling inflates the Python share (every Python call is instrumented), so the
split is an upper bound on Python; the call counts are exact. Prints one markdown row per
(network, algorithm)::

    python benchmarks/profile_step.py --steps 20
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import torch

from analogtrain.configs import SoftBoundsReferenceDevice, build_config
from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from analogtrain.optim import AnalogSGD

ALGORITHMS = ["sgd", "mp", "tt", "ttv2", "c-ttv2", "agad"]


def _mlp(config):
    return AnalogSequential(
        AnalogLinear(64, 32, rpu_config=config),
        torch.nn.Sigmoid(),
        AnalogLinear(32, 10, rpu_config=config),
    ), torch.rand(16, 64), 0.1


def _lenet(config):
    nn = torch.nn
    model = AnalogSequential(
        AnalogConv2d(1, 16, kernel_size=5, rpu_config=config), nn.Tanh(), nn.MaxPool2d(2),
        AnalogConv2d(16, 32, kernel_size=5, rpu_config=config), nn.Tanh(), nn.MaxPool2d(2),
        nn.Flatten(),
        AnalogLinear(512, 128, rpu_config=config), nn.Tanh(),
        AnalogLinear(128, 10, rpu_config=config),
    )  # fmt: skip
    return model, torch.rand(8, 1, 28, 28), 0.01


def _kind(filename: str, name: str) -> str:
    if "analogtrain_generated" in filename or "numba_" in filename or filename.endswith(
        "fast_cpu_kernels.py"
    ):
        return "compiled"
    if filename == "~" and ("torch" in name or "Tensor" in name):
        return "torch"
    return "python"


def profile(build, algorithm: str, steps: int) -> dict[str, float]:
    torch.manual_seed(0)
    model, x, lr = build(build_config(algorithm, SoftBoundsReferenceDevice))
    y = torch.randint(0, 10, (x.shape[0],))
    opt = AnalogSGD(model.parameters(), lr=lr)

    def step() -> None:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    plain_ms = 1e3 * (time.perf_counter() - start) / steps
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    totals = {"compiled": 0.0, "torch": 0.0, "python": 0.0}
    calls = 0
    for (filename, _, name), (_, ncalls, tottime, _, _) in pstats.Stats(prof).stats.items():
        totals[_kind(filename, name)] += tottime
        calls += ncalls
    whole = sum(totals.values()) or 1.0
    return {
        "ms": plain_ms,
        "calls": calls / steps,
        **{k: 100 * v / whole for k, v in totals.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--networks", default="mlp,lenet")
    args = parser.parse_args()
    torch.set_num_threads(2)
    print("| network | algorithm | ms/step (unprofiled) | function calls/step | compiled % | "
          "torch ops % | Python % |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    builds = {"mlp": _mlp, "lenet": _lenet}
    for net in args.networks.split(","):
        for alg in args.algorithms.split(","):
            r = profile(builds[net], alg, args.steps)
            print(f"| {net} | {alg} | {r['ms']:.1f} | {r['calls']:.0f} | {r['compiled']:.0f} | "
                  f"{r['torch']:.0f} | {r['python']:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
