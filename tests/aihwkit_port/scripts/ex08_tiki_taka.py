"""Port check of aihwkit example 08: Tiki-Taka with two soft-bounds devices.

Transfer compound (fast device of range 0.3, slow device of range 0.6), a transfer every
2 updates, 6-bit inputs; 300 SGD steps on the example-01 task.
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch.nn.functional import mse_loss

from analogtrain.aihwkit.nn import AnalogLinear
from analogtrain.aihwkit.optim import AnalogSGD
from analogtrain.aihwkit.simulator.configs import UnitCellRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import SoftBoundsDevice, TransferCompound

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
inputs = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
targets = torch.tensor([[1.0, 0.5], [0.7, 0.3]])

config = UnitCellRPUConfig(
    device=TransferCompound(
        unit_cell_devices=[
            SoftBoundsDevice(w_min=-0.3, w_max=0.3),
            SoftBoundsDevice(w_min=-0.6, w_max=0.6),
        ],
        units_in_mbatch=True,
        transfer_every=2,
        n_reads_per_transfer=1,
        gamma=0.0,
        scale_transfer_lr=True,
        transfer_lr=1.0,
    )
)
config.forward.inp_res = 1 / 64.0
config.backward = config.forward
config.device.transfer_forward = config.forward
config.device.transfer_update = config.update
model = AnalogLinear(4, 2, bias=True, rpu_config=config)

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
for _step in range(300):
    optimizer.zero_grad()
    loss = mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
print(f"RESULT loss {loss.item():.6f}")
