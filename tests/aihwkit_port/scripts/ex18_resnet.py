"""Port check of aihwkit example 18: a residual network converted to analog.

The example's ResNet (a stem convolution, stages of residual blocks whose first block
downsamples through a 1 x 1 skip convolution, average pooling and a linear classifier; He et
al. 2016, https://arxiv.org/abs/1512.03385) reduced to one block per stage and a channel base
of 4, defined digitally and converted with ``convert_to_analog`` to the Tiki-Taka EcRAM preset
with ``weight_scaling_omega = 0.6``. Three SGD steps of 8 CIFAR-shaped random images
(3 x 32 x 32, random labels out of 10) at lr 0.1; the result is the mean training loss of the
steps (chance level, ln 10 = 2.303, give or take the initial spread).
"""

# ruff: noqa: I001 (kept in the order of the aihwkit example)

import sys

import torch
import torch.nn.functional as F
from torch import nn

from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.nn.conversion import convert_to_analog
from analogtrain.aihwkit.simulator.presets import TikiTakaEcRamPreset
from analogtrain.aihwkit.simulator.configs import MappingParameter

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
N_CLASSES, BATCH, STEPS = 10, 8, 3


class Block(nn.Module):
    """Two 3 x 3 convolutions with batch norms and a skip connection (a 1 x 1 convolution
    when the block changes the shape)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=stride)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(c_out)
        reshape = stride != 1 or c_in != c_out
        self.skip = nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride) if reshape else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


base = 4
channels = (base, 2 * base, 4 * base)
digital = nn.Sequential(
    nn.Sequential(nn.Conv2d(3, channels[0], 3, padding=1), nn.BatchNorm2d(channels[0]), nn.ReLU()),
    nn.Sequential(Block(channels[0], channels[0])),
    nn.Sequential(Block(channels[0], channels[1], stride=2)),
    nn.Sequential(Block(channels[1], channels[2], stride=2)),
    nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(channels[2], N_CLASSES)),
)
model = convert_to_analog(
    digital, TikiTakaEcRamPreset(mapping=MappingParameter(weight_scaling_omega=0.6))
)

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
criterion = nn.CrossEntropyLoss()
images = torch.randn(STEPS, BATCH, 3, 32, 32)
labels = torch.randint(0, N_CLASSES, (STEPS, BATCH))

model.train()
total = 0.0
for step in range(STEPS):
    optimizer.zero_grad()
    loss = criterion(model(images[step]), labels[step])
    loss.backward()
    optimizer.step()
    total += loss.item()
print(f"RESULT loss {total / STEPS:.6f}")
