"""``check_batch``: the finiteness test runs on a sum first; it must neither miss a bad entry
nor reject a batch of huge finite values whose sum overflows."""

from __future__ import annotations

import pytest
import torch

from analogtrain.errors import TileError
from analogtrain.kernels.io_checks import check_batch


def test_huge_finite_values_whose_sum_overflows_are_accepted() -> None:
    x = torch.full((3, 4), 3e38)
    assert not torch.isfinite(x.sum())
    assert check_batch(x, 4, "x", like=x) is x


@pytest.mark.parametrize(
    "bad, counts",
    [
        (float("nan"), "1 NaN, 0 inf"),
        (float("inf"), "0 NaN, 1 inf"),
        (-float("inf"), "0 NaN, 1 inf"),
    ],
)
def test_a_single_bad_entry_is_reported(bad: float, counts: str) -> None:
    x = torch.randn(64, 32)
    x[17, 5] = bad
    with pytest.raises(TileError, match=counts):
        check_batch(x, 32, "x", like=x)


def test_opposite_infinities_are_caught() -> None:
    x = torch.zeros(2, 3)
    x[0, 0], x[1, 2] = float("inf"), -float("inf")  # their sum is NaN, not inf
    with pytest.raises(TileError, match="2 non-finite"):
        check_batch(x, 3, "x", like=x)
