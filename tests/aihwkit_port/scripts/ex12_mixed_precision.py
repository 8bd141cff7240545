"""Port check of aihwkit example 12: mixed precision (digital gradient accumulation).

A mixed-precision compound over a soft-bounds device, the preset periphery; 100 SGD steps on
the example-01 task.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch.nn.functional import mse_loss

from analogtrain.aihwkit.nn import AnalogLinear
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import DigitalRankUpdateRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import MixedPrecisionCompound, SoftBoundsDevice

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
inputs = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
targets = torch.tensor([[1.0, 0.5], [0.7, 0.3]])

config = DigitalRankUpdateRPUConfig(device=MixedPrecisionCompound(device=SoftBoundsDevice()))
model = AnalogLinear(4, 2, bias=True, rpu_config=config)

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
for _step in range(100):
    optimizer.zero_grad()
    loss = mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
print(f"RESULT loss {loss.item():.6f}")
