"""The compiled CPU update of the deterministic pulse types (``MEAN_COUNT``,
``DETERMINISTIC_IMPLICIT``; ``kernels/update/cpu/dense_update.py``), held to a hand-computed
closed form and to the reference: equal where noise-free, in distribution with noise."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("numba")

from fast_update_cases import MODELS, NO_DTOD, z_mean_and_var  # noqa: E402

from analogtrain.configs import ConstantStepDevice  # noqa: E402
from analogtrain.configs.enums import PulseType  # noqa: E402
from analogtrain.configs.update import UpdateParameters  # noqa: E402
from analogtrain.devices import create_device_array  # noqa: E402
from analogtrain.kernels import use_backend  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update, pulsed_update_capture  # noqa: E402

DENSE = [PulseType.MEAN_COUNT, PulseType.DETERMINISTIC_IMPLICIT]


def _pair(name: str, out_size: int, in_size: int, **fields):
    fields.setdefault("dw_min", 0.01)
    arrays = []
    for _ in range(2):
        array = create_device_array(
            MODELS[name](**fields), out_size, in_size, torch.Generator().manual_seed(7)
        )
        w0 = torch.linspace(-0.5, 0.5, out_size * in_size)
        array.set_weights(w0.reshape(out_size, in_size), torch.Generator().manual_seed(0))
        arrays.append(array)
    return arrays


def _batch(m: int, out_size: int, in_size: int, seed: int = 3):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(m, in_size, generator=g) * 2 - 1
    d = torch.rand(m, out_size, generator=g) * 2 - 1
    return x, d


def _update(array, x, d, lr, up, backend: str, seed: int = 1) -> None:
    with use_backend(backend):
        pulsed_update(array, x, d, lr, up, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("backend", ["fast", "reference"])
@pytest.mark.parametrize("pulse_type", DENSE)
def test_deterministic_counts_equal_the_closed_form(pulse_type, backend) -> None:
    """One sample on a noise-free constant-step device: x = (1, 0.62, 0.26, 0), d = (1, -0.6),
    lr 0.05, dw_min 0.01. Update and bit-length management give BL = 5, A = B = 1, so both
    types count rint(5 |d_i| |x_j|) = [[5, 3, 1, 0], [3, 2, 1, 0]] (MEAN_COUNT:
    rint(rint(5 |d|) / 5 * rint(5 |x|)), the same here); each pulse moves 0.01, down where
    d_i x_j > 0."""
    device = ConstantStepDevice(dw_min=0.01, dw_min_std=0.0, **NO_DTOD)
    array = create_device_array(device, 2, 4, torch.Generator().manual_seed(0))
    array.set_weights(torch.zeros(2, 4), torch.Generator().manual_seed(0))
    x = torch.tensor([[1.0, 0.62, 0.26, 0.0]])
    d = torch.tensor([[1.0, -0.6]])
    _update(array, x, d, 0.05, UpdateParameters(pulse_type=pulse_type), backend)
    counts = torch.tensor([[5.0, 3.0, 1.0, 0.0], [3.0, 2.0, 1.0, 0.0]])
    expected = -0.01 * counts * torch.tensor([[1.0], [-1.0]])
    torch.testing.assert_close(array.weight, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("pulse_type", DENSE)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_deterministic_pulse_types_noise_free_equal_reference(name, pulse_type) -> None:
    """No c2c noise: the counts are the reference's, so the trajectory (model rule, clip after
    every pulse, sample order) agrees up to float rounding, for both signs of lr."""
    out_size, in_size, m = 6, 10, 7
    fast, ref = _pair(name, out_size, in_size, dw_min_std=0.0)
    start = fast.weight.clone()
    x, d = _batch(m, out_size, in_size)
    up = UpdateParameters(pulse_type=pulse_type)
    for lr in (0.3, -0.2):
        _update(fast, x, d, lr, up, "fast")
        _update(ref, x, d, lr, up, "reference")
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)
    assert not torch.equal(ref.weight, start)


@pytest.mark.parametrize("pulse_type", DENSE)
def test_deterministic_pulse_types_per_sample_rates_equal_reference(pulse_type) -> None:
    """Per-sample rates (some negative: the sample's direction flips, one zero: no pulse) as
    the transfer compounds pass them."""
    fast, ref = _pair("soft_bounds", 5, 8, dw_min_std=0.0)
    x, d = _batch(6, 5, 8)
    lr = torch.tensor([0.2, -0.1, 0.0, 0.4, -0.3, 0.05], dtype=torch.float64)
    up = UpdateParameters(pulse_type=pulse_type)
    _update(fast, x, d, lr, up, "fast")
    _update(ref, x, d, lr, up, "reference")
    torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)


@pytest.mark.parametrize("pulse_type", DENSE)
def test_deterministic_capture_equals_reference(pulse_type) -> None:
    """Reads taken inside a deterministic update (transfer compounds) see the weights right
    after their sample, as on the reference path; repeated and first-sample reads included."""
    fast, ref = _pair("exp_step", 6, 9, dw_min_std=0.0, **NO_DTOD)
    x, d = _batch(8, 6, 9)
    up = UpdateParameters(pulse_type=pulse_type)
    after, cols = [0, 0, 3, 6, 7], [1, 4, 2, 8, 0]
    reads = []
    for array, backend in ((fast, "fast"), (ref, "reference")):
        with use_backend(backend):
            gen = torch.Generator().manual_seed(2)
            reads.append(pulsed_update_capture(array, x, d, 0.3, up, gen, after, cols))
    torch.testing.assert_close(reads[0], reads[1], rtol=0, atol=2e-6)
    torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)
    assert not torch.equal(reads[1][0], reads[1][-1])


@pytest.mark.parametrize("pulse_type", DENSE)
def test_noise_free_deterministic_update_draws_nothing(pulse_type) -> None:
    """Without device noise the compiled path leaves the generator untouched, like the
    reference (processes that interleave other draws stay aligned)."""
    array = _pair("constant", 4, 6, dw_min_std=0.0, **NO_DTOD)[0]
    x, d = _batch(5, 4, 6)
    gen = torch.Generator().manual_seed(11)
    before = gen.get_state().clone()
    with use_backend("fast"):
        pulsed_update(array, x, d, 0.3, UpdateParameters(pulse_type=pulse_type), gen)
    assert torch.equal(gen.get_state(), before)


@pytest.mark.parametrize("pulse_type", DENSE)
def test_deterministic_pulse_types_with_noise_match_reference_in_distribution(pulse_type):
    """c2c noise: the same counts, i.i.d. final weights over 2048 cross-points (identical
    devices, identical inputs per cross-point); mean and variance agree within 5 standard
    errors of their difference."""
    out_size, in_size = 32, 64
    fast, ref = _pair("soft_bounds", out_size, in_size, dw_min_std=0.5, **NO_DTOD)
    for a in (fast, ref):
        a.set_weights(torch.zeros(out_size, in_size), torch.Generator().manual_seed(0))
    x = torch.full((4, in_size), 0.8)
    d = torch.tensor([[1.0], [1.0], [-0.5], [1.0]]).expand(4, out_size).contiguous()
    up = UpdateParameters(pulse_type=pulse_type)
    _update(fast, x, d, 0.3, up, "fast")
    _update(ref, x, d, 0.3, up, "reference")
    assert fast.weight.std() > 0
    z_mean, z_var = z_mean_and_var(fast.weight, ref.weight)
    assert abs(z_mean) < 5.0, (z_mean, fast.weight.mean(), ref.weight.mean())
    assert abs(z_var) < 5.0, (z_var, fast.weight.var(), ref.weight.var())


def test_deterministic_write_noise_matches_reference_in_distribution() -> None:
    """Write noise on the apparent weights: redrawn after the last pulse of a cross-point,
    persistent weights unchanged by it; apparent weights agree in mean and variance."""
    out_size, in_size = 32, 64
    fields = dict(dw_min_std=0.0, write_noise_std=2.0, **NO_DTOD)
    fast, ref = _pair("soft_bounds", out_size, in_size, **fields)
    x = torch.full((3, in_size), 0.9)
    d = torch.full((3, out_size), 0.7)
    up = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT)
    _update(fast, x, d, 0.1, up, "fast")
    _update(ref, x, d, 0.1, up, "reference")
    torch.testing.assert_close(fast.persistent_weight, ref.persistent_weight, rtol=0, atol=2e-6)
    noise_fast = fast.weight - fast.persistent_weight
    noise_ref = ref.weight - ref.persistent_weight
    assert noise_fast.std() > 0.01
    z_mean, z_var = z_mean_and_var(noise_fast, noise_ref)
    assert abs(z_mean) < 5.0, (z_mean, noise_fast.mean(), noise_ref.mean())
    assert abs(z_var) < 5.0, (z_var, noise_fast.var(), noise_ref.var())
