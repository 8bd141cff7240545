"""The Triton pulsed update (the CUDA fast path) equals the reference update: exactly where
the process is deterministic, in distribution otherwise, for every supported device model.

On a machine with a GPU the kernels run on CUDA. Without one they run in Triton's
interpreter (``TRITON_INTERPRET=1``) on CPU tensors, which executes the same kernel source;
the module is skipped where Triton is not installed.
"""

from __future__ import annotations

import importlib.util
import math
import os

import pytest
import torch

if importlib.util.find_spec("triton") is None:
    pytest.skip("Triton is not installed", allow_module_level=True)

# Triton decides at import whether its own jit functions (tl.random) are interpreted, so the
# variable must be set before anything imports it.
ON_GPU = torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET", "0") in ("", "0")
if not ON_GPU:
    os.environ["TRITON_INTERPRET"] = "1"  # read when the kernel module is first imported
DEVICE = torch.device("cuda" if ON_GPU else "cpu")

from fast_update_cases import MODELS, NO_DTOD, z_mean_and_var  # noqa: E402

import analogtrain.configs as cfgs  # noqa: E402
from analogtrain.configs.update import UpdateParameters  # noqa: E402
from analogtrain.devices import create_device_array  # noqa: E402
from analogtrain.kernels import use_reference  # noqa: E402
from analogtrain.kernels.update.backend import fast_update_for  # noqa: E402
from analogtrain.kernels.update.cuda.fast_update import _run, fast_cuda_pulsed_update  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update, pulsed_update_capture  # noqa: E402


def _gen(seed: int) -> torch.Generator:
    return torch.Generator(device=DEVICE).manual_seed(seed)


def _array(name: str, out_size: int, in_size: int, **fields):
    fields.setdefault("dw_min", 0.01)
    return create_device_array(
        MODELS[name](**fields), out_size, in_size, torch.Generator().manual_seed(7), device=DEVICE
    )


def _pair(name: str, out_size: int, in_size: int, w0, **fields):
    arrays = [_array(name, out_size, in_size, **fields) for _ in range(2)]
    for a in arrays:
        w = torch.full((out_size, in_size), w0) if isinstance(w0, float) else w0
        a.set_weights(w.to(DEVICE), _gen(0))
    return arrays


def _fast(array, x, d, lr, gen, up=None, reads=None) -> None:
    up = up or UpdateParameters()
    assert _run(array, x, d, lr, array.granularity, up, gen, reads, allow_cpu=True)


def _reference(array, x, d, lr, gen, up=None) -> None:
    with use_reference():
        pulsed_update(array, x, d, lr, up or UpdateParameters(), gen)


def _saturating_batch(m: int, out_size: int, in_size: int, seed: int):
    """``x, d = ±1`` with a large lr: every line fires in all 31 slots (spec 4.4, k > BL)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (m, in_size), generator=g).float() * 2 - 1
    d = torch.randint(0, 2, (m, out_size), generator=g).float() * 2 - 1
    return x.to(DEVICE), d.to(DEVICE)


def test_registered_for_cuda_only() -> None:
    array = _array("constant", 2, 3)
    assert fast_update_for(array, "cuda") is fast_cuda_pulsed_update
    assert fast_update_for(array, "cpu") is not fast_cuda_pulsed_update
    with use_reference():
        assert fast_update_for(array, "cuda") is None
    # CPU tensors are refused by the public entry point (the tests use the interpreter hook)
    x, d = torch.ones(1, 3), torch.ones(1, 2)
    if not ON_GPU:
        assert not fast_cuda_pulsed_update(
            array, x, d, 0.1, array.granularity, UpdateParameters(), _gen(0)
        )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_noise_free_update_equals_reference_exactly(name: str) -> None:
    out_size, in_size, m = 6, 10, 4
    w0 = torch.linspace(-0.55, 0.55, out_size * in_size).reshape(out_size, in_size)
    fast, ref = _pair(name, out_size, in_size, w0, dw_min_std=0.0)
    x, d = _saturating_batch(m, out_size, in_size, seed=3)
    for lr in (2.0, -2.0):  # a negative lr flips every direction
        _fast(fast, x, d, lr, _gen(1))
        _reference(ref, x, d, lr, _gen(1))
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)
    if name in ("constant", "linear_mult", "linear_add", "piecewise"):
        w = ref.persistent_weight
        assert (torch.isclose(w, ref.max_bound) | torch.isclose(w, ref.min_bound)).any()


def test_per_sample_rates_equal_reference() -> None:
    """Per-sample rates (the chopped compounds' vector rates), one of them zero."""
    fast, ref = _pair("soft_bounds", 5, 7, 0.1, dw_min_std=0.0)
    x, d = _saturating_batch(3, 5, 7, seed=4)
    lr = torch.tensor([2.0, 0.0, 3.0], device=DEVICE)
    _fast(fast, x, d, lr, _gen(2))
    _reference(ref, x, d, lr, _gen(2))
    torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)


@pytest.mark.parametrize("name", ["constant", "linear_mult", "sb_reference", "exp_step_complex",
                                  "pow_step", "piecewise"])  # fmt: skip
def test_noisy_pulses_match_reference_in_distribution(name: str) -> None:
    """31 down then 31 up pulses with c2c noise near a bound: the i.i.d. final weights agree
    with the reference in mean and variance within 5 standard errors."""
    out_size, in_size = 24, 40
    fields = dict(dw_min_std=0.5, reference_std=0.0) if "reference" in name else {}
    fields = fields or dict(dw_min_std=0.5)
    if name.startswith("pow_step"):
        fields["pow_gamma_dtod"] = 0.0
    fast, ref = _pair(name, out_size, in_size, -0.5, **NO_DTOD, **fields)
    x = torch.ones(2, in_size, device=DEVICE)
    d = torch.tensor([[1.0], [-1.0]], device=DEVICE).expand(2, out_size).contiguous()
    _fast(fast, x, d, 2.0, _gen(5))
    _reference(ref, x, d, 2.0, _gen(5))
    assert fast.weight.std() > 0
    z_mean, z_var = z_mean_and_var(fast.weight, ref.weight)
    assert abs(z_mean) < 5.0, (z_mean, fast.weight.mean(), ref.weight.mean())
    assert abs(z_var) < 5.0, (z_var, fast.weight.var(), ref.weight.var())


def test_coincidence_counts_are_binomial() -> None:
    """ConstantStep without noise far from the bounds: ``-Δw / dw_min`` counts the pulses;
    diagonal cross-points are independent Binomial(BL, p_x p_d) draws (spec 4.5.2)."""
    lr, up, bl = 0.0123, UpdateParameters(), 13  # UBLM: k = lr/g = 12.3 -> BL = 13
    p_x, p_d = (math.sqrt(12.3 / 13) * v for v in (0.5, 0.6))
    n, trials = 48, 25
    x = torch.full((1, n), 0.5, device=DEVICE)
    x[0, 0] = 1.0
    d = torch.full((1, n), 0.6, device=DEVICE)
    d[0, 0] = 1.0
    q = p_x * p_d
    array = _array("constant", n, n, dw_min=0.001, dw_min_std=0.0, **NO_DTOD)
    gen = _gen(5)
    counts = []
    for _ in range(trials):
        array.set_weights(torch.zeros(n, n, device=DEVICE), gen)
        _fast(array, x, d, lr, gen, up)
        counts.append(torch.round(-array.weight.diagonal()[1:] / 0.001))
    c = torch.cat(counts).double().cpu()
    mean, var = bl * q, bl * q * (1 - q)
    n_obs = c.numel()
    assert abs(c.mean() - mean) < 5 * math.sqrt(var / n_obs)
    fourth = var * (1 + 3 * (bl - 2) * q * (1 - q))
    assert abs(c.var() - var) < 5 * math.sqrt((fourth - var**2) / n_obs)
    assert c.max() <= bl


def test_normal_samples_are_standard() -> None:
    """Additive c2c noise on a ConstantStep device, one pulse per cross-point, far from the
    bounds: ``(Δw / dw_min - 1) / σ`` is the kernel's normal sample. Its first four moments
    match N(0, 1) within 5 standard errors, and samples of different cross-points are
    uncorrelated."""
    n = 64 if not ON_GPU else 512
    sigma = 0.3
    array = _array("constant", n, n, dw_min=0.001, dw_min_std=sigma, **NO_DTOD)
    array.set_weights(torch.zeros(n, n, device=DEVICE), _gen(0))
    x = torch.ones(1, n, device=DEVICE)
    d = -torch.ones(1, n, device=DEVICE)
    up = UpdateParameters(update_management=False, update_bl_management=False, desired_bl=1)
    _fast(array, x, d, array.granularity, _gen(9), up)  # BL = 1, p = 1: one pulse each
    z = ((array.weight / 0.001 - 1.0) / sigma).double().flatten().cpu()
    k = z.numel()
    assert abs(z.mean()) < 5 / math.sqrt(k)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / k)
    assert abs((z**3).mean()) < 5 * math.sqrt(15 / k)
    assert abs((z**4).mean() - 3) < 5 * math.sqrt(96 / k)
    assert abs((z[:-1] * z[1:]).mean()) < 5 / math.sqrt(k)


def test_write_noise_redrawn_only_where_pulsed() -> None:
    array = _array("linear_mult", 40, 50, dw_min_std=0.0, write_noise_std=3.0, **NO_DTOD)
    before = array.weight.clone()
    x = torch.ones(2, 50, device=DEVICE)
    x[:, 25:] = 0.0
    d = torch.ones(2, 40, device=DEVICE)
    _fast(array, x, d, 2.0, _gen(3))
    assert torch.equal(array.weight[:, 25:], before[:, 25:])
    noise = (array.weight - array.persistent_weight)[:, :25].double().flatten().cpu()
    sigma = 3.0 * 0.01
    n = noise.numel()
    assert abs(noise.mean()) < 5 * sigma / math.sqrt(n)
    assert abs(noise.var() / sigma**2 - 1.0) < 5 * math.sqrt(2.0 / n)


@pytest.mark.parametrize("chunk_samples", [1, 2, 64])
def test_capture_equals_reference_without_noise(chunk_samples: int, monkeypatch) -> None:
    """Reads in the middle of the batch see the weight after exactly the samples before,
    also when the batch is drawn in chunks of ``chunk_samples`` samples."""
    from analogtrain.kernels.update.cuda import fast_update as fast_cuda

    monkeypatch.setattr(fast_cuda, "_CHUNK_ELEMENTS", 6 * 8 * chunk_samples)
    fast, ref = _pair("soft_bounds", 6, 8, 0.2, dw_min_std=0.0)
    x, d = _saturating_batch(5, 6, 8, seed=8)
    after, cols = [0, 0, 2, 4], [1, 5, 3, 1]
    up = UpdateParameters()
    captured = torch.empty(4, 6, device=DEVICE)
    _fast(fast, x, d, 2.0, _gen(1), up, reads=(after, cols, captured))
    with use_reference():
        expected = pulsed_update_capture(ref, x, d, 2.0, up, _gen(1), after, cols)
    torch.testing.assert_close(captured, expected, rtol=0, atol=2e-6)
    torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)


def test_capture_with_write_noise_reads_the_kept_value() -> None:
    """A read after the last sample equals the array's final apparent column; a column no
    pulse touched reads its apparent weight from before the call."""
    array = _array("soft_bounds", 10, 6, dw_min_std=0.0, write_noise_std=2.0, **NO_DTOD)
    before = array.weight.clone()
    x = torch.ones(3, 6, device=DEVICE)
    x[:, 4] = 0.0  # column 4 is never pulsed
    d = torch.ones(3, 10, device=DEVICE)
    captured = torch.empty(3, 10, device=DEVICE)
    _fast(array, x, d, 2.0, _gen(2), reads=([0, 2, 2], [4, 1, 4], captured))
    torch.testing.assert_close(captured[0], before[:, 4], rtol=0, atol=0)
    torch.testing.assert_close(captured[2], before[:, 4], rtol=0, atol=0)
    torch.testing.assert_close(captured[1], array.weight[:, 1], rtol=0, atol=0)
    assert not torch.equal(array.weight[:, 1], array.persistent_weight[:, 1])


def test_same_seed_same_result_and_generator_advances() -> None:
    a, b = _pair("sb_reference", 8, 9, 0.0, dw_min_std=0.3)
    g = torch.Generator().manual_seed(1)
    x, d = torch.randn(3, 9, generator=g).to(DEVICE), torch.randn(3, 8, generator=g).to(DEVICE)
    ga, gb = _gen(4), _gen(4)
    _fast(a, x, d, 0.05, ga)
    _fast(b, x, d, 0.05, gb)
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, _pair("sb_reference", 8, 9, 0.0, dw_min_std=0.3)[0].weight)
    _fast(a, x, d, 0.05, ga)
    _fast(b, x, d, 0.05, _gen(5))
    assert not torch.equal(a.weight, b.weight)


def test_unsupported_settings_fall_back_untouched() -> None:
    array = _array("constant", 3, 4)
    x, d = torch.ones(2, 4, device=DEVICE), torch.ones(2, 3, device=DEVICE)
    gen = _gen(0)
    state = gen.get_state().clone()
    before = array.weight.clone()
    from analogtrain.configs.enums import PulseType

    up = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT)
    assert not _run(array, x, d, 0.1, array.granularity, up, gen, None, allow_cpu=True)
    double = create_device_array(
        cfgs.ConstantStepDevice(), 3, 4, torch.Generator().manual_seed(7),
        device=DEVICE, dtype=torch.float64,
    )  # fmt: skip
    assert not _run(
        double, x.double(), d.double(), 0.1, 0.001, UpdateParameters(), gen, None, allow_cpu=True
    )
    assert torch.equal(array.weight, before) and torch.equal(gen.get_state(), state)
