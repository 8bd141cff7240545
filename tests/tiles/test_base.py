"""AnalogTileBase: checks, learning rate, runtime generator, extra state (with a toy tile)."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Mapping

import pytest
import torch
from torch import Tensor

from analogtrain.configs import BoundManagementType, ConstantStepDevice, SingleRPUConfig
from analogtrain.errors import ArgumentError, ConfigError, NotSimulatedError, TileError
from analogtrain.tiles.base import AnalogTileBase
from analogtrain.tiles.io_states import TensorState


class _ToyTile(AnalogTileBase):
    """Exact matrix tile whose update adds noise from the runtime generator (for the base)."""

    def __init__(self, out_size, in_size, rpu_config, **kw):
        super().__init__(out_size, in_size, rpu_config, **kw)
        self.register_buffer(
            "w", torch.zeros(out_size, in_size, device=self.device, dtype=self.dtype)
        )
        self.calls = 0

    def forward_mvm(self, x: Tensor) -> Tensor:
        return self._check_input(x) @ self.w.t()

    def backward_mvm(self, d: Tensor) -> Tensor:
        return self._check_error(d) @ self.w

    def update(self, x: Tensor, d: Tensor, lr: float | None = None) -> None:
        rate = self._check_update(x, d, lr)
        noise = torch.randn(self.w.shape, generator=self.generator, device=self.device)
        self.w -= rate * d.t() @ x + 1e-3 * noise.to(self.dtype)
        self.calls += 1

    def post_update_step(self) -> None:
        pass

    def get_weights(self) -> Tensor:
        return self.w.detach().clone()

    def set_weights(self, weight: Tensor) -> None:
        self.w.copy_(self._check_weights(weight))

    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        return OrderedDict()

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        pass

    def decay_weights(self, alpha: float = 1.0) -> None:
        pass

    def diffuse_weights(self) -> None:
        pass

    def reset_columns(self, start: int = 0, n: int = -1, prob: float = 1.0) -> None:
        pass

    def drift_weights(self, delta_t: float) -> None:
        pass

    def _state_extra(self):
        return {"calls": self.calls}

    def _load_state_extra(self, state):
        self.calls = state["calls"]


def _toy(out_size=3, in_size=4, **kw) -> _ToyTile:
    return _ToyTile(out_size, in_size, SingleRPUConfig(), **kw)


def test_abstract_base_cannot_be_instantiated():
    with pytest.raises(TypeError):
        AnalogTileBase(2, 2, SingleRPUConfig())  # type: ignore[abstract]


@pytest.mark.parametrize("size", [0, -1, 2.0, True])
def test_bad_sizes_are_rejected(size):
    with pytest.raises(ArgumentError, match="out_size"):
        _ToyTile(size, 3, SingleRPUConfig())


def test_config_is_deep_copied_and_validated():
    cfg = SingleRPUConfig()
    tile = _ToyTile(2, 3, cfg)
    cfg.device.dw_min = 0.5
    assert tile.rpu_config.device.dw_min == ConstantStepDevice().dw_min
    assert tile.rpu_config is not cfg


def test_sizes_device_dtype():
    tile = _toy(dtype=torch.float64)
    assert (tile.x_size, tile.d_size) == (4, 3)
    assert tile.dtype == torch.float64 and tile.device == torch.device("cpu")
    with pytest.raises(ArgumentError, match="dtype"):
        _toy(dtype=torch.int32)


def test_learning_rate_helpers():
    tile = _toy()
    assert tile.get_learning_rate() == pytest.approx(0.1)
    tile.set_learning_rate(0.25)
    assert tile.get_learning_rate() == 0.25
    tile.set_learning_rate(torch.tensor(0.5))  # schedulers may hold tensors
    assert tile.get_learning_rate() == 0.5
    for bad in (-0.1, math.nan, math.inf, "0.1", True, torch.ones(2)):
        with pytest.raises(ArgumentError, match="learning rate"):
            tile.set_learning_rate(bad)


def test_update_uses_tile_learning_rate_when_none_given():
    tile = _toy(1, 1)
    tile.set_learning_rate(0.5)
    x = torch.ones(1, 1)
    d = torch.ones(1, 1)
    w0 = tile.get_weights()
    tile.update(x, d)
    assert (tile.get_weights() - w0).item() == pytest.approx(-0.5, abs=0.01)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (torch.zeros(4), "2-D"),
        (torch.zeros(2, 5), "4 columns"),
        (torch.zeros(2, 4, dtype=torch.float64), "dtype"),
        (torch.tensor([[0.0, math.nan, 0.0, 0.0]]), "non-finite"),
        (torch.tensor([[0.0, math.inf, 0.0, 0.0]]), "non-finite"),
        ([[0.0] * 4], "torch.Tensor"),
    ],
)
def test_bad_inputs_name_the_problem(x, match):
    tile = _toy()
    with pytest.raises(TileError, match=match):
        tile.forward_mvm(x)


def test_update_rows_must_match():
    tile = _toy()
    with pytest.raises(TileError, match="same number of rows"):
        tile.update(torch.zeros(2, 4), torch.zeros(3, 3), 0.1)


def test_check_weights_shape_and_values():
    tile = _toy()
    with pytest.raises(TileError, match="shape"):
        tile.set_weights(torch.zeros(4, 3))
    with pytest.raises(TileError, match="non-finite"):
        tile.set_weights(torch.full((3, 4), math.nan))
    tile.set_weights([[1.0] * 4] * 3)  # array-likes are converted
    assert torch.equal(tile.get_weights(), torch.ones(3, 4))


def test_runtime_seed_comes_from_torch_global_rng():
    torch.manual_seed(11)
    a = _toy()
    torch.manual_seed(11)
    b = _toy()
    torch.manual_seed(12)
    c = _toy()
    assert a.seed == b.seed != c.seed
    ra = torch.rand(5, generator=a.generator)
    rb = torch.rand(5, generator=b.generator)
    assert torch.equal(ra, rb)


def test_generator_follows_the_device_of_the_tile():
    tile = _toy()
    gen = tile.generator
    assert gen.device == tile.device
    assert tile.generator is gen  # created once, then reused


def test_construction_generator_streams():
    tile = _ToyTile(2, 2, SingleRPUConfig(device=ConstantStepDevice(construction_seed=42)))
    assert tile.construction_seed == 42
    a = torch.rand(3, generator=tile.construction_generator())
    b = torch.rand(3, generator=tile.construction_generator())
    f = torch.rand(3, generator=tile.construction_generator("forward"))
    assert torch.equal(a, b)
    assert not torch.equal(a, f)


def _run(tile: _ToyTile, steps: int) -> None:
    g = torch.Generator().manual_seed(3)
    for _ in range(steps):
        tile.update(torch.randn(2, 4, generator=g), torch.randn(2, 3, generator=g), 0.01)


def test_extra_state_resumes_the_random_stream_exactly():
    torch.manual_seed(0)
    a = _toy()
    _run(a, 3)
    state = copy.deepcopy(a.state_dict())
    torch.manual_seed(99)
    b = _toy()
    b.load_state_dict(state)
    assert b.seed == a.seed and b.calls == 3
    _run(a, 2)
    _run(b, 2)
    assert torch.equal(a.get_weights(), b.get_weights())


def test_extra_state_rejects_other_tile_class_and_shape():
    a = _toy()

    class _Other(_ToyTile):
        pass

    with pytest.raises(TileError, match="_ToyTile"):
        _Other(3, 4, SingleRPUConfig()).load_state_dict(a.state_dict())
    with pytest.raises(TileError, match="shape"):
        _ToyTile(4, 4, SingleRPUConfig()).set_extra_state(a.get_extra_state())
    with pytest.raises(TileError, match="tile state"):
        a.set_extra_state({"weights": 1})


def test_tensor_state_follows_to_and_takes_new_entries():
    state = TensorState({"a": torch.ones(2)})
    state.to(torch.float64)
    assert state.as_dict()["a"].dtype == torch.float64
    values = state.as_dict()
    values["a"] = torch.zeros(2, dtype=torch.float64)
    values["b"] = torch.ones(())
    state.store(values)
    assert torch.equal(state.a, torch.zeros(2, dtype=torch.float64))
    assert set(state.state_dict()) == {"a", "b"}
    with pytest.raises(TileError, match="tensor"):
        state.store({"c": 1.0})


def test_not_simulated_fields_are_refused_at_construction():
    cfg = SingleRPUConfig()
    cfg.forward.bound_management = BoundManagementType.SHIFT
    with pytest.raises(NotSimulatedError, match="bound_management"):
        _ToyTile(2, 2, cfg)


def test_invalid_config_is_refused_at_construction():
    cfg = SingleRPUConfig()
    cfg.device.dw_min = "big"
    with pytest.raises(ConfigError, match="dw_min"):
        _ToyTile(2, 2, cfg)


def test_state_from_another_device_type_continues_with_a_derived_stream():
    torch.manual_seed(0)
    a = _toy()
    state = a.get_extra_state()
    state["generator_device_type"] = "cuda"  # as if saved on a GPU
    b, c = _toy(), _toy()
    b.set_extra_state(state)
    c.set_extra_state(dict(state))
    draws_b = torch.rand(4, generator=b.generator)
    assert torch.equal(draws_b, torch.rand(4, generator=c.generator))  # reproducible
    assert not torch.equal(draws_b, torch.rand(4, generator=a.generator))  # a new stream
