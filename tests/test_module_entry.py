"""``module_entry`` reads a registered entry of an ``nn.Module`` as ``nn.Module`` would."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from analogtrain.module_entry import module_entry


class Holder(nn.Module):
    weight: torch.Tensor = module_entry("_buffers")
    scale: nn.Parameter | None = module_entry("_parameters")
    inner: nn.Module = module_entry("_modules")

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("weight", torch.arange(6.0).reshape(2, 3))
        self.scale = nn.Parameter(torch.ones(2))
        self.inner = nn.Linear(3, 2)


def test_entries_read_the_registered_objects() -> None:
    h = Holder()
    assert h.weight is h._buffers["weight"]
    assert h.scale is h._parameters["scale"]
    assert h.inner is h._modules["inner"]
    assert Holder.weight is Holder.__dict__["weight"]  # on the class: the declaration


def test_assignment_registration_and_none_behave_as_nn_module() -> None:
    h = Holder()
    new = torch.zeros(2, 3)
    h.weight = new  # a registered buffer is replaced in its dict
    assert h.weight is new and h._buffers["weight"] is new
    h.register_buffer("weight", None)
    assert h.weight is None
    h.scale = None  # a registered parameter set to None stays registered
    assert h.scale is None and "scale" in h._parameters
    del h.inner
    with pytest.raises(AttributeError, match="inner"):
        _ = h.inner


def test_a_name_held_elsewhere_is_answered_by_nn_module() -> None:
    class Other(nn.Module):
        weight: torch.Tensor = module_entry("_buffers")

        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(2))  # a parameter, not a buffer

    o = Other()
    assert o.weight is o._parameters["weight"]

    class Plain(nn.Module):
        flag: bool | None = module_entry("_parameters")

        def __init__(self) -> None:
            super().__init__()
            self.flag = None  # never registered: a plain attribute

    assert Plain().flag is None


def test_entries_follow_to_copies_pickles_and_state_dicts() -> None:
    h = Holder()
    h.to(torch.float64)
    assert h.weight.dtype == torch.float64 and h.weight is h._buffers["weight"]
    for twin in (copy.deepcopy(h), pickle.loads(pickle.dumps(h))):
        assert twin.weight is twin._buffers["weight"] and twin.weight is not h.weight
        assert twin.inner is twin._modules["inner"]
        assert torch.equal(twin.weight, h.weight)
    target = Holder().to(torch.float64)
    target.load_state_dict(h.state_dict())
    assert torch.equal(target.weight, h.weight)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="_buffers"):
        module_entry("buffers")
