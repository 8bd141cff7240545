"""Port check of aihwkit example 07: three constant-step devices per cross-point.

A vector unit cell whose devices differ in range and variation; one device, drawn at random,
gets each update. 100 SGD steps on the example-01 task.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch.nn.functional import mse_loss

from analogtrain.aihwkit.nn import AnalogLinear
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import UnitCellRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import ConstantStepDevice, VectorUnitCell
from analogtrain.aihwkit.simulator.configs.utils import VectorUnitCellUpdatePolicy

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
inputs = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
targets = torch.tensor([[1.0, 0.5], [0.7, 0.3]])

config = UnitCellRPUConfig()
config.device = VectorUnitCell(
    unit_cell_devices=[
        ConstantStepDevice(w_max=0.4),
        ConstantStepDevice(w_max_dtod=0.3),
        ConstantStepDevice(up_down_dtod=0.05),
    ]
)
config.device.update_policy = VectorUnitCellUpdatePolicy.SINGLE_RANDOM
model = AnalogLinear(4, 2, bias=True, rpu_config=config)

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
for _step in range(100):
    optimizer.zero_grad()
    loss = mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
print(f"RESULT loss {loss.item():.6f}")
