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


def test_get_scales_is_the_product_applied_to_the_tile_output() -> None:
    from analogtrain.configs import MappingParameter

    cfg = _config(False)
    layer = AnalogLinear(3, 2, bias=False, rpu_config=cfg)
    assert layer.analog_module.get_scales() is None
    cfg.mapping = MappingParameter(
        weight_scaling_omega=1.0,
        weight_scaling_columnwise=True,
        learn_out_scaling=True,
        out_scaling_columnwise=True,
    )
    layer = AnalogLinear(3, 2, bias=False, rpu_config=cfg)
    module = layer.analog_module
    layer.set_weights(torch.tensor([[0.5, -0.25, 0.1], [0.2, 0.4, -0.8]]))
    with torch.no_grad():
        module.out_scaling_alpha.copy_(torch.tensor([2.0, 3.0]))
    x = torch.randn(4, 3)
    raw = x @ module.tile.get_weights().T
    torch.testing.assert_close(layer(x), raw * module.get_scales())
    torch.testing.assert_close(module.get_scales(), module.mapping_scales * torch.tensor([2.0, 3]))
    assert module.get_analog_ctx() is module.analog_ctx


def test_update_without_rate_uses_the_learning_rate_set_on_the_tile_module() -> None:
    layer = AnalogLinear(3, 2, bias=False, rpu_config=_config(False))
    module = layer.analog_module
    module.set_learning_rate(0.25)
    assert module.get_learning_rate() == 0.25
    w0 = module.tile.get_weights().clone()
    x, d = torch.tensor([[1.0, 0.0, 2.0]]), torch.tensor([[0.5, -1.0]])
    module.update(x, d)
    torch.testing.assert_close(module.tile.get_weights(), w0 - 0.25 * d.T @ x)
    module.update(x, d, 0.5)  # an explicit rate wins and does not change the stored one
    torch.testing.assert_close(module.tile.get_weights(), w0 - 0.75 * d.T @ x)
    assert module.get_learning_rate() == 0.25
