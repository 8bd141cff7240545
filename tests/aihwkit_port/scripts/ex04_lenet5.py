"""Port check of aihwkit example 04: LeNet-5 with analog convolutions on MNIST-shaped data.

Random 1x28x28 images labelled by a fixed random teacher (nothing downloaded), two analog
convolutions and two analog linear layers with constant-step devices; one epoch of 6 batches
of 32. Prints the mean training loss of the epoch.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch import nn

from analogtrain.aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import ConstantStepDevice

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
data_gen = torch.Generator().manual_seed(1001)
images = torch.rand(192, 1, 28, 28, generator=data_gen)
teacher = torch.randn(784, 10, generator=data_gen)
labels = ((images.reshape(192, -1) - 0.5) @ teacher).argmax(dim=1)

torch.manual_seed(seed)
config = SingleRPUConfig(device=ConstantStepDevice())
model = AnalogSequential(
    AnalogConv2d(1, 16, kernel_size=5, stride=1, rpu_config=config),
    nn.Tanh(),
    nn.MaxPool2d(kernel_size=2),
    AnalogConv2d(16, 32, kernel_size=5, stride=1, rpu_config=config),
    nn.Tanh(),
    nn.MaxPool2d(kernel_size=2),
    nn.Tanh(),
    nn.Flatten(),
    AnalogLinear(512, 128, rpu_config=config),
    nn.Tanh(),
    AnalogLinear(128, 10, rpu_config=config),
    nn.LogSoftmax(dim=1),
)
optimizer = AnalogSGD(model.parameters(), lr=0.01)
optimizer.regroup_param_groups(model)
criterion = nn.NLLLoss()
total = 0.0
for batch in range(6):
    x, y = images[batch * 32 : (batch + 1) * 32], labels[batch * 32 : (batch + 1) * 32]
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total += loss.item()
print(f"RESULT loss {total / 6:.6f}")
