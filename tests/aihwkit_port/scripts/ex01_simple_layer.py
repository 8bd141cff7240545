"""Port check of aihwkit example 01: one analog layer learns a fixed 4 -> 2 map.

Constant-step devices, default IO, plain analog SGD, 100 steps on the same two samples.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch.nn.functional import mse_loss

from analogtrain.aihwkit.nn import AnalogLinear
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import ConstantStepDevice
from analogtrain.aihwkit.simulator.rpu_base import cuda

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
inputs = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
targets = torch.tensor([[1.0, 0.5], [0.7, 0.3]])

model = AnalogLinear(4, 2, bias=True, rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
if cuda.is_compiled():
    inputs, targets, model = inputs.cuda(), targets.cuda(), model.cuda()

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
for _step in range(100):
    optimizer.zero_grad()
    loss = mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
print(f"RESULT loss {loss.item():.6f}")
