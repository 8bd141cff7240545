"""The unit cells that route coincidences themselves (VectorUnitCell with update_policy=ALL,
OneSidedUnitCell) apply them on the compiled CPU kernel, held to the reference backend in
distribution: per cross-point means (5 standard errors) and the pooled spread over runs.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    IOParameters,
    OneSidedUnitCell,
    SoftBoundsReferenceDevice,
    UnitCellRPUConfig,
    VectorUnitCell,
)
from analogtrain.configs.enums import VectorUnitCellUpdatePolicy as Policy
from analogtrain.kernels.update import backend
from analogtrain.kernels.update.cpu.fast_update import numba_available
from analogtrain.tiles import create_tile

PERFECT = IOParameters(is_perfect=True)
pytestmark = pytest.mark.skipif(not numba_available(), reason="the compiled path needs numba")


def noisy() -> SoftBoundsReferenceDevice:  # c2c and write noise draw on both paths
    return SoftBoundsReferenceDevice(dw_min=0.01, dw_min_std=0.3, write_noise_std=0.3)


def cell(name: str):
    if name == "vector-all":
        return VectorUnitCell(unit_cell_devices=[noisy(), noisy()], update_policy=Policy.ALL)
    return OneSidedUnitCell(unit_cell_devices=[noisy(), noisy()])


def run(name: str, seed: int, reference: bool) -> torch.Tensor:
    cfg = UnitCellRPUConfig(device=cell(name), forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        tile = create_tile(cfg, 5, 4)
    gen = torch.Generator().manual_seed(7)
    for _ in range(2):
        x, d = torch.randn(8, 4, generator=gen), torch.randn(8, 5, generator=gen)
        if reference:
            with backend.use_reference():
                tile.update(x, d, 0.05)
        else:
            tile.update(x, d, 0.05)
    hidden = tile.get_hidden_parameters()
    return torch.stack([hidden["hidden_weights_0"], hidden["hidden_weights_1"]]).double()


@pytest.mark.parametrize("name", ["vector-all", "one-sided"])
def test_routed_counts_on_the_compiled_kernel_match_the_reference(name: str) -> None:
    n = 30
    fast = torch.stack([run(name, s, False) for s in range(n)])
    ref = torch.stack([run(name, s, True) for s in range(n)])
    assert not torch.equal(fast, ref)  # another path: other draws of the same distribution
    assert ref.abs().sum() > 0
    se = ((fast.var(dim=0) + ref.var(dim=0)) / n).sqrt()
    diff = (fast.mean(dim=0) - ref.mean(dim=0)).abs()
    assert bool((diff <= 5 * se + 1e-9).all()), float((diff / (se + 1e-12)).max())
    ratio = float(fast.var(dim=0).mean() / ref.var(dim=0).mean())
    assert 0.6 < ratio < 1.6, ratio
