"""Copies, device/dtype moves and checkpoints of analog models."""

from __future__ import annotations

import copy
import io

import torch
from torch import nn

from analogtrain.configs import ConstantStepDevice, SingleRPUConfig
from analogtrain.nn import AnalogContext, AnalogLinear, AnalogSequential
from analogtrain.optim import AnalogSGD


def _mlp(config) -> AnalogSequential:
    return AnalogSequential(
        AnalogLinear(6, 5, rpu_config=config), nn.Sigmoid(), AnalogLinear(5, 3, rpu_config=config)
    )


def _contexts(model: nn.Module) -> list[AnalogContext]:
    return [p for p in model.parameters() if isinstance(p, AnalogContext)]


def _train(model: nn.Module, opt: torch.optim.Optimizer, steps: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.rand(4, 6, generator=gen)
        target = torch.randint(0, 3, (4,), generator=gen)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), target).backward()
        opt.step()


def _weights(model: AnalogSequential) -> list[torch.Tensor]:
    return [t for pair in model.get_weights().values() for t in pair if t is not None]


def test_deepcopy_and_new_optimizer_train_the_copy_only():
    model = _mlp(SingleRPUConfig(device=ConstantStepDevice()))
    clone = copy.deepcopy(model)
    for ctx, module in zip(_contexts(clone), clone.analog_tiles()):
        assert ctx.analog_module is module  # contexts follow the copied tiles
    assert not set(map(id, _contexts(clone))) & set(map(id, _contexts(model)))
    before = [w.clone() for w in _weights(model)]
    clone_before = [w.clone() for w in _weights(clone)]
    for a, b in zip(before, clone_before):
        torch.testing.assert_close(a, b)
    _train(clone, AnalogSGD(clone.parameters(), lr=0.5), steps=3, seed=0)
    for a, b in zip(before, _weights(model)):
        assert torch.equal(a, b)
    changed = [not torch.equal(a, b) for a, b in zip(clone_before, _weights(clone))]
    assert all(changed)


def test_to_double_moves_tiles_and_contexts(perfect_config):
    model = _mlp(perfect_config())
    opt = AnalogSGD(model.parameters(), lr=0.1)  # built before the move: must still work
    model.double()
    for ctx in _contexts(model):
        assert ctx.dtype == torch.float64
    for tile in model.analog_tiles():
        assert tile.tile.dtype == torch.float64 and tile.bias.dtype == torch.float64
    y = model(torch.rand(2, 6, dtype=torch.float64))
    assert y.dtype == torch.float64
    before = _weights(model)
    y.sum().backward()
    opt.step()
    assert all(not torch.equal(a, b) for a, b in zip(before, _weights(model)))


def test_state_dict_round_trip_continues_bit_identically():
    config = SingleRPUConfig(device=ConstantStepDevice(dw_min_dtod=0.3, dw_min_std=0.3))
    model = _mlp(config)
    opt = AnalogSGD(model.parameters(), lr=0.3, momentum=0.9)
    _train(model, opt, steps=2, seed=1)
    # a pair stored but not applied must not leak into the checkpoint
    model(torch.rand(2, 6)).sum().backward()
    for ctx in _contexts(model):
        ctx.reset()
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buffer)

    torch.manual_seed(99)  # the fresh model draws different devices and seeds
    fresh = _mlp(config)
    fresh_opt = AnalogSGD(fresh.parameters(), lr=0.3, momentum=0.9)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=False)
    fresh.load_state_dict(saved["model"])
    fresh_opt.load_state_dict(saved["opt"])

    _train(model, opt, steps=3, seed=2)
    _train(fresh, fresh_opt, steps=3, seed=2)
    for a, b in zip(_weights(model), _weights(fresh)):
        assert torch.equal(a, b)
    x = torch.rand(3, 6)
    assert torch.equal(model(x), fresh(x))


def test_state_dict_keys_and_context_entries(perfect_config):
    layer = AnalogLinear(3, 2, rpu_config=perfect_config(weight_scaling_omega=1.0))
    keys = set(layer.state_dict())
    assert {
        "analog_module.analog_ctx",
        "analog_module.bias",
        "analog_module.mapping_scales",
    } <= keys
    assert "analog_module.tile._extra_state" in keys


def test_explicit_omega_scales_load_into_a_model_without_scales(perfect_config):
    layer = AnalogLinear(3, 2, rpu_config=perfect_config())
    weight = torch.tensor([[1.0, -4.0, 0.5], [0.5, 0.5, 0.5]])
    layer.set_weights(weight, weight_scaling_omega=2.0)
    torch.testing.assert_close(layer.analog_module.mapping_scales, torch.tensor([2.0]))
    fresh = AnalogLinear(3, 2, rpu_config=perfect_config())
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(fresh.get_weights()[0], weight)


def test_pickled_model_keeps_its_contexts(perfect_config):
    model = _mlp(perfect_config())
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    contexts = _contexts(loaded)
    assert len(contexts) == 2
    assert [c.analog_module for c in contexts] == list(loaded.analog_tiles())
    _train(loaded, AnalogSGD(loaded.parameters(), lr=0.1), steps=1, seed=0)
