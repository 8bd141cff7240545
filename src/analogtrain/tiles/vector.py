"""Vector unit cells: several devices per cross-point summed into one weight (spec compounds 3.2f).

The visible weight of a :class:`~analogtrain.configs.VectorUnitCell` with devices
``k = 0..n-1`` is the weighted sum of the hidden weights,

    W = sum_k gamma_k W_k,     gamma_k = 1/n by default (or ``gamma_vec``),

and the update policy decides which devices receive the pulses of an update:

* ``ALL``: every device receives the *same* coincidences (one shared pulse-train draw),
  each responding with its own step, bounds and noise;
* ``SINGLE_FIXED``: only the current device ``cur`` (``first_update_idx``);
* ``SINGLE_SEQUENTIAL``: ``cur <- (cur + 1) mod n`` *before* each selection, so the first
  update after ``set_weights`` goes to device ``first_update_idx + 1``;
* ``SINGLE_RANDOM``: a uniformly drawn device.

The selection is made once per update call (aihwkit's CUDA behaviour and its documentation;
its CPU engine selects per vector update); ``select_per_vector=True`` selects per vector.
The pulse trains use the mean granularity of the devices.

A :class:`~analogtrain.configs.ReferenceUnitCell` is the same tile with ``W = W_0 - W_1``:
all updates go to device 0 and device 1 is a static reference (e.g. programmed to the
symmetry point of device 0; Gokmen & Haensch, Front. Neurosci. 14:103, 2020).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.compounds import ReferenceUnitCell, VectorUnitCell
from analogtrain.configs.enums import VectorUnitCellUpdatePolicy as Policy
from analogtrain.errors import ConfigError
from analogtrain.kernels.update.backend import Declined
from analogtrain.kernels.update.cpu.routed_update import apply_shared_trains, draw_shared_trains
from analogtrain.kernels.update.cpu.seeds import draw_seed
from analogtrain.kernels.update.pulsed import iter_coincidences
from analogtrain.tiles.compound_base import CompoundTile
from analogtrain.tiles.factory import register_tile

__all__ = ["ReferenceUnitCellTile", "VectorUnitCellTile"]


@register_tile(VectorUnitCell)
class VectorUnitCellTile(CompoundTile):
    """Tile of a :class:`~analogtrain.configs.VectorUnitCell` (see the module docstring).

    Args:
        out_size, in_size, rpu_config, device, dtype: as :class:`AnalogTileBase`.
        select_per_vector: choose the device of the ``SINGLE_*`` policies for every vector
            update instead of once per update call.
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        rpu_config: Any,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
        select_per_vector: bool = False,
    ) -> None:
        super().__init__(out_size, in_size, rpu_config, device=device, dtype=dtype)
        self.select_per_vector = bool(select_per_vector)

    # ------------------------------------------------------------------ construction
    def _device_configs(self) -> list[Any]:
        devices = self.rpu_config.device.unit_cell_devices
        if not isinstance(devices, list):
            raise ConfigError("unit_cell_devices should be a list of devices")
        if not devices:
            raise ConfigError(f"{type(self.rpu_config.device).__name__}.unit_cell_devices is empty")
        return list(devices)

    def _build_compound(self) -> None:
        cfg = self.rpu_config.device
        configs = self._device_configs()
        n = len(configs)
        if cfg.gamma_vec:
            if len(cfg.gamma_vec) != n:
                raise ConfigError(
                    f"gamma_vec must have one entry per device ({n}), got {list(cfg.gamma_vec)}"
                )
            self.gammas = [float(g) for g in cfg.gamma_vec]
        else:
            self.gammas = [1.0 / n] * n
        self.first_update_idx = self._check_index(
            cfg.first_update_idx, n, "device.first_update_idx", ConfigError
        )
        self.policy = cfg.update_policy
        if not isinstance(self.policy, Policy):
            raise ConfigError(
                f"device.update_policy must be a VectorUnitCellUpdatePolicy, got {self.policy!r}"
            )
        self.arrays = self._make_arrays(
            configs, self.construction_generator(), "device.unit_cell_devices"
        )
        self.current_device_idx = self.first_update_idx
        self.update_count = 0

    # ------------------------------------------------------------------ weights
    def visible_weight(self) -> Tensor:
        w = self.gammas[0] * self.arrays[0].weight
        for gamma, array in zip(self.gammas[1:], self.arrays[1:]):
            w = w + gamma * array.weight
        return w

    def set_weights(self, weight: Tensor) -> None:
        """Write ``weight`` to every device (``SINGLE_FIXED``: only the current one).

        Resets the update count and, unless the policy is ``SINGLE_FIXED``, the current
        device index to ``first_update_idx`` (spec 3.2). Device rules (clipping) apply.
        """
        w = self._check_weights(weight)
        self.update_count = 0
        if self.policy != Policy.SINGLE_FIXED:
            self.current_device_idx = self.first_update_idx
            for array in self.arrays:
                array.set_weights(w, self.generator)
        else:
            self.arrays[self.current_device_idx].set_weights(w, self.generator)

    def set_hidden_update_index(self, index: int) -> None:
        """Select the device that ``SINGLE_*`` updates and ``SINGLE_FIXED`` writes go to."""
        self.current_device_idx = self._check_index(index, len(self.arrays), "update index")

    def get_hidden_update_index(self) -> int:
        """The currently selected device."""
        return self.current_device_idx

    # ------------------------------------------------------------------ update
    def _select(self) -> None:
        n = len(self.arrays)
        if self.policy == Policy.SINGLE_RANDOM:
            self.current_device_idx = min(math.floor(self._uniform() * n), n - 1)
        elif self.policy == Policy.SINGLE_SEQUENTIAL:
            self.current_device_idx = (self.current_device_idx + 1) % n

    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        up = self.rpu_config.update
        g = self.weight_granularity
        m = x.shape[0]
        if self.policy == Policy.ALL:
            if not self._update_shared(x, d, lr):
                for _, counts, down in iter_coincidences(x, d, lr, g, up, self.generator):
                    for array in self.arrays:
                        self._apply_counts(array, counts, down)
        elif self.select_per_vector:
            for b in range(m):
                self._select()
                array = self.arrays[self.current_device_idx]
                self._write(array, x[b : b + 1], d[b : b + 1], lr, up, g)
        else:
            self._select()
            self._write(self.arrays[self.current_device_idx], x, d, lr, up, g)
        self.update_count += m

    def _update_shared(self, x: Tensor, d: Tensor, lr: float) -> bool:
        """Policy ``ALL`` on the compiled kernels: one draw of the trains, then one call per
        device (:mod:`~analogtrain.kernels.update.cpu.routed_update`). False (nothing drawn)
        where that path declines; the per-sample path then runs and reports its own declines."""
        arrays = list(self.arrays)
        trains = draw_shared_trains(
            arrays, x, d, lr, self.weight_granularity, self.rpu_config.update, self.generator
        )
        if trains is None:
            return True  # no sample pulses
        if isinstance(trains, Declined):
            return False
        for k, array in enumerate(arrays):
            seed = None if k == 0 else draw_seed(self.generator)
            apply_shared_trains(array, trains, "all", seed)
        return True

    # ------------------------------------------------------------------ checkpoints
    def _state_extra(self) -> dict[str, Any]:
        return {
            "current_device_idx": self.current_device_idx,
            "update_count": self.update_count,
            "select_per_vector": self.select_per_vector,
        }

    def _load_state_extra(self, state: Mapping[str, Any]) -> None:
        self.current_device_idx = int(state["current_device_idx"])
        self.update_count = int(state["update_count"])
        self.select_per_vector = bool(state["select_per_vector"])


@register_tile(ReferenceUnitCell)
class ReferenceUnitCellTile(VectorUnitCellTile):
    """Tile of a :class:`~analogtrain.configs.ReferenceUnitCell`: ``W = W_0 - W_1``.

    Only the first two devices are used; a single device is duplicated. Program the
    reference with ``set_hidden_update_index(1)``, ``set_weights(R)``,
    ``set_hidden_update_index(0)``.
    """

    def _device_configs(self) -> list[Any]:
        devices = self.rpu_config.device.unit_cell_devices
        if not isinstance(devices, list):
            raise ConfigError("unit_cell_devices should be a list of devices")
        if not devices:
            raise ConfigError("ReferenceUnitCell expects two unit_cell_devices, got none")
        if len(devices) == 1:
            return [devices[0], copy.deepcopy(devices[0])]
        return list(devices[:2])
