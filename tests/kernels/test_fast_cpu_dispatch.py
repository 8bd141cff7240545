"""Registration, fallbacks, reproducibility and thread independence of the numba update."""

from __future__ import annotations

import numpy as np
import pytest
import torch

numba = pytest.importorskip("numba")

import analogtrain.configs as cfgs  # noqa: E402
from analogtrain.configs.enums import PulseType  # noqa: E402
from analogtrain.configs.update import UpdateParameters  # noqa: E402
from analogtrain.devices import (  # noqa: E402
    PulsedDeviceArray,  # noqa: E402
    SoftBoundsReferenceDeviceArray,
    create_device_array,
)
from analogtrain.kernels import use_reference  # noqa: E402
from analogtrain.kernels.update import backend  # noqa: E402
from analogtrain.kernels.update.cpu import fast_update as fast_cpu  # noqa: E402
from analogtrain.kernels.update.cpu.fast_update import fast_pulsed_update  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update  # noqa: E402


def _array(config=None, dtype=torch.float32):
    config = config or cfgs.SoftBoundsReferenceDevice(write_noise_std=1.0)
    return create_device_array(config, 12, 20, torch.Generator().manual_seed(3), dtype=dtype)


def _batch(dtype=torch.float32):
    g = torch.Generator().manual_seed(4)
    x = (torch.rand(6, 20, generator=g) * 2 - 1).to(dtype)
    d = (0.3 * torch.randn(6, 12, generator=g)).to(dtype)
    return x, d


@pytest.fixture
def registry():
    """Isolate the fast-update registry and the backend choice."""
    saved = dict(backend._fast_updates)
    saved_backend = backend.get_backend()
    yield
    backend._fast_updates.clear()
    backend._fast_updates.update(saved)
    backend.set_backend(saved_backend)


def test_registered_for_every_supported_class_and_bypassed_by_use_reference(registry) -> None:
    assert fast_cpu.register_fast_cpu_updates() == (PulsedDeviceArray,)
    array = _array()
    assert backend.fast_update_for(array, "cpu") is fast_pulsed_update
    assert backend.fast_update_for(array, "cuda") is not fast_pulsed_update  # CPU only
    with use_reference():
        assert backend.fast_update_for(array, "cpu") is None
    floating = create_device_array(cfgs.IdealDevice(), 2, 2, torch.Generator().manual_seed(0))
    assert backend.fast_update_for(floating, "cpu") is None


def test_nothing_registered_without_numba(registry, monkeypatch) -> None:
    backend._fast_updates.clear()
    monkeypatch.setattr(fast_cpu, "numba_available", lambda: False)
    assert fast_cpu.register_fast_cpu_updates() == ()
    assert backend._fast_updates == {}


def test_pulsed_update_goes_through_the_fast_path(registry) -> None:
    """Same generator seed: the auto backend reproduces a direct fast call, not the reference."""
    fast_cpu.register_fast_cpu_updates()
    x, d = _batch()
    results = []
    for mode in ("auto", "direct", "reference"):
        array, gen = _array(), torch.Generator().manual_seed(9)
        if mode == "direct":
            assert fast_pulsed_update(array, x, d, 0.05, array.granularity, UpdateParameters(), gen)
        elif mode == "auto":
            pulsed_update(array, x, d, 0.05, UpdateParameters(), gen)
        else:
            with use_reference():
                pulsed_update(array, x, d, 0.05, UpdateParameters(), gen)
        results.append(array.weight.clone())
    assert torch.equal(results[0], results[1])
    assert not torch.equal(results[0], results[2])


def _state(array, gen):
    return (
        array.weight.clone(),
        array.persistent_weight.clone(),
        gen.get_state().clone(),
    )


def _assert_unchanged(before, after) -> None:
    for a, b in zip(before, after):
        assert torch.equal(a, b)


@pytest.mark.parametrize("case", ["float16", "no_numba", "subclass", "floating_point"])
def test_fallback_changes_nothing(case: str, monkeypatch) -> None:
    up = UpdateParameters()
    dtype = torch.float32
    array = None
    if case == "float16":  # float32 and float64 run compiled
        dtype = torch.float16
    elif case == "no_numba":
        monkeypatch.setattr(fast_cpu, "_kernels", lambda: None)
    elif case == "subclass":

        class Custom(SoftBoundsReferenceDeviceArray):
            pass

        array = Custom(cfgs.SoftBoundsReferenceDevice(), 12, 20, torch.Generator().manual_seed(3))
    elif case == "floating_point":
        array = create_device_array(cfgs.IdealDevice(), 12, 20, torch.Generator().manual_seed(0))
    array = array if array is not None else _array(dtype=dtype)
    x, d = _batch(dtype)
    gen = torch.Generator().manual_seed(5)
    before = _state(array, gen)
    assert not fast_pulsed_update(array, x, d, 0.05, 0.001, up, gen)
    _assert_unchanged(before, _state(array, gen))


def test_same_seed_same_result_and_generator_advanced_consistently() -> None:
    x, d = _batch()
    runs = []
    for _ in range(2):
        array, gen = _array(), torch.Generator().manual_seed(21)
        for _ in range(3):
            assert fast_pulsed_update(array, x, d, 0.05, array.granularity, UpdateParameters(), gen)
        runs.append(_state(array, gen))
    _assert_unchanged(runs[0], runs[1])
    other, gen = _array(), torch.Generator().manual_seed(22)
    fast_pulsed_update(other, x, d, 0.05, other.granularity, UpdateParameters(), gen)
    assert not torch.equal(other.weight, runs[0][0])


def test_result_does_not_depend_on_the_thread_count(monkeypatch) -> None:
    monkeypatch.setattr(fast_cpu, "_SERIAL_WORK", 0)  # small calls would run serially
    monkeypatch.setattr(fast_cpu, "_SERIAL_VISITS", 0)
    x, d = _batch()
    counts = torch.randint(0, 5, (12, 20), generator=torch.Generator().manual_seed(0))
    down = counts % 2 == 0
    previous = numba.get_num_threads()
    results = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            array, gen = _array(), torch.Generator().manual_seed(8)
            for _ in range(2):
                fast_pulsed_update(array, x, d, 0.05, array.granularity, UpdateParameters(), gen)
            assert fast_cpu.fast_apply_pulse_counts(array, counts, down, gen)
            assert numba.get_num_threads() == threads
            results.append((array.weight.clone(), array.persistent_weight.clone()))
    finally:
        numba.set_num_threads(previous)
    assert torch.equal(results[0][0], results[1][0])
    assert torch.equal(results[0][1], results[1][1])
    assert not torch.equal(results[0][0], _array().weight)  # something happened


@pytest.mark.parametrize(
    ("serial_work", "serial_visits", "expected"),
    [
        (1 << 40, 1 << 40, ["pulse_update", "apply_counts_serial"]),
        (0, 0, ["apply_pulses", "apply_counts"]),
        (0, 1 << 40, ["apply_pulses_serial", "apply_counts"]),
    ],
    ids=["serial", "parallel", "large-few-visits"],
)
def test_updates_pick_a_kernel_variant_and_never_set_numba_threads(
    serial_work: int, serial_visits: int, expected: list[str], monkeypatch
) -> None:
    """Small calls run the generated module's serial ``pulse_update`` (one call for trains
    and pulses), large ones the parallel kernels, except the pulses of a large call with few
    visits; numba's thread count is never touched."""

    def forbidden(*args):
        raise AssertionError("numba.set_num_threads was called")

    monkeypatch.setattr(numba, "set_num_threads", forbidden)
    monkeypatch.setattr(fast_cpu, "_SERIAL_WORK", serial_work)
    monkeypatch.setattr(fast_cpu, "_SERIAL_VISITS", serial_visits)
    array = _array()
    pulses = fast_cpu._inputs(array).pulses
    ran = []
    for name in ("pulse_update", "apply_pulses", "apply_pulses_serial", "apply_counts",
                 "apply_counts_serial"):  # fmt: skip
        kernel = getattr(pulses, name)
        monkeypatch.setattr(
            pulses, name, lambda *a, _k=kernel, _n=name: (ran.append(_n), _k(*a))[1]
        )
    x, d = _batch()
    gen = torch.Generator().manual_seed(8)
    assert fast_pulsed_update(array, x, d, 0.05, array.granularity, UpdateParameters(), gen)
    counts = torch.randint(0, 5, (12, 20), generator=torch.Generator().manual_seed(0))
    assert fast_cpu.fast_apply_pulse_counts(array, counts, counts % 2 == 0, gen)
    assert ran == expected


def test_stochastic_pulse_type_and_empty_batches() -> None:
    array = _array(cfgs.ConstantStepDevice())
    gen = torch.Generator().manual_seed(1)
    up = UpdateParameters(pulse_type=PulseType.STOCHASTIC)
    x, d = _batch()
    assert fast_pulsed_update(array, x, d, 0.05, array.granularity, up, gen)
    before = _state(array, gen)
    zeros = torch.zeros_like(x)
    assert fast_pulsed_update(array, zeros, d, 0.05, array.granularity, up, gen)
    _assert_unchanged(before, _state(array, gen))  # no pulse train: not even a seed drawn


@pytest.mark.parametrize("words", [1, 2, 3])
def test_pair_visits_counts_firing_rows_times_firing_columns(words: int) -> None:
    kernels = fast_cpu._kernels()
    gen = np.random.default_rng(words)
    m, out_size, in_size = 5, 7, 9
    rows = gen.integers(0, 2**63, (m, out_size, words), dtype=np.uint64)
    cols = gen.integers(0, 2**63, (m, in_size, words), dtype=np.uint64)
    rows[rows % 3 == 0] = 0  # many silent words, some silent lines
    cols[cols % 2 == 0] = 0
    rows[1] = 0  # a sample without firing rows
    expected = sum(
        int((rows[s] != 0).any(axis=1).sum()) * int((cols[s] != 0).any(axis=1).sum())
        for s in range(m)
    )
    assert expected > 0
    assert kernels.pair_visits(rows, cols) == expected


def _random_trains(gen: np.random.Generator, shape: tuple[int, ...], silent: float) -> np.ndarray:
    words = gen.integers(1, 2**63, shape, dtype=np.uint64)
    words[gen.random(shape) < silent] = 0
    return words


@pytest.mark.parametrize("words", [1, 2])
@pytest.mark.parametrize("silent", [0.5, 0.97])
def test_sparse_columns_lists_the_firing_columns_where_under_a_quarter_fire(
    words: int, silent: float
) -> None:
    kernels = fast_cpu._kernels()
    gen = np.random.default_rng(words)
    m, in_size = 40, 64
    cols = _random_trains(gen, (m, in_size, words), silent)
    cols[3] = 0  # a sample without firing columns
    cols[5] = 0
    cols[5, 1::4, -1] = 1  # exactly a quarter fires: scanned as dense
    cols[6] = 0
    cols[6, 1:60:4, 0] = 1  # one column fewer: listed
    listed, n = kernels.sparse_columns(cols)
    assert n[5] == -1 and n[6] == 15
    sparse_seen = dense_seen = False
    for s in range(m):
        firing = np.flatnonzero((cols[s] != 0).any(axis=1))
        if 4 * firing.size < in_size:
            sparse_seen = True
            assert n[s] == firing.size
            np.testing.assert_array_equal(listed[s, : n[s]], firing)
        else:
            dense_seen = True
            assert n[s] == -1
    assert sparse_seen and (dense_seen or silent > 0.9)


@pytest.mark.parametrize("words", [1, 2])
def test_active_samples_lists_each_rows_firing_samples_in_batch_order(words: int) -> None:
    kernels = fast_cpu._kernels()
    gen = np.random.default_rng(10 + words)
    m, out_size = 50, 13
    rows = _random_trains(gen, (m, out_size, words), 0.8)
    rows[:, 4] = 0  # a row that never fires
    rows[7] = 0  # a sample in which no row fires
    start, samples = kernels.active_samples(rows)
    assert start[0] == 0 and samples.shape == (start[out_size],)
    for i in range(out_size):
        expected = np.flatnonzero((rows[:, i] != 0).any(axis=1))
        np.testing.assert_array_equal(samples[start[i] : start[i + 1]], expected)
