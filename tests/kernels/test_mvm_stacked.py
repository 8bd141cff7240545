"""The compiled MVM with a stack of weights, one per input row (``kernels/mvm/fast.py``, used
by the chopped compounds' transfer reads): equal to one single-row call per row (bit for bit
when one kind of noise is drawn, within rounding of the products otherwise), the one-hot
read of a noiseless IO is the weight column exactly, and output noise has its closed-form
spread."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

pytest.importorskip("numba")

from analogtrain.configs.enums import AnalogMVType, NoiseManagementType  # noqa: E402
from analogtrain.configs.parameters import IOParameters  # noqa: E402
from analogtrain.kernels.mvm.fast import fast_analog_mvm  # noqa: E402
from analogtrain.kernels.mvm.mvm import init_io_state  # noqa: E402

QUIET = dict(out_noise=0.0, inp_res=-1.0, out_res=-1.0)
DETERMINISTIC = {
    "quiet": {},
    "bounded_retries": {"out_bound": 0.6},
    "ir_drop": {"ir_drop": 0.2},
    "read_asymmetry": {"w_read_asymmetry_dtod": 0.2, "mv_type": AnalogMVType.POS_NEG_SEPARATE},
    "digital_sum": {"mv_type": AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM},
    "quantized": {"inp_res": 31, "out_res": 255},
}


def _stack(m: int, out: int, n_in: int, seed: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return 0.4 * torch.randn(m, out, n_in, generator=gen), torch.randn(m, n_in, generator=gen)


def _stacked_and_rows(io: IOParameters, weights: Tensor, x: Tensor) -> tuple[Tensor, Tensor]:
    """The stacked call and the single-row calls, each from its own copy of one generator
    and IO state; also checks that both leave the generators in the same state."""
    out, n_in = weights.shape[1:]
    state_a = init_io_state(io, out, n_in, torch.Generator().manual_seed(5))
    state_b = {k: v.clone() for k, v in state_a.items()}
    gen_a, gen_b = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    stacked = fast_analog_mvm(weights, x, io, state_a, gen_a, False, 1)
    rows = [fast_analog_mvm(w, r.unsqueeze(0), io, state_b, gen_b, False, 1)
            for w, r in zip(weights, x)]  # fmt: skip
    assert isinstance(stacked, Tensor) and all(isinstance(r, Tensor) for r in rows)
    assert torch.equal(gen_a.get_state(), gen_b.get_state())
    return stacked, torch.cat(rows)


def test_stacked_weights_with_input_noise_alone_equal_single_row_calls_bit_for_bit() -> None:
    io = IOParameters(inp_noise=0.05, **QUIET)
    weights, x = _stack(9, 5, 4, seed=0)
    x = torch.eye(4)[[0, 3, 1, 2, 2, 0, 1, 3, 0]]  # one-hot reads, as the transfer reads
    stacked, rows = _stacked_and_rows(io, weights, x)
    assert torch.equal(stacked, rows)


@pytest.mark.parametrize("case", sorted(DETERMINISTIC))
def test_stacked_weights_without_noise_equal_single_row_calls(case: str) -> None:
    io = IOParameters(**{**QUIET, **DETERMINISTIC[case]})
    weights, x = _stack(7, 6, 5, seed=1)
    stacked, rows = _stacked_and_rows(io, weights, x)
    # the products sum in another order (batched matrix-vector vs matrix product): rounding
    torch.testing.assert_close(stacked, rows, rtol=1e-5, atol=1e-6)
    if case == "bounded_retries":  # the retries did run: some rows saturate at kappa = 1
        assert bool((weights @ x.unsqueeze(2)).abs().amax(dim=(1, 2)).gt(0.6).any())


def test_stacked_one_hot_reads_of_a_noiseless_io_are_the_weight_columns() -> None:
    io = IOParameters(out_bound=0.0, inp_noise=0.0, **QUIET)
    weights, _ = _stack(6, 4, 5, seed=2)
    cols = [4, 0, 2, 2, 1, 3]
    state = init_io_state(io, 4, 5, torch.Generator().manual_seed(0))
    y = fast_analog_mvm(weights, torch.eye(5)[cols], io, state, torch.Generator(), False, 1)
    assert isinstance(y, Tensor)
    assert torch.equal(y, torch.stack([w[:, i] for w, i in zip(weights, cols)]))


def test_stacked_weights_output_noise_has_its_standard_deviation() -> None:
    # no noise management and no bounds: y_r = W_r x_r + 0.1 xi, xi ~ N(0, 1) i.i.d.
    io = IOParameters(
        out_noise=0.1, inp_res=-1.0, out_res=-1.0, inp_bound=0.0, out_bound=0.0,
        noise_management=NoiseManagementType.NONE,
    )  # fmt: skip
    weights, x = _stack(400, 5, 3, seed=3)
    state = init_io_state(io, 5, 3, torch.Generator().manual_seed(0))
    y = fast_analog_mvm(weights, x, io, state, torch.Generator().manual_seed(1), False, 1)
    assert isinstance(y, Tensor)
    noise = (y - (weights @ x.unsqueeze(2)).squeeze(2)).to(torch.float64)
    n = noise.numel()  # 2000 samples: the mean's standard error is 0.1 / sqrt(n) = 0.0022,
    # the sample std's about 0.1 / sqrt(2 n) = 0.0016; both within 5 standard errors
    assert abs(float(noise.mean())) < 5 * 0.1 / n**0.5
    assert abs(float(noise.std()) - 0.1) < 5 * 0.1 / (2 * n) ** 0.5


def test_analog_mvm_with_stacked_weights_follows_the_backend_and_checks_the_stack() -> None:
    from analogtrain.errors import TileError
    from analogtrain.kernels import use_backend
    from analogtrain.kernels.mvm.mvm import analog_mvm

    io = IOParameters(inp_noise=0.05, **QUIET)  # input noise alone: row-wise draws are equal
    weights, x = _stack(5, 3, 4, seed=2)
    results = []
    for name in ("reference", "fast"):
        state = init_io_state(io, 3, 4, torch.Generator().manual_seed(5))
        with use_backend(name):
            results.append(analog_mvm(weights, x, io, state, torch.Generator().manual_seed(9)))
    # the reference reads row r through weights[r] with a one-row torch MVM, in order
    state = init_io_state(io, 3, 4, torch.Generator().manual_seed(5))
    gen = torch.Generator().manual_seed(9)
    with use_backend("reference"):
        rows = [analog_mvm(w, r.unsqueeze(0), io, state, gen) for w, r in zip(weights, x)]
    torch.testing.assert_close(results[0], torch.cat(rows), rtol=0, atol=0)
    torch.testing.assert_close(results[1], results[0], rtol=0, atol=0)
    with pytest.raises(TileError, match="one per input row"):
        analog_mvm(weights[:4], x, io, state, gen)
