"""Coincidence counts of every pulse type (spec single-tile 4.5, 6 item 5)."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs.enums import PulseType
from analogtrain.configs.update import UpdateParameters
from analogtrain.errors import NotSimulatedError
from analogtrain.kernels.update.pulses import (
    sample_coincidences,
    sample_coincidences_batch,
    update_scales,
)


def _gen(seed: int = 1234) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _repeat(x: list[float], d: list[float], m: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([x]).repeat(m, 1), torch.tensor([d]).repeat(m, 1)


def _draw(x, d, lr, g, up, m, seed=7):
    """m independent samples of the same (x, d): counts [m, out, in] as float64."""
    xs, ds = _repeat(x, d, m)
    bl, a, b = update_scales(xs, ds, lr, g, up)
    counts, down = sample_coincidences_batch(xs, ds, bl, a, b, up, _gen(seed))
    return counts.double(), down, bl, a, b


def _binomial_moments_ok(counts: torch.Tensor, n: float, p: torch.Tensor) -> None:
    """Sample mean and variance of counts [m, ...] against Binomial(n, p), 5 standard errors."""
    m = counts.shape[0]
    q = 1 - p
    var = n * p * q
    mu4 = n * p * q * (1 + 3 * (n - 2) * p * q)
    mean_err = (counts.mean(0) - n * p).abs()
    var_err = (counts.var(0) - var).abs()
    assert bool((mean_err <= 5 * torch.sqrt(var / m) + 1e-12).all()), (counts.mean(0), n * p)
    assert bool((var_err <= 5 * torch.sqrt((mu4 - var**2) / m) + 1e-12).all()), (
        counts.var(0),
        var,
    )


@pytest.mark.parametrize("pulse_type", [PulseType.STOCHASTIC_COMPRESSED, PulseType.STOCHASTIC])
def test_counts_are_binomial(pulse_type: PulseType) -> None:
    up = UpdateParameters(pulse_type=pulse_type)
    x, d = [1.0, -0.5, 0.2], [0.25, -0.1]
    counts, _, bl, a, b = _draw(x, d, 0.01, 0.001, up, 20000)
    assert bl.unique().tolist() == [3]
    p = torch.outer(torch.tensor(d).double().abs() * a[0], torch.tensor(x).double().abs() * b[0])
    _binomial_moments_ok(counts, 3, p)
    assert counts.min() >= 0


def test_rows_share_their_pulses_across_columns() -> None:
    # One row pulse per slot reaches every column: Cov(n_ij, n_ik) = BL p_i (1 - p_i) p_j p_k.
    up = UpdateParameters(update_management=False, update_bl_management=False, desired_bl=10)
    xs, ds = _repeat([0.6, 0.8], [0.5], 20000)
    m = xs.shape[0]
    bl = torch.full((m,), 10)
    one = torch.ones(m, dtype=torch.float64)
    counts, _ = sample_coincidences_batch(xs, ds, bl, one, one, up, _gen(3))
    c = counts[:, 0, :].double()
    cov = ((c[:, 0] - c[:, 0].mean()) * (c[:, 1] - c[:, 1].mean())).mean().item()
    expected = 10 * 0.5 * 0.5 * 0.6 * 0.8
    # crude spread of the product estimator: sqrt(Var(c0) Var(c1) / m) * 2
    spread = (c[:, 0].var() * c[:, 1].var() / m).sqrt().item()
    assert abs(cov - expected) < 5 * 2 * spread


@pytest.mark.parametrize("lr", [0.01, 0.02, 0.031 * 0.9])
def test_expected_counts_are_unbiased_below_desired_bl(lr: float) -> None:
    # spec 6 item 5: for k = lr xm dm / g <= 31 the mean count equals lr |d_i x_j| / g.
    x, d = [1.0, 0.5, -0.25], [1.0, -0.3, 0.1]
    counts, _, bl, a, b = _draw(x, d, lr, 0.001, UpdateParameters(), 6000)
    ideal = lr * torch.outer(torch.tensor(d).abs(), torch.tensor(x).abs()).double() / 0.001
    p = ideal / bl[0]
    se = torch.sqrt(bl[0] * p * (1 - p) / counts.shape[0])
    assert bool(((counts.mean(0) - ideal).abs() <= 5 * se).all())


def test_max_d_row_saturates_at_k_50() -> None:
    # spec 6 item 5 [verified]: lr = 0.05, g = 0.001 gives 31/50 = 0.62 for the d = 1 row
    x, d = [1.0, 0.5, -0.25], [1.0, -0.3, 0.1]
    counts, _, _, _, _ = _draw(x, d, 0.05, 0.001, UpdateParameters(), 6000)
    ideal = 0.05 * torch.outer(torch.tensor(d).abs(), torch.tensor(x).abs()).double() / 0.001
    ratio = counts.mean(0) / ideal
    # row 0 fires in every slot: counts ~ Binomial(31, |x_j|), ratio 0.62
    assert torch.allclose(ratio[0], torch.full((3,), 0.62, dtype=torch.float64), atol=0.02)
    assert counts[:, 0, 0].unique().tolist() == [31.0]
    assert torch.allclose(ratio[1:], torch.ones(2, 3, dtype=torch.float64), atol=0.06)


def test_without_management_large_inputs_are_under_represented() -> None:
    # spec 6 item 5: without UM/UBLM, k = 50: 0.62 at (1, 1), 0.787 for x = 0.5, d = 1
    up = UpdateParameters(update_management=False, update_bl_management=False)
    x, d = [1.0, 0.5], [1.0]
    counts, _, bl, _, _ = _draw(x, d, 0.05, 0.001, up, 6000)
    assert bl.unique().tolist() == [31]
    ratio = counts.mean(0)[0] / (0.05 * torch.tensor(x).double() / 0.001)
    assert ratio[0].item() == pytest.approx(0.62, abs=1e-12)
    # p^x = 0.5 sqrt(50/31): mean 31 * 0.635 / 25 = 0.7875; se of the ratio ~ 0.0017
    assert ratio[1].item() == pytest.approx(0.7875, abs=0.009)


def test_directions_follow_the_signs() -> None:
    x = torch.tensor([1.0, -0.5, 0.0, 0.3])
    d = torch.tensor([0.2, -0.4, 0.0])
    _, down = sample_coincidences(x, d, 5, 1.0, 1.0, UpdateParameters(), _gen())
    expected = torch.tensor(
        [
            [True, False, False, True],
            [False, True, False, False],
            [False, False, False, False],
        ]
    )
    assert torch.equal(down, expected)


def test_certain_pulses_and_bit_lengths_per_sample() -> None:
    # P >= 1 fires in every slot, P == 0 never; each sample uses its own BL
    up = UpdateParameters()
    x = torch.tensor([[1.0, 0.0, 2.0], [1.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    d = torch.tensor([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    bl = torch.tensor([2, 9, 0])
    one = torch.ones(3, dtype=torch.float64)
    counts, _ = sample_coincidences_batch(x, d, bl, one, one, up, _gen())
    assert counts.dtype == torch.int32
    expected = torch.tensor(
        [
            [[2, 0, 2], [0, 0, 0]],
            [[0, 0, 0], [9, 9, 0]],
            [[0, 0, 0], [0, 0, 0]],
        ],
        dtype=torch.int32,
    )
    assert torch.equal(counts, expected)


def test_same_seed_same_counts_and_different_seed_differs() -> None:
    x = torch.rand(50, generator=_gen(1))
    d = torch.rand(40, generator=_gen(2)) - 0.5
    up = UpdateParameters()
    c1, _ = sample_coincidences(x, d, 31, 0.5, 0.5, up, _gen(5))
    c2, _ = sample_coincidences(x, d, 31, 0.5, 0.5, up, _gen(5))
    c3, _ = sample_coincidences(x, d, 31, 0.5, 0.5, up, _gen(6))
    assert torch.equal(c1, c2)
    assert not torch.equal(c1, c3)


def test_res_discretises_the_probabilities() -> None:
    # res = 0.25: P^x = 0.25 for |x| B = 0.3; P^d = 1 -> counts ~ Binomial(20, 0.25)
    up = UpdateParameters(res=0.25)
    m = 20000
    xs, ds = _repeat([0.3, 0.1], [1.0], m)
    bl = torch.full((m,), 20)
    one = torch.ones(m, dtype=torch.float64)
    counts, _ = sample_coincidences_batch(xs, ds, bl, one, one, up, _gen(11))
    c = counts[:, 0, :].double()
    _binomial_moments_ok(c[:, :1], 20, torch.tensor([0.25], dtype=torch.float64))
    assert c[:, 1].sum() == 0  # 0.1 rounds to 0: no pulse at all


def test_stochastic_rounding_of_probabilities() -> None:
    # sto_round: 0.3 / 0.25 = 1.2 -> level 1 w.p. 0.8, level 2 w.p. 0.2; mean P = 0.3
    up = UpdateParameters(res=0.25, sto_round=True)
    m = 20000
    xs, ds = _repeat([0.3], [1.0], m)
    bl = torch.full((m,), 20)
    one = torch.ones(m, dtype=torch.float64)
    counts, _ = sample_coincidences_batch(xs, ds, bl, one, one, up, _gen(12))
    c = counts[:, 0, 0].double()
    # mixture of Binomial(20, 0.25) and Binomial(20, 0.5)
    mean = 20 * 0.3
    second = 0.8 * (20 * 0.25 * 0.75 + 25.0) + 0.2 * (20 * 0.25 + 100.0)
    var = second - mean**2
    assert abs(c.mean().item() - mean) < 5 * (var / m) ** 0.5
    assert abs(c.var().item() - var) < 0.05 * var


def test_res_above_one_rounds_everything_to_zero() -> None:
    # spec 4.1 [quirk]: res is a bin width; res = 16 rounds ordinary probabilities to 0
    up = UpdateParameters(res=16)
    x = torch.tensor([[1.0, 0.5, -0.25]])
    d = torch.tensor([[1.0, -0.3, 0.1]])
    bl, a, b = update_scales(x, d, 0.01, 0.001, up)
    counts, _ = sample_coincidences_batch(x, d, bl, a, b, up, _gen())
    assert bl.item() == 10
    assert counts.sum() == 0


def test_mean_count_hand_computed() -> None:
    # BL = 4, A = B = 1: n^x = clip(rint(4|x|), 0, 4) sign(x) = [4, 2, -1, 0], n^d = [2, -4]
    # c = rint(n^d / 4 * n^x): [[2, 1, -0.5 -> -0, 0], [-4, -2, 1, 0]]
    up = UpdateParameters(pulse_type=PulseType.MEAN_COUNT)
    x = torch.tensor([1.0, 0.6, -0.3, 0.0])
    d = torch.tensor([0.5, -1.0])
    counts, down = sample_coincidences(x, d, 4, 1.0, 1.0, up, _gen())
    assert counts.tolist() == [[2, 1, 0, 0], [4, 2, 1, 0]]
    assert down.tolist() == [[True, True, False, False], [False, False, True, False]]
    # with res = 0.5: P^x = [1, 0.5, 0.5, 0] -> n^x = [4, 2, -2, 0]; P^d = [0.5, 1]
    up.res = 0.5
    counts, _ = sample_coincidences(x, d, 4, 1.0, 1.0, up, _gen())
    assert counts.tolist() == [[2, 1, 1, 0], [4, 2, 2, 0]]
    # a probability above 1 saturates at BL counts
    counts, _ = sample_coincidences(
        x, d, 4, 3.0, 1.0, UpdateParameters(pulse_type=up.pulse_type), _gen()
    )
    assert counts[1].tolist() == [4, 2, 1, 0]


def test_deterministic_implicit_hand_computed() -> None:
    # q^x = [1, 0.6, -0.3, 0], q^d = [0.5, -1]; c = rint(4 q^d q^x)
    up = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT)
    x = torch.tensor([1.0, 0.6, -0.3, 0.0])
    d = torch.tensor([0.5, -1.0])
    counts, down = sample_coincidences(x, d, 4, 1.0, 1.0, up, _gen())
    assert counts.tolist() == [[2, 1, 1, 0], [4, 2, 1, 0]]
    assert down.tolist() == [[True, True, False, False], [False, False, True, False]]
    # x_res_implicit = 0.5: q^x = [1, 0.5, -0.5, 0]
    up.x_res_implicit = 0.5
    counts, _ = sample_coincidences(x, d, 4, 1.0, 1.0, up, _gen())
    assert counts.tolist() == [[2, 1, 1, 0], [4, 2, 2, 0]]
    # d_res_implicit applies to d only; q is clipped at 1 (A = 2 -> q^d = [1, 1])
    up = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT, d_res_implicit=0.3)
    counts, _ = sample_coincidences(x, d, 4, 2.0, 1.0, up, _gen())
    # q^d = clip(0.3 rint([1, 2] / 0.3), 0, 1) = [0.9, 1]: row 0 = rint(3.6 [1, .6, .3, 0])
    assert counts.tolist() == [[4, 2, 1, 0], [4, 2, 1, 0]]


def test_exact_pulse_types_have_no_trains() -> None:
    for pulse_type in (PulseType.NONE, PulseType.NONE_WITH_DEVICE):
        up = UpdateParameters(pulse_type=pulse_type)
        with pytest.raises(NotSimulatedError, match="pulse_type"):
            sample_coincidences(torch.ones(2), torch.ones(1), 3, 1.0, 1.0, up, _gen())


def test_silent_rows_and_columns_are_placed_correctly() -> None:
    # only rows 1, 3 and columns 1, 3 can fire: the sub-block goes back to its place
    x = torch.tensor([0.0, 1.0, 0.0, 2.0, 0.0])
    d = torch.tensor([0.0, 1.0, 0.0, -1.0])
    counts, _ = sample_coincidences(x, d, 3, 1.0, 1.0, UpdateParameters(), _gen())
    expected = torch.zeros(4, 5, dtype=torch.int32)
    expected[1, 1] = expected[1, 3] = expected[3, 1] = expected[3, 3] = 3
    assert torch.equal(counts, expected)
