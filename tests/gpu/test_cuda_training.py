"""Every algorithm trains on a CUDA device, through the whole stack (layers, tiles, MVM with
noise and bound management, pulsed updates on the Triton path, compounds, checkpoints).

Skipped without a GPU (CI has none); run on a machine with one:
``python -m pytest -q tests/gpu``.
"""

from __future__ import annotations

import pytest
import torch

if not torch.cuda.is_available():
    pytest.skip("needs a CUDA device", allow_module_level=True)

from analogtrain.configs import (  # noqa: E402
    ConstantStepDevice,
    SoftBoundsReferenceDevice,
    build_config,
)
from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential  # noqa: E402
from analogtrain.optim import AnalogSGD  # noqa: E402

ALGORITHMS = ("sgd", "mp", "tt", "ttv2", "c-ttv2", "agad")
CUDA = torch.device("cuda")


def _regression(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(4, 8, generator=g) * 0.3
    x = torch.rand(256, 8, generator=g) * 2 - 1
    return x.to(CUDA), (x @ w.T).to(CUDA)


def _tensors(module: torch.nn.Module):
    yield from module.parameters()
    yield from module.buffers()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_layer_trains_on_cuda(algorithm: str) -> None:
    torch.manual_seed(0)
    layer = AnalogLinear(8, 4, bias=False, rpu_config=build_config(algorithm, ConstantStepDevice))
    layer = layer.to(CUDA)
    assert all(t.device.type == "cuda" for t in _tensors(layer))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    x, y = _regression()
    losses = []
    for _ in range(30):
        for k in range(0, 256, 16):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(layer(x[k : k + 16]), y[k : k + 16])
            loss.backward()
            opt.step()
        with torch.no_grad():
            losses.append(float(torch.nn.functional.mse_loss(layer(x), y)))
    w = layer.get_weights()[0]
    assert torch.isfinite(w).all()
    assert all(t.device.type == "cuda" for t in _tensors(layer))
    if algorithm in ("sgd", "mp", "tt", "ttv2"):
        assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checkpoint_resumes_exactly_on_cuda(algorithm: str) -> None:
    config = build_config(algorithm, SoftBoundsReferenceDevice)
    torch.manual_seed(1)
    model = AnalogSequential(AnalogLinear(8, 6, rpu_config=config), torch.nn.Sigmoid(),
                             AnalogLinear(6, 4, rpu_config=config)).to(CUDA)  # fmt: skip
    opt = AnalogSGD(model.parameters(), lr=0.05)
    x, y = _regression(2)

    def steps(m, o, n):
        for k in range(n):
            o.zero_grad()
            batch = slice(16 * k, 16 * k + 16)
            torch.nn.functional.mse_loss(m(x[batch]), y[batch]).backward()
            o.step()

    steps(model, opt, 3)
    state = {k: v.clone() if torch.is_tensor(v) else v for k, v in model.state_dict().items()}
    torch.manual_seed(1)
    clone = AnalogSequential(AnalogLinear(8, 6, rpu_config=config), torch.nn.Sigmoid(),
                             AnalogLinear(6, 4, rpu_config=config)).to(CUDA)  # fmt: skip
    clone.load_state_dict(state)
    clone_opt = AnalogSGD(clone.parameters(), lr=0.05)
    steps(model, opt, 3)
    steps(clone, clone_opt, 3)
    for a, b in zip(model.state_dict().values(), clone.state_dict().values()):
        if torch.is_tensor(a):
            assert torch.equal(a, b)


def test_conv_layer_steps_on_cuda() -> None:
    conv = AnalogConv2d(3, 5, 3, padding=1, rpu_config=build_config("c-ttv2", ConstantStepDevice))
    conv = conv.to(CUDA)
    opt = AnalogSGD(conv.parameters(), lr=0.05)
    x = torch.rand(4, 3, 8, 8, device=CUDA)
    for _ in range(3):
        opt.zero_grad()
        conv(x).square().mean().backward()
        opt.step()
    assert torch.isfinite(conv.get_weights()[0]).all()
