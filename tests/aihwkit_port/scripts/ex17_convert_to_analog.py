"""Port check of aihwkit example 17: convert a digital CNN to analog with convert_to_analog.

A small residual-free CNN for 3x32x32 inputs (instead of ResNet-34 on ImageNet); every
convolution and linear layer becomes an analog layer with the same weights. Prints the
relative deviation of the analog output from the digital one on a random batch (due to the
default IO: 7-bit inputs, 9-bit outputs, output noise).
"""

# ruff: noqa: I001 (analogtrain.aihwkit.nn lives on another branch until merged)

import sys

import torch
from torch import nn

from analogtrain.aihwkit.nn.conversion import convert_to_analog
from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
from analogtrain.aihwkit.simulator.configs.devices import ConstantStepDevice

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
digital = nn.Sequential(
    nn.Conv2d(3, 8, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(16, 10),
)
analog = convert_to_analog(digital, SingleRPUConfig(device=ConstantStepDevice()))
x = torch.rand(16, 3, 32, 32)
with torch.no_grad():
    reference = digital(x)
    out = analog.eval()(x)
deviation = ((out - reference).norm() / reference.norm()).item()
print(f"RESULT deviation {deviation:.6f}")
