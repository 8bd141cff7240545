"""Port check of aihwkit example 03: a 784-256-128-10 analog MLP on MNIST-shaped data.

Random 28x28 "images" labelled by a fixed random linear teacher (nothing downloaded);
constant-step devices, batches of 64, two epochs of 8 batches. Prints the mean training
loss of the last epoch.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch import nn

from analogtrain.aihwkit.nn import AnalogLinear, AnalogSequential
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import ConstantStepDevice

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
data_gen = torch.Generator().manual_seed(1000)
images = torch.rand(512, 784, generator=data_gen)
teacher = torch.randn(784, 10, generator=data_gen)
labels = ((images - 0.5) @ teacher).argmax(dim=1)

torch.manual_seed(seed)
config = SingleRPUConfig(device=ConstantStepDevice())
model = AnalogSequential(
    AnalogLinear(784, 256, bias=True, rpu_config=config),
    nn.Sigmoid(),
    AnalogLinear(256, 128, bias=True, rpu_config=config),
    nn.Sigmoid(),
    AnalogLinear(128, 10, bias=True, rpu_config=config),
    nn.LogSoftmax(dim=1),
)
optimizer = AnalogSGD(model.parameters(), lr=0.05)
optimizer.regroup_param_groups(model)
criterion = nn.NLLLoss()
for epoch in range(2):
    total = 0.0
    for batch in range(8):
        x, y = images[batch * 64 : (batch + 1) * 64], labels[batch * 64 : (batch + 1) * 64]
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: mean training loss {total / 8:.4f}")
print(f"RESULT loss {total / 8:.6f}")
