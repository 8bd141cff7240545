"""One analog layer trained with Tiki-taka: watch the fast array A and the slow array C.

A 4 -> 3 ``AnalogLinear`` layer learns a fixed linear map from noisy examples with
``build_config("tiki-taka", SoftBoundsDevice)``. The gradient pulses go to the fast array A
(``hidden_weights_0``); every mini-batch one column of A is read and added to the slow array
C (``hidden_weights_1``), which is the weight the layer uses. Prints, every few steps, the
loss, the size of A and how far C is from the target.

    python examples/02_tiki_taka_layer.py --steps 300
"""

from __future__ import annotations

import argparse

import torch

from analogtrain.configs import SoftBoundsDevice, build_config
from analogtrain.nn import AnalogLinear
from analogtrain.optim import AnalogSGD


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description="Tiki-taka on one analog layer")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    target = torch.tensor([[0.3, -0.2, 0.1, 0.0], [-0.1, 0.25, 0.0, 0.2], [0.0, 0.1, -0.3, 0.15]])
    config = build_config("tiki-taka", SoftBoundsDevice(dw_min=0.002), construction_seed=args.seed)
    layer = AnalogLinear(4, 3, bias=False, rpu_config=config)
    opt = AnalogSGD(layer.parameters(), lr=args.lr)

    print(f"{'step':>5} {'loss':>9} {'max|A|':>8} {'|C - target|':>13}")
    for step in range(1, args.steps + 1):
        x = torch.rand(8, 4) * 2 - 1  # [batch, in]
        y = x @ target.T + 0.01 * torch.randn(8, 3)  # [batch, out]
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), y)
        loss.backward()
        opt.step()
        if step % max(args.steps // 10, 1) == 0 or step == args.steps:
            hidden = next(layer.analog_tiles()).get_hidden_parameters()
            fast, slow = hidden["hidden_weights_0"], hidden["hidden_weights_1"]
            error = float((slow - target).norm())
            print(f"{step:5d} {loss.item():9.5f} {float(fast.abs().max()):8.4f} {error:13.4f}")
    weights = layer.get_weights()[0]
    print("learned weight (= C):")
    print(weights)
    return float((weights - target).norm())


if __name__ == "__main__":
    main()
