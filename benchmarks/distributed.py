"""Data-parallel analog training (:mod:`analogtrain.distributed`): steps/s of 1 and 2
processes and the share of the step spent exchanging update pairs.

Cases: ``layer512`` = one ``AnalogLinear(N, N, bias=False)`` (``--sizes``, default 512)
under the "train" load of ``benchmarks/step_time.py`` (loss ``(layer(x) * G).sum()``,
``G = 0.05 randn``, ``AnalogSGD(lr=0.01)``: realistic pulse counts); ``mlp`` = 64-32-10
(sigmoid, cross-entropy, ``lr=0.1``) as in ``benchmarks/small_mlp.py``; both
``build_config("sgd", SoftBoundsReferenceDevice)``. ``--batches`` are per process, so 2
processes train on twice the global batch per step; the loss is multiplied by the number of
processes so that every row's ``d`` after the averaging, hence its pulse count, is the same
as in one process.
Every process runs 1 torch thread (numba too); gloo over loopback.

Columns: processes; batch per process; median ms per step; steps/s; samples/s (global);
forward + backward ms; ``optimizer.step()`` ms (the pulsed update of the *global* batch,
which every replica performs in full, plus the exchange); exchange ms per step (host time
inside the all-gathers, waiting for the other rank included); its share of the step; bytes
received per rank per step.

    python benchmarks/distributed.py                       # both cases, batch 64, 1 and 2
    python benchmarks/distributed.py --cases layer512 --batches 16,64,256 --sizes 128,512
    python benchmarks/distributed.py --comm --batches 16,64,256 --sizes 128,512,2048
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from typing import Any


def _build(case: str, size: int, batch: int, world: int) -> tuple[Any, Any, Any]:
    import torch

    from analogtrain.configs import SoftBoundsReferenceDevice, build_config
    from analogtrain.nn import AnalogLinear, AnalogSequential

    torch.manual_seed(0)
    config = build_config("sgd", SoftBoundsReferenceDevice)
    g = torch.Generator().manual_seed(1)
    if case == "layer512":
        model = AnalogLinear(size, size, bias=False, rpu_config=config)
        x = torch.rand(batch, size, generator=g) * 2 - 1
        grad = 0.05 * torch.randn(batch, size, generator=g)

        def loss_fn(out: Any) -> Any:  # d = grad for every row (after the averaging)
            return (out * grad).sum() * world

    else:
        model = AnalogSequential(
            AnalogLinear(64, 32, rpu_config=config),
            torch.nn.Sigmoid(),
            AnalogLinear(32, 10, rpu_config=config),
        )
        x = torch.rand(batch, 64, generator=g)
        y = torch.randint(0, 10, (batch,), generator=g)

        def loss_fn(out: Any) -> Any:  # rows' d as in one process with batch ``batch``
            return torch.nn.functional.cross_entropy(out, y) * world

    return model, x, loss_fn


def _measure(rank: int, world: int, init: str, job: dict[str, Any], result: str) -> None:
    os.environ["NUMBA_NUM_THREADS"] = "1"
    import torch
    import torch.distributed as dist

    from analogtrain.optim import AnalogSGD

    torch.set_num_threads(1)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    try:
        model, x, loss_fn = _build(job["case"], job["size"], job["batch"], world)
        net = model
        if world > 1:
            from analogtrain.distributed import AnalogDataParallel

            net = AnalogDataParallel(model)
        opt = AnalogSGD(net.parameters(), lr=0.01 if job["case"] == "layer512" else 0.1)
        times, passes, exchange = [], [], []
        for k in range(job["warmup"] + job["steps"]):
            if world > 1:
                dist.barrier()  # start every step together: the exchange time is then skew
                net.exchange_stats.reset()
            start = time.perf_counter()
            opt.zero_grad()
            loss_fn(net(x)).backward()
            middle = time.perf_counter()
            opt.step()
            elapsed = time.perf_counter() - start
            if k >= job["warmup"]:
                times.append(elapsed)
                passes.append(middle - start)
                exchange.append(net.exchange_stats.seconds if world > 1 else 0.0)
                received = net.exchange_stats.bytes * (world - 1) / world if world > 1 else 0
        if rank == 0:
            with open(result, "w", encoding="utf-8") as fh:
                medians = [statistics.median(v) for v in (times, passes, exchange)]
                json.dump([*medians, received], fh)
        if world > 1:
            dist.barrier()  # both ranks done before either tears the group down
    finally:
        if world > 1:
            dist.destroy_process_group()


def _comm(rank: int, world: int, init: str, jobs: list[dict[str, Any]], result: str) -> None:
    """The exchange alone: the two all-gathers of one update call, both ranks ready."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    try:
        rows = []
        for job in jobs:
            header = torch.zeros(5, dtype=torch.int64)
            pairs = torch.rand(job["batch"], 2 * job["size"])
            out_h = [torch.empty_like(header) for _ in range(world)]
            out_p = [torch.empty_like(pairs) for _ in range(world)]
            times = []
            for k in range(job["reps"] + 5):
                dist.barrier()
                start = time.perf_counter()
                dist.all_gather(out_h, header)
                dist.all_gather(out_p, pairs)
                if k >= 5:
                    times.append(time.perf_counter() - start)
            rows.append([job["size"], job["batch"], statistics.median(times)])
        if rank == 0:
            with open(result, "w", encoding="utf-8") as fh:
                json.dump(rows, fh)
    finally:
        dist.destroy_process_group()


def run_comm(jobs: list[dict[str, Any]], world: int) -> list[list[float]]:
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        init, result = os.path.join(tmp, "rdzv"), os.path.join(tmp, "result")
        mp.spawn(_comm, args=(world, init, jobs, result), nprocs=world, join=True)
        with open(result, encoding="utf-8") as fh:
            return json.load(fh)


def run_job(job: dict[str, Any], world: int) -> tuple[float, float, float, float]:
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        init, result = os.path.join(tmp, "rdzv"), os.path.join(tmp, "result")
        # one process is spawned too, so that both counts run under the same conditions
        mp.spawn(_measure, args=(world, init, job, result), nprocs=world, join=True)
        with open(result, encoding="utf-8") as fh:
            step, passes, exchange, received = json.load(fh)
            return step, passes, exchange, received


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="layer512,mlp")
    parser.add_argument("--batches", default="64")
    parser.add_argument("--sizes", default="512", help="layer sizes of the layer512 case")
    parser.add_argument("--worlds", default="1,2")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--comm",
        action="store_true",
        help="instead: time the exchange of one tile's update call alone (2 processes, "
        "--sizes x --batches, median of 50)",
    )
    args = parser.parse_args(argv)
    os.environ["NUMBA_NUM_THREADS"] = "1"
    if args.comm:
        sizes = [int(v) for v in args.sizes.split(",")]
        batches = [int(v) for v in args.batches.split(",")]
        jobs = [{"size": n, "batch": m, "reps": 50} for n in sizes for m in batches]
        print("| tile | batch/process | KiB sent/rank | exchange ms (2 all-gathers) | MB/s |")
        print("| --- | --- | --- | --- | --- |")
        for size, batch, seconds in run_comm(jobs, 2):
            kib = batch * 2 * size * 4 / 1024
            print(f"| {size}x{size} | {batch} | {kib:.0f} | {1e3 * seconds:.3f} | "
                  f"{kib * 1.024e-3 / seconds:.0f} |")  # fmt: skip
        return

    print("| case | processes | batch/process | ms/step | steps/s | samples/s | fwd+bwd ms "
          "| step() ms | exchange ms | exchange share | KiB received/rank/step |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for case in args.cases.split(","):
        sizes = [int(s) for s in args.sizes.split(",")] if case == "layer512" else [64]
        for size in sizes:
            for batch in (int(b) for b in args.batches.split(",")):
                for world in (int(w) for w in args.worlds.split(",")):
                    job = {"case": case, "size": size, "batch": batch, "steps": args.steps,
                           "warmup": args.warmup}  # fmt: skip
                    step, passes, exch, received = run_job(job, world)
                    name = f"linear {size}x{size}" if case == "layer512" else "mlp 64-32-10"
                    print(
                        f"| {name} | {world} | {batch} | {1e3 * step:.2f} | {1 / step:.1f} | "
                        f"{world * batch / step:.0f} | {1e3 * passes:.2f} | "
                        f"{1e3 * (step - passes):.2f} | {1e3 * exch:.2f} | "
                        f"{100 * exch / step:.0f}% | {received / 1024:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
