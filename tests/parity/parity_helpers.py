"""analogtrain side of the parity tests: tile/layer adapters and statistical comparisons.

Comparisons are between two independent samples (aihwkit's and analogtrain's), so the
tolerance of a difference of means is ``n_se`` combined standard errors
``sqrt(s_a²/n_a + s_b²/n_b)``; for standard deviations the standard error of each sample std
comes from its fourth central moment (delta method: ``SE(s) = sqrt((m4 - s⁴)/n) / (2 s)``),
which holds for the skewed and clipped distributions of saturated devices too; fractions use
the pooled binomial standard error. A small relative floor absorbs float32 rounding where
both samples are deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
import torch
from parity_spec import build
from torch import Tensor

import analogtrain.configs as configs_module
import analogtrain.presets as presets_module
from analogtrain.nn import AnalogLinear
from analogtrain.optim import AnalogSGD
from analogtrain.tiles import create_tile

__all__ = ["OurLayer", "OurTile", "Report", "lookup"]

#: default number of combined standard errors allowed for a difference
N_SE = 5.0
#: relative floor of every tolerance (float32 rounding of deterministic values)
RTOL = 1e-4


def lookup(name: str) -> Any:
    """An analogtrain config class, enum or factory by its (aihwkit) name."""
    for module in (configs_module, presets_module):
        if hasattr(module, name):
            return getattr(module, name)
    raise KeyError(f"analogtrain has no config name {name!r}")


class OurTile:
    """The parity tile adapter over :func:`analogtrain.tiles.create_tile`."""

    def __init__(self, config_spec: Any, out_size: int, in_size: int) -> None:
        self.tile = create_tile(build(config_spec, lookup), out_size, in_size)

    def set_weights(self, w: Tensor) -> None:
        self.tile.set_weights(w.float())

    def get_weights(self) -> Tensor:
        return self.tile.get_weights()

    def update(self, x: Tensor, d: Tensor, lr: float) -> None:
        self.tile.update(x, d, lr)

    def forward(self, x: Tensor) -> Tensor:
        return self.tile.forward_mvm(x)

    def backward(self, d: Tensor) -> Tensor:
        return self.tile.backward_mvm(d)

    def decay_weights(self, alpha: float) -> None:
        self.tile.decay_weights(alpha)

    def diffuse_weights(self) -> None:
        self.tile.diffuse_weights()

    def reset_columns(self, start: int, n: int, prob: float) -> None:
        self.tile.reset_columns(start, n, prob)

    def drift_weights(self, delta_t: float) -> None:
        self.tile.drift_weights(delta_t)

    def hidden(self) -> dict[str, Tensor]:
        return dict(self.tile.get_hidden_parameters())


class OurLayer:
    """The layer adapter: ``AnalogLinear`` (no bias) trained by ``AnalogSGD``."""

    def __init__(self, case: Mapping[str, Any]) -> None:
        config = build(case["config"], lookup)
        self.layer = AnalogLinear(
            case["in_size"], case["out_size"], bias=case.get("bias") is not None, rpu_config=config
        )
        self.optimizer = AnalogSGD(self.layer.parameters(), lr=case.get("lr", 0.1))
        self.tile = next(iter(self.layer.analog_tiles())).tile

    def set_weights(self, w: Tensor, b: Tensor | None = None) -> None:
        self.layer.set_weights(w, b)

    def forward_backward(self, x: Tensor, grad: Tensor) -> tuple[Tensor, Tensor]:
        x = x.clone().requires_grad_(True)
        y = self.layer(x)
        y.backward(grad)
        return y.detach(), x.grad

    def train_step(self, x: Tensor) -> None:
        self.optimizer.zero_grad()
        self.layer(x).pow(2).sum().backward()
        self.optimizer.step()

    def counters(self) -> dict[str, Any]:
        tile = self.tile
        extra = tile._state_extra()

        def bits(name: str) -> list[float]:
            value = getattr(tile, name, None)
            return [] if value is None else [float(v) for v in value.tolist()]

        def scalar(name: str) -> list[float]:
            return [float(extra[name])] if name in extra else []

        return {
            "update_count": scalar("update_count"),
            "slice_index": [float(v) for v in extra.get("slice_index", [])],
            "transfer_counter": scalar("transfer_counter"),
            "m_x": scalar("m_x"),
            "m_d": scalar("m_d"),
            "count_lr": scalar("count_lr"),
            "in_chopper": bits("in_chopper"),
            "in_chopper_switched": bits("switched"),
        }


def _moments(sample: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``n``, mean, std (ddof 1) and the standard error of the std, along axis 0."""
    n = sample.shape[0]
    mean = sample.mean(axis=0)
    centred = sample - mean
    var = (centred**2).sum(axis=0) / max(n - 1, 1)
    m4 = (centred**4).mean(axis=0)
    std = np.sqrt(var)
    var_of_var = np.maximum(m4 - var**2, 0.0) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        se_std = np.where(std > 0, np.sqrt(var_of_var) / (2 * std), 0.0)
    return n, mean, std, se_std


class Report:
    """Collects mismatches of one case and fails once with all of them (aihwkit = ref)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []

    def _record(
        self,
        what: str,
        ref: np.ndarray,
        ours: np.ndarray,
        tol: np.ndarray,
        unit: str,
    ) -> None:
        diff = np.abs(ref - ours)
        bad = np.argwhere(np.atleast_1d(diff > tol))
        ref, ours, diff, tol = (np.atleast_1d(a) for a in (ref, ours, diff, tol))
        for index in bad[:3]:
            i = tuple(index)
            where = f"[{','.join(map(str, i))}]" if ref.size > 1 else ""
            self.problems.append(
                f"{what}{where}: aihwkit {ref[i]:.6g} vs analogtrain {ours[i]:.6g} "
                f"(|diff| {diff[i]:.3g} > tol {tol[i]:.3g} {unit})"
            )
        if len(bad) > 3:
            self.problems.append(f"{what}: ... {len(bad)} of {ref.size} elements differ")

    def samples(self, what: str, ref: np.ndarray, ours: np.ndarray, n_se: float = N_SE) -> None:
        """Compare mean and std along axis 0 (i.i.d. observations), element-wise otherwise."""
        ref = np.asarray(ref, dtype=np.float64)
        ours = np.asarray(ours, dtype=np.float64)
        n_r, mean_r, std_r, se_std_r = _moments(ref)
        n_o, mean_o, std_o, se_std_o = _moments(ours)
        scale = np.maximum.reduce([np.abs(mean_r), np.abs(mean_o), std_r, std_o])
        floor = RTOL * scale + 1e-12
        se_mean = np.sqrt(std_r**2 / n_r + std_o**2 / n_o)
        unit = f"= {n_se:g} SE + floor, n={n_r}/{n_o}"
        self._record(f"mean {what}", mean_r, mean_o, n_se * se_mean + floor, unit)
        se_std = np.sqrt(se_std_r**2 + se_std_o**2)
        self._record(f"std {what}", std_r, std_o, n_se * se_std + floor, unit)

    def fraction(self, what: str, ref: np.ndarray, ours: np.ndarray, n_se: float = N_SE) -> None:
        """Compare the fraction of True in two boolean samples."""
        ref = np.asarray(ref, dtype=bool).reshape(-1)
        ours = np.asarray(ours, dtype=bool).reshape(-1)
        p_r, p_o = ref.mean(), ours.mean()
        pooled = (ref.sum() + ours.sum()) / (ref.size + ours.size)
        se = np.sqrt(pooled * (1 - pooled) * (1 / ref.size + 1 / ours.size))
        unit = f"= {n_se:g} SE, n={ref.size}/{ours.size}"
        self._record(f"fraction {what}", np.array(p_r), np.array(p_o), np.array(n_se * se), unit)

    def exact(self, what: str, ref: Any, ours: Any, rtol: float = 1e-5) -> None:
        """Deterministic values: equal up to float rounding (shapes must agree)."""
        ref = np.asarray(ref, dtype=np.float64)
        ours = np.asarray(ours, dtype=np.float64)
        if ref.shape != ours.shape:
            self.problems.append(
                f"{what}: aihwkit {ref.tolist()} vs analogtrain {ours.tolist()} (shapes differ)"
            )
            return
        tol = rtol * np.maximum(np.abs(ref), np.abs(ours)) + 1e-9
        self._record(what, ref, ours, tol, f"= rtol {rtol:g}")

    def check(self) -> None:
        """Fail the test with every mismatch found."""
        if self.problems:
            pytest.fail(
                f"{self.label}: analogtrain differs from aihwkit 1.1.0:\n  "
                + "\n  ".join(self.problems),
                pytrace=False,
            )


def seeded(seed: int) -> torch.Generator:
    """A CPU generator for test inputs (the inputs are then sent to both libraries)."""
    return torch.Generator().manual_seed(seed)
