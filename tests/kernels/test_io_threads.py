"""Small tensor ops run on one thread inside serial_torch_ops; products keep the pool."""

from __future__ import annotations

import pytest
import torch

from analogtrain.kernels.io_threads import pooled_matmul, serial_small_ops, serial_torch_ops


@pytest.fixture
def two_threads():
    """Two torch threads, and the user's opt-in to serial small-op blocks."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    with serial_small_ops():
        yield
    torch.set_num_threads(before)


def test_without_the_opt_in_no_block_touches_the_thread_count(monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(8, 8, generator=gen), torch.randn(8, 8, generator=gen)
    with serial_torch_ops() as threads:
        y = pooled_matmul(a, b, threads)
    assert calls == [] and threads == torch.get_num_threads()
    assert torch.equal(y, a @ b)


def test_serial_block_uses_one_thread_and_restores(two_threads) -> None:
    with serial_torch_ops() as outer:
        assert outer == 2
        assert torch.get_num_threads() == 1
        with serial_torch_ops() as inner:  # nested: nothing to change
            assert inner == 1
    assert torch.get_num_threads() == 2


def test_serial_block_restores_after_an_error(two_threads) -> None:
    with pytest.raises(RuntimeError, match="boom"), serial_torch_ops():
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


def test_pooled_matmul_uses_the_outer_threads_and_equals_the_product(
    two_threads, monkeypatch
) -> None:
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 96, generator=gen), torch.randn(96, 32, generator=gen)
    calls: list[int] = []
    real = torch.set_num_threads

    def recording(n: int) -> None:
        calls.append(n)
        real(n)

    monkeypatch.setattr(torch, "set_num_threads", recording)
    with serial_torch_ops() as threads:
        y = pooled_matmul(a, b, threads)
        assert torch.get_num_threads() == 1  # back to one thread after the product
    assert calls == [1, 2, 1, 2]  # enter, product, after the product, exit
    assert torch.equal(y, a @ b)


@pytest.mark.parametrize("opted_in", [False, True])
@pytest.mark.parametrize("path", ["reference", "auto"])
def test_analog_mvm_leaves_the_thread_count_and_gives_the_same_result(
    opted_in, path, monkeypatch
) -> None:
    from analogtrain.configs import IOParameters
    from analogtrain.kernels.io_threads import serial_opted_in
    from analogtrain.kernels.mvm.mvm import analog_mvm
    from analogtrain.kernels.update.backend import use_backend

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(0)
    w, x = torch.randn(12, 20, generator=gen), torch.randn(5, 20, generator=gen)
    calls: list[int] = []
    real = torch.set_num_threads

    def recording(n: int) -> None:
        calls.append(n)
        real(n)

    try:
        with use_backend("reference"):
            expected = analog_mvm(w, x, IOParameters(), {}, torch.Generator().manual_seed(1))
        monkeypatch.setattr(torch, "set_num_threads", recording)
        with serial_small_ops(opted_in), use_backend(path):
            assert serial_opted_in() is opted_in
            y = analog_mvm(w, x, IOParameters(), {}, torch.Generator().manual_seed(1))
        assert torch.get_num_threads() == 2
        assert (calls != []) is opted_in  # switched only inside an opted-in block
        assert torch.equal(y, expected)
    finally:
        real(before)
