"""The numba pulsed update equals the reference update (exactly where it is deterministic,
in distribution otherwise) for every supported device model."""

from __future__ import annotations

import math

import pytest
import torch

pytest.importorskip("numba")

from fast_update_cases import MODELS, NO_DTOD, z_mean_and_var  # noqa: E402

from analogtrain.configs.update import UpdateParameters  # noqa: E402
from analogtrain.devices import create_device_array  # noqa: E402
from analogtrain.kernels import use_reference  # noqa: E402
from analogtrain.kernels.update.cpu.fast_update import fast_apply_pulse_counts, fast_pulsed_update  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update  # noqa: E402


def _array(name: str, out_size: int, in_size: int, **fields):
    fields.setdefault("dw_min", 0.01)
    array = create_device_array(
        MODELS[name](**fields), out_size, in_size, torch.Generator().manual_seed(7)
    )
    return array


def _pair(name: str, out_size: int, in_size: int, w0: torch.Tensor | float, **fields):
    """Two identical arrays (same construction seed) with the same start weights."""
    arrays = [_array(name, out_size, in_size, **fields) for _ in range(2)]
    for a in arrays:
        w = torch.full((out_size, in_size), w0) if isinstance(w0, float) else w0
        a.set_weights(w, torch.Generator().manual_seed(0))
    return arrays


def _update(array, x, d, lr, *, reference: bool, seed: int = 1, up=None) -> None:
    gen = torch.Generator().manual_seed(seed)
    up = up or UpdateParameters()
    if reference:
        with use_reference():
            pulsed_update(array, x, d, lr, up, gen)
    else:
        assert fast_pulsed_update(array, x, d, lr, array.granularity, up, gen)


def _saturating_batch(m: int, out_size: int, in_size: int, seed: int):
    """``x = ±1``, ``d = ±1`` and a large lr: every row and column pulses in all 31 slots
    (spec 4.4, k > desired_bl), so each cross-point gets exactly 31 pulses per sample."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (m, in_size), generator=g).float() * 2 - 1
    d = torch.randint(0, 2, (m, out_size), generator=g).float() * 2 - 1
    return x, d


@pytest.mark.parametrize("name", sorted(MODELS))
def test_noise_free_update_equals_reference_exactly(name: str) -> None:
    """Deterministic counts and no c2c noise: the whole trajectory of the model rule, the clip
    after every pulse and the batch order must agree with the reference."""
    out_size, in_size, m = 6, 10, 5
    w0 = torch.linspace(-0.55, 0.55, out_size * in_size).reshape(out_size, in_size)
    fast, ref = _pair(name, out_size, in_size, w0, dw_min_std=0.0)
    x, d = _saturating_batch(m, out_size, in_size, seed=3)
    for lr in (2.0, -2.0):  # a negative lr flips every direction
        _update(fast, x, d, lr, reference=False)
        _update(ref, x, d, lr, reference=True)
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)
    if name in ("constant", "linear_mult", "linear_add", "piecewise"):
        # the hard clip was exercised: some cross-points sit at a bound
        w = ref.persistent_weight
        assert (torch.isclose(w, ref.max_bound) | torch.isclose(w, ref.min_bound)).any()


def test_batch_order_matters_and_equals_single_updates() -> None:
    """Near a bound, up-then-down differs from down-then-up; a batch of M equals M calls."""
    x = torch.ones(2, 4)
    d = torch.tensor([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]])  # sample 0 up, sample 1 down
    batch, single = _pair("constant", 3, 4, 0.45, dw_min_std=0.0, **NO_DTOD)
    _update(batch, x, d, 2.0, reference=False)
    for s in range(2):
        _update(single, x[s : s + 1], d[s : s + 1], 2.0, reference=False, seed=s)
    torch.testing.assert_close(batch.weight, single.weight, rtol=0, atol=1e-6)
    # 31 up pulses of 0.01 clip at 0.6, then 31 down: 0.6 - 0.31 = 0.29 (not 0.45)
    torch.testing.assert_close(batch.weight, torch.full((3, 4), 0.29), rtol=0, atol=1e-5)
    reversed_order, _ = _pair("constant", 3, 4, 0.45, dw_min_std=0.0, **NO_DTOD)
    _update(reversed_order, x, d.flip(0), 2.0, reference=False)
    # down first: 0.45 - 0.31 = 0.14, then up to 0.45 without touching a bound
    torch.testing.assert_close(reversed_order.weight, torch.full((3, 4), 0.45), rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_noisy_pulses_match_reference_in_distribution(name: str) -> None:
    """Fixed counts (31 down, then 31 up pulses) with c2c noise on identical devices: the
    final weights are i.i.d. over the cross-points; mean and variance agree with the
    reference within 5 standard errors, starting close to a bound (clip after each pulse)."""
    out_size, in_size = 32, 64
    fields = dict(dw_min_std=0.5, reference_std=0.0) if "reference" in name else {}
    fields = fields or dict(dw_min_std=0.5)
    if name.startswith("pow_step"):
        fields["pow_gamma_dtod"] = 0.0
    fast, ref = _pair(name, out_size, in_size, -0.5, **NO_DTOD, **fields)
    x = torch.ones(2, in_size)
    d = torch.tensor([[1.0], [-1.0]]).expand(2, out_size).contiguous()
    _update(fast, x, d, 2.0, reference=False)
    _update(ref, x, d, 2.0, reference=True)
    assert fast.weight.std() > 0
    z_mean, z_var = z_mean_and_var(fast.weight, ref.weight)
    assert abs(z_mean) < 5.0, (z_mean, fast.weight.mean(), ref.weight.mean())
    assert abs(z_var) < 5.0, (z_var, fast.weight.var(), ref.weight.var())


# (lr, update parameters, BL, p_x at |x| = 0.5, p_d at |d| = 0.6)
_TRAINS = {
    # UBLM (spec 4.4): k = lr/g = 12.3 -> BL = 13, p = sqrt(k/BL) |v| / v_max
    "managed": (0.0123, UpdateParameters(), 13, *(math.sqrt(12.3 / 13) * v for v in (0.5, 0.6))),
    # no management, fixed_bl=False (spec 4.3): BL = ceil(lr/g) = 100 > 64 slots (two words)
    "long": (
        0.1,
        UpdateParameters(update_management=False, update_bl_management=False, fixed_bl=False),
        100,
        0.5,
        0.6,
    ),
}


@pytest.mark.parametrize("train", sorted(_TRAINS))
def test_coincidence_counts_are_binomial(train: str) -> None:
    """ConstantStep without noise, far from the bounds: ``-Δw / dw_min`` counts the pulses.
    Diagonal cross-points share neither row nor column trains, so they are independent
    Binomial(BL, p_x p_d) draws (spec 4.5.2)."""
    lr, up, bl, p_x, p_d = _TRAINS[train]
    n, trials = 48, 40
    x = torch.full((1, n), 0.5)
    x[0, 0] = 1.0  # x_max = 1
    d = torch.full((1, n), 0.6)
    d[0, 0] = 1.0  # d_max = 1
    q = p_x * p_d
    counts = []
    array = _array("constant", n, n, dw_min=0.001, dw_min_std=0.0, **NO_DTOD)
    gen = torch.Generator().manual_seed(5)
    for _ in range(trials):
        array.set_weights(torch.zeros(n, n), gen)
        assert fast_pulsed_update(array, x, d, lr, array.granularity, up, gen)
        counts.append(torch.round(-array.weight.diagonal()[1:] / 0.001))
    c = torch.cat(counts).double()
    mean, var = bl * q, bl * q * (1 - q)
    n_obs = c.numel()
    assert abs(c.mean() - mean) < 5 * math.sqrt(var / n_obs)
    fourth = var * (1 + 3 * (bl - 2) * q * (1 - q))  # central 4th moment of the binomial
    assert abs(c.var() - var) < 5 * math.sqrt((fourth - var**2) / n_obs)
    assert c.max() <= bl


def test_stochastic_trains_with_noise_match_reference_in_distribution() -> None:
    """End to end with random trains (p < 1), mixed directions over a batch of 4 and c2c
    noise: the diagonal cross-points are i.i.d. (identical devices, inputs and errors, no
    shared row or column), so their final weights compare as two samples."""
    n, trials, lr = 40, 30, 0.02
    x = torch.full((4, n), 0.5)
    x[:, 0] = 1.0
    x[1] = -x[1]
    d = torch.full((4, n), 0.4)
    d[:, 0] = 1.0
    d[2] = -d[2]
    up = UpdateParameters()
    fields = dict(dw_min=0.002, dw_min_std=0.3, reference_std=0.0, **NO_DTOD)
    samples = {}
    for path in ("fast", "reference"):
        array = _array("sb_reference", n, n, **fields)
        gen = torch.Generator().manual_seed(17)
        values = []
        for _ in range(trials):
            array.set_weights(torch.full((n, n), 0.4), gen)
            if path == "fast":
                assert fast_pulsed_update(array, x, d, lr, array.granularity, up, gen)
            else:
                with use_reference():
                    pulsed_update(array, x, d, lr, up, gen)
            values.append(array.weight.diagonal()[1:].clone())
        samples[path] = torch.cat(values)
    z_mean, z_var = z_mean_and_var(samples["fast"], samples["reference"])
    assert abs(z_mean) < 5.0 and abs(z_var) < 5.0, (z_mean, z_var)
    assert samples["fast"].std() > 0


def test_trains_longer_than_one_word_equal_reference() -> None:
    """BL = 100 slots (two 64-bit words) with every line firing in every slot."""
    up = UpdateParameters(update_management=False, update_bl_management=False, fixed_bl=False)
    fast, ref = _pair("soft_bounds", 5, 6, 0.3, dw_min_std=0.0)
    x, d = _saturating_batch(3, 5, 6, seed=2)
    gen_f, gen_r = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    assert fast_pulsed_update(fast, x, d, 100 * fast.granularity, fast.granularity, up, gen_f)
    with use_reference():
        pulsed_update(ref, x, d, 100 * ref.granularity, up, gen_r)
    torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)


def test_weights_stay_within_bounds_under_heavy_noise() -> None:
    for name in ("constant", "soft_bounds", "sb_reference", "pow_step_reference", "exp_step"):
        array = _array(name, 16, 24, dw_min_std=2.0)
        g = torch.Generator().manual_seed(11)
        x = torch.randn(8, 24, generator=g)
        d = torch.randn(8, 16, generator=g)
        for _ in range(3):
            _update(array, x, d, 1.0, reference=False)
        physical = array.persistent_weight + getattr(array, "reference", 0.0)
        assert (physical <= array.max_bound + 1e-6).all(), name
        assert (physical >= array.min_bound - 1e-6).all(), name


def test_write_noise_redrawn_only_where_pulsed() -> None:
    array = _array("linear_mult", 40, 50, dw_min_std=0.0, write_noise_std=3.0, **NO_DTOD)
    before = array.weight.clone()
    x = torch.ones(2, 50)
    x[:, 25:] = 0.0  # columns 25.. receive no pulse
    d = torch.ones(2, 40)
    _update(array, x, d, 2.0, reference=False)
    assert torch.equal(array.weight[:, 25:], before[:, 25:])
    noise = (array.weight - array.persistent_weight)[:, :25].double().flatten()
    sigma = 3.0 * 0.01
    n = noise.numel()
    assert abs(noise.mean()) < 5 * sigma / math.sqrt(n)
    assert abs(noise.var() / sigma**2 - 1.0) < 5 * math.sqrt(2.0 / n)


def test_probability_resolution_is_applied() -> None:
    """``res = 0.5`` rounds p = 0.3 up to 0.5 and p = 0.2 down to 0 (spec 4.5.1)."""
    array = _array("constant", 4, 40, dw_min=0.001, dw_min_std=0.0, **NO_DTOD)
    up = UpdateParameters(res=0.5, update_management=False, update_bl_management=False)
    # no management: A = B = sqrt(lr / (g BL)) = 1 for lr = 31 g
    x = torch.tensor([[0.3] * 20 + [0.2] * 20])
    d = torch.ones(1, 4)
    gen = torch.Generator().manual_seed(2)
    totals = torch.zeros(4, 40)
    for _ in range(10):
        array.set_weights(torch.zeros(4, 40), gen)
        assert fast_pulsed_update(array, x, d, 0.031, array.granularity, up, gen)
        totals += -array.weight / 0.001
    assert totals[:, 20:].abs().max() == 0
    expected = 10 * 31 * 0.5 * 1.0
    assert abs(totals[:, :20].mean() - expected) < 5 * math.sqrt(expected * 0.5 / 80)


def test_stochastic_rounding_of_probabilities_is_unbiased() -> None:
    """``res = 0.5`` with ``sto_round``: p = 0.3 becomes 0.5 with probability 0.6, else 0."""
    array = _array("constant", 1, 200, dw_min=0.001, dw_min_std=0.0, **NO_DTOD)
    up = UpdateParameters(
        res=0.5, sto_round=True, update_management=False, update_bl_management=False
    )
    x = torch.full((1, 200), 0.3)
    d = torch.ones(1, 1)
    gen = torch.Generator().manual_seed(6)
    array.set_weights(torch.zeros(1, 200), gen)
    assert fast_pulsed_update(array, x, d, 0.031, array.granularity, up, gen)
    counts = (-array.weight / 0.001).round().flatten().double()
    # each column: 0 pulses (p rounded to 0) or Binomial(31, 0.5)
    mean, second = 31 * 0.5 * 0.6, 0.6 * (31 * 0.25 + (31 * 0.5) ** 2)
    var = second - mean**2
    assert abs(counts.mean() - mean) < 5 * math.sqrt(var / counts.numel())
    fired = (counts > 0).double().mean()  # P(Binomial(31, 0.5) = 0) is negligible
    assert abs(fired - 0.6) < 5 * math.sqrt(0.24 / counts.numel())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_given_counts_noise_free_equal_reference(name: str) -> None:
    """``fast_apply_pulse_counts`` equals ``apply_pulse_counts`` without c2c noise."""
    out_size, in_size = 7, 9
    w0 = torch.linspace(0.55, -0.55, out_size * in_size).reshape(out_size, in_size)
    fast, ref = _pair(name, out_size, in_size, w0, dw_min_std=0.0)
    g = torch.Generator().manual_seed(4)
    for _ in range(2):
        counts = torch.randint(0, 40, (out_size, in_size), generator=g, dtype=torch.int32)
        counts[0] = 0
        down = torch.rand(out_size, in_size, generator=g) < 0.5
        assert fast_apply_pulse_counts(fast, counts, down, torch.Generator().manual_seed(1))
        ref.apply_pulse_counts(counts, down, torch.Generator().manual_seed(1))
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)


def test_given_counts_noise_and_write_noise_match_reference_in_distribution() -> None:
    fields = dict(dw_min_std=0.5, write_noise_std=2.0, **NO_DTOD)
    fast, ref = _pair("soft_bounds", 40, 50, 0.5, **fields)
    counts = torch.full((40, 50), 25, dtype=torch.int32)
    counts[:, :10] = 0
    down = torch.zeros(40, 50, dtype=torch.bool)
    before = fast.weight.clone()
    assert fast_apply_pulse_counts(fast, counts, down, torch.Generator().manual_seed(3))
    ref.apply_pulse_counts(counts, down, torch.Generator().manual_seed(3))
    assert torch.equal(fast.weight[:, :10], before[:, :10])  # not pulsed: no redraw
    for attr in ("persistent_weight", "weight"):
        z_mean, z_var = z_mean_and_var(getattr(fast, attr)[:, 10:], getattr(ref, attr)[:, 10:])
        assert abs(z_mean) < 5.0 and abs(z_var) < 5.0, (attr, z_mean, z_var)


def test_given_counts_fall_back_under_the_reference_backend() -> None:
    array = _array("constant", 3, 4)
    counts = torch.ones(3, 4, dtype=torch.int32)
    down = torch.zeros(3, 4, dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    state = gen.get_state().clone()
    before = array.weight.clone()
    with use_reference():
        assert not fast_apply_pulse_counts(array, counts, down, gen)
    assert not fast_apply_pulse_counts(array, -counts, down, gen)  # the reference raises
    assert not fast_apply_pulse_counts(array, counts[:2], down[:2], gen)
    assert torch.equal(array.weight, before) and torch.equal(gen.get_state(), state)


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("um, ublm, fixed_bl", [(False, False, False), (False, False, True),
                                                (True, False, False), (False, True, True),
                                                (True, True, False)])  # fmt: skip
def test_compiled_scales_equal_the_torch_formulas(per_sample, um, ublm, fixed_bl) -> None:
    """The fast path's compiled ``update_scales`` gives the same train lengths as
    :func:`analogtrain.kernels.update.pulses.update_scales` and the same scales to rounding, for
    rows without input or error, short and long trains and negative or zero rates."""
    import numpy as np

    from analogtrain.kernels.update.cpu.fast_update import _kernels
    from analogtrain.kernels.update.pulses import update_scales

    kernels = _kernels()
    g = torch.Generator().manual_seed(int(per_sample) + 2 * um + 4 * ublm + 8 * fixed_bl)
    up = UpdateParameters(update_management=um, update_bl_management=ublm, fixed_bl=fixed_bl)
    for lr_scale in (0.01, -0.3, 5.0):
        x = torch.randn(9, 20, generator=g)
        x[2] = 0.0
        d = torch.randn(9, 7, generator=g) * 0.01
        d[4] = 0.0
        if per_sample:
            lr = torch.rand(9, generator=g, dtype=torch.float64) * lr_scale
            lr[1] = 0.0
            rates = lr.numpy()
        else:
            lr, rates = lr_scale, np.full(9, lr_scale)
        bl, a, b = update_scales(x, d, lr, 0.001, up)
        bl_c, a_c, b_c = kernels.update_scales(
            x.numpy(), d.numpy(), rates, not per_sample, 0.001, 31, fixed_bl, um, ublm, 1.0
        )
        assert np.array_equal(bl.numpy(), bl_c)
        np.testing.assert_allclose(a_c, a.numpy(), rtol=1e-14, atol=0)
        np.testing.assert_allclose(b_c, b.numpy(), rtol=1e-14, atol=0)
        assert bl_c.max() > 0 and bl_c[2] == 0 and bl_c[4] == 0
