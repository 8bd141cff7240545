"""Pulse-train length and probability scales (spec single-tile 4.3, 4.4)."""

from __future__ import annotations

import math

import pytest
import torch

from analogtrain.configs.update import UpdateParameters
from analogtrain.errors import ArgumentError
from analogtrain.kernels.update.pulses import update_scales


def _one(x: list[float], d: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([x]), torch.tensor([d])


def test_worked_example_of_spec_4_4() -> None:
    # lr = 0.01, g = 0.001, xm = 1, dm = 0.25: k = 2.5, BL = 3, A = 3.6515, B = 0.91287
    x, d = _one([1.0, -0.5, 0.2], [0.25, -0.1])
    bl, a, b = update_scales(x, d, 0.01, 0.001, UpdateParameters())
    assert bl.tolist() == [3]
    assert bl.dtype == torch.long
    assert a.item() == pytest.approx(3.6515, abs=1e-4)
    assert b.item() == pytest.approx(0.91287, abs=1e-5)
    # both maxima fire with probability sqrt(k / BL); expected coincidences = lr |x||d| / g
    assert (a * 0.25).item() == pytest.approx(math.sqrt(2.5 / 3), rel=1e-9)
    assert (bl * a * b).item() == pytest.approx(0.01 / 0.001, rel=1e-9)


def test_bl_management_saturates_at_desired_bl() -> None:
    # lr = 0.05, g = 0.001, xm = dm = 1: k = 50 > 31
    x, d = _one([1.0, 0.5, -0.25], [1.0, -0.3, 0.1])
    bl, a, b = update_scales(x, d, 0.05, 0.001, UpdateParameters())
    assert bl.tolist() == [31]
    assert b.item() == pytest.approx(1.0, rel=1e-9)  # x is never clipped: p^x = |x| / xm
    assert a.item() == pytest.approx(50 / 31, rel=1e-9)  # p^d = (k / BL) |d| / dm


def test_samples_without_signal_get_no_train() -> None:
    x = torch.tensor([[1.0, 0.5], [0.0, 0.0], [0.3, 0.1], [-0.2, 0.4]])
    d = torch.tensor([[0.1], [0.5], [0.0], [0.2]])
    bl, a, b = update_scales(x, d, 0.1, 0.001, UpdateParameters())
    assert bl.tolist()[1:3] == [0, 0]
    assert bl[0] > 0 and bl[3] > 0
    assert a[1:3].tolist() == [0.0, 0.0] and b[1:3].tolist() == [0.0, 0.0]
    bl0, _, _ = update_scales(x, d, 0.0, 0.001, UpdateParameters())
    assert bl0.tolist() == [0, 0, 0, 0]
    # the same without update management
    up = UpdateParameters(update_management=False, update_bl_management=False)
    bl1, _, _ = update_scales(x, d, 0.1, 0.001, up)
    assert bl1.tolist() == [31, 0, 0, 31]


def test_samples_are_managed_independently() -> None:
    x = torch.tensor([[1.0, 0.5], [0.1, 0.05]])
    d = torch.tensor([[0.25, 0.1], [0.25, 0.1]])
    bl, a, b = update_scales(x, d, 0.01, 0.001, UpdateParameters())
    # k = 2.5 and 0.25
    assert bl.tolist() == [3, 1]
    k = torch.tensor([2.5, 0.25], dtype=torch.float64)
    assert torch.allclose(a * 0.25, torch.sqrt(k / bl), rtol=1e-9)
    assert torch.allclose(b * torch.tensor([1.0, 0.1], dtype=torch.float64), torch.sqrt(k / bl))


def test_without_management_fixed_bl() -> None:
    up = UpdateParameters(update_management=False, update_bl_management=False, desired_bl=20)
    x, d = _one([1.0, 0.5], [0.25])
    bl, a, b = update_scales(x, d, 0.01, 0.001, up)
    assert bl.tolist() == [20]
    assert a.item() == pytest.approx(math.sqrt(0.01 / (0.001 * 20)), rel=1e-12)
    assert b.item() == a.item()


def test_without_management_variable_bl() -> None:
    up = UpdateParameters(
        update_management=False, update_bl_management=False, fixed_bl=False, desired_bl=10
    )
    x, d = _one([1.0], [1.0])
    # g * desired_bl = 0.01 < lr = 0.0234: BL = ceil(lr / g) = 24, A = B = 1
    bl, a, b = update_scales(x, d, 0.0234, 0.001, up)
    assert bl.tolist() == [24]
    assert a.item() == 1.0 and b.item() == 1.0
    # g * desired_bl >= lr: BL = desired_bl
    bl, a, _ = update_scales(x, d, 0.005, 0.001, up)
    assert bl.tolist() == [10]
    assert a.item() == pytest.approx(math.sqrt(0.5), rel=1e-12)


def test_um_grad_scale_shifts_the_balance_towards_d() -> None:
    x, d = _one([1.0], [0.25])
    up = UpdateParameters(um_grad_scale=0.5)
    bl, a, b = update_scales(x, d, 0.01, 0.001, up)
    # d_val = 0.125, k = 1.25: BL = 2, A = sqrt(lr/(g BL)) * sqrt(1 / 0.125)
    assert bl.tolist() == [2]
    base = math.sqrt(0.01 / 0.002)
    assert a.item() == pytest.approx(base * math.sqrt(8.0), rel=1e-12)
    assert b.item() == pytest.approx(base * math.sqrt(0.125), rel=1e-12)


def test_negative_lr_uses_its_magnitude() -> None:
    x, d = _one([1.0, 0.5], [0.25])
    pos = update_scales(x, d, 0.01, 0.001, UpdateParameters())
    neg = update_scales(x, d, -0.01, 0.001, UpdateParameters())
    for p, n in zip(pos, neg):
        assert torch.equal(p, n)


@pytest.mark.parametrize("g", [0.0, -1.0, float("nan")])
def test_bad_granularity_is_rejected(g: float) -> None:
    x, d = _one([1.0], [1.0])
    with pytest.raises(ArgumentError, match="granularity"):
        update_scales(x, d, 0.01, g, UpdateParameters())


def test_mismatched_batches_are_rejected() -> None:
    with pytest.raises(ArgumentError, match="number of samples"):
        update_scales(torch.ones(2, 3), torch.ones(3, 1), 0.1, 0.001, UpdateParameters())
    with pytest.raises(ArgumentError, match="shapes"):
        update_scales(torch.ones(3), torch.ones(3, 1), 0.1, 0.001, UpdateParameters())


def test_non_finite_inputs_are_rejected() -> None:
    x, d = _one([1.0, float("nan")], [1.0])
    with pytest.raises(ArgumentError, match="x contains NaN"):
        update_scales(x, d, 0.01, 0.001, UpdateParameters())
    x, d = _one([1.0, 0.5], [float("-inf")])
    with pytest.raises(ArgumentError, match="d contains NaN"):
        update_scales(x, d, 0.01, 0.001, UpdateParameters())


def test_bl_management_implies_update_management() -> None:
    x, d = _one([1.0, -0.5, 0.2], [0.25, -0.1])
    both = update_scales(x, d, 0.01, 0.001, UpdateParameters())
    ublm_only = update_scales(x, d, 0.01, 0.001, UpdateParameters(update_management=False))
    for p, q in zip(both, ublm_only):
        assert torch.equal(p, q)
    # UM alone keeps BL = desired_bl but still balances: A dm = B xm
    bl, a, b = update_scales(x, d, 0.01, 0.001, UpdateParameters(update_bl_management=False))
    assert bl.tolist() == [31]
    assert (a * 0.25).item() == pytest.approx(b.item(), rel=1e-12)
    assert (bl * a * b).item() == pytest.approx(10.0, rel=1e-12)
