"""The backend switch and the registration of fast pulsed updates."""

from __future__ import annotations

import pytest
import torch

import analogtrain.kernels as kernels
from analogtrain.configs.enums import PulseType
from analogtrain.configs.update import UpdateParameters
from analogtrain.errors import ArgumentError
from analogtrain.kernels.update import backend
from analogtrain.kernels.update.pulsed import pulsed_update


class CountingArray:
    is_floating_point = False

    def __init__(self) -> None:
        self.weight = torch.zeros(2, 2)
        self.persistent_weight = self.weight
        self.granularity = 0.001
        self.reference_calls = 0

    def apply_pulse_counts(self, counts, down, generator) -> None:
        self.reference_calls += 1

    def clip_weights(self, c, generator) -> None:
        pass


class OtherArray(CountingArray):
    pass


@pytest.fixture
def registry():
    """Isolate the registry and the backend choice of each test."""
    saved = dict(backend._fast_updates)
    saved_backend = backend.get_backend()
    yield
    backend._fast_updates.clear()
    backend._fast_updates.update(saved)
    backend.set_backend(saved_backend)


def _call(array, up=None):
    x = torch.tensor([[1.0, 0.5], [0.5, 1.0]])
    d = torch.tensor([[1.0, -1.0], [0.2, 0.3]])
    pulsed_update(array, x, d, 0.05, up or UpdateParameters(), torch.Generator().manual_seed(0))


def test_backend_names(registry) -> None:
    assert kernels.get_backend() == "auto"
    kernels.set_backend("reference")
    assert kernels.get_backend() == "reference"
    with pytest.raises(ArgumentError, match="'numba'"):
        kernels.set_backend("numba")
    assert kernels.get_backend() == "reference"


def test_use_reference_restores_the_previous_backend(registry) -> None:
    with kernels.use_reference():
        assert kernels.get_backend() == "reference"
    assert kernels.get_backend() == "auto"
    with pytest.raises(RuntimeError), kernels.use_reference():
        raise RuntimeError("boom")
    assert kernels.get_backend() == "auto"


def test_registered_fast_update_is_used_for_its_exact_class(registry) -> None:
    seen = []

    def fast(array, x, d, lr, granularity, up, generator) -> bool:
        seen.append((type(array).__name__, lr, granularity))
        return True

    kernels.register_fast_update(CountingArray, fast)
    array = CountingArray()
    _call(array)
    assert seen == [("CountingArray", 0.05, 0.001)]
    assert array.reference_calls == 0
    # a subclass is not covered
    other = OtherArray()
    _call(other)
    assert len(seen) == 1 and other.reference_calls > 0
    # the reference backend bypasses it
    with kernels.use_reference():
        _call(array)
    assert len(seen) == 1 and array.reference_calls > 0
    # exact pulse types never reach it
    _call(array, UpdateParameters(pulse_type=PulseType.NONE_WITH_DEVICE))
    assert len(seen) == 1


def test_fast_update_may_decline(registry) -> None:
    kernels.register_fast_update(CountingArray, lambda *args: False)
    array = CountingArray()
    _call(array)
    assert array.reference_calls > 0


def test_registration_is_per_device_type(registry) -> None:
    kernels.register_fast_update(CountingArray, lambda *args: True, device_type="cuda")
    array = CountingArray()
    _call(array)  # cpu tensors: the cuda function does not apply
    assert array.reference_calls > 0


def test_bad_registrations(registry) -> None:
    with pytest.raises(ArgumentError, match="class"):
        kernels.register_fast_update(CountingArray(), lambda *a: True)
    with pytest.raises(ArgumentError, match="callable"):
        kernels.register_fast_update(CountingArray, 3)
