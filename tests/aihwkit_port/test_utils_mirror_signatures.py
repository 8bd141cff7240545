"""The utils and experiments mirrors take aihwkit 1.2.0's arguments, in aihwkit's order and
with its defaults (analogtrain may add keyword arguments after them)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

# (module, name, aihwkit 1.2.0's leading parameters as (name, default or EMPTY))
EMPTY = inspect.Parameter.empty
SIGNATURES: list[tuple[str, str, list[tuple[str, Any]]]] = [
    ("utils.visualization", "compute_pulse_response",
     [("analog_tile", EMPTY), ("direction", EMPTY), ("use_forward", False)]),
    ("utils.visualization", "plot_pulse_response",
     [("analog_tile", EMPTY), ("direction", EMPTY), ("use_forward", False)]),
    ("utils.visualization", "compute_pulse_statistics",
     [("w_nodes", EMPTY), ("w_trace", EMPTY), ("direction", EMPTY), ("up_direction", EMPTY),
      ("smoothness", 0.5)]),
    ("utils.visualization", "plot_pulse_statistics",
     [("w_trace", EMPTY), ("direction", EMPTY), ("up_direction", EMPTY), ("num_nodes", 100),
      ("smoothness", 0.5)]),
    ("utils.visualization", "get_tile_for_plotting",
     [("rpu_config", EMPTY), ("n_traces", EMPTY), ("use_cuda", False), ("noise_free", False),
      ("w_init", None)]),
    ("utils.visualization", "estimate_n_steps", [("rpu_config", EMPTY)]),
    ("utils.visualization", "plot_response_overview",
     [("rpu_config", EMPTY), ("n_loops", 5), ("n_steps", None), ("n_traces", 5),
      ("use_cuda", False), ("smoothness", 0.1)]),
    ("utils.visualization", "plot_device", [("device", EMPTY), ("w_noise", 0.0)]),
    ("utils.visualization", "plot_device_compact",
     [("device", EMPTY), ("w_noise", 0.0), ("n_steps", None), ("n_traces", 3), ("n_loops", 2),
      ("w_init", None), ("use_cuda", False), ("axes", None)]),
    ("utils.visualization", "plot_device_symmetry",
     [("device", EMPTY), ("w_noise", 0.0), ("n_pulses", 10000), ("n_traces", 3),
      ("use_cuda", False), ("w_init", 1.0)]),
    ("utils.fitting", "fit_measurements",
     [("parameters", EMPTY), ("pulse_data", EMPTY), ("response_data", EMPTY),
      ("device_config", EMPTY), ("suppress_device_noise", True), ("max_pulses", 1),
      ("n_traces", 1), ("fit_weights", None), ("method", "powell"), ("verbose", False)]),
    ("utils.fitting", "model_response",
     [("params", EMPTY), ("pulse_data", EMPTY), ("response_data", EMPTY),
      ("device_config", EMPTY), ("n_traces", 1), ("fit_weights", None), ("verbose", True),
      ("only_response", False)]),
    ("utils.analog_info", "analog_summary",
     [("model", EMPTY), ("input_size", None), ("rpu_config", None)]),
    ("experiments", "BasicTraining",
     [("dataset", EMPTY), ("model", EMPTY), ("batch_size", 64), ("epochs", 30),
      ("learning_rate", 0.05)]),
    ("experiments.runners", "LocalRunner", [("device", None)]),
]  # fmt: skip


@pytest.mark.parametrize(("module", "name", "expected"), SIGNATURES)
def test_mirror_function_has_aihwkits_leading_parameters(
    module: str, name: str, expected: list[tuple[str, Any]]
) -> None:
    import importlib

    obj = getattr(importlib.import_module(f"analogtrain.aihwkit.{module}"), name)
    params = [
        p
        for p in inspect.signature(obj).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    got = [(p.name, p.default) for p in params]
    if name == "BasicTraining":  # loss_function's default is a class, compared by name
        got = [g for g in got if g[0] != "loss_function"]
    assert got[: len(expected)] == expected


def test_local_runner_run_and_basic_training_run_take_aihwkits_arguments() -> None:
    from analogtrain.aihwkit.experiments import BasicTraining
    from analogtrain.aihwkit.experiments.runners import LocalRunner

    run = inspect.signature(LocalRunner.run).parameters
    assert [(k, v.default) for k, v in list(run.items())[1:]] == [
        ("experiment", inspect.Parameter.empty),
        ("max_elements_train", 0),
        ("dataset_root", "/tmp/datasets"),
        ("stdout", False),
    ]
    run = inspect.signature(BasicTraining.run).parameters
    assert [(k, v.default) for k, v in list(run.items())[1:]] == [
        ("max_elements", 0),
        ("dataset_root", "/tmp/data"),
        ("device", None),
    ]
    from torch.nn import NLLLoss

    assert inspect.signature(BasicTraining).parameters["loss_function"].default is NLLLoss
