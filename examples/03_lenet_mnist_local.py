"""LeNet-5 with analog convolutions on MNIST (or Fashion-MNIST) read from local files.

Nothing is downloaded: give the folder holding the four IDX files of the MNIST
distribution (``train-images-idx3-ubyte.gz`` etc., gzipped or not) or an ``.npz`` file with
``x_train, y_train, x_test, y_test``. ``--synthetic`` trains on a tiny generated 28x28 set
instead, so the script can be smoke-tested anywhere.

    python examples/03_lenet_mnist_local.py --data ~/data/mnist --epochs 2 --algorithm c-ttv2
    python examples/03_lenet_mnist_local.py --synthetic --epochs 1

LeNet on the full MNIST is slow on a CPU (the update work of a convolution scales with the
number of output pixels); use ``--limit`` to train on the first N samples.
"""

from __future__ import annotations

import argparse

import torch

from analogtrain.configs import build_config
from analogtrain.presets import get_device
from analogtrain.training import TrainingRun, build_model, load_dataset, synthetic_dataset


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description="Analog LeNet-5 on local MNIST files")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="MNIST / Fashion-MNIST folder of IDX files or .npz")
    source.add_argument("--synthetic", action="store_true", help="tiny generated data set")
    parser.add_argument("--algorithm", default="sgd")
    parser.add_argument("--device", default="ConstantStep")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--limit", type=int, default=None, help="use the first N samples")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    if args.synthetic:
        data = synthetic_dataset(n_train=32, n_test=32, image_size=28, seed=args.seed)
    else:
        data = load_dataset(None, args.data)
    if args.limit is not None:
        data = data.subset(args.limit, args.limit)
    config = build_config(args.algorithm, get_device(args.device), construction_seed=args.seed)
    torch.manual_seed(args.seed)
    model = build_model("lenet", data.image_shape, data.n_classes, config)
    print(model)
    run = TrainingRun(model, data, lr=args.lr, batch_size=args.batch_size, seed=args.seed)
    history = run.fit(args.epochs, desc=f"lenet {args.algorithm}")
    for m in history.epochs:
        print(
            f"epoch {m.epoch}: train loss {m.train_loss:.4f}, test accuracy "
            f"{m.test_accuracy:.2f}% ({m.seconds:.1f} s)"
        )
    return history.final_test_accuracy


if __name__ == "__main__":
    main()
