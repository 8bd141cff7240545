"""User-defined pulsed devices (devices/custom.py, devices/rule.py): the rule language, the
model working everywhere a built-in does, its numba kernel held to the reference, and the
explicit backend ("fast" raises, "auto" warns once per reason)."""

from __future__ import annotations

import json
import warnings

import pytest
import torch

pytest.importorskip("numba")

from custom_device_case import EveryOperationDevice, SigmoidTestDevice  # noqa: E402
from fast_update_cases import MODELS, z_mean_and_var  # noqa: E402

from analogtrain.cli import main as cli_main  # noqa: E402
from analogtrain.configs import UpdateParameters, build_config, from_dict, to_dict  # noqa: E402
from analogtrain.devices import (  # noqa: E402
    PulsedDeviceArray,
    create_device_array,
    define_pulsed_device,
    pulse_rule,
)
from analogtrain.devices.registry import _IMPLEMENTATIONS  # noqa: E402
from analogtrain.errors import ConfigError  # noqa: E402
from analogtrain.kernels import use_backend, use_reference  # noqa: E402
from analogtrain.kernels.update import backend  # noqa: E402
from analogtrain.kernels.update.cpu.fast_update import fast_pulsed_update  # noqa: E402
from analogtrain.kernels.update.pulsed import pulsed_update  # noqa: E402
from analogtrain.kernels.update.rule_inputs import has_fast_rule, rule_tensors  # noqa: E402
from analogtrain.nn import AnalogLinear  # noqa: E402
from analogtrain.optim import AnalogSGD  # noqa: E402

ALGORITHMS = ["sgd", "mp", "tt", "ttv2", "c-ttv2", "agad"]


def _array(config, out_size=8, in_size=12, dtype=torch.float32):
    gen = torch.Generator().manual_seed(7)
    return create_device_array(config, out_size, in_size, gen, dtype=dtype)


def _saturating_batch(m, out_size, in_size, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (m, in_size), generator=g).float() * 2 - 1
    d = torch.randint(0, 2, (m, out_size), generator=g).float() * 2 - 1
    return x, d


# ---------------------------------------------------------------- the rule language


def test_rule_language_rejects_statements_attributes_and_unknown_calls() -> None:
    def with_if(w, down, xi):
        if down:
            return w
        return w

    def with_attribute(w, down, xi):
        return w.abs()

    def with_unknown_call(w, down, xi):
        return max(w, 0.0)

    def with_unknown_name(w, down, xi):
        return w + gamma  # noqa: F821

    def with_wrong_arguments(weight, down, xi):
        return weight

    def with_shadowing_argument(w, down, xi, exp):
        return w + exp

    for fn, match in [
        (with_if, "only .name = expression. statements"),
        (with_attribute, "only calls of"),
        (with_unknown_call, "only calls of"),
        (with_unknown_name, "'gamma'"),
        (with_wrong_arguments, "first arguments"),
        (with_shadowing_argument, "would hide operations"),
    ]:
        with pytest.raises(ConfigError, match=match):
            pulse_rule(fn)


def test_a_rule_is_an_ordinary_function_on_floats_and_tensors() -> None:
    from analogtrain.devices.constant_step import constant_step

    assert constant_step.parameters == ("dwmin_down", "dwmin_up", "dw_min_std")
    down = torch.tensor([True, False])
    out = constant_step.torch(torch.zeros(2), down, 0.0, 0.1, 0.2, 0.0)
    assert torch.equal(out, torch.tensor([-0.1, 0.2]))


def test_define_rejects_a_parameter_that_nothing_provides() -> None:
    from dataclasses import dataclass

    from analogtrain.configs import PulsedDevice

    @pulse_rule
    def needs_kappa(w, down, xi, kappa):
        return w + kappa

    @dataclass
    class KappaLessDevice(PulsedDevice):
        pass

    with pytest.raises(ConfigError, match="kappa"):
        define_pulsed_device(KappaLessDevice, needs_kappa)


# ---------------------------------------------------------------- everywhere a built-in works


def test_every_registered_pulsed_class_has_a_fast_path() -> None:
    pulsed = {cls for cls in _IMPLEMENTATIONS.values() if issubclass(cls, PulsedDeviceArray)}
    assert len(pulsed) >= 9  # the 7 built-in models and the two test devices
    for cls in pulsed:
        assert has_fast_rule(cls), cls.__name__
    for config in (SigmoidTestDevice(), EveryOperationDevice(), MODELS["piecewise"]()):
        assert not isinstance(rule_tensors(_array(config)), str)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_custom_device_trains_with_every_algorithm(algorithm: str) -> None:
    torch.manual_seed(0)
    layer = AnalogLinear(6, 4, rpu_config=build_config(algorithm, SigmoidTestDevice))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    x, target = torch.randn(8, 6), torch.randn(8, 4)
    before = {k: v.clone() for k, v in layer.state_dict().items() if isinstance(v, torch.Tensor)}
    for _ in range(3):
        opt.zero_grad()
        ((layer(x) - target) ** 2).mean().backward()
        opt.step()
    after = layer.state_dict()
    assert torch.isfinite(layer.get_weights()[0]).all()
    # the pulsed devices moved (for agad/ttv2 the visible weight may wait for a transfer)
    assert any(not torch.equal(v, after[k]) for k, v in before.items() if v.is_floating_point())


def test_custom_device_state_dict_and_config_round_trip() -> None:
    config = build_config("sgd", SigmoidTestDevice(steepness=5.0, write_noise_std=0.5))
    again = from_dict(json.loads(json.dumps(to_dict(config))))
    assert type(again.device) is SigmoidTestDevice and again.device.steepness == 5.0
    torch.manual_seed(1)
    a, b = AnalogLinear(5, 3, rpu_config=config), AnalogLinear(5, 3, rpu_config=again)
    opt = AnalogSGD(a.parameters(), lr=0.2)
    ((a(torch.randn(4, 5)) ** 2).sum()).backward()
    opt.step()
    b.load_state_dict(a.state_dict())
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        if isinstance(p, torch.Tensor):
            assert torch.equal(p, q), name


def test_cli_device_plots_a_custom_device_given_as_module_and_class(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "custom.png"
    args = ["device", "custom_device_case:SigmoidTestDevice", "--n-devices", "2", "--json"]
    assert cli_main([*args, "--pulses", "40", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary[0]["device"].startswith("SigmoidTestDevice")
    assert summary[0]["step_up_at_zero"] > 0 and out.stat().st_size > 0


# ---------------------------------------------------------------- numba kernel vs reference


@pytest.mark.parametrize("device", [SigmoidTestDevice, EveryOperationDevice])
def test_noise_free_fast_update_equals_reference(device) -> None:
    out_size, in_size, m = 6, 10, 5
    w0 = torch.linspace(-0.55, 0.55, out_size * in_size).reshape(out_size, in_size)
    arrays = [_array(device(dw_min=0.01, dw_min_std=0.0), out_size, in_size) for _ in range(2)]
    for a in arrays:
        a.set_weights(w0, torch.Generator().manual_seed(0))
    fast, ref = arrays
    x, d = _saturating_batch(m, out_size, in_size, seed=3)
    for lr in (2.0, -2.0):
        gen = torch.Generator().manual_seed(1)
        assert fast_pulsed_update(fast, x, d, lr, fast.granularity, UpdateParameters(), gen)
        with use_reference():
            pulsed_update(ref, x, d, lr, UpdateParameters(), torch.Generator().manual_seed(1))
        torch.testing.assert_close(fast.weight, ref.weight, rtol=0, atol=2e-6)
    assert not torch.equal(ref.weight, w0)


def test_fast_update_statistics_match_reference_with_c2c_and_write_noise() -> None:
    """4000 cross-points from w = 0.2, one saturating sample (31 pulses each): the final
    weights of the numba path and of the reference are two samples of one distribution."""
    config = SigmoidTestDevice(dw_min=0.01, dw_min_std=0.3, write_noise_std=1.0)
    fast, ref = _array(config, 40, 100), _array(config, 40, 100)
    for a in (fast, ref):
        a.set_weights(torch.full((40, 100), 0.2), torch.Generator().manual_seed(0))
    x, d = torch.ones(1, 100), -torch.ones(1, 40)
    gen = torch.Generator().manual_seed(2)
    assert fast_pulsed_update(fast, x, d, 2.0, fast.granularity, UpdateParameters(), gen)
    with use_reference():
        pulsed_update(ref, x, d, 2.0, UpdateParameters(), torch.Generator().manual_seed(3))
    for a, b in ((fast.weight, ref.weight), (fast.persistent_weight, ref.persistent_weight)):
        assert a.std() > 0
        z_mean, z_var = z_mean_and_var(a, b)
        assert abs(z_mean) < 5.0 and abs(z_var) < 5.0, (z_mean, z_var)


# ---------------------------------------------------------------- explicit backend


def _state(array, gen):
    return array.weight.clone(), array.persistent_weight.clone(), gen.get_state().clone()


@pytest.mark.parametrize("case", ["float16", "subclass"])
def test_backend_fast_raises_without_a_fast_path_and_changes_nothing(case: str) -> None:
    up, dtype = UpdateParameters(), torch.float32
    if case == "float16":  # float32 and float64 run compiled
        dtype = torch.float16
    array = _array(SigmoidTestDevice(), dtype=dtype)
    if case == "subclass":

        class Changed(type(array)):
            pass

        array = Changed(SigmoidTestDevice(), 8, 12, torch.Generator().manual_seed(7))
    x, d = torch.rand(3, 12, dtype=dtype), torch.rand(3, 8, dtype=dtype)
    gen = torch.Generator().manual_seed(5)
    before = _state(array, gen)
    match = {"float16": "float32", "subclass": "own update rule"}
    with use_backend("fast"), pytest.raises(backend.FastPathUnavailable, match=match[case]):
        pulsed_update(array, x, d, 0.05, up, gen)
    for a, b in zip(before, _state(array, gen)):
        assert torch.equal(a, b)
    with use_backend("fast"):  # the default config runs compiled
        plain = _array(SigmoidTestDevice())
        pulsed_update(plain, x.float(), d.float(), 0.05, UpdateParameters(), gen)


def test_backend_auto_warns_once_per_reason(monkeypatch) -> None:
    monkeypatch.setattr(backend, "_warned", set())
    array = _array(SigmoidTestDevice(), dtype=torch.float16)  # float32/64 run compiled
    x, d = torch.rand(3, 12, dtype=torch.float16), torch.rand(3, 8, dtype=torch.float16)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(3):
            pulsed_update(array, x, d, 0.05, UpdateParameters(), torch.Generator().manual_seed(0))
        changed = type("Changed", (type(array),), {})(
            SigmoidTestDevice(), 8, 12, torch.Generator().manual_seed(7)
        )
        pulsed_update(
            changed, x.float(), d.float(), 0.05, UpdateParameters(),
            torch.Generator().manual_seed(0),
        )  # fmt: skip
    ours = [w for w in seen if issubclass(w.category, backend.FastPathWarning)]
    assert len(ours) == 2
    assert "float32" in str(ours[0].message) and "own update rule" in str(ours[1].message)
