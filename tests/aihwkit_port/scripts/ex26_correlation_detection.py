"""Port check of aihwkit example 26: correlation detection with a transfer tile.

A 5 x 5 tile of soft-bounds reference devices (device-to-device spread of the bounds, the
symmetry point subtracted) trained with chopped Tiki-Taka (TTv2) through
``rpu_config.tile_class = TorchTransferTile``, one rank-one update per step. The inputs ``x``
and errors ``d = 0.4 x + 0.6 n`` are correlated element by element, so the update
``W <- W - lr d x^T`` drives the diagonal negative while the off-diagonal weights average out.
300 updates; the result is the separation ``-mean(diag W) - mean(|off-diag W|)``.
"""

# ruff: noqa: I001 (kept in the order of the aihwkit example)

import sys

import torch

from analogtrain.aihwkit.simulator.configs import (
    ChoppedTransferCompound,
    SoftBoundsReferenceDevice,
    build_config,
)
from analogtrain.aihwkit.simulator.presets import StandardIOParameters
from analogtrain.aihwkit.simulator.tiles.transfer import TorchTransferTile

torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
n, steps, alpha = 5, 300, 0.4

device = SoftBoundsReferenceDevice(
    dw_min=0.1,
    w_min=-1.0,
    w_max=1.0,
    w_min_dtod=0.3,
    w_max_dtod=0.3,
    up_down=0.0,
    up_down_dtod=0.0,
    dw_min_dtod=0.0,
    dw_min_std=0.0,
    slope_up_dtod=0.0,
    slope_down_dtod=0.0,
    enforce_consistency=True,
    dw_min_dtod_log_normal=True,
    mult_noise=False,
    subtract_symmetry_point=True,
)
config = build_config("ttv2", device, StandardIOParameters, construction_seed=123)
assert isinstance(config.device, ChoppedTransferCompound)
config.device.transfer_every = 1
config.device.auto_granularity = 200
config.device.auto_scale = True
config.device.in_chop_random = False
config.tile_class = TorchTransferTile

tile = config.tile_class(n, n, config)
tile.set_weights(0.001 * torch.randn(n, n))
tile.set_learning_rate(0.1)

x_values = torch.randn(steps, n)
d_values = alpha * x_values + (1 - alpha) * torch.randn(steps, n)
for i in range(steps):
    tile.update(x_values[i][None, :], d_values[i][None, :])

weights = tile.get_weights()[0]
on_diagonal = torch.eye(n, dtype=torch.bool)
separation = -weights[on_diagonal].mean() - weights[~on_diagonal].abs().mean()
print(f"RESULT separation {separation.item():.6f}")
