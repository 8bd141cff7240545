"""Float64 weights (``runtime.data_type = DOUBLE``) run on the compiled CPU update.

The random streams of the numba path do not depend on the weights' dtype (the probabilities
and the pulse arithmetic are float64 in both), so a float64 array and a float32 array built
and updated from the same seeds must agree to float32 rounding: that pins the float64 path
to the float32 one, which the other tests hold to the reference. The noise-free cases also
compare float64 against the float64 reference directly.
"""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("numba")

from fast_update_cases import MODELS, NO_DTOD  # noqa: E402

import analogtrain.configs as cfgs  # noqa: E402
from analogtrain.configs.update import UpdateParameters  # noqa: E402
from analogtrain.devices import create_device_array  # noqa: E402
from analogtrain.kernels import use_backend, use_reference  # noqa: E402
from analogtrain.kernels.update.cpu.fast_update import fast_apply_pulse_counts  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update, pulsed_update_capture  # noqa: E402
from analogtrain.nn import AnalogLinear  # noqa: E402
from analogtrain.optim import AnalogSGD  # noqa: E402

OUT, IN, M = 12, 20, 6


def _array(name: str, dtype: torch.dtype, **fields):
    fields.setdefault("dw_min", 0.01)
    config = MODELS[name](**fields)
    array = create_device_array(config, OUT, IN, torch.Generator().manual_seed(7), dtype=dtype)
    w0 = torch.linspace(-0.4, 0.4, OUT * IN, dtype=torch.float64).reshape(OUT, IN)
    array.set_weights(w0.to(dtype), torch.Generator().manual_seed(0))
    return array


def _batch(dtype: torch.dtype):
    g = torch.Generator().manual_seed(4)
    x = torch.rand(M, IN, generator=g) * 2 - 1
    d = 0.5 * torch.randn(M, OUT, generator=g)
    return x.to(dtype), d.to(dtype)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float64_noise_free_update_equals_the_float64_reference(name: str) -> None:
    """Every pulse at full probability (x, d = ±1, large lr: 31 per cross-point and
    sample), no c2c noise: the fast float64 trajectory is the reference's to 1e-12."""
    g = torch.Generator().manual_seed(3)
    x = (torch.randint(0, 2, (M, IN), generator=g) * 2 - 1).double()
    d = (torch.randint(0, 2, (M, OUT), generator=g) * 2 - 1).double()
    fast, ref = (_array(name, torch.float64, dw_min_std=0.0) for _ in range(2))
    for lr in (2.0, -2.0):
        with use_backend("fast"):
            pulsed_update(fast, x, d, lr, UpdateParameters(), torch.Generator().manual_seed(1))
        with use_reference():
            pulsed_update(ref, x, d, lr, UpdateParameters(), torch.Generator().manual_seed(1))
        assert fast.weight.dtype == torch.float64
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float64_update_equals_the_float32_update_to_float32_rounding(name: str) -> None:
    """c2c noise, write noise (where the model has it), several calls with both signs and
    per-sample rates, and one given count matrix: the same draws in both dtypes."""
    fields = {"dw_min_std": 0.3}
    if name in ("soft_bounds", "linear_mult", "sb_reference", "piecewise"):
        fields["write_noise_std"] = 0.5  # not on set: torch's draws differ by dtype
        fields["apply_write_noise_on_set"] = False
    arrays = {dt: _array(name, dt, **fields) for dt in (torch.float32, torch.float64)}
    for dtype, array in arrays.items():
        x, d = _batch(dtype)
        gen = torch.Generator().manual_seed(11)
        with use_backend("fast"):
            for lr in (0.05, -0.03):
                pulsed_update(array, x, d, lr, UpdateParameters(), gen)
            rates = torch.linspace(0.01, 0.06, M, dtype=torch.float64)
            pulsed_update(array, x, d, rates, UpdateParameters(), gen)
            counts = torch.arange(OUT * IN).reshape(OUT, IN) % 4
            assert fast_apply_pulse_counts(array, counts, counts % 3 == 0, gen)
    single, double = arrays[torch.float32], arrays[torch.float64]
    assert double.weight.dtype == torch.float64
    assert not torch.equal(double.weight, _array(name, torch.float64, **fields).weight)
    # the float32 array's device parameters are the float64 ones rounded: ~1e-7 relative
    torch.testing.assert_close(double.weight, single.weight.double(), rtol=0, atol=2e-5)
    torch.testing.assert_close(
        double.persistent_weight, single.persistent_weight.double(), rtol=0, atol=2e-5
    )


def test_float64_captured_reads_equal_the_float32_ones() -> None:
    """The chopped compounds' captured reads, in the weights' dtype."""
    got = {}
    for dtype in (torch.float32, torch.float64):
        array = _array(
            "soft_bounds", dtype, dw_min_std=0.3, write_noise_std=0.5,
            apply_write_noise_on_set=False,
        )  # fmt: skip
        x, d = _batch(dtype)
        with use_backend("fast"):
            reads = pulsed_update_capture(
                array, x, d, 0.05, UpdateParameters(), torch.Generator().manual_seed(5),
                [0, 2, 2, 5], [3, 0, 19, 7],
            )  # fmt: skip
        assert reads.dtype == dtype
        got[dtype] = (reads, array.weight.clone())
    torch.testing.assert_close(got[torch.float64][0], got[torch.float32][0].double(), atol=2e-5,
                               rtol=0)  # fmt: skip
    torch.testing.assert_close(got[torch.float64][1], got[torch.float32][1].double(), atol=2e-5,
                               rtol=0)  # fmt: skip


def test_double_runtime_trains_an_analog_layer_on_the_compiled_path() -> None:
    """``runtime.data_type = DOUBLE``: forward, backward and the pulsed update of a layer
    run with the backend ``"fast"`` (which raises if the update fell back)."""
    config = cfgs.build_config("sgd", cfgs.SoftBoundsReferenceDevice)
    config.runtime.data_type = cfgs.RPUDataType.DOUBLE
    torch.manual_seed(0)
    layer = AnalogLinear(8, 4, rpu_config=config)
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    x = torch.rand(5, 8, dtype=torch.float64)
    before = layer.get_weights()[0].clone()
    with use_backend("fast"):
        for _ in range(3):
            opt.zero_grad()
            layer(x).pow(2).sum().backward()
            opt.step()
    after = layer.get_weights()[0]
    assert after.dtype == torch.float64
    assert not torch.equal(after, before)


def test_float64_no_pulse_call_draws_nothing() -> None:
    array = _array("constant", torch.float64, **NO_DTOD)
    gen = torch.Generator().manual_seed(1)
    state, before = gen.get_state().clone(), array.weight.clone()
    x, d = _batch(torch.float64)
    with use_backend("fast"):
        pulsed_update(array, torch.zeros_like(x), d, 0.05, UpdateParameters(), gen)
    assert torch.equal(gen.get_state(), state) and torch.equal(array.weight, before)
