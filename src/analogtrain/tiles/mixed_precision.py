"""Mixed precision: digital gradient accumulation, analog storage (spec compounds 3.9).

The rank-``m`` update of a mini-batch is accumulated exactly (or after quantising ``x`` and
``d``) in a digital matrix ``chi``, and whole multiples of the write quantum ``g_mp`` are
periodically transferred to the analog device as pulses, row by row (Nandakumar et al.,
"Mixed-precision deep learning based on computational memory", Front. Neurosci. 14:406,
2020)::

    chi += lr * sum_b Q(d_b) Q(x_b)^T                 (chi holds the negative pending change)
    every transfer_every calls, for n_rows_per_transfer rows r (cycling):
        k = trunc(chi[r, :] / g_mp);  chi[r, :] -= k g_mp
        W[r, :] -= transfer_lr g_mp k                 (pulsed update, x = k, d = e_r)

``Q`` quantises each vector to ``floor(n_bins / 2)`` levels per sign of its abs-max, with
optional stochastic rounding (``n_bins = 0``: no quantisation). The transfer write uses the
main ``update`` parameters with update and bit-length management forced on, so each element
receives about ``|k|`` pulses (at most ``desired_bl``).

The analog device is a pulsed device or a vector, reference or one-sided unit cell; a unit
cell is simulated by its own compound tile inside this one, updated only by the transfers.

The whole call is accumulated before the transfer (aihwkit's CUDA semantics; its CPU engine
transfers at the first vector of a call). The first call never transfers. The analog
device's weight is the visible weight. ``construction_seed`` is taken from the compound or,
when that is 0, from the analog device (``build_config("mp")`` puts it there; aihwkit then
ignores it).
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.configs.compounds import (
    MixedPrecisionCompound,
    OneSidedUnitCell,
    UnitCell,
    VectorUnitCell,
)
from analogtrain.configs.rpu_configs import UnitCellRPUConfig
from analogtrain.errors import ConfigError, NotSimulatedError
from analogtrain.kernels.update.backend import get_backend
from analogtrain.rng import derive_seed
from analogtrain.tiles.compound_base import CompoundTile
from analogtrain.tiles.factory import create_tile, register_tile
from analogtrain.tiles.io_states import TensorState
from analogtrain.tiles.transfer_schedule import cycle_indices

__all__ = ["MixedPrecisionCompoundTile", "quantize_rows"]


def quantize_rows(
    v: Tensor, n_bins: int, stochastic: bool, generator: torch.Generator | None
) -> Tensor:
    """Quantise each row of ``v`` ``[m, n]`` to ``floor(n_bins / 2)`` levels per sign.

    ``w = max|v_row| / half`` (``w = 1`` for an all-zero row) and
    ``q = clamp(rint(v / w + (U - 0.5 if stochastic)), -half, half) * w`` with round half to
    even. ``n_bins <= 0`` returns ``v`` unchanged; ``n_bins == 1`` is rejected.
    """
    if n_bins <= 0:
        return v
    half = n_bins // 2
    if half < 1:
        raise ConfigError(f"number of quantisation bins must be 0 (off) or >= 2, got {n_bins}")
    amax = v.abs().amax(dim=1, keepdim=True)
    width = torch.where(amax > 0, amax / half, torch.ones_like(amax))
    scaled = v / width
    if stochastic:
        if generator is None:
            raise ConfigError("stochastic rounding needs a generator")
        u = torch.rand(v.shape, generator=generator, device=generator.device, dtype=v.dtype)
        scaled = scaled + (u.to(v.device) - 0.5)
    return torch.clamp(torch.round(scaled), -half, half) * width


def _take_steps_cpu(
    chi: Tensor, start: int, rows: list[int], granularity: float
) -> tuple[Tensor, bool, Tensor]:
    """The transfer's bookkeeping on a CPU ``chi`` in numpy, a few microseconds instead of a
    dozen small torch operations: ``steps = trunc(chi[rows] / g)`` and ``chi[rows] -= steps
    g``, with ``g`` in ``chi``'s dtype and the same correctly rounded element operations as
    the torch form (bit-identical, ``tests/tiles/test_mixed_precision.py``). Returns the
    steps ``[n, in]``, whether any is nonzero and the one-hot rows ``e_r`` ``[n, out]``."""
    c = chi.detach().numpy()  # a view: chi is updated in place
    g = c.dtype.type(granularity)
    n = len(rows)
    if start + n <= c.shape[0]:  # consecutive rows: a view, no gather and scatter
        block = c[start : start + n]
        steps = np.trunc(block / g)
        block -= steps * g
    else:
        index = np.asarray(rows, dtype=np.int64)
        steps = np.trunc(c[index] / g)
        c[index] = c[index] - steps * g
    one_hot = np.zeros((n, c.shape[0]), dtype=c.dtype)
    one_hot[np.arange(n), rows] = 1.0
    return torch.from_numpy(steps), bool(steps.any()), torch.from_numpy(one_hot)


@register_tile(MixedPrecisionCompound)
class MixedPrecisionCompoundTile(CompoundTile):
    """Tile of a :class:`~analogtrain.configs.MixedPrecisionCompound` (see module docstring).

    State: the analog array, ``chi`` ``[out, in]`` (``hidden_weights_chi``), ``vec_count``
    (vector updates since ``set_weights``) and ``row_index`` (next row to transfer).
    """

    def _config_construction_seed(self) -> int:
        mp = self.rpu_config.device
        own = int(getattr(mp, "construction_seed", 0) or 0)
        return own or int(getattr(mp.device, "construction_seed", 0) or 0)

    def _build_compound(self) -> None:
        mp = self.rpu_config.device
        for name in ("n_x_bins", "n_d_bins"):
            if getattr(mp, name) == 1:
                raise ConfigError(f"device.{name} must be 0 (off) or >= 2, got 1")
        if mp.transfer_every < 0:
            raise ConfigError(f"device.transfer_every must be >= 0, got {mp.transfer_every!r}")
        self.transfer_update = dataclasses.replace(
            self.rpu_config.update, update_management=True, update_bl_management=True
        )
        self.inner = None
        if isinstance(mp.device, UnitCell):
            self.inner = self._inner_tile(mp.device)
            device_granularity = self.inner.weight_granularity
        else:
            self.arrays = self._make_arrays(
                [mp.device], self.construction_generator(), "device.device"
            )
            device_granularity = self.array.granularity
        g = float(mp.granularity) if mp.granularity > 0 else device_granularity
        if not g > 0:
            raise ConfigError(f"Cannot establish granularity (got {g!r})")
        self.granularity = g
        zeros = torch.zeros((self.out_size, self.in_size), device=self.device, dtype=self.dtype)
        self.digital = TensorState({"chi": zeros})
        self.vec_count = 0
        self.row_index = 0

    def _inner_tile(self, cell: Any) -> CompoundTile:
        """The compound tile of an analog unit cell, written only by the transfers."""
        if not isinstance(cell, (VectorUnitCell, OneSidedUnitCell)):
            raise NotSimulatedError(
                f"device.device is a {type(cell).__name__}; mixed precision needs a pulsed "
                "device or a vector, reference or one-sided unit cell"
            )
        cell = dataclasses.replace(
            cell, construction_seed=derive_seed(self.construction_seed, "analog")
        )
        cfg = UnitCellRPUConfig(
            device=cell,
            forward=self.rpu_config.forward,
            backward=self.rpu_config.backward,
            update=self.transfer_update,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, "analog"))  # its runtime seed
            return create_tile(
                cfg, self.out_size, self.in_size, device=self.device, dtype=self.dtype
            )

    def _maintained_arrays(self) -> list[Any]:
        return list(self.inner.arrays if self.inner is not None else self.arrays)

    @property
    def n_states(self) -> float:
        return self.inner.n_states if self.inner is not None else self.array.n_states

    @property
    def array(self) -> Any:
        """The analog device array of a single device (its weight is the visible weight)."""
        return self.arrays[0]

    @property
    def chi(self) -> Tensor:
        """The digital accumulator ``[out, in]`` (no copy)."""
        return self.digital.chi

    # ------------------------------------------------------------------ weights
    def visible_weight(self) -> Tensor:
        if self.inner is not None:
            return self.inner.visible_weight()
        return self.array.weight

    def set_weights(self, weight: Tensor) -> None:
        """Program the analog device; clears ``chi`` and the counters (spec 3.9)."""
        w = self._check_weights(weight)
        self.chi.zero_()
        self.vec_count = 0
        self.row_index = 0
        if self.inner is not None:
            self.inner.set_weights(w)
        else:
            self.array.set_weights(w, self.generator)

    # ------------------------------------------------------------------ update
    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        mp = self.rpu_config.device
        m = x.shape[0]
        xq = quantize_rows(x, int(mp.n_x_bins), bool(mp.stoc_round_x), self.generator)
        dq = quantize_rows(d, int(mp.n_d_bins), bool(mp.stoc_round_d), self.generator)
        self.chi.add_(dq.T @ xq, alpha=lr)
        calls = self.vec_count // m
        if mp.transfer_every > 0 and calls > 0 and calls % int(mp.transfer_every) == 0:
            self.transfer()
        self.vec_count += m

    def transfer(self) -> None:
        """Write the whole steps of ``chi`` of the next rows onto the analog device."""
        mp = self.rpu_config.device
        n = int(mp.n_rows_per_transfer)
        if n == 0 or mp.transfer_lr == 0:
            return
        d_size = self.out_size
        n = d_size if n < 0 else min(n, d_size)
        start = self.row_index
        if mp.random_row and n < d_size:
            start = min(math.floor(self._uniform() * d_size), d_size - 1)
        rows = cycle_indices(start, n, d_size)
        if self.chi.device.type == "cpu" and get_backend() != "reference":
            steps, pulses, one_hot = _take_steps_cpu(self.chi, start, rows, self.granularity)
        else:
            index = torch.tensor(rows, dtype=torch.long, device=self.device)
            steps = torch.trunc(self.chi[index] / self.granularity)  # [n, in] signed counts
            self.chi[index] -= steps * self.granularity
            pulses, one_hot = bool((steps != 0).any()), None
        self.row_index = (start + n) % d_size
        if pulses:
            lr_w = float(mp.transfer_lr) * self.granularity
            if one_hot is None:
                one_hot = self._one_hot(rows, d_size)
            if self.inner is not None:  # its update parameters are the transfer's
                if lr_w < 0:
                    one_hot, lr_w = -one_hot, -lr_w
                self.inner._update(steps, one_hot, lr_w)
            else:
                self._write(
                    self.array, steps, one_hot, lr_w, self.transfer_update, self.array.granularity
                )

    # ------------------------------------------------------------------ hidden parameters
    @property
    def weight_granularity(self) -> float:
        return self.granularity

    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        inner = self.inner
        out = (
            inner.get_hidden_parameters()
            if inner is not None
            else self.array.get_hidden_parameters()
        )
        out["hidden_weights_chi"] = self.chi.detach().clone()
        return out

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        self._check_hidden_names(params)
        chi = self._check_weights(params["hidden_weights_chi"], "'hidden_weights_chi'")
        device = {name: value for name, value in params.items() if name != "hidden_weights_chi"}
        if self.inner is not None:
            self.inner.set_hidden_parameters(device)
        else:
            self.array.set_hidden_parameters(device)
        self.chi.copy_(chi)

    # ------------------------------------------------------------------ checkpoints
    def _state_extra(self) -> dict[str, Any]:
        return {"vec_count": self.vec_count, "row_index": self.row_index}

    def _load_state_extra(self, state: Mapping[str, Any]) -> None:
        self.vec_count = int(state["vec_count"])
        self.row_index = int(state["row_index"])
