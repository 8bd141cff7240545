"""The compiled update's inputs of a device array are built once and rebuilt whenever the
array changes in a way the kernels would not see through their views.

Each case updates an array once (filling the cache), changes it, and updates it again; the
oracle is the same history on a twin array whose cache entry is dropped before the second
update (a fresh build). Both must end bit for bit equal, and the change must matter (the
result differs from a third twin updated without the change).
"""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch

pytest.importorskip("numba")

import analogtrain.configs as cfgs  # noqa: E402
from analogtrain.configs.update import UpdateParameters  # noqa: E402
from analogtrain.devices import create_device_array  # noqa: E402
from analogtrain.kernels import use_backend  # noqa: E402
from analogtrain.kernels.update import rule_inputs  # noqa: E402
from analogtrain.kernels.update.cpu import fast_update  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update  # noqa: E402

OUT, IN = 6, 9


def _make(config=None, dtype=torch.float32):
    config = config or cfgs.SoftBoundsReferenceDevice(write_noise_std=0.5, dw_min_std=0.2)
    array = create_device_array(config, OUT, IN, torch.Generator().manual_seed(3), dtype=dtype)
    return array


def _update(array, seed: int) -> None:
    dtype = array.weight.dtype
    g = torch.Generator().manual_seed(40 + seed)
    x = (torch.rand(4, IN, generator=g) * 2 - 1).to(dtype)
    d = (0.5 * torch.randn(4, OUT, generator=g)).to(dtype)
    with use_backend("fast"):
        pulsed_update(array, x, d, 0.2, UpdateParameters(), torch.Generator().manual_seed(seed))


def _other_state():
    other = _make()
    other.set_hidden_parameters(
        {k: v * 1.5 for k, v in other.get_hidden_parameters().items()}
    )  # different device parameters
    return other.state_dict()


def _to_double(a):
    return a.to(torch.float64)


def _load_state(a):
    a.load_state_dict(_other_state())
    return a


def _hidden(a):
    params = a.get_hidden_parameters()
    params["dwmin_up"] = params["dwmin_up"] * 3.0
    a.set_hidden_parameters(params)
    return a


def _bounds_in_place(a):
    with torch.no_grad():
        a.max_bound.mul_(0.5)  # a viewed buffer, written in place
    return a


def _swap(a):
    torch.utils.swap_tensors(a.dwmin_down, a.dwmin_down * 2.0)
    return a


def _c2c(a):
    a.dw_min_std = 0.0
    return a


def _write_noise(a):
    a.write_noise_std = 2.0
    return a


def _register(a):
    a.register_buffer("dwmin_up", a.dwmin_up * 0.25)
    return a


CHANGES = {
    "to_float64": _to_double,
    "load_state_dict": _load_state,
    "set_hidden_parameters": _hidden,
    "bound_in_place": _bounds_in_place,
    "swap_tensors": _swap,
    "c2c_setting": _c2c,
    "write_noise_setting": _write_noise,
    "register_buffer": _register,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_changed_array_updates_as_a_freshly_built_one(change: str) -> None:
    cached, fresh, unchanged = _make(), _make(), _make()
    for a in (cached, fresh, unchanged):
        _update(a, 0)
    cached, fresh = CHANGES[change](cached), CHANGES[change](fresh)
    rule_inputs._CACHE.pop(fresh, None)
    for a in (cached, fresh, unchanged):
        _update(a, 1)
    assert torch.equal(cached.weight, fresh.weight)
    assert torch.equal(cached.persistent_weight, fresh.persistent_weight)
    assert not torch.equal(cached.weight.double(), unchanged.weight.double())


def test_a_changed_config_field_rebuilds_the_inputs() -> None:
    """A rule value that is a config field (ExpStep's ``A_up``, a scalar of the kernel): the
    cache compares it by value."""
    cached, fresh = (_make(cfgs.ExpStepDevice(dw_min_std=0.1)) for _ in range(2))
    for a in (cached, fresh):
        _update(a, 0)
        a.config.A_up = 0.5  # a config field the rule reads (a scalar of the kernel)
    rule_inputs._CACHE.pop(fresh, None)
    for a in (cached, fresh):
        _update(a, 1)
    assert torch.equal(cached.weight, fresh.weight)


def test_inputs_are_built_once_while_the_array_is_unchanged(monkeypatch) -> None:
    array = _make()
    built = []
    build = fast_update._build_inputs
    monkeypatch.setattr(fast_update, "_build_inputs", lambda a: (built.append(1), build(a))[1])
    for seed in range(4):
        _update(array, seed)
        array.decay_weights(0.9, torch.Generator().manual_seed(seed))  # weights in place
    assert len(built) == 1
    _hidden(array)
    _update(array, 9)
    assert len(built) == 2


def test_a_declined_array_is_not_cached_and_arrays_stay_picklable() -> None:
    array = _make(dtype=torch.float16)
    assert isinstance(fast_update._inputs(array), fast_update.Declined)
    assert array not in rule_inputs._CACHE
    updated = _make()
    _update(updated, 0)
    assert updated in rule_inputs._CACHE
    buffer = io.BytesIO()
    torch.save(updated, buffer)  # the cache (numpy views, kernel modules) is not in the array
    copied = copy.deepcopy(updated)
    assert copied not in rule_inputs._CACHE
    assert torch.equal(pickle.loads(pickle.dumps(updated)).weight, updated.weight)
    _update(copied, 1)
    _update(updated, 1)
    assert torch.equal(copied.weight, updated.weight)
