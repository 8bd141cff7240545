"""The short cuts of a small layer's training step equal the plain calls they stand for.

A tile's ``update`` hands its checked inputs to ``pulsed_update_of_checked`` (no second
validation), and the forward pass finds the saturated outputs on a numpy view
(``saturated_outputs``); both must give exactly what the plain calls give.
"""

from __future__ import annotations

import copy

import pytest
import torch

from analogtrain.configs import SoftBoundsReferenceDevice, build_config
from analogtrain.errors import TileError
from analogtrain.kernels.update.backend import use_backend
from analogtrain.kernels.update.pulsed import pulsed_update, pulsed_update_of_checked
from analogtrain.nn import AnalogLinear, AnalogSequential
from analogtrain.nn.function import saturated_outputs
from analogtrain.optim import AnalogSGD


def _mlp(algorithm: str) -> AnalogSequential:
    torch.manual_seed(0)
    config = build_config(algorithm, SoftBoundsReferenceDevice)
    return AnalogSequential(
        AnalogLinear(12, 8, rpu_config=config),
        torch.nn.Sigmoid(),
        AnalogLinear(8, 4, rpu_config=config),
    )


def _weights(model: AnalogSequential) -> list[torch.Tensor]:
    return [t for layer in (model[0], model[2]) for t in layer.get_weights() if t is not None]


@pytest.mark.parametrize("backend", ["auto", "reference"])
def test_sgd_steps_through_the_tile_equal_plain_pulsed_updates_bit_for_bit(backend: str) -> None:
    """Six AnalogSGD steps of a small MLP (the tiles' update on the short cut) give the
    weights of the same steps whose pulsed updates run through the validating
    ``pulsed_update``, bit for bit, on the fast and on the reference path."""
    lean = _mlp("sgd")
    plain = copy.deepcopy(lean)  # the same weights and generator states
    x, y = torch.rand(6, 12, generator=torch.Generator().manual_seed(1)), torch.arange(6) % 4
    opt_lean = AnalogSGD(lean.parameters(), lr=0.2)
    opt_plain = torch.optim.SGD([p for n, p in plain.named_parameters() if "bias" in n], lr=0.2)
    with use_backend(backend):
        for _ in range(6):
            opt_lean.zero_grad()
            torch.nn.functional.cross_entropy(lean(x), y).backward()
            opt_lean.step()

            opt_plain.zero_grad()
            torch.nn.functional.cross_entropy(plain(x), y).backward()
            opt_plain.step()
            for layer in (plain[0], plain[2]):
                module = layer.analog_module
                ctx = module.analog_ctx
                assert ctx.claim_pairs()
                xs, ds = ctx.take_pairs()
                tile = module.tile
                pulsed_update(
                    tile.array, xs, ds, 0.2, tile.update_parameters, tile.generator
                )
                tile.post_update_step()
    for a, b in zip(_weights(lean), _weights(plain), strict=True):
        assert torch.equal(a, b)
    assert any(not torch.equal(a, b) for a, b in zip(_weights(lean), _weights(_mlp("sgd"))))


def test_pulsed_update_of_checked_refuses_another_dtype_as_pulsed_update_does() -> None:
    """Inputs of another dtype than the weights get pulsed_update's error, nothing changed."""
    tile = _mlp("sgd")[0].analog_module.tile
    before = tile.array.weight.clone()
    state = tile.generator.get_state()
    x, d = torch.rand(3, 12, dtype=torch.float64), torch.rand(3, 8, dtype=torch.float64)
    with pytest.raises(TileError) as plain:
        pulsed_update(tile.array, x, d, 0.1, tile.update_parameters, tile.generator)
    with pytest.raises(TileError) as lean:
        pulsed_update_of_checked(tile.array, x, d, 0.1, tile.update_parameters, tile.generator)
    assert str(lean.value) == str(plain.value)
    assert torch.equal(tile.array.weight, before)
    assert torch.equal(tile.generator.get_state(), state)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-scan", "numpy"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_saturated_outputs_equal_torch_comparison_at_the_bound(
    dtype: torch.dtype, compiled: bool
) -> None:
    """The mask equals ``y.abs() >= bound`` for values a few ulps around the bound (where
    the bound's rounding to ``dtype`` decides), and is None when nothing saturates; the same
    with the compiled scan (backend "auto") and with numpy's reductions ("reference")."""
    bound = 0.999 * 12.0
    ulp = torch.finfo(dtype).eps * 12.0
    near = torch.tensor([bound + k * ulp for k in range(-4, 5)], dtype=dtype)
    with use_backend("auto" if compiled else "reference"):
        y = torch.cat([near, -near, torch.linspace(-20.0, 20.0, 42, dtype=dtype)]).reshape(-1, 3)
        mask = saturated_outputs(y, bound)
        assert mask is not None and torch.equal(mask, y.abs() >= bound)
        assert saturated_outputs(y.clamp(-11.0, 11.0), bound) is None
        for value in torch.cat([near, -near]).tolist():  # one output near the bound
            y = torch.zeros(4, 5, dtype=dtype)
            y[2, 3] = value
            expected = y.abs() >= bound
            mask = saturated_outputs(y, bound)
            assert (mask is None) == (not bool(expected.any())), value
            assert mask is None or torch.equal(mask, expected)
