"""One-sided unit cell: a differential pair whose devices only ever move up (spec compounds 3.4).

The weight is the difference of two conductances, ``W = g+ - g-`` (device 1 is ``g+``,
device 0 is ``g-``). Every coincidence of the pulsed update is routed by its sign: where SGD
would decrease ``W[j, i]`` device ``g-`` receives one potentiation step, where it would
increase it ``g+`` does. This suits devices with a reliable step in one direction only
(e.g. PCM, which can only be SET gradually; Burr et al., IEEE Trans. Electron Devices 62,
3498, 2015).

Both devices saturate eventually; a *refresh* (every ``refresh_every`` vector updates, or
mini-batches with ``units_in_mbatch``) reads both devices column by column, and where the
larger device exceeds ``refresh_upper_thres`` and the smaller ``refresh_lower_thres`` (as
fractions of ``|w_max|``) resets both and writes the difference back onto the larger one
with an open-loop pulsed update (``refresh_update``).

The engine uses two copies of the *first* device's parameters (the second entry only fixes
the type); ``copy_inverted`` mirrors device 1 from device 0 (steps swapped, bounds negated).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs.compounds import DifferenceUnitCell, OneSidedUnitCell
from analogtrain.devices.base import DeviceArray
from analogtrain.errors import ConfigError
from analogtrain.kernels.update.backend import Declined
from analogtrain.kernels.update.cpu.routed_update import apply_shared_trains, draw_shared_trains
from analogtrain.kernels.update.cpu.seeds import draw_seed
from analogtrain.kernels.update.pulsed import iter_coincidences
from analogtrain.tiles.compound_base import CompoundTile
from analogtrain.tiles.factory import register_tile

__all__ = ["OneSidedUnitCellTile"]


@register_tile(DifferenceUnitCell)
@register_tile(OneSidedUnitCell)
class OneSidedUnitCellTile(CompoundTile):
    """Tile of a :class:`~analogtrain.configs.OneSidedUnitCell` (see the module docstring)."""

    # ------------------------------------------------------------------ construction
    def _build_compound(self) -> None:
        cfg = self.rpu_config.device
        devices = cfg.unit_cell_devices
        if not isinstance(devices, list) or not 1 <= len(devices) <= 2:
            n = len(devices) if isinstance(devices, list) else devices
            raise ConfigError(f"OneSidedUnitCell needs 1 or 2 unit_cell_devices, got {n}")
        if len(devices) == 2 and type(devices[1]) is not type(devices[0]):
            raise ConfigError(
                "Could not add unit cell device parameter (both devices need to be of the same "
                f"type): got {type(devices[0]).__name__} and {type(devices[1]).__name__}"
            )
        if cfg.refresh_every < 0:
            raise ConfigError(f"device.refresh_every must be >= 0, got {cfg.refresh_every!r}")
        # index 0 = g-, index 1 = g+; both drawn from the first device's parameters
        self.arrays = self._make_arrays(
            [devices[0], devices[0]], self.construction_generator(), "device.unit_cell_devices"
        )
        if cfg.copy_inverted:
            self._copy_inverted()
        self.refresh_io, self.refresh_io_state = self._internal_read_io(
            cfg.refresh_forward, self.out_size, self.in_size, "refresh"
        )
        self.update_count = 0
        self.refresh_count = 0  # number of refreshed cross-points so far

    def _copy_inverted(self) -> None:
        """Device 1 := device 0 with up/down steps swapped and bounds mirrored."""
        params = self.arrays[0].get_hidden_parameters()
        mirrored = OrderedDict(params)
        mirrored["dwmin_up"], mirrored["dwmin_down"] = params["dwmin_down"], params["dwmin_up"]
        mirrored["max_bound"], mirrored["min_bound"] = -params["min_bound"], -params["max_bound"]
        self.arrays[1].set_hidden_parameters(mirrored)
        self.arrays[1].set_weights(torch.zeros_like(self.arrays[1].weight), self.generator)

    @property
    def g_plus(self) -> DeviceArray:
        """Device 1, which potentiation of ``W`` pulses."""
        return self.arrays[1]

    @property
    def g_minus(self) -> DeviceArray:
        """Device 0, which depression of ``W`` pulses."""
        return self.arrays[0]

    # ------------------------------------------------------------------ weights
    def visible_weight(self) -> Tensor:
        return self.g_plus.weight - self.g_minus.weight

    def set_weights(self, weight: Tensor) -> None:
        """``g+ = max(W, 0)``, ``g- = max(-W, 0)`` (then each device's own clipping)."""
        w = self._check_weights(weight)
        self.update_count = 0
        self.g_plus.set_weights(w.clamp(min=0.0), self.generator)
        self.g_minus.set_weights((-w).clamp(min=0.0), self.generator)

    # ------------------------------------------------------------------ update
    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        cfg = self.rpu_config.device
        m = x.shape[0]
        period = 0
        if cfg.refresh_every > 0:
            period = int(cfg.refresh_every) * (m if cfg.units_in_mbatch else 1)
        done = self._update_shared(x, d, lr, period)
        if done < m:  # the compiled path declined: the rest runs per sample
            self._update_per_sample(x[done:], d[done:], lr, period)

    def _update_per_sample(self, x: Tensor, d: Tensor, lr: float, period: int) -> None:
        """The reference process: each sample's coincidences drawn in torch and routed."""
        m = x.shape[0]
        up_only = torch.zeros((self.out_size, self.in_size), dtype=torch.bool, device=self.device)
        coincidences = iter_coincidences(
            x,
            d,
            lr,
            self.weight_granularity,
            self.rpu_config.update,
            self.generator,
            skip_empty=period == 0,
        )
        for _, counts, down in coincidences:
            if bool(counts.any()):
                zero = torch.zeros_like(counts)
                self._apply_counts(self.g_minus, torch.where(down, counts, zero), up_only)
                self._apply_counts(self.g_plus, torch.where(down, zero, counts), up_only)
            if period:
                self.update_count += 1
                if self.update_count % period == 0:
                    self.refresh()
        if not period:
            self.update_count += m

    def _update_shared(self, x: Tensor, d: Tensor, lr: float, period: int) -> int:
        """The update on the compiled kernels (:mod:`~analogtrain.kernels.update.cpu.
        routed_update`): per segment between refreshes one draw of the trains, its decreasing
        coincidences to ``g-`` and its increasing ones to ``g+`` (one call each). Returns the
        number of vector updates made: fewer than ``m`` (nothing drawn for the rest) where that
        path declines, and the per-sample process then makes the rest."""
        arrays = [self.g_minus, self.g_plus]
        m = x.shape[0]
        start = 0
        while start < m:
            stop = m if not period else min(m, start + period - self.update_count % period)
            trains = draw_shared_trains(
                arrays,
                x[start:stop],
                d[start:stop],
                lr,
                self.weight_granularity,
                self.rpu_config.update,
                self.generator,
            )
            if isinstance(trains, Declined):
                return start
            if trains is not None:
                apply_shared_trains(self.g_minus, trains, "down", None)
                apply_shared_trains(self.g_plus, trains, "up", draw_seed(self.generator))
            self.update_count += stop - start
            if period and self.update_count % period == 0:
                self.refresh()
            start = stop
        return m

    def refresh(self) -> int:
        """Refresh the saturated pairs now (spec 3.4); returns how many were refreshed."""
        cfg = self.rpu_config.device
        columns = list(range(self.in_size))
        p = self._read(
            self.g_plus.weight, columns, True, self.refresh_io, self.refresh_io_state
        ).T  # [out, in]
        q = self._read(self.g_minus.weight, columns, True, self.refresh_io, self.refresh_io_state).T
        wmax = abs(float(self.g_plus.w_max))
        wmin = abs(float(self.g_minus.w_max))
        upper, lower = float(cfg.refresh_upper_thres), float(cfg.refresh_lower_thres)
        plus_larger = p > q
        hit = torch.where(
            plus_larger,
            (p / wmax > upper) & (q / wmin > lower),
            (p / wmax > lower) & (q / wmin > upper),
        )
        n_hit = int(hit.sum())
        if n_hit == 0:
            return 0
        self._reset_elements(self.g_plus, hit)
        self._reset_elements(self.g_minus, hit)
        zero = torch.zeros_like(p)
        for array, mask, target in (
            (self.g_plus, hit & plus_larger, p - q),
            (self.g_minus, hit & ~plus_larger, q - p),
        ):
            cols = [i for i in columns if bool(mask[:, i].any())]
            if not cols:
                continue
            # open-loop write of column i: W[:, i] += target (x = e_i, d = -target)
            d_rows = -torch.where(mask, target, zero)[:, cols].T  # [n_cols, out]
            self._write(
                array,
                self._one_hot(cols, self.in_size),
                d_rows,
                1.0,
                cfg.refresh_update,
                array.granularity,
            )
        self.refresh_count += n_hit
        return n_hit

    def _reset_elements(self, array: DeviceArray, mask: Tensor) -> None:
        """The device reset rule (spec 2.8.4) at the cross-points of ``mask`` only."""
        before = array.persistent_weight.clone()
        array.reset_columns(0, -1, 1.0, self.generator)
        after = torch.where(mask, array.persistent_weight, before)
        array.set_weights(after, self.generator)

    # ------------------------------------------------------------------ checkpoints
    def _state_extra(self) -> dict[str, Any]:
        return {"update_count": self.update_count, "refresh_count": self.refresh_count}

    def _load_state_extra(self, state: Mapping[str, Any]) -> None:
        self.update_count = int(state["update_count"])
        self.refresh_count = int(state["refresh_count"])
