"""Reference side of the parity tests: runs the parity protocols on aihwkit 1.1.0 tiles.

Run by the tests with the aihwkit reference interpreter (never imported by pytest, never
importing analogtrain)::

    <aihwkit python> ref_main.py request.json result.npz

``request.json`` holds ``{"cases": {name: case}}`` where every case names a protocol of
:mod:`parity_protocols` (or ``"layer_training"`` for the layer-level compound protocol) and
describes its configuration with :mod:`parity_spec`. The result file holds the protocol's
arrays under ``"<case name>::<array name>"``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import aihwkit.simulator.configs as configs_module
import aihwkit.simulator.parameters as parameters_module
import aihwkit.simulator.parameters.enums as enums_module
import aihwkit.simulator.presets as presets_module
import numpy as np
import torch
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.tiles import AnalogTile
from parity_protocols import LAYER_PROTOCOLS, run_tile_case
from parity_spec import build

_MODULES = (configs_module, parameters_module, enums_module, presets_module)


def lookup(name: str) -> Any:
    """An aihwkit config class, enum or factory by name."""
    for module in _MODULES:
        if hasattr(module, name):
            return getattr(module, name)
    raise KeyError(f"aihwkit has no config name {name!r}")


class ReferenceTile:
    """The parity tile adapter over aihwkit's C++ tile (no Python periphery)."""

    def __init__(self, config_spec: Any, out_size: int, in_size: int) -> None:
        self.tile = AnalogTile(out_size, in_size, build(config_spec, lookup)).tile

    def set_weights(self, w: torch.Tensor) -> None:
        self.tile.set_weights(w.float().contiguous())

    def get_weights(self) -> torch.Tensor:
        return self.tile.get_weights()

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
        self.tile.set_learning_rate(lr)
        self.tile.update(x, d, False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tile.forward(x, False)

    def backward(self, d: torch.Tensor) -> torch.Tensor:
        return self.tile.backward(d, False)

    def decay_weights(self, alpha: float) -> None:
        self.tile.decay_weights(alpha)

    def diffuse_weights(self) -> None:
        self.tile.diffuse_weights()

    def reset_columns(self, start: int, n: int, prob: float) -> None:
        self.tile.reset_columns(start, n, prob)

    def drift_weights(self, delta_t: float) -> None:
        self.tile.drift_weights(delta_t)

    def hidden(self) -> dict[str, torch.Tensor]:
        names = self.tile.get_hidden_parameter_names()
        values = self.tile.get_hidden_parameters()
        return dict(zip(names, values))


class ReferenceLayer:
    """The layer adapter: ``AnalogLinear`` (no bias) trained by ``AnalogSGD``."""

    def __init__(self, case: Mapping[str, Any]) -> None:
        config = build(case["config"], lookup)
        self.layer = AnalogLinear(
            case["in_size"], case["out_size"], bias=case.get("bias") is not None, rpu_config=config
        )
        self.optimizer = AnalogSGD(self.layer.parameters(), lr=case.get("lr", 0.1))
        self.tile = next(iter(self.layer.analog_tiles())).tile

    def set_weights(self, w: torch.Tensor, b: torch.Tensor | None = None) -> None:
        self.layer.set_weights(w, b)

    def forward_backward(
        self, x: torch.Tensor, grad: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.clone().requires_grad_(True)
        y = self.layer(x)
        y.backward(grad)
        return y.detach(), x.grad

    def train_step(self, x: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        self.layer(x).pow(2).sum().backward()
        self.optimizer.step()

    def counters(self) -> dict[str, Any]:
        extra = self.tile.dump_extra()

        def get(key: str) -> list[float]:
            return list(extra.get("rpu.rpu_device." + key, []))

        return {
            "update_count": get("current_update_idx"),
            "slice_index": get("current_slice_indices"),
            "transfer_counter": get("transfer_counter"),
            "m_x": get("m_x"),
            "m_d": get("m_d"),
            "count_lr": get("tmp_count_lr"),
            "in_chopper": get("in_chopper"),
            "in_chopper_switched": get("in_chopper_switched"),
        }


def main(request_path: str, result_path: str) -> None:
    torch.set_num_threads(1)
    with open(request_path) as f:
        request = json.load(f)
    arrays: dict[str, np.ndarray] = {}
    for name, case in request["cases"].items():
        if case["protocol"] in LAYER_PROTOCOLS:
            result = LAYER_PROTOCOLS[case["protocol"]](ReferenceLayer(case), case)
        else:
            result = run_tile_case(ReferenceTile, case)
        arrays.update({f"{name}::{key}": value for key, value in result.items()})
    np.savez(result_path, **arrays)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
