"""Port check of aihwkit example 11: a VGG8-like analog CNN with weight scaling.

The example's network (first convolution and the classifier digital, the other five
convolutions and the first fully connected layer analog, batch norms after every second
convolution) with a channel base of 4 instead of 48, on CIFAR/SVHN-shaped random images
(3 x 32 x 32) with random labels out of 10: 3 SGD steps of 8 images at lr 0.1 on the
GokmenVlasov preset with ``weight_scaling_omega = 0.6``. The result is the mean training loss
of the steps (chance level, ln 10 = 2.303, give or take the initial spread).
"""

# ruff: noqa: I001 (kept in the order of the aihwkit example)

import sys

import torch
from torch import nn

from analogtrain.aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.presets import GokmenVlasovPreset

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
N_CLASSES, BATCH, STEPS = 10, 8, 3

config = GokmenVlasovPreset()
config.mapping.weight_scaling_omega = 0.6


def conv(c_in: int, c_out: int) -> AnalogConv2d:
    return AnalogConv2d(c_in, c_out, kernel_size=3, stride=1, padding=1, rpu_config=config)


base = 4
channels = [base, 2 * base, 3 * base]
model = AnalogSequential(
    nn.Conv2d(3, channels[0], kernel_size=3, stride=1, padding=1),
    nn.ReLU(),
    conv(channels[0], channels[0]),
    nn.BatchNorm2d(channels[0]),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2, stride=2),
    conv(channels[0], channels[1]),
    nn.ReLU(),
    conv(channels[1], channels[1]),
    nn.BatchNorm2d(channels[1]),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2, stride=2),
    conv(channels[1], channels[2]),
    nn.ReLU(),
    conv(channels[2], channels[2]),
    nn.BatchNorm2d(channels[2]),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    AnalogLinear(16 * channels[2], 8 * base, rpu_config=config),
    nn.ReLU(),
    nn.Linear(8 * base, N_CLASSES),
    nn.LogSoftmax(dim=1),
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
