"""Measurement protocols run identically on an analogtrain tile and on an aihwkit tile.

Each protocol drives a *tile adapter* (an object with ``set_weights(w)``, ``get_weights()``,
``update(x, d, lr)``, ``forward(x)``, ``backward(d)`` and ``hidden()``, all on float32 CPU
tensors with weights ``[out, in]`` and batches ``[m, in]`` / ``[m, out]``) and returns raw
observations as float64 numpy arrays keyed by name. The statistics are computed afterwards
by the test, with the same code for both libraries. Only torch and numpy are imported here:
this module also runs inside the aihwkit reference interpreter.

Every input a protocol uses is either given in the case description or built from it
without randomness, so both libraries see exactly the same inputs; only the simulators'
own random draws (device-to-device spread, pulse trains, noise) differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "LAYER_PROTOCOLS",
    "PROTOCOLS",
    "LayerAdapter",
    "TileAdapter",
    "layer_mvm",
    "layer_training",
    "mvm_outputs",
    "visible_changes",
    "pulse_response",
    "run_tile_case",
    "update_ratios",
]


class TileAdapter(Protocol):
    def set_weights(self, w: Tensor) -> None: ...
    def get_weights(self) -> Tensor: ...
    def update(self, x: Tensor, d: Tensor, lr: float) -> None: ...
    def forward(self, x: Tensor) -> Tensor: ...
    def backward(self, d: Tensor) -> Tensor: ...
    def hidden(self) -> dict[str, Tensor]: ...
    def decay_weights(self, alpha: float) -> None: ...
    def diffuse_weights(self) -> None: ...
    def reset_columns(self, start: int, n: int, prob: float) -> None: ...
    def drift_weights(self, delta_t: float) -> None: ...


class LayerAdapter(Protocol):
    def set_weights(self, w: Tensor, b: Tensor | None = None) -> None: ...
    def forward_backward(self, x: Tensor, grad: Tensor) -> tuple[Tensor, Tensor]: ...
    def train_step(self, x: Tensor) -> None: ...
    def counters(self) -> dict[str, Any]: ...


def _np(t: Tensor) -> np.ndarray:
    return t.detach().to(torch.float64).cpu().numpy()


def pulse_response(tile: TileAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Hidden parameters and weights after a known number of pulses per cross-point.

    The weights are set to the constant ``case["w0"]``; the first half of the rows then gets
    only potentiation (up) pulses, the second half only depression (down) pulses. With every
    ``|x_j| = |d_i| = 1``, update management off and a learning rate for which the pulse
    probabilities reach 1 (spec single-tile 4.3, 4.5.1), every sample of an update call puts
    exactly ``desired_bl`` coincidences on every cross-point, so after the calls of
    ``case["samples"]`` (cumulative) the pulse count per cross-point is known exactly.

    Returns ``hidden.<name>`` (after setting ``w0``) and ``w.<k>`` (weights after call ``k``).
    """
    out_size, in_size = case["out_size"], case["in_size"]
    tile.set_weights(torch.full((out_size, in_size), float(case["w0"])))
    result = {f"hidden.{name}": _np(value) for name, value in tile.hidden().items()}
    result["w.init"] = _np(tile.get_weights())
    d_row = torch.ones(out_size)
    d_row[: out_size // 2] = -1.0  # d < 0 with x > 0: up pulses (spec 2.5)
    for k, m in enumerate(case["samples"]):
        tile.update(torch.ones(m, in_size), d_row.expand(m, out_size).contiguous(), case["lr"])
        result[f"w.{k}"] = _np(tile.get_weights())
    return result


def mvm_outputs(tile: TileAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Repeated analog MVMs of a few fixed vectors with a fixed weight.

    The vectors ``case["x"]`` (``[v, n_in]``, ``n_in = in`` forward, ``out`` backward) are
    repeated ``case["repeats"]`` times, interleaved (``v0, v1, …, v0, v1, …``) so that any
    per-tile running state (``AVERAGE_ABS_MAX``) evolves alike for all of them, and sent as
    one batch. Returns ``y`` with shape ``[repeats, v, n_out]``.
    """
    tile.set_weights(torch.tensor(case["weight"], dtype=torch.float32))
    x = torch.tensor(case["x"], dtype=torch.float32)
    batch = x.repeat(case["repeats"], 1)
    y = tile.backward(batch) if case.get("direction") == "backward" else tile.forward(batch)
    return {"y": _np(y).reshape(case["repeats"], x.shape[0], -1)}


def update_ratios(tile: TileAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Mean pulsed update relative to the ideal ``-lr d xᵀ`` (spec single-tile 6 item 5).

    ``case["chunks"]`` times: set the weights to 0, apply one update call of
    ``case["samples"]`` identical samples ``(x, d)``, read the weights. Returns ``ratio``
    ``[chunks, out, in]``: the weight change per sample divided by ``-lr d_i x_j``.
    """
    x = torch.tensor(case["x"], dtype=torch.float32)
    d = torch.tensor(case["d"], dtype=torch.float32)
    m, lr = case["samples"], case["lr"]
    ideal = -lr * torch.outer(d, x).to(torch.float64)
    ratios = []
    for _ in range(case["chunks"]):
        tile.set_weights(torch.zeros(d.numel(), x.numel()))
        tile.update(x.expand(m, -1).contiguous(), d.expand(m, -1).contiguous(), lr)
        ratios.append(tile.get_weights().to(torch.float64) / m / ideal)
    return {"ratio": _np(torch.stack(ratios))}


def weight_operations(tile: TileAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Weights after each of a sequence of device operations (spec single-tile 2.8, 2.9).

    ``case["operations"]`` is a list of ``[name, *args]`` with names ``set`` (a constant
    weight), ``decay`` (alpha), ``diffuse``, ``reset`` (start, n, prob) and ``drift``
    (delta_t). Returns ``hidden.<name>`` at construction and ``w.<k>`` after operation ``k``.
    """
    result = {f"hidden.{name}": _np(value) for name, value in tile.hidden().items()}
    shape = (case["out_size"], case["in_size"])
    for k, (name, *args) in enumerate(case["operations"]):
        if name == "set":
            tile.set_weights(torch.full(shape, float(args[0])))
        elif name == "decay":
            tile.decay_weights(float(args[0]))
        elif name == "diffuse":
            tile.diffuse_weights()
        elif name == "reset":
            tile.reset_columns(int(args[0]), int(args[1]), float(args[2]))
        elif name == "drift":
            tile.drift_weights(float(args[0]))
        else:
            raise ValueError(f"unknown weight operation {name!r}")
        result[f"w.{k}"] = _np(tile.get_weights())
    return result


def visible_changes(tile: TileAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Which of ``case["vectors"]`` single-sample updates ``(x, d)`` change the visible weight.

    Starts from zero weights; returns ``changed`` (1.0 where update ``n`` changed any element
    of ``get_weights()``, counting from 0).
    """
    x = torch.tensor([case["x"]], dtype=torch.float32)
    d = torch.tensor([case["d"]], dtype=torch.float32)
    tile.set_weights(torch.zeros(d.shape[1], x.shape[1]))
    previous = tile.get_weights().clone()
    changed = []
    for _ in range(case["vectors"]):
        tile.update(x, d, case["lr"])
        current = tile.get_weights().clone()
        changed.append(float(not torch.equal(current, previous)))
        previous = current
    return {"changed": np.asarray(changed)}


def layer_training(layer: LayerAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Train a bias-free layer with the loss ``sum(y²)`` on the batches ``case["batches"]``
    (``[steps, m, in]``), one optimizer step each, then read the compound's counters.

    Returns ``counter.<name>`` for every counter the adapter reports (lists of floats; an
    empty list where the compound has no such counter).
    """
    if "weight" in case:
        layer.set_weights(torch.tensor(case["weight"], dtype=torch.float32))
    for batch in case["batches"]:
        layer.train_step(torch.tensor(batch, dtype=torch.float32))
    return {
        f"counter.{name}": np.asarray(value, dtype=np.float64).reshape(-1)
        for name, value in layer.counters().items()
    }


def layer_mvm(layer: LayerAdapter, case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Forward and input gradient of a layer (digital periphery included, spec 3.9).

    Sets ``case["weight"]`` (and ``case["bias"]``), repeats the vectors ``case["x"]``
    ``case["repeats"]`` times (interleaved) and back-propagates ``case["grad"]`` (one output
    gradient row per vector). Returns ``y`` ``[repeats, v, out]`` and ``x_grad``
    ``[repeats, v, in]``.
    """
    bias = case.get("bias")
    layer.set_weights(
        torch.tensor(case["weight"], dtype=torch.float32),
        None if bias is None else torch.tensor(bias, dtype=torch.float32),
    )
    x = torch.tensor(case["x"], dtype=torch.float32)
    grad = torch.tensor(case["grad"], dtype=torch.float32)
    repeats = case["repeats"]
    y, x_grad = layer.forward_backward(x.repeat(repeats, 1), grad.repeat(repeats, 1))
    return {
        "y": _np(y).reshape(repeats, x.shape[0], -1),
        "x_grad": _np(x_grad).reshape(repeats, x.shape[0], -1),
    }


PROTOCOLS = {
    "pulse_response": pulse_response,
    "mvm_outputs": mvm_outputs,
    "update_ratios": update_ratios,
    "visible_changes": visible_changes,
    "weight_operations": weight_operations,
}

#: protocols that drive a layer adapter instead of a tile adapter
LAYER_PROTOCOLS = {"layer_mvm": layer_mvm, "layer_training": layer_training}


def run_tile_case(
    make_tile: Callable[[Any, int, int], TileAdapter], case: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Build the case's tile with ``make_tile(config_spec, out, in)`` and run its protocol."""
    tile = make_tile(case["config"], case["out_size"], case["in_size"])
    return PROTOCOLS[case["protocol"]](tile, case)
