"""The training cases of the data-parallel tests, run in spawned ranks and in one process.

Each case builds a small model from a fixed seed, cuts a global batch of ``WORLD * M`` rows
into rank-order slices, and trains; ``run_case(..., world=1)`` is the one-process reference
with the whole global batch. Results are plain dicts of CPU tensors (saved with torch.save).

The models use ReLU and a mean-squared-error loss: every per-row operation is then exact
arithmetic, so a row computes the same bits in a batch of ``M`` and of ``2·M``. (PyTorch's
CPU kernels of transcendental functions, e.g. sigmoid or the exp of a softmax, take a
vectorised or a scalar path depending on where an element falls in the tensor, so their last
bit can depend on the batch size; pulsed updates mostly absorb that, the continuous ``chi`` of
mixed precision shows it.)
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from analogtrain.configs import ConstantStepDevice, IOParameters, MappingParameter, build_config
from analogtrain.distributed import AnalogDataParallel, ReplicaDivergenceError
from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential, AnalogTileModule
from analogtrain.optim import AnalogSGD

ALGORITHMS = ("sgd", "mp", "tt", "ttv2", "c-ttv2", "agad")
WORLD = 2
M = 4  # rows per rank and step
STEPS_BEFORE_CHECKPOINT = 3
STEPS_AFTER_CHECKPOINT = 2
N_SEEDS = 40  # independent runs per mode for the in-distribution comparison
NOISY_STEPS = 2


def config(algorithm: str, *, perfect: bool) -> Any:
    """``algorithm`` on a ConstantStep device (default device noise), analog bias column;
    MVMs exact (``is_perfect``) or with the default IO noise."""
    io = IOParameters(is_perfect=True) if perfect else IOParameters()
    return build_config(
        algorithm,
        ConstantStepDevice,
        io_parameters=io,
        mapping=MappingParameter(digital_bias=False),
    )


def mlp(cfg: Any) -> nn.Module:
    return AnalogSequential(
        AnalogLinear(6, 5, bias=True, rpu_config=cfg),
        nn.ReLU(),
        AnalogLinear(5, 3, bias=True, rpu_config=cfg),
    )


def conv_net(cfg: Any) -> nn.Module:
    return AnalogSequential(
        AnalogConv2d(2, 3, kernel_size=2, bias=True, rpu_config=cfg),
        nn.ReLU(),
        nn.Flatten(),
        AnalogLinear(3 * 3 * 3, 3, bias=True, rpu_config=cfg),
    )


def digital_net(_: Any) -> nn.Module:
    """Analog layers with digital biases plus a digital layer (the DDP-averaged part)."""
    cfg = build_config("sgd", ConstantStepDevice, io_parameters=IOParameters(is_perfect=True))
    return AnalogSequential(
        AnalogLinear(6, 5, bias=True, rpu_config=cfg), nn.ReLU(), nn.Linear(5, 3)
    )


def batches(kind: str, n_steps: int, seed: int = 7) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n_steps`` global batches of ``WORLD * M`` samples (inputs, regression targets)."""
    g = torch.Generator().manual_seed(seed)
    shape = (2, 4, 4) if kind == "conv" else (6,)
    out = []
    for _ in range(n_steps):
        x = torch.rand(WORLD * M, *shape, generator=g) * 2 - 1
        y = torch.rand(WORLD * M, 3, generator=g) * 2 - 1
        out.append((x, y))
    return out


def train(model: nn.Module, opt: AnalogSGD, data: list, rank: int, world: int) -> None:
    for x, y in data:
        rows = slice(rank * M, (rank + 1) * M) if world > 1 else slice(None)
        opt.zero_grad()
        F.mse_loss(model(x[rows]), y[rows]).backward()
        opt.step()


def tile_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every tile's weights and hidden parameters, and the whole state_dict's tensors."""
    out: dict[str, torch.Tensor] = {}
    for name, m in model.named_modules():
        if isinstance(m, AnalogTileModule):
            out[f"{name}.weights"] = m.tile.get_weights().cpu()
            for key, value in m.get_hidden_parameters().items():
                out[f"{name}.hidden.{key}"] = value.detach().cpu().clone()
    for key, value in model.state_dict().items():
        if isinstance(value, torch.Tensor):
            out[f"state.{key}"] = value.detach().cpu().clone()
    return out


def build(kind: str, algorithm: str, perfect: bool, seed: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    cfg = config(algorithm, perfect=perfect)
    return {"mlp": mlp, "conv": conv_net, "digital": digital_net}[kind](cfg)


def run_case(
    kind: str, algorithm: str, *, rank: int, world: int, ckpt: Path | None = None
) -> dict[str, Any]:
    """Train ``STEPS_BEFORE_CHECKPOINT`` steps, save a checkpoint (rank 0), train
    ``STEPS_AFTER_CHECKPOINT`` more; returns the final tile state."""
    model = build(kind, algorithm, perfect=True)
    net = AnalogDataParallel(model, check_every=1) if world > 1 else model
    opt = AnalogSGD(net.parameters(), lr=0.5)
    data = batches(kind, STEPS_BEFORE_CHECKPOINT + STEPS_AFTER_CHECKPOINT)
    train(net, opt, data[:STEPS_BEFORE_CHECKPOINT], rank, world)
    if ckpt is not None and rank == 0:
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, ckpt)
    train(net, opt, data[STEPS_BEFORE_CHECKPOINT:], rank, world)
    return tile_state(model)


def resume_case(kind: str, algorithm: str, ckpt: Path) -> dict[str, Any]:
    """One process: load the checkpoint into a model built from another seed, continue with
    the global batches."""
    model = build(kind, algorithm, perfect=True, seed=99)
    opt = AnalogSGD(model.parameters(), lr=0.5)
    state = torch.load(ckpt, weights_only=True)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    data = batches(kind, STEPS_BEFORE_CHECKPOINT + STEPS_AFTER_CHECKPOINT)
    train(model, opt, data[STEPS_BEFORE_CHECKPOINT:], 0, 1)
    return tile_state(model)


def noisy_weight_changes(algorithm: str, *, rank: int, world: int) -> torch.Tensor:
    """``[N_SEEDS, n_weights]``: the change of every tile weight after ``NOISY_STEPS`` steps
    with the default noisy MVMs, one row per seed (model and data seed)."""
    rows = []
    for seed in range(N_SEEDS):
        model = build("mlp", algorithm, perfect=False, seed=1000 + seed)
        before = torch.cat([t.flatten() for k, t in tile_state(model).items() if "weights" in k])
        net = AnalogDataParallel(model) if world > 1 else model
        opt = AnalogSGD(net.parameters(), lr=0.5)
        train(net, opt, batches("mlp", NOISY_STEPS, seed=seed), rank, world)
        after = torch.cat([t.flatten() for k, t in tile_state(model).items() if "weights" in k])
        rows.append(after - before)
        if world > 1:
            net.unwrap()
    return torch.stack(rows)


def mvm_noise(rank: int, world: int, *, wrapped: bool) -> dict[str, torch.Tensor]:
    """Forward and backward MVM outputs of one noisy tile for the same inputs on every rank
    (``wrapped``: under AnalogDataParallel; else the bare, identically seeded model)."""
    torch.manual_seed(5)
    cfg = build_config("sgd", ConstantStepDevice)
    layer = AnalogLinear(16, 16, bias=False, rpu_config=cfg)
    net = AnalogDataParallel(layer) if wrapped else layer
    g = torch.Generator().manual_seed(11)
    x = (torch.rand(256, 16, generator=g) * 2 - 1).requires_grad_(True)
    d = torch.rand(256, 16, generator=g) * 2 - 1
    y = net(x)
    y.backward(d)
    w = layer.analog_module.tile.get_weights()
    layer.analog_module.analog_ctx.reset()  # no update: only the MVMs are of interest
    out = {"y": y.detach(), "y_exact": x.detach() @ w.T, "gx": x.grad.detach(), "gx_exact": d @ w}
    if wrapped:
        net.unwrap()
    return out


def expect_raise(fn: Callable[[], Any], error: type[BaseException]) -> str:
    try:
        fn()
    except error as exc:  # the message is checked by the test
        return str(exc)
    return "no error"


def error_cases(rank: int, world: int) -> dict[str, str]:
    out: dict[str, str] = {}
    # replicas built from different seeds are refused; broadcasting rank 0's state fixes it
    torch.manual_seed(100 + rank)
    model = mlp(config("sgd", perfect=True))
    out["init_check"] = expect_raise(lambda: AnalogDataParallel(model), ReplicaDivergenceError)
    net = AnalogDataParallel(model, init_sync="broadcast")
    net.check_replicas()
    out["broadcast"] = "identical"
    net.unwrap()
    # a change on one rank only is caught by the next due check, on every rank alike
    net = AnalogDataParallel(model, check_every=2)
    opt = AnalogSGD(net.parameters(), lr=0.5)
    data = batches("mlp", 3)
    train(net, opt, data[:1], rank, world)
    if rank == 1:
        first = model[0].analog_module
        first.set_weights(first.get_weights()[0] * 0.5, first.get_weights()[1])
    out["drift_check"] = expect_raise(lambda: net.check_replicas(), ReplicaDivergenceError)
    out["drift_in_update"] = expect_raise(
        lambda: train(net, opt, data[1:2], rank, world), ReplicaDivergenceError
    )
    net.unwrap()
    # plain DDP around an analog model
    torch.manual_seed(0)
    ddp = nn.parallel.DistributedDataParallel(mlp(config("sgd", perfect=True)))
    out["ddp"] = expect_raise(lambda: ddp(torch.zeros(2, 6)), Exception)
    return out


def cli_case(out_dir: str) -> dict[str, Any]:
    """``analogtrain train`` on every rank of the group (as under torchrun)."""
    from analogtrain.cli import main

    buf = io.StringIO()
    args = ["train", "-a", "sgd", "-d", "ConstantStep", "--limit", "32", "--batch-size", "4",
            "--epochs", "1", "--quiet", "--out", str(Path(out_dir) / "cli")]  # fmt: skip
    with contextlib.redirect_stdout(buf):
        rc = main(args)
    return {"rc": rc, "stdout": buf.getvalue()}


def worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    """The spawned rank: every case, results to ``out_dir/rank{rank}.pt``."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)  # fmt: skip
    try:
        start = time.perf_counter()
        out: dict[str, Any] = {"cases": {}, "noisy": {}}
        for algorithm in ALGORITHMS:
            ckpt = Path(out_dir) / f"{algorithm}.ckpt"
            out["cases"][("mlp", algorithm)] = run_case(
                "mlp", algorithm, rank=rank, world=world, ckpt=ckpt
            )
        out["cases"][("conv", "sgd")] = run_case(
            "conv", "sgd", rank=rank, world=world, ckpt=Path(out_dir) / "conv.ckpt"
        )
        out["cases"][("digital", "sgd")] = run_case("digital", "sgd", rank=rank, world=world)
        for algorithm in ("sgd", "tt"):
            out["noisy"][algorithm] = noisy_weight_changes(algorithm, rank=rank, world=world)
        out["mvm"] = mvm_noise(rank, world, wrapped=True)
        out["mvm_bare"] = mvm_noise(rank, world, wrapped=False)
        out["errors"] = error_cases(rank, world)
        out["cli"] = cli_case(out_dir)
        out["seconds"] = time.perf_counter() - start
        torch.save(out, Path(out_dir) / f"rank{rank}.pt")
        dist.barrier()  # both ranks done before either tears the group down
    finally:
        dist.destroy_process_group()
