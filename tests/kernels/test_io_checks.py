"""``check_batch``: the finiteness test (a compiled loop, or on the reference backend a sum
first) must neither miss a bad entry nor reject a batch of huge finite values whose sum
overflows; both backends give the same answers and messages."""

from __future__ import annotations

import pytest
import torch

from analogtrain.errors import TileError
from analogtrain.kernels.io_checks import all_finite, all_tensors_finite, check_batch
from analogtrain.kernels.update.backend import use_backend


@pytest.fixture(params=["reference", "auto"], autouse=True)
def checks_backend(request):
    with use_backend(request.param):
        yield request.param


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


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "requires_grad"])
def test_all_finite_answers_for_every_layout_and_dtype(dtype, layout) -> None:
    x = torch.randn(7, 5, dtype=dtype)
    if layout == "transposed":
        x = torch.randn(5, 7, dtype=dtype).t()
    elif layout == "requires_grad":
        x.requires_grad_(True)
    assert all_finite(x)
    with torch.no_grad():
        for bad in (float("nan"), float("inf"), -float("inf")):
            y = x.detach().clone()
            y[6, 4] = bad
            assert not all_finite(y)
            assert not all_finite(y.t().contiguous().t())


def test_the_message_names_what_and_counts() -> None:
    x = torch.randn(4, 3)
    x[0, 0], x[1, 1], x[2, 2] = float("nan"), float("nan"), float("inf")
    with pytest.raises(
        TileError,
        match=r"^input x contains NaN or inf \(3 non-finite values: "
        r"2 NaN, 1 inf\)$",
    ):
        check_batch(x, 3, "input x", like=x)


@pytest.mark.parametrize("shape", [(), (9,), (2, 3, 4), (1, 0)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_all_finite_answers_for_any_shape(shape, dtype) -> None:
    x = torch.randn(shape).to(dtype)
    assert all_finite(x)
    if x.numel():
        for bad in (float("nan"), float("inf"), -float("inf")):
            y = x.clone()
            y.view(-1)[-1] = bad  # the last entry: a scan that stops early would miss it
            assert not all_finite(y)


def test_all_tensors_finite_finds_one_bad_entry_among_many(checks_backend) -> None:
    tensors = [torch.randn(4, 3), torch.randn(5), torch.randn(2, 2, dtype=torch.float64)]
    tensors.append(torch.randn(3, 2).t())  # not contiguous: the torch form
    tensors.append(torch.empty(0, 4))
    assert all_tensors_finite(tensors)
    huge = [torch.full((3,), 3e38)]  # finite, though its sum overflows
    # the compiled scan is exact; the sums may only raise a false alarm (the caller then
    # counts exactly), never miss a bad entry
    assert all_tensors_finite(huge) == (checks_backend == "auto")
    for k in range(4):
        for bad in (float("nan"), float("inf")):
            broken = [t.clone() for t in tensors]
            broken[k][(0,) * broken[k].dim()] = bad
            assert not all_tensors_finite(broken)
