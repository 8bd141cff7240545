"""Train a small analog MLP on scikit-learn's 8x8 digits.

A 64-64-10 network with sigmoid hidden units whose two layers are ``AnalogLinear`` tiles,
trained with cross-entropy and ``AnalogSGD``: the forward and backward passes are noisy
analog matrix-vector products and each optimizer step writes the weights with stochastic
pulse trains (by default ``build_config("sgd", ConstantStepDevice)``). Prints the test
accuracy after every epoch.

    python examples/01_simple_digits_mlp.py --epochs 10 --seed 1
    python examples/01_simple_digits_mlp.py --algorithm c-ttv2 --device SoftBoundsReferenceDevice

Needs scikit-learn (``pip install 'analogtrain[data]'``).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from analogtrain import configs
from analogtrain.data import load_digits
from analogtrain.nn import AnalogLinear, AnalogSequential
from analogtrain.optim import AnalogSGD


def build_model(rpu_config: configs.SingleRPUConfig) -> AnalogSequential:
    """64 -> 64 (sigmoid) -> 10 logits, both layers analog."""
    return AnalogSequential(
        AnalogLinear(64, 64, rpu_config=rpu_config),
        nn.Sigmoid(),
        AnalogLinear(64, 10, rpu_config=rpu_config),
    )


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correctly classified samples (eval mode)."""
    model.eval()
    correct = (model(x).argmax(dim=1) == y).sum().item()
    model.train()
    return correct / len(y)


def main(argv: list[str] | None = None) -> list[float]:
    parser = argparse.ArgumentParser(description="Analog MLP on the 8x8 digits")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--algorithm", default="sgd", help="build_config algorithm name")
    parser.add_argument("--device", default="ConstantStepDevice", help="device config class")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(argv)

    device_cls = getattr(configs, args.device, None)
    if not isinstance(device_cls, type):
        parser.error(f"--device {args.device!r} is not a device config class")
    torch.manual_seed(args.seed)
    data = load_digits(seed=args.seed)
    rpu_config = configs.build_config(args.algorithm, device_cls)
    model = build_model(rpu_config)
    optimizer = AnalogSGD(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)

    accuracies = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(data.y_train), generator=gen)
        total = 0.0
        for batch in order.split(args.batch_size):
            optimizer.zero_grad()
            loss = loss_fn(model(data.x_train[batch]), data.y_train[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        acc = accuracy(model, data.x_test, data.y_test)
        accuracies.append(acc)
        print(
            f"epoch {epoch:2d}  train loss {total / len(order):.4f}  "
            f"test accuracy {100 * acc:.2f}%  ({time.perf_counter() - start:.1f} s)"
        )
    return accuracies


if __name__ == "__main__":
    main()
