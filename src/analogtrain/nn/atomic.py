"""All-or-nothing versions of the calls that write a model's state.

torch's ``load_state_dict`` copies every entry that fits and reports the others at the end,
so a rejected load leaves the model half-loaded; a tile that rejects its saved config does
the same to the tiles before it. The functions here check first and write only when
everything will be accepted:

* :func:`check_state_values` rejects a NaN in any floating-point entry of a state dict
  (weights, device buffers, tile states), naming the key and the count;
* :func:`load_state_dict_atomically` loads into a deep copy of the module first (the trial
  raises every error the real load would raise) and loads into the module itself only
  when the trial succeeded. The trial costs one copy of the module for the duration of the
  call;
* :func:`label_analog_modules` records each tile module's path in the model
  (``module_path``), so that errors raised later can name the layer.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.errors import AnalogTrainError, ArgumentError

__all__ = ["check_state_values", "label_analog_modules", "load_state_dict_atomically"]


def _bad_entries(value: Any, key: str, out: list[tuple[str, int, int]]) -> None:
    if isinstance(value, Tensor):
        if value.is_floating_point() or value.is_complex():
            n = int(torch.isnan(value).sum())
            if n:
                out.append((key, n, value.numel()))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _bad_entries(v, f"{key}.{k}" if key else str(k), out)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _bad_entries(v, f"{key}[{i}]", out)


def check_state_values(state_dict: Mapping[str, Any], what: str = "state_dict") -> None:
    """ArgumentError naming every entry of ``state_dict`` that holds NaN values."""
    if not isinstance(state_dict, Mapping):
        raise ArgumentError(f"{what} must be a mapping, got {type(state_dict).__name__}")
    bad: list[tuple[str, int, int]] = []
    _bad_entries(state_dict, "", bad)
    if bad:
        listed = "; ".join(f"{k!r}: {n} NaN of {total}" for k, n, total in bad[:5])
        more = f" (and {len(bad) - 5} more entries)" if len(bad) > 5 else ""
        raise ArgumentError(f"{what} holds NaN values: {listed}{more}; nothing was loaded")


def load_state_dict_atomically(
    module: nn.Module, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
) -> Any:
    """``nn.Module.load_state_dict(module, ...)`` that changes nothing when it raises.

    The state is checked (:func:`check_state_values`), then loaded into a deep copy of
    ``module``; only if that succeeds is it loaded into ``module`` (same result). An error
    of the trial is re-raised with the module's class in front and ``module`` untouched.
    """
    check_state_values(state_dict)
    trial = copy.deepcopy(module)
    try:
        nn.Module.load_state_dict(trial, state_dict, strict, assign)
    except (AnalogTrainError, RuntimeError, KeyError, TypeError, ValueError) as exc:
        name = type(module).__name__
        raise ArgumentError(
            f"{name}.load_state_dict rejected the state (nothing was loaded): {exc}"
        ) from exc
    finally:
        del trial
    return nn.Module.load_state_dict(module, state_dict, strict, assign)


def label_analog_modules(model: nn.Module) -> nn.Module:
    """Set ``module_path`` (its name in ``model``, e.g. ``"0.analog_module"``) on every
    analogtrain module inside (layers, tile arrays, tile modules); returns ``model``. Errors
    of those modules then name the layer. Calling it again after restructuring the model
    updates the names."""
    for name, sub in model.named_modules():
        if type(sub).__module__.startswith("analogtrain."):
            sub.module_path = name or type(sub).__name__
    return model
