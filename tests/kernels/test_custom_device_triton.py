"""The Triton kernel generated from a user-defined rule equals the reference: exactly without
noise, in distribution with c2c and write noise (on a GPU, or in Triton's interpreter)."""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch

if importlib.util.find_spec("triton") is None:
    pytest.skip("Triton is not installed", allow_module_level=True)

# as in test_fast_cuda_update.py: the interpreter must be chosen before Triton is imported
ON_GPU = torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET", "0") in ("", "0")
if not ON_GPU:
    os.environ["TRITON_INTERPRET"] = "1"
DEVICE = torch.device("cuda" if ON_GPU else "cpu")

from custom_device_case import EveryOperationDevice, SigmoidTestDevice  # noqa: E402
from fast_update_cases import z_mean_and_var  # noqa: E402

from analogtrain.configs import UpdateParameters  # noqa: E402
from analogtrain.devices import create_device_array  # noqa: E402
from analogtrain.kernels import use_reference  # noqa: E402
from analogtrain.kernels.update.cuda.fast_update import _run  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update  # noqa: E402


def _array(config, out_size, in_size, w0):
    array = create_device_array(
        config, out_size, in_size, torch.Generator().manual_seed(7), device=DEVICE
    )
    array.set_weights(w0.to(DEVICE), torch.Generator(device=DEVICE).manual_seed(0))
    return array


@pytest.mark.parametrize("device", [SigmoidTestDevice, EveryOperationDevice])
def test_noise_free_triton_update_equals_reference(device) -> None:
    out_size, in_size, m = 6, 10, 4
    w0 = torch.linspace(-0.55, 0.55, out_size * in_size).reshape(out_size, in_size)
    fast, ref = (_array(device(dw_min=0.01, dw_min_std=0.0), out_size, in_size, w0) for _ in "ab")
    g = torch.Generator().manual_seed(3)
    x = (torch.randint(0, 2, (m, in_size), generator=g).float() * 2 - 1).to(DEVICE)
    d = (torch.randint(0, 2, (m, out_size), generator=g).float() * 2 - 1).to(DEVICE)
    for lr in (2.0, -2.0):
        gen = torch.Generator(device=DEVICE).manual_seed(1)
        up = UpdateParameters()
        assert _run(fast, x, d, lr, fast.granularity, up, gen, None, allow_cpu=True)
        with use_reference():
            pulsed_update(ref, x, d, lr, up, torch.Generator(device=DEVICE).manual_seed(1))
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)
    assert not torch.equal(ref.weight.cpu(), w0)


def test_triton_update_statistics_match_reference_with_c2c_and_write_noise() -> None:
    """2000 cross-points from w = 0.2, one saturating sample (31 pulses each)."""
    config = SigmoidTestDevice(dw_min=0.01, dw_min_std=0.3, write_noise_std=1.0)
    w0 = torch.full((20, 100), 0.2)
    fast, ref = _array(config, 20, 100, w0), _array(config, 20, 100, w0)
    x, d = torch.ones(1, 100, device=DEVICE), -torch.ones(1, 20, device=DEVICE)
    gen = torch.Generator(device=DEVICE).manual_seed(2)
    assert _run(fast, x, d, 2.0, fast.granularity, UpdateParameters(), gen, None, allow_cpu=True)
    with use_reference():
        gen_ref = torch.Generator(device=DEVICE).manual_seed(3)
        pulsed_update(ref, x, d, 2.0, UpdateParameters(), gen_ref)
    for a, b in ((fast.weight, ref.weight), (fast.persistent_weight, ref.persistent_weight)):
        assert a.std() > 0
        z_mean, z_var = z_mean_and_var(a, b)
        assert abs(z_mean) < 5.0 and abs(z_var) < 5.0, (z_mean, z_var)
