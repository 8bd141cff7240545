"""AnalogDataParallel in a one-process gloo group: argument errors, refused configurations,
hooks on and off, copies of a replicated model. (The two-rank semantics are in
test_data_parallel.py.)"""

from __future__ import annotations

import copy
import io

import pytest
import torch
import torch.distributed as dist
from torch import nn

from analogtrain.configs import ConstantStepDevice, IOParameters, build_config
from analogtrain.configs.enums import NoiseManagementType
from analogtrain.distributed import AnalogDataParallel, ReplicaDivergenceError, shard_rows
from analogtrain.errors import ArgumentError, ConfigError, TileError
from analogtrain.nn import AnalogLinear, AnalogSequential
from analogtrain.optim import AnalogSGD


def test_without_process_group_raises_naming_init_process_group() -> None:
    assert not dist.is_initialized()
    with pytest.raises(ArgumentError, match="init_process_group"):
        AnalogDataParallel(AnalogLinear(3, 2))


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("single") / "rendezvous"
    dist.init_process_group("gloo", init_method=f"file://{path}", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def _model(**io: object) -> nn.Module:
    torch.manual_seed(0)
    cfg = build_config("sgd", ConstantStepDevice, io_parameters=lambda: IOParameters(**io))
    return AnalogSequential(AnalogLinear(4, 3, rpu_config=cfg), nn.ReLU(), nn.Linear(3, 2))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"init_sync": "copy"}, "init_sync must be one of"),
        ({"check_every": -1}, "check_every must be an int >= 0"),
        ({"check_every": 1.5}, "check_every must be an int >= 0"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(group, kwargs: dict, match: str) -> None:
    with pytest.raises(ArgumentError, match=match):
        AnalogDataParallel(_model(), **kwargs)


def test_average_abs_max_noise_management_is_refused_naming_the_layer(group) -> None:
    model = _model(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    with pytest.raises(ConfigError, match=r"tile module 0\.analog_module .*AVERAGE_ABS_MAX"):
        AnalogDataParallel(model)
    assert model[0].analog_module.data_parallel is None  # refused: nothing attached


def test_wrapping_twice_is_refused_and_unwrap_detaches_everything(group) -> None:
    model = _model()
    net = AnalogDataParallel(model)
    with pytest.raises(ArgumentError, match="already"):
        AnalogDataParallel(model)
    with pytest.raises(ArgumentError, match="already a AnalogDataParallel"):
        AnalogDataParallel(net)
    assert net.unwrap() is model
    assert model[0].analog_module.data_parallel is None
    assert all(not p._backward_hooks for p in model.parameters())
    AnalogDataParallel(model).unwrap()  # wrapping again after unwrap works


def test_one_rank_trains_exactly_like_the_bare_model_and_counts_exchanges(group) -> None:
    x, y = torch.rand(8, 4), torch.rand(8, 2)
    bare, wrapped = _model(is_perfect=True), _model(is_perfect=True)
    net = AnalogDataParallel(wrapped, check_every=1)
    for model in (bare, net):
        opt = AnalogSGD(model.parameters(), lr=0.3)
        for _ in range(3):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    for a, b in zip(bare.state_dict().values(), wrapped.state_dict().values()):
        if isinstance(a, torch.Tensor):
            assert torch.equal(a, b)
    stats = net.exchange_stats
    assert stats.calls == 3 and stats.rows == 24
    assert stats.bytes == 3 * 8 * (4 + 3) * 4  # calls x rows x (in + out) x float32 bytes
    net.check_replicas()


def test_copies_of_a_replicated_model_are_not_replicated(group) -> None:
    model = _model()
    AnalogDataParallel(model)
    clone = copy.deepcopy(model)
    assert clone[0].analog_module.data_parallel is None
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    assert loaded[0].analog_module.data_parallel is None


def test_use_generator_refuses_a_generator_on_another_device(group) -> None:
    tile = _model()[0].analog_module.tile
    with pytest.raises(TileError, match="use_generator needs a torch.Generator"):
        with tile.use_generator("cpu"):  # type: ignore[arg-type]
            pass


def test_shard_rows_splits_in_rank_order_and_rejects_bad_rank() -> None:
    parts = [shard_rows(10, r, 3) for r in range(3)]
    assert [(p.start, p.stop) for p in parts] == [(0, 4), (4, 7), (7, 10)]
    with pytest.raises(ArgumentError, match="rank=3, world=3"):
        shard_rows(10, 3, 3)


def test_replica_divergence_error_is_a_tile_error() -> None:
    assert issubclass(ReplicaDivergenceError, TileError)


def test_loading_a_state_dict_reseeds_the_rank_mvm_stream_from_the_loaded_state(group) -> None:
    model = _model()
    net = AnalogDataParallel(model)
    tile_module = model[0].analog_module
    saved = copy.deepcopy(model.state_dict())
    first = net.exchange.mvm_generator(tile_module)
    assert net.exchange.mvm_generator(tile_module) is first  # kept between MVMs
    model.load_state_dict(saved)
    again = net.exchange.mvm_generator(tile_module)
    assert again is not first
    assert torch.equal(again.get_state(), first.get_state())  # same loaded state, same key
    assert not torch.equal(again.get_state(), tile_module.tile.generator.get_state())
