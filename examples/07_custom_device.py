"""A device model analogtrain does not ship (a sigmoid step), trained on the compiled path."""

from dataclasses import dataclass

import torch

from analogtrain import configs, devices, kernels, nn, optim
from analogtrain.devices.rule import maximum, sigmoid, where


@devices.pulse_rule
def sigmoid_step(w, down, xi, max_bound, min_bound, dwmin_up, dwmin_down, steepness, dw_min_std):
    u = (w - min_bound) / maximum(max_bound - min_bound, 1e-9) - 0.5  # centred position
    step = where(down, -dwmin_down * sigmoid(steepness * u), dwmin_up * sigmoid(-steepness * u))
    return w + 2.0 * step * (1.0 + dw_min_std * xi)


@devices.pulsed_device(sigmoid_step)
@dataclass
class SigmoidStepDevice(configs.PulsedDevice):
    steepness: float = 6.0  # how sharply the step fades near the bounds


def main(steps: int = 300) -> float:
    torch.manual_seed(0)
    target, x = 0.3 * torch.randn(4, 8), torch.randn(16, 8)
    layer = nn.AnalogLinear(8, 4, False, rpu_config=configs.build_config("sgd", SigmoidStepDevice))
    opt = optim.AnalogSGD(layer.parameters(), lr=0.1)
    with kernels.use_backend("fast"):  # raises unless every update runs in compiled kernels
        for _ in range(steps):
            opt.zero_grad()
            (loss := ((layer(x) - x @ target.T) ** 2).mean()).backward()
            opt.step()
    print(f"mean squared error {loss.item():.4f} (untrained {(target**2).sum(1).mean():.4f})")
    return loss.item()


if __name__ == "__main__":
    main()
