"""Time one training step of an analog layer, in analogtrain or in aihwkit (same API).

One step = forward, backward, optimizer step (with the pulsed update). Two loads:

* ``light``: MSE against random targets; the output gradients are tiny and almost no pulse
  fires, so the time is the forward/backward MVM with its non-idealities;
* ``train``: loss ``(layer(x) * G).sum()`` with a fixed ``G = 0.05 * randn``, so the output
  gradients have the size real training produces and the update carries a realistic number
  of coincidences.

Prints one JSON line: median and quartiles of the step time in ms and the process's peak RSS.
Run one configuration per process so that the peak memory belongs to it alone::

    python benchmarks/step_time.py --impl analogtrain --algorithm c-ttv2 --load train
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time


def build(impl: str, algorithm: str, size: int, conv: bool):
    if impl == "aihwkit":
        from aihwkit.nn import AnalogConv2d, AnalogLinear
        from aihwkit.optim import AnalogSGD
        from aihwkit.simulator.configs import SoftBoundsReferenceDevice, build_config
    else:
        from analogtrain.configs import SoftBoundsReferenceDevice, build_config
        from analogtrain.nn import AnalogConv2d, AnalogLinear
        from analogtrain.optim import AnalogSGD
    config = build_config(algorithm, SoftBoundsReferenceDevice)
    if conv:
        layer = AnalogConv2d(16, 32, kernel_size=3, padding=1, bias=False, rpu_config=config)
    else:
        layer = AnalogLinear(size, size, bias=False, rpu_config=config)
    return layer, AnalogSGD(layer.parameters(), lr=0.01)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=["analogtrain", "aihwkit"], default="analogtrain")
    parser.add_argument("--algorithm", default="sgd")
    parser.add_argument("--load", choices=["light", "train"], default="train")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--conv", action="store_true", help="one AnalogConv2d(16, 32, 3) on 16x16")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    layer, opt = build(args.impl, args.algorithm, args.size, args.conv)
    if args.conv:
        x = torch.rand(args.batch, 16, 16, 16)
        out_shape = (args.batch, 32, 16, 16)
    else:
        x = torch.rand(args.batch, args.size) * 2 - 1
        out_shape = (args.batch, args.size)
    grad_scale = 0.05 * torch.randn(*out_shape)
    target = torch.randn(*out_shape)

    def step() -> None:
        opt.zero_grad()
        y = layer(x)
        if args.load == "light":
            loss = torch.nn.functional.mse_loss(y, target)
        else:
            loss = (y * grad_scale).sum()
        loss.backward()
        opt.step()

    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        step()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    q = statistics.quantiles(times, n=4)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    record = {
        "impl": args.impl,
        "algorithm": args.algorithm,
        "load": args.load,
        "size": "conv" if args.conv else args.size,
        "batch": args.batch,
        "median_ms": statistics.median(times),
        "q1_ms": q[0],
        "q3_ms": q[2],
        "peak_rss_mb": peak_mb,
        "steps": args.steps,
    }
    print(json.dumps(record))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
