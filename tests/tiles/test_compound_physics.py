"""Physics of the transfer algorithms on small tiles (spec compounds 5).

1. The constant-gradient experiment of Rasch et al. (Nat. Commun. 15:7133, 2024, Fig. 3
   analogue): a 4x4 tile is pulled towards a target by the gradient of ``|W - W*|^2 / 2``
   plus Gaussian gradient noise. The fast (gradient-accumulating) device is a soft-bounds
   device whose symmetry point is offset from zero (``SoftBoundsReferenceDevice`` with
   ``reference_mean``); for plain SGD that device holds the weight. SGD and Tiki-taka v1
   settle away from the target (towards the offset symmetry point), chopped TTv2 and AGAD
   converge near it, and AGAD stays close when the offset grows.
2. Tiki-taka v1 beats plain SGD on a small noisy linear regression with a symmetric
   soft-bounds device, whose update asymmetry biases SGD towards zero.

Measured on this reference implementation (seed 1, time average over the second half):
offset 0.6 -> SGD 0.22, TTv1 0.30, c-TTv2 0.07, AGAD 0.01; offset 1.2 -> AGAD 0.01 (mean
absolute deviation from the target). Regression test MSE: SGD 0.016, TTv1 0.002.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ChoppedTransferCompound,
    DynamicTransferCompound,
    IOParameters,
    SingleRPUConfig,
    SoftBoundsDevice,
    SoftBoundsReferenceDevice,
    TransferCompound,
    UnitCellRPUConfig,
    UpdateParameters,
    build_config,
)
from analogtrain.tiles import create_tile

PERFECT = IOParameters(is_perfect=True)
NO_VARIATION = dict(
    dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, dw_min_std=0.0
)


def offset_device(offset: float) -> SoftBoundsReferenceDevice:
    """Soft bounds on ``g`` in [-1, 1]; the stored weight is ``g - offset``, so its symmetry
    point (where up and down steps are equal) lies at ``-offset``."""
    return SoftBoundsReferenceDevice(
        dw_min=0.01, w_max=1.0, w_min=-1.0, reference_mean=offset, **NO_VARIATION
    )


def constant_gradient_config(algorithm: str, offset: float):
    if algorithm == "sgd":
        return SingleRPUConfig(device=offset_device(offset), forward=PERFECT, backward=PERFECT)
    fields = dict(
        unit_cell_devices=[offset_device(offset), offset_device(0.0)],  # only A is offset
        transfer_every=4.0,
        units_in_mbatch=False,
        fast_lr=0.05,
        transfer_lr=0.02,
        scale_transfer_lr=False,
        transfer_forward=PERFECT,
        construction_seed=1,
    )
    if algorithm == "tt":
        compound = TransferCompound(**fields, transfer_update=UpdateParameters(desired_bl=31))
    elif algorithm == "c-ttv2":
        compound = ChoppedTransferCompound(**fields, in_chop_prob=0.2, in_chop_random=False)
    else:
        compound = DynamicTransferCompound(**fields, in_chop_prob=0.2)
    return UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)


def constant_gradient_error(algorithm: str, offset: float, n_vectors: int = 1600) -> float:
    """Mean |time-averaged W - W*| over the second half of the run."""
    size, m = 4, 4
    with torch.random.fork_rng():
        torch.manual_seed(1)
        tile = create_tile(constant_gradient_config(algorithm, offset), size, size)
    tile.set_weights(torch.zeros(size, size))
    gen = torch.Generator().manual_seed(1)
    target = (torch.rand(size, size, generator=gen) - 0.5) * 0.6
    total = torch.zeros(size, size)
    n_calls = n_vectors // m
    for t in range(n_calls):
        x = torch.sign(torch.randn(m, size, generator=gen))  # E[x x^T] = I
        d = x @ (tile.get_weights() - target).T + 0.5 * torch.randn(m, size, generator=gen)
        tile.update(x, d, 0.05)
        if t >= n_calls // 2:
            total += tile.get_weights()
    return ((total / (n_calls - n_calls // 2)) - target).abs().mean().item()


@pytest.mark.slow
def test_constant_gradient_with_offset_symmetry_point() -> None:
    err = {alg: constant_gradient_error(alg, 0.6) for alg in ("sgd", "tt", "c-ttv2", "agad")}
    assert err["sgd"] > 0.15 and err["tt"] > 0.15  # settle towards the offset
    assert err["c-ttv2"] < 0.12  # near the target, though slowed by the offset
    assert err["agad"] < 0.05
    assert err["agad"] < err["c-ttv2"] < min(err["sgd"], err["tt"]) / 2
    # AGAD removes the offset with its running reference: it stays close as it grows
    assert constant_gradient_error("agad", 1.2) < 0.05


def regression_error(algorithm: str, steps: int = 150, m: int = 8) -> float:
    """Test MSE of a 4 -> 3 noisy linear regression trained with analog forward passes."""
    device = SoftBoundsDevice(dw_min=0.01, w_max=1.0, w_min=-1.0, **NO_VARIATION)
    if algorithm == "sgd":
        cfg = SingleRPUConfig(device=device, forward=PERFECT, backward=PERFECT)
    else:
        cfg = build_config("tt", device, io_parameters=PERFECT, construction_seed=1)
        cfg.device.fast_lr = 0.05
        cfg.device.scale_fast_lr = False  # a fixed fast rate
    with torch.random.fork_rng():
        torch.manual_seed(0)
        tile = create_tile(cfg, 3, 4)
    tile.set_weights(torch.zeros(3, 4))
    gen = torch.Generator().manual_seed(0)
    target = torch.rand(3, 4, generator=gen) - 0.5
    for _ in range(steps):
        x = torch.randn(m, 4, generator=gen)
        y = x @ target.T + 0.3 * torch.randn(m, 3, generator=gen)
        tile.update(x, tile.forward_mvm(x) - y, 0.05)
    x_test = torch.randn(500, 4, generator=gen)
    return ((x_test @ (tile.get_weights() - target).T) ** 2).mean().item()


def test_tiki_taka_beats_sgd_on_soft_bounds_regression() -> None:
    sgd, tt = regression_error("sgd"), regression_error("tt")
    assert tt < sgd / 3
