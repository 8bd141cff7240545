"""aihwkit compatibility surface: offloading stored rows, RPUDataType.as_torch."""

from __future__ import annotations

import torch

from analogtrain.configs import IdealDevice, IOParameters, RPUDataType, SingleRPUConfig
from analogtrain.nn import AnalogLinear
from analogtrain.optim import AnalogSGD


def _config(offload: bool) -> SingleRPUConfig:
    cfg = SingleRPUConfig(device=IdealDevice())
    cfg.forward = IOParameters(is_perfect=True)
    cfg.backward = IOParameters(is_perfect=True)
    cfg.runtime.offload_input = offload
    cfg.runtime.offload_gradient = offload
    return cfg


def test_offloading_stored_rows_changes_no_result() -> None:
    weights = []
    for offload in (False, True):
        torch.manual_seed(3)
        layer = AnalogLinear(4, 3, rpu_config=_config(offload))
        opt = AnalogSGD(layer.parameters(), lr=0.1)
        x = torch.randn(6, 4)
        layer(x).sum().backward()
        ctx = layer.analog_module.analog_ctx
        assert all(t.device.type == "cpu" for t in ctx.analog_input + ctx.analog_grad_output)
        opt.step()
        weights.append(layer.get_weights()[0])
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)


def test_rpu_data_type_as_torch_names_the_torch_dtype() -> None:
    assert RPUDataType.FLOAT.as_torch() is torch.float32
    assert RPUDataType.DOUBLE.as_torch() is torch.float64
    assert RPUDataType.HALF.as_torch() is torch.float16
