"""Per-step time of a small analog MLP, where per-call overhead rather than arithmetic
decides: 64-32-10 (sigmoid), batch 16, cross-entropy, ``AnalogSGD(lr=0.1)``, with
``build_config(alg, SoftBoundsReferenceDevice)``, in analogtrain or in aihwkit (same API).

Prints one line per algorithm: the mean ms per step over ``--steps`` steps after
``--warmup`` steps. For aihwkit run it with the reference virtualenv's python::

    python benchmarks/small_mlp.py --algorithms sgd,c-ttv2
    ~/.cache/aihwkit-reference/bin/python benchmarks/small_mlp.py --impl aihwkit
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=["analogtrain", "aihwkit"], default="analogtrain")
    parser.add_argument("--algorithms", default="sgd,c-ttv2")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--serial-small-ops",
        action="store_true",
        help="analogtrain: opt in to one torch thread for small tensor blocks",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also print CPU time (time.process_time) per step: steadier on a shared machine",
    )
    args = parser.parse_args(argv)

    import torch

    if args.impl == "aihwkit":
        from aihwkit.nn import AnalogLinear, AnalogSequential
        from aihwkit.optim import AnalogSGD
        from aihwkit.simulator.configs import SoftBoundsReferenceDevice, build_config
    else:
        from analogtrain.configs import SoftBoundsReferenceDevice, build_config
        from analogtrain.nn import AnalogLinear, AnalogSequential
        from analogtrain.optim import AnalogSGD

    torch.set_num_threads(args.threads)
    if args.serial_small_ops:
        from analogtrain.kernels.io_threads import serial_small_ops

        serial_small_ops().__enter__()  # for the whole run (a script: nothing to restore)
    for algorithm in args.algorithms.split(","):
        torch.manual_seed(0)
        config = build_config(algorithm, SoftBoundsReferenceDevice)
        model = AnalogSequential(
            AnalogLinear(64, 32, rpu_config=config),
            torch.nn.Sigmoid(),
            AnalogLinear(32, 10, rpu_config=config),
        )
        opt = AnalogSGD(model.parameters(), lr=0.1)
        x, y = torch.rand(16, 64), torch.randint(0, 10, (16,))

        for k in range(args.warmup + args.steps):
            if k == args.warmup:
                start = time.perf_counter()
                cpu_start = time.process_time()
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        ms = 1000 * (time.perf_counter() - start) / args.steps
        cpu_ms = 1000 * (time.process_time() - cpu_start) / args.steps
        cpu = f" ({cpu_ms:.2f} ms CPU/step)" if args.cpu else ""
        print(f"{args.impl} {algorithm} {ms:.2f} ms/step{cpu}", flush=True)


if __name__ == "__main__":
    main()
