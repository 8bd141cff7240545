"""Per-sample learning rates and captured reads of the pulsed update (kernels/update/pulsed.py).

``pulsed_update_capture`` records weight columns at given sample counts inside one batched
update (what the chopped compounds need, spec compounds 3.12); the reference does it sample
by sample, the numba path row by row. Both must equal "update in segments, copy the column
between them".
"""

from __future__ import annotations

import pytest
import torch

import analogtrain.kernels.update.cpu.fast_update as fast_cpu
from analogtrain.configs import ConstantStepDevice, SoftBoundsReferenceDevice, UpdateParameters
from analogtrain.configs.enums import PulseType
from analogtrain.devices import create_device_array
from analogtrain.errors import ArgumentError
from analogtrain.kernels.update import backend
from analogtrain.kernels.update.pulsed import pulsed_update, pulsed_update_capture
from analogtrain.kernels.update.pulses import update_scales

OUT, IN = 5, 4
#: fixed-length trains without management; with |x|, |d| in {0, 1} every slot fires
FULL = UpdateParameters(desired_bl=1, update_management=False, update_bl_management=False)


def exact_array(seed: int = 3, in_size: int = IN):
    device = ConstantStepDevice(dw_min=0.01, dw_min_std=0.0, dw_min_dtod=0.3)
    return create_device_array(device, OUT, in_size, torch.Generator().manual_seed(seed))


def signs(m: int, n: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randint(-1, 2, (m, n), generator=gen).to(torch.float32)


def segmented(array, x, d, lr, up, after, cols) -> torch.Tensor:
    """The definition: update up to each read, copy the column, go on."""
    out = []
    start = 0
    for b, i in zip(after, cols):
        if b + 1 > start:
            rate = lr[start : b + 1] if isinstance(lr, torch.Tensor) else lr
            pulsed_update(array, x[start : b + 1], d[start : b + 1], rate, up, torch.Generator())
            start = b + 1
        out.append(array.weight[:, i].clone())
    if start < x.shape[0]:
        rate = lr[start:] if isinstance(lr, torch.Tensor) else lr
        pulsed_update(array, x[start:], d[start:], rate, up, torch.Generator())
    return torch.stack(out)


@pytest.mark.parametrize("fast", [False, True])
def test_capture_equals_segmented_updates_for_deterministic_trains(fast: bool) -> None:
    gen = torch.Generator().manual_seed(0)
    m = 9
    x, d = signs(m, IN, gen), signs(m, OUT, gen)
    lr = torch.tensor([0.05, 0.03, -0.02, 0.05, 0.0, 0.04, 0.01, 0.05, 0.02], dtype=torch.float64)
    after, cols = [0, 2, 2, 4, 7, 8], [1, 3, 0, 1, 2, 1]
    reference, captured = exact_array(), exact_array()
    with backend.use_reference():
        expected = segmented(reference, x, d, lr, FULL, after, cols)
    if fast:
        got = pulsed_update_capture(captured, x, d, lr, FULL, torch.Generator(), after, cols)
    else:
        with backend.use_reference():
            got = pulsed_update_capture(captured, x, d, lr, FULL, torch.Generator(), after, cols)
    assert expected.abs().sum() > 0
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(captured.weight, reference.weight, atol=1e-6, rtol=0)


def test_fast_capture_with_few_firing_columns_and_idle_rows_equals_segmented() -> None:
    """The numba kernel's shortcuts: samples in which fewer than a quarter of the columns
    fire take the sparse column list, and a row that never fires still records its reads."""
    gen = torch.Generator().manual_seed(4)
    m, n_in = 8, 16
    x = torch.zeros(m, n_in)
    for s in range(m):  # two firing columns per sample (2 < 16 / 4)
        x[s, torch.randperm(n_in, generator=gen)[:2]] = torch.where(
            torch.rand(2, generator=gen) < 0.5, -1.0, 1.0
        )
    x[3] = signs(1, n_in, gen)  # one dense sample in between
    d = signs(m, OUT, gen)
    d[:, 2] = 0.0  # row 2 never fires
    after, cols = [0, 1, 3, 3, 6, 7], [5, 2, 9, 0, 15, 5]
    reference, captured = exact_array(in_size=n_in), exact_array(in_size=n_in)
    with backend.use_reference():
        expected = segmented(reference, x, d, 0.05, FULL, after, cols)
    got = pulsed_update_capture(captured, x, d, 0.05, FULL, torch.Generator(), after, cols)
    assert expected.abs().sum() > 0 and (x != 0).sum(dim=1).min() == 2
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(captured.weight, reference.weight, atol=1e-6, rtol=0)


def test_fast_capture_is_registered() -> None:
    assert fast_cpu.fast_pulsed_update.capture is fast_cpu.fast_pulsed_update_capture


def capture_runs(reference: bool, n: int) -> torch.Tensor:
    device = SoftBoundsReferenceDevice(write_noise_std=0.5, dw_min=0.01, dw_min_std=0.3)
    up = UpdateParameters(desired_bl=5)
    gx = torch.Generator().manual_seed(1)
    x, d = torch.randn(12, IN, generator=gx), torch.randn(12, OUT, generator=gx)
    lr = torch.linspace(0.5, 1.5, 12, dtype=torch.float64)
    after, cols = list(range(12)), [i % IN for i in range(12)]
    out = []
    for seed in range(n):
        array = create_device_array(device, OUT, IN, torch.Generator().manual_seed(5))
        gen = torch.Generator().manual_seed(seed)
        if reference:
            with backend.use_reference():
                c = pulsed_update_capture(array, x, d, lr, up, gen, after, cols, granularity=0.01)
        else:
            c = pulsed_update_capture(array, x, d, lr, up, gen, after, cols, granularity=0.01)
        assert torch.equal(c[-1], array.weight[:, cols[-1]])  # the last read is the end state
        out.append(c)
    return torch.stack(out).to(torch.float64)


def test_fast_capture_matches_reference_in_distribution() -> None:
    # noisy pulses, c2c noise and write noise: per read and row, means within 5 standard
    # errors; the spread pooled over all reads within 25 %
    n = 150
    a, b = capture_runs(False, n), capture_runs(True, n)
    se = ((a.var(dim=0) + b.var(dim=0)) / n).sqrt()
    assert bool(((a.mean(dim=0) - b.mean(dim=0)).abs() <= 5 * se).all())
    ratio = float(a.var(dim=0).mean() / b.var(dim=0).mean())
    assert 0.8 < ratio < 1.25, ratio


@pytest.mark.parametrize(
    "kw",
    [
        {"desired_bl": 5},
        {"desired_bl": 5, "update_bl_management": False},
        {"desired_bl": 3, "update_management": False, "update_bl_management": False},
        {"desired_bl": 2, "fixed_bl": True, "update_management": False},
    ],
)
def test_per_sample_scales_equal_scalar_scales_bit_for_bit(kw: dict) -> None:
    up = UpdateParameters(**kw)
    gen = torch.Generator().manual_seed(2)
    x, d = torch.randn(6, IN, generator=gen), torch.randn(6, OUT, generator=gen)
    d[2] = 0.0
    lr = torch.tensor([0.001, 0.05, 0.3, -0.02, 0.0, 2.5], dtype=torch.float64)
    bl, a, b = update_scales(x, d, lr, 0.01, up)
    for s in range(6):
        bl_s, a_s, b_s = update_scales(x[s : s + 1], d[s : s + 1], float(lr[s]), 0.01, up)
        assert torch.equal(bl[s : s + 1], bl_s)
        assert torch.equal(a[s : s + 1], a_s)
        assert torch.equal(b[s : s + 1], b_s)


def test_per_sample_rate_equals_one_call_per_sample_with_mean_counts() -> None:
    up = UpdateParameters(desired_bl=4, pulse_type=PulseType.MEAN_COUNT)
    gen = torch.Generator().manual_seed(4)
    x, d = torch.randn(5, IN, generator=gen), torch.randn(5, OUT, generator=gen)
    lr = torch.tensor([0.02, -0.03, 0.01, 0.0, 0.05], dtype=torch.float64)
    batched, single = exact_array(), exact_array()
    pulsed_update(batched, x, d, lr, up, torch.Generator())
    for s in range(5):
        pulsed_update(single, x[s : s + 1], d[s : s + 1], float(lr[s]), up, torch.Generator())
    assert single.weight.abs().sum() > 0
    assert torch.equal(batched.weight, single.weight)


def test_bad_rates_and_read_points_are_rejected() -> None:
    array = exact_array()
    x, d = torch.ones(3, IN), torch.ones(3, OUT)
    gen = torch.Generator()
    with pytest.raises(ArgumentError, match="shape"):
        pulsed_update(array, x, d, torch.ones(2, dtype=torch.float64), FULL, gen)
    with pytest.raises(ArgumentError, match="finite"):
        pulsed_update(array, x, d, torch.tensor([0.1, float("nan"), 0.1]), FULL, gen)
    inf_rate = torch.tensor([0.1, 0.1, float("-inf")], dtype=torch.float64)
    with pytest.raises(ArgumentError, match="finite"):
        pulsed_update_capture(array, x, d, inf_rate, FULL, gen, [0], [0])
    with pytest.raises(ArgumentError, match="non-decreasing"):
        pulsed_update_capture(array, x, d, 0.1, FULL, gen, [2, 1], [0, 0])
    with pytest.raises(ArgumentError, match="read_columns"):
        pulsed_update_capture(array, x, d, 0.1, FULL, gen, [0], [IN])
    with pytest.raises(ArgumentError, match="same length"):
        pulsed_update_capture(array, x, d, 0.1, FULL, gen, [0, 1], [0])
    assert torch.equal(array.weight, exact_array().weight)  # nothing changed


def test_fast_update_of_one_hot_inputs_equals_reference() -> None:
    # one-hot rows (as the transfer writes): the numba kernel visits only the firing column
    gen = torch.Generator().manual_seed(6)
    cols = [0, 2, 13, 2, 1, 0, 7]
    x = torch.zeros(len(cols), 16)
    x[torch.arange(len(cols)), cols] = 1.0
    x[3, 5] = -1.0  # two columns: still sparse
    d = signs(len(cols), OUT, gen)
    fast, reference = exact_array(in_size=16), exact_array(in_size=16)
    pulsed_update(fast, x, d, 0.03, FULL, torch.Generator())
    with backend.use_reference():
        pulsed_update(reference, x, d, 0.03, FULL, torch.Generator())
    assert reference.weight.abs().sum() > 0
    torch.testing.assert_close(fast.weight, reference.weight, atol=1e-6, rtol=0)


@pytest.mark.parametrize("per_sample", [False, True])
def test_checked_capture_equals_the_validated_call_bit_for_bit(per_sample: bool) -> None:
    """``pulsed_update_capture_of_checked`` (the chopped compounds' batched call) is the
    same update as ``pulsed_update_capture``: weights, reads and generator state."""
    import numpy as np

    from analogtrain.kernels.update.pulsed import pulsed_update_capture_of_checked

    up = UpdateParameters(desired_bl=5)
    gen = torch.Generator().manual_seed(8)
    x, d = torch.randn(7, IN, generator=gen), torch.randn(7, OUT, generator=gen)
    lr = torch.linspace(0.01, 0.07, 7, dtype=torch.float64) if per_sample else 0.04
    after, cols = np.array([0, 2, 2, 5, 6]), np.array([1, 3, 0, 2, 1])
    device = SoftBoundsReferenceDevice(dw_min=0.02, write_noise_std=0.3)
    arrays = [create_device_array(device, OUT, IN, torch.Generator().manual_seed(1)) for _ in "ab"]
    gens = [torch.Generator().manual_seed(3) for _ in "ab"]
    plain = pulsed_update_capture(arrays[0], x, d, lr, up, gens[0], after, cols, granularity=0.02)
    with torch.no_grad():
        checked = pulsed_update_capture_of_checked(
            arrays[1], x, d, lr, up, gens[1], after, cols, granularity=0.02
        )
    assert torch.equal(plain, checked)
    assert torch.equal(arrays[0].weight, arrays[1].weight)
    assert not torch.equal(arrays[0].weight, create_device_array(
        device, OUT, IN, torch.Generator().manual_seed(1)).weight)  # fmt: skip
    assert torch.equal(gens[0].get_state(), gens[1].get_state())
