"""The recurrent, 3-d and mapped layers on a CUDA device: moved with ``.to``, they compute
what their CPU copies compute (exact tiles) and train with pulsed tiles.

Skipped without a GPU (CI has none); run on a machine with one:
``python -m pytest -q tests/gpu``.
"""

from __future__ import annotations

import copy

import pytest
import torch

if not torch.cuda.is_available():
    pytest.skip("needs a CUDA device", allow_module_level=True)

from analogtrain.configs import (  # noqa: E402
    ConstantStepDevice,
    FloatingPointRPUConfig,
    MappingParameter,
    SingleRPUConfig,
)
from analogtrain.nn import (  # noqa: E402
    AnalogConv3d,
    AnalogConv3dMapped,
    AnalogGRU,
    AnalogLinearMapped,
    AnalogLSTM,
)
from analogtrain.optim import AnalogSGD  # noqa: E402

CUDA = torch.device("cuda")


def _models(config):
    mapping = MappingParameter(max_input_size=10, max_output_size=4)
    mapped = copy.deepcopy(config)
    mapped.mapping = mapping
    return {
        "lstm": (AnalogLSTM(3, 4, rpu_config=config, num_layers=2, bidir=True), (5, 2, 3)),
        "gru": (AnalogGRU(3, 4, rpu_config=config), (5, 2, 3)),
        "conv3d": (AnalogConv3d(2, 3, 2, rpu_config=config), (2, 2, 3, 4, 4)),
        "conv3d_mapped": (AnalogConv3dMapped(3, 5, 2, rpu_config=mapped), (2, 3, 3, 3, 3)),
        "linear_mapped": (AnalogLinearMapped(14, 5, rpu_config=mapped), (4, 14)),
    }


def _output(model, x):
    y = model(x)
    return y[0] if isinstance(y, tuple) else y


@pytest.mark.parametrize("name", ["lstm", "gru", "conv3d", "conv3d_mapped", "linear_mapped"])
def test_layer_on_cuda_computes_its_cpu_copy(name):
    torch.manual_seed(0)
    model, shape = _models(FloatingPointRPUConfig())[name]
    on_cuda = copy.deepcopy(model).to(CUDA)
    assert all(t.device.type == "cuda" for t in on_cuda.parameters())
    x = torch.randn(*shape)
    torch.testing.assert_close(_output(on_cuda, x.to(CUDA)).cpu(), _output(model, x),
                               rtol=1e-4, atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("name", ["lstm", "gru", "conv3d", "conv3d_mapped", "linear_mapped"])
def test_pulsed_layer_trains_on_cuda(name):
    torch.manual_seed(0)
    config = SingleRPUConfig(device=ConstantStepDevice(dw_min=0.001))
    model, shape = _models(config)[name]
    model = model.to(CUDA)
    opt = AnalogSGD(model.parameters(), lr=0.3)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=gen).to(CUDA)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((_output(model, x) - 0.3) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(t.device.type == "cuda" for t in model.parameters())
    assert losses[-1] < 0.7 * losses[0], losses
