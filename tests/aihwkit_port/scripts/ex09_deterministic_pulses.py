"""Port check of aihwkit example 09: deterministic (implicit) pulse trains.

Constant-step devices updated with deterministic pulse trains of length up to 10 and update
management; 100 SGD steps on the example-01 task.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch.nn.functional import mse_loss

from analogtrain.aihwkit.nn import AnalogLinear
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import ConstantStepDevice
from analogtrain.aihwkit.simulator.parameters.enums import PulseType

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
inputs = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
targets = torch.tensor([[1.0, 0.5], [0.7, 0.3]])

config = SingleRPUConfig(device=ConstantStepDevice(dw_min=0.01))
config.update.pulse_type = PulseType.DETERMINISTIC_IMPLICIT
config.update.desired_bl = 10
config.update.update_bl_management = True
config.update.update_management = True
model = AnalogLinear(4, 2, bias=True, rpu_config=config)

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
for _step in range(100):
    optimizer.zero_grad()
    loss = mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
print(f"RESULT loss {loss.item():.6f}")
