"""Rejected calls change nothing: forward, step, learning rates, set_weights,
set_hidden_parameters and load_state_dict, each compared on the whole state (state_dict with
generator states, gradients, pending pairs, optimizer state) before and after."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from state_snapshot import differences, snapshot
from torch import nn

from analogtrain.configs import (
    ConstantStepDevice,
    IOParameters,
    MappingParameter,
    SingleRPUConfig,
)
from analogtrain.errors import AnalogTrainError, ArgumentError, TileError
from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from analogtrain.nn.atomic import label_analog_modules
from analogtrain.optim import AnalogSGD

BAD = [math.nan, math.inf, -math.inf]


def noisy_config(**mapping) -> SingleRPUConfig:
    """Default (noisy) IO and a stochastic device: every call draws random numbers."""
    return SingleRPUConfig(device=ConstantStepDevice(), mapping=MappingParameter(**mapping))


def model_and_optimizer(**mapping) -> tuple[nn.Module, AnalogSGD]:
    model = AnalogSequential(
        AnalogLinear(6, 5, rpu_config=noisy_config(**mapping)),
        nn.ReLU(),
        AnalogLinear(5, 3, rpu_config=noisy_config(**mapping)),
    )
    opt = AnalogSGD(model.parameters(), lr=0.05, momentum=0.9)
    model(torch.randn(4, 6)).sum().backward()
    opt.step()  # momentum buffers exist from here on
    return model, opt


def split_model() -> tuple[nn.Module, AnalogSGD]:
    cfg = noisy_config(max_input_size=4, max_output_size=3)
    model = AnalogSequential(AnalogLinear(8, 5, rpu_config=cfg))
    return model, AnalogSGD(model.parameters(), lr=0.05)


@pytest.mark.parametrize("value", BAD)
def test_forward_with_one_bad_value_in_second_tile_slice_advances_no_generator(value):
    model, opt = split_model()
    x = torch.randn(3, 8)
    x[1, 6] = value  # in the second input block only
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match=r"1 NaN/inf values of 24"):
        model(x)
    assert differences(before, snapshot(model, opt)) == []


def test_forward_error_names_the_module_path_once_labelled():
    model, _ = split_model()
    label_analog_modules(model)
    with pytest.raises(ArgumentError, match=r"'0.analog_module' TileModuleArray"):
        model(torch.full((1, 8), math.nan))


@pytest.mark.parametrize("value", BAD)
def test_step_with_bad_digital_gradient_changes_nothing(value):
    model, opt = model_and_optimizer()
    opt.zero_grad()
    model(torch.randn(4, 6)).sum().backward()
    model[0].analog_module.bias.grad[2] = value
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match=r"gradient has 1 NaN/inf values of 5"):
        opt.step()
    assert differences(before, snapshot(model, opt)) == []


@pytest.mark.parametrize("value", BAD)
def test_step_with_bad_pending_update_changes_nothing(value):
    # The input needs no gradient, so no backward MVM sees d: the bad pair is stored and
    # the step must reject it.
    layer = AnalogLinear(6, 3, bias=False, rpu_config=noisy_config())
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    out = layer(torch.randn(4, 6))
    grad = torch.ones_like(out)
    grad[0, 1] = value
    out.backward(grad)
    before = snapshot(layer, opt)
    with pytest.raises(ArgumentError, match=r"pending update d has 1 NaN/inf values in 4 rows"):
        opt.step()
    assert differences(before, snapshot(layer, opt)) == []


@pytest.mark.parametrize("value", BAD)
def test_batch_rejected_in_backward_then_zero_grad_leaves_next_step_identical(value):
    model, opt = model_and_optimizer()
    ref = copy.deepcopy((model, opt))
    x_bad = torch.randn(4, 6)
    out = model(x_bad)
    grad = torch.ones_like(out)
    grad[0, 1] = value
    with pytest.raises(TileError, match="error d contains NaN or inf"):
        out.backward(grad)  # the second layer's backward MVM refuses d
    opt.zero_grad()
    # The rejected batch's forward drew output noise; the reference draws the same.
    ref[0](x_bad)
    x = torch.randn(4, 6)
    for m, o in (ref, (model, opt)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    assert differences(snapshot(model, opt), snapshot(*ref)) == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_bad_learning_rates_are_rejected_everywhere_without_change(value):
    model, opt = model_and_optimizer()
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match="learning rate"):
        AnalogSGD(model.parameters(), lr=value)
    with pytest.raises(ArgumentError, match="learning rate"):
        opt.set_learning_rate(value)
    with pytest.raises(ArgumentError, match="learning rate"):
        opt.add_param_group({"params": [nn.Parameter(torch.ones(1))], "lr": value})
    with pytest.raises(ArgumentError, match="learning rate"):
        AnalogSGD([{"params": model.parameters(), "lr": value}], lr=0.1)
    assert differences(before, snapshot(model, opt)) == []
    opt.param_groups[0]["lr"] = value  # a scheduler or a user wrote it directly
    model(torch.randn(4, 6)).sum().backward()
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match=r"param_groups\[0\]\['lr'\]"):
        opt.step()
    assert differences(before, snapshot(model, opt)) == []


@pytest.mark.parametrize("where", ["weight", "bias"])
@pytest.mark.parametrize("value", BAD)
def test_set_weights_with_bad_value_keeps_weights_bias_and_scales(where, value):
    model, opt = model_and_optimizer(weight_scaling_omega=1.0, learn_out_scaling=True)
    weight, bias = torch.randn(5, 6), torch.randn(5)
    (weight if where == "weight" else bias)[1] = value
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match=f"{where} has \\d+ NaN/inf values"):
        model[0].set_weights(weight, bias)
    assert differences(before, snapshot(model, opt)) == []


def test_set_weights_on_split_layer_writes_no_tile_before_rejecting():
    model, opt = split_model()
    weight = torch.randn(5, 8)
    weight[4, 7] = math.nan  # in the last tile
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match="weight has 1 NaN/inf values of 40"):
        model[0].set_weights(weight, torch.zeros(5))
    assert differences(before, snapshot(model, opt)) == []


def test_set_weights_by_tile_name_checks_every_entry_first():
    model, opt = model_and_optimizer()
    names = [name for name, _ in model.named_analog_tiles()]
    good = (torch.randn(5, 6), torch.randn(5))
    bad = (torch.randn(3, 5), torch.full((3,), math.nan))
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match="bias has 3 NaN/inf values"):
        model.set_weights({names[0]: good, names[1]: bad})
    assert differences(before, snapshot(model, opt)) == []


def test_set_hidden_parameters_with_nan_changes_nothing():
    model, opt = model_and_optimizer()
    tile = model[0].analog_module
    params = tile.get_hidden_parameters()
    last = list(params)[-1]
    params[last] = params[last].clone()
    params[last][0, 0] = math.nan
    before = snapshot(model, opt)
    with pytest.raises(AnalogTrainError, match="set_hidden_parameters"):
        tile.set_hidden_parameters(params)
    assert differences(before, snapshot(model, opt)) == []


def _corrupt_shape(state):
    key = next(k for k in state if k.endswith("bias"))
    state[key] = torch.zeros(7)


def _corrupt_nan(state):
    key = next(k for k, v in state.items() if torch.is_tensor(v) and v.is_floating_point())
    state[key] = state[key].clone().fill_(math.nan)


def _corrupt_tile_class(state):
    key = [k for k in state if k.endswith("_extra_state")][-1]
    state[key] = dict(state[key], tile_class="OneSidedTile")


def _corrupt_config_typo(state):
    key = [k for k in state if k.endswith("_extra_state")][-1]
    saved = copy.deepcopy(state[key]["rpu_config"])
    fields = saved["config"]["fields"]
    fields["forwrd"] = fields.pop("forward")
    state[key] = dict(state[key], rpu_config=saved)


@pytest.mark.parametrize(
    "corrupt", [_corrupt_shape, _corrupt_nan, _corrupt_tile_class, _corrupt_config_typo]
)
def test_load_state_dict_rejection_loads_nothing(corrupt):
    source, _ = model_and_optimizer()
    model, opt = model_and_optimizer()
    state = dict(source.state_dict())
    corrupt(state)
    before = snapshot(model, opt)
    with pytest.raises(AnalogTrainError, match="nothing was loaded"):
        model.load_state_dict(state)
    assert differences(before, snapshot(model, opt)) == []


def test_load_state_dict_of_a_good_state_still_loads_everything():
    source, _ = model_and_optimizer()
    model, opt = model_and_optimizer()
    model.load_state_dict(source.state_dict())
    assert differences(snapshot(model)["model"], snapshot(source)["model"]) == []


def _exact_io() -> IOParameters:
    """Noise management on (ABS_MAX) but no noise and no quantization: y = W x up to
    float32 rounding, for any input scale."""
    return IOParameters(inp_res=-1.0, out_res=-1.0, out_noise=0.0, w_noise=0.0)


@pytest.mark.parametrize("scale", [2.0**-130, 2.0**-140, 2.0**-148])
def test_subnormal_inputs_give_the_scaled_result_not_nan(scale):
    cfg = SingleRPUConfig(forward=_exact_io(), backward=_exact_io())
    layer = AnalogLinear(4, 3, bias=False, rpu_config=cfg)
    x = torch.randn(5, 4)
    reference = layer(x).detach()
    tiny = (x * scale).requires_grad_(True)
    y = layer(tiny)
    # Oracle: the MVM is linear, so y(x·s) = s·y(x); the subnormal result carries an
    # absolute rounding error of at most a few smallest subnormals per output.
    spacing = 2.0**-149
    assert torch.isfinite(y).all()
    torch.testing.assert_close(y.detach(), reference * scale, rtol=1e-5, atol=8 * spacing)
    y.backward(torch.ones_like(y))
    assert torch.isfinite(tiny.grad).all()


def test_training_run_labels_its_layers_for_error_messages():
    from analogtrain.training import TrainingRun, build_model, synthetic_dataset

    data = synthetic_dataset(8, 4, image_size=4, seed=1)
    model = build_model("mlp", data.image_shape, data.n_classes, noisy_config(), hidden=(4,))
    TrainingRun(model, data, lr=0.1, batch_size=4)
    paths = [getattr(t, "module_path", None) for t in model.analog_tiles()]
    assert all(paths) and len(set(paths)) == len(paths)


@pytest.mark.parametrize("value", BAD)
def test_conv_forward_with_one_bad_pixel_names_the_conv_and_advances_no_generator(value):
    model = AnalogSequential(AnalogConv2d(2, 3, 3, rpu_config=noisy_config()))
    opt = AnalogSGD(model.parameters(), lr=0.05)
    x = torch.randn(2, 2, 6, 6)
    x[1, 0, 5, 5] = value  # a corner pixel: in one patch only
    before = snapshot(model, opt)
    with pytest.raises(ArgumentError, match=r"AnalogConv2d\(2, 3.*1 NaN/inf values of 144"):
        model(x)
    assert differences(before, snapshot(model, opt)) == []
