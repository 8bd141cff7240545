"""runtime.offload_input / offload_gradient on a CUDA device: stored rows wait in CPU memory,
the update runs on the GPU with the same result as without offloading.

Skipped without a GPU (CI has none).
"""

from __future__ import annotations

import pytest
import torch

if not torch.cuda.is_available():
    pytest.skip("needs a CUDA device", allow_module_level=True)

from analogtrain.configs import IdealDevice, IOParameters, SingleRPUConfig  # noqa: E402
from analogtrain.nn import AnalogLinear  # noqa: E402
from analogtrain.optim import AnalogSGD  # noqa: E402


def _config(offload: bool) -> SingleRPUConfig:
    cfg = SingleRPUConfig(device=IdealDevice())
    cfg.forward = IOParameters(is_perfect=True)
    cfg.backward = IOParameters(is_perfect=True)
    cfg.runtime.offload_input = offload
    cfg.runtime.offload_gradient = offload
    return cfg


def test_offloaded_rows_live_on_the_cpu_and_update_the_gpu_tile_identically() -> None:
    weights = []
    for offload in (False, True):
        torch.manual_seed(3)
        layer = AnalogLinear(4, 3, rpu_config=_config(offload)).cuda()
        opt = AnalogSGD(layer.parameters(), lr=0.1)
        layer(torch.randn(6, 4, device="cuda")).sum().backward()
        ctx = layer.analog_module.analog_ctx
        expected = "cpu" if offload else "cuda"
        assert {t.device.type for t in ctx.analog_input + ctx.analog_grad_output} == {expected}
        opt.step()
        weights.append(layer.get_weights()[0].cpu())
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)
