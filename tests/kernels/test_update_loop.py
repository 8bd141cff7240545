"""The reference batch loop of the pulsed update, against a small recording array."""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs.enums import PulseType
from analogtrain.configs.update import UpdateParameters
from analogtrain.errors import ArgumentError, NotSimulatedError, TileError
from analogtrain.kernels.update.pulsed import iter_coincidences, pulsed_update
from analogtrain.kernels.update.pulses import update_scales


class RecordingArray:
    """An ideal constant-step array (step ``granularity``, no bounds, no noise) that records
    every call it receives."""

    is_floating_point = False

    def __init__(self, out_size: int, in_size: int, granularity: float = 0.001) -> None:
        self.weight = torch.zeros(out_size, in_size)
        self.persistent_weight = self.weight
        self.granularity = granularity
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def apply_pulse_counts(self, counts, down, generator) -> None:
        self.calls.append((counts.clone(), down.clone()))
        step = torch.where(down, -self.granularity, self.granularity)
        self.weight += counts.to(self.weight.dtype) * step

    def clip_weights(self, c, generator) -> None:
        self.calls.append(("clip", c))
        self.weight.clamp_(-0.05, 0.05)

    def float_update(self, x, d, lr) -> None:
        self.calls.append(("float", lr))
        self.weight -= lr * d.T @ x


class FloatArray(RecordingArray):
    is_floating_point = True


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(m: int, n_in: int = 4, n_out: int = 3, seed: int = 1):
    g = _gen(seed)
    return torch.rand(m, n_in, generator=g) - 0.5, torch.rand(m, n_out, generator=g) - 0.5


def test_samples_are_applied_in_order_one_by_one() -> None:
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    d = torch.tensor([[1.0], [-1.0], [1.0], [1.0]])
    # A = B = 1 and every probability is 0 or 1: exact counts per sample
    up = UpdateParameters(update_management=False, update_bl_management=False, desired_bl=5)
    array = RecordingArray(1, 2, granularity=0.2)
    pulsed_update(array, x, d, 1.0, up, _gen())
    counts = [c.tolist() for c, _ in array.calls]
    downs = [w.tolist() for _, w in array.calls]
    assert counts == [[[5, 0]], [[0, 5]], [[5, 5]]]  # sample 2 (x = 0) is skipped
    assert downs == [[[True, False]], [[False, False]], [[True, True]]]
    assert torch.allclose(array.weight, torch.tensor([[-2.0, 0.0]]))


def test_expected_change_is_the_sgd_step() -> None:
    # spec 4.5.6: E[dW] = -lr d x^T for an ideal constant step device (k <= desired_bl)
    x, d = _batch(8)
    lr, g, trials = 0.05, 0.001, 300
    total = torch.zeros(3, 4, dtype=torch.float64)
    for t in range(trials):
        array = RecordingArray(3, 4, granularity=g)
        pulsed_update(array, x, d, lr, UpdateParameters(), _gen(t))
        total += array.weight.double()
    mean = total / trials
    ideal = -lr * (d.T @ x).double()
    # per sample counts ~ Binomial(BL, p) with mean lr |d x| / g; variance <= the mean
    var = sum((lr * torch.outer(d[s], x[s]).abs().double() / g) for s in range(x.shape[0])) * g**2
    se = torch.sqrt(var / trials)
    assert bool(((mean - ideal).abs() <= 5 * se + 1e-9).all()), (mean, ideal)


def test_chunked_batch_equals_single_updates_with_the_same_seed() -> None:
    x, d = _batch(6)
    up = UpdateParameters()
    singles = RecordingArray(3, 4)
    gen = _gen(42)
    for s in range(6):
        pulsed_update(singles, x[s : s + 1], d[s : s + 1], 0.02, up, gen)
    batched = RecordingArray(3, 4)
    gen = _gen(42)
    for _, counts, down in iter_coincidences(x, d, 0.02, 0.001, up, gen, chunk_size=1):
        batched.apply_pulse_counts(counts, down, gen)
    assert torch.equal(singles.weight, batched.weight)
    assert len(singles.calls) == len(batched.calls)


def test_batch_equals_single_updates_in_mean() -> None:
    # default chunking draws the whole batch at once: same distribution as sample by sample
    x, d = _batch(5)
    up = UpdateParameters()
    trials = 200
    single_sum = torch.zeros(3, 4, dtype=torch.float64)
    batch_sum = torch.zeros(3, 4, dtype=torch.float64)
    for t in range(trials):
        a, b = RecordingArray(3, 4), RecordingArray(3, 4)
        pulsed_update(a, x, d, 0.03, up, _gen(2 * t))
        gen = _gen(2 * t + 1)
        for s in range(5):
            pulsed_update(b, x[s : s + 1], d[s : s + 1], 0.03, up, gen)
        batch_sum += a.weight.double()
        single_sum += b.weight.double()
    var = sum(0.03 * torch.outer(d[s], x[s]).abs().double() * 0.001 for s in range(5))
    se = torch.sqrt(2 * var / trials)
    assert bool(((batch_sum - single_sum).abs() / trials <= 5 * se + 1e-9).all())


def test_earlier_calls_do_not_change_how_a_batch_is_applied() -> None:
    x, d = _batch(7, seed=3)
    up = UpdateParameters()
    # same generator state for the batch call, with and without a batch-1 call before
    fresh = RecordingArray(3, 4)
    pulsed_update(fresh, x, d, 0.02, up, _gen(9))
    warmed = RecordingArray(3, 4)
    pulsed_update(warmed, x[:1] * 0.3, d[:1], 0.01, up, _gen(5))
    n_before = len(warmed.calls)
    pulsed_update(warmed, x, d, 0.02, up, _gen(9))
    after = warmed.calls[n_before:]
    assert len(after) == len(fresh.calls)
    for (c1, w1), (c2, w2) in zip(fresh.calls, after):
        assert torch.equal(c1, c2) and torch.equal(w1, w2)


def test_same_seed_same_result() -> None:
    x, d = _batch(10, n_in=20, n_out=15)
    a, b = RecordingArray(15, 20), RecordingArray(15, 20)
    pulsed_update(a, x, d, 0.1, UpdateParameters(), _gen(3))
    pulsed_update(b, x, d, 0.1, UpdateParameters(), _gen(3))
    assert torch.equal(a.weight, b.weight)
    c = RecordingArray(15, 20)
    pulsed_update(c, x, d, 0.1, UpdateParameters(), _gen(4))
    assert not torch.equal(a.weight, c.weight)


def test_iter_coincidences_order_and_empty_samples() -> None:
    x = torch.tensor([[0.0, 0.0], [1.0, 0.5], [0.0, 0.0], [0.5, 1.0], [0.0, 0.0]])
    d = torch.tensor([[1.0], [1.0], [1.0], [-1.0], [1.0]])
    up = UpdateParameters()
    got = [s for s, _, _ in iter_coincidences(x, d, 0.05, 0.001, up, _gen())]
    assert got == [1, 3]
    every = list(iter_coincidences(x, d, 0.05, 0.001, up, _gen(), skip_empty=False))
    assert [s for s, _, _ in every] == [0, 1, 2, 3, 4]
    assert every[0][1].sum() == 0 and every[4][1].sum() == 0
    assert every[1][1].sum() > 0
    with pytest.raises(ArgumentError, match="chunk_size"):
        list(iter_coincidences(x, d, 0.05, 0.001, up, _gen(), chunk_size=0))


def test_negative_lr_flips_the_direction() -> None:
    x = torch.tensor([[1.0, -1.0]])
    d = torch.tensor([[1.0]])
    up = UpdateParameters()
    ((_, c_pos, w_pos),) = list(iter_coincidences(x, d, 0.01, 0.001, up, _gen(1)))
    ((_, c_neg, w_neg),) = list(iter_coincidences(x, d, -0.01, 0.001, up, _gen(1)))
    assert torch.equal(c_pos, c_neg)
    assert w_pos.tolist() == [[True, False]]
    assert torch.equal(w_neg, ~w_pos)


def test_granularity_override_scales_the_counts() -> None:
    x, d = torch.tensor([[1.0]]), torch.tensor([[1.0]])
    up = UpdateParameters(pulse_type=PulseType.MEAN_COUNT)
    array = RecordingArray(1, 1, granularity=0.001)
    pulsed_update(array, x, d, 0.01, up, _gen())  # k = 10 -> 10 pulses of the array's g
    pulsed_update(array, x, d, 0.01, up, _gen(), granularity=0.002)  # k = 5
    assert [c.item() for c, _ in array.calls] == [10, 5]
    with pytest.raises(ArgumentError, match="granularity"):
        pulsed_update(array, x, d, 0.01, up, _gen(), granularity=-1.0)


def test_zero_lr_does_nothing() -> None:
    x, d = _batch(3)
    array = RecordingArray(3, 4)
    pulsed_update(array, x, d, 0.0, UpdateParameters(), _gen())
    assert array.calls == [] and array.weight.abs().sum() == 0


def test_floating_point_arrays_get_the_exact_step() -> None:
    x, d = _batch(3)
    array = FloatArray(3, 4)
    pulsed_update(array, x, d, 0.5, UpdateParameters(), _gen())
    assert array.calls == [("float", 0.5)]
    assert torch.allclose(array.weight, -0.5 * d.T @ x)


def test_none_with_device_is_exact_then_clipped_per_sample() -> None:
    x = torch.tensor([[1.0], [1.0]])
    d = torch.tensor([[1.0], [-1.0]])
    up = UpdateParameters(pulse_type=PulseType.NONE_WITH_DEVICE)
    array = RecordingArray(1, 1)
    pulsed_update(array, x, d, 0.08, up, _gen())
    # -0.08 clipped to -0.05 after sample 0, then +0.08 -> 0.03 (not 0.0)
    assert array.calls == [("clip", -1.0), ("clip", -1.0)]
    assert array.weight.item() == pytest.approx(0.03)


def test_pulse_type_none_on_a_pulsed_array_is_refused() -> None:
    x, d = _batch(2)
    array = RecordingArray(3, 4)
    with pytest.raises(NotSimulatedError, match="NONE"):
        pulsed_update(array, x, d, 0.1, UpdateParameters(pulse_type=PulseType.NONE), _gen())


@pytest.mark.parametrize(
    ("x", "d", "match"),
    [
        (torch.ones(2, 5), torch.ones(2, 3), r"x must be \[m, 4\]"),
        (torch.ones(2, 4), torch.ones(2, 2), r"d must be \[m, 3\]"),
        (torch.ones(4), torch.ones(3), r"x must be \[m, 4\]"),
        (torch.ones(2, 4), torch.ones(3, 3), "same number of rows"),
        (torch.ones(2, 4, dtype=torch.float64), torch.ones(2, 3), "x has dtype"),
        (torch.ones(2, 4), torch.tensor([[0.1, float("nan"), 0.0]] * 2), "d contains NaN"),
        (torch.tensor([[1.0, float("inf"), 0, 0]] * 2), torch.ones(2, 3), "x contains NaN"),
    ],
)
def test_rejected_updates_touch_nothing(x, d, match) -> None:
    array = RecordingArray(3, 4)
    array.weight += 0.01
    before = array.weight.clone()
    for up in (UpdateParameters(), UpdateParameters(pulse_type=PulseType.NONE_WITH_DEVICE)):
        with pytest.raises(TileError, match=match):
            pulsed_update(array, x, d, 0.1, up, _gen())
    with pytest.raises(TileError, match=match):
        pulsed_update(FloatArray(3, 4), x, d, 0.1, UpdateParameters(), _gen())
    assert array.calls == []
    assert torch.equal(array.weight, before)


def test_non_finite_lr_is_rejected() -> None:
    x, d = _batch(2)
    array = RecordingArray(3, 4)
    with pytest.raises(ArgumentError, match="learning rate"):
        pulsed_update(array, x, d, float("nan"), UpdateParameters(), _gen())
    assert array.calls == []


def test_update_scales_skip_matches_loop() -> None:
    # samples the loop applies are exactly those with BL > 0 and some coincidence
    x, d = _batch(12, seed=8)
    x[3] = 0.0
    d[7] = 0.0
    bl, _, _ = update_scales(x, d, 0.05, 0.001, UpdateParameters())
    seen = [s for s, _, _ in iter_coincidences(x, d, 0.05, 0.001, UpdateParameters(), _gen())]
    assert 3 not in seen and 7 not in seen
    assert set(seen) <= set(torch.nonzero(bl).squeeze(1).tolist())


def test_inputs_that_require_grad_leave_no_graph_on_the_weights() -> None:
    x, d = _batch(3)
    x.requires_grad_(True)
    for up in (UpdateParameters(), UpdateParameters(pulse_type=PulseType.NONE_WITH_DEVICE)):
        array = RecordingArray(3, 4)
        pulsed_update(array, x, d, 0.1, up, _gen())
        assert not array.weight.requires_grad
        assert array.weight.abs().sum() > 0
