"""Every ``build_config`` algorithm name on the digits MLP: a table of test accuracies.

Trains the digits MLP of ``examples/01_simple_digits_mlp.py`` (64-64-10, sigmoid, batch 8,
``AnalogSGD(lr=0.1)``, 10 epochs; same initialisation and data order for every run) with the
configuration of each name in ``analogtrain.configs.ALGORITHMS`` (aliases included, so e.g.
``tt`` and ``tiki-taka`` give identical numbers) on one device, plus a floating-point
baseline. ``analogtrain compare`` is the command-line version with plots.

    python examples/06_compare_algorithms.py --seed 1
    python examples/06_compare_algorithms.py --device SoftBoundsReference --epochs 3
"""

from __future__ import annotations

import argparse
import time

import torch

from analogtrain.configs import ALGORITHMS, FloatingPointRPUConfig, build_config
from analogtrain.presets import get_device
from analogtrain.training import TrainingRun, build_model, load_dataset


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="All build_config algorithms on digits")
    parser.add_argument("--device", default="ConstantStep")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--activation", default="sigmoid", choices=["sigmoid", "tanh"])
    parser.add_argument("--limit", type=int, default=None, help="first N samples only")
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    data = load_dataset("digits")
    if args.limit is not None:
        data = data.subset(args.limit, args.limit)
    names = [a for a in args.algorithms.split(",") if a] + ["floating point"]
    results = {}
    print(f"{'algorithm':<16} {'test accuracy (%)':>18} {'time (s)':>9}")
    for name in names:
        if name == "floating point":
            config = FloatingPointRPUConfig()
        else:
            config = build_config(name, get_device(args.device), construction_seed=args.seed)
        torch.manual_seed(args.seed)
        model = build_model(
            "mlp",
            data.image_shape,
            data.n_classes,
            config,
            hidden=(args.hidden,),
            activation=args.activation,
        )
        run = TrainingRun(model, data, lr=args.lr, batch_size=args.batch_size, seed=args.seed)
        start = time.perf_counter()
        history = run.fit(args.epochs, stream=None)
        results[name] = history.final_test_accuracy
        print(f"{name:<16} {results[name]:18.2f} {time.perf_counter() - start:9.1f}", flush=True)
    return results


if __name__ == "__main__":
    main()
