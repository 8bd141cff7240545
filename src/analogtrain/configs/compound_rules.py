"""Consistency rules of compounds and RPU configurations (used by ``validate()``).

Constraints that aihwkit's engine enforces only when a tile is built (fatal errors) are
checked here. Chopped-transfer options that the engine does not simulate (random column
selection, resets) are in :mod:`analogtrain.configs.not_simulated` instead.
"""

from __future__ import annotations

from analogtrain.configs import compounds as cp
from analogtrain.configs import devices as dv
from analogtrain.configs import rpu_configs as rc
from analogtrain.configs.rules import at_least, fail, greater, lengths, probability
from analogtrain.errors import ConfigError

__all__: list[str] = []


def _n_devices(cell: cp.UnitCell, path: str, low: int, high: int | None = None) -> int:
    n = len(cell.unit_cell_devices)
    if n < low or (high is not None and n > high):
        want = f"{low}" if high == low else f"{low}..{high}" if high else f"at least {low}"
        fail(
            path,
            "unit_cell_devices",
            f"must hold {want} devices for {type(cell).__name__} (has {n})",
            cell.unit_cell_devices,
        )
    return n


def vector(c: cp.VectorUnitCell, path: str) -> None:
    if isinstance(c, cp.ReferenceUnitCell):
        _n_devices(c, path, 1, 2)
        lengths(c, path, "gamma_vec", 2, "device (a reference cell always has 2)")
        return
    n = _n_devices(c, path, 1)
    lengths(c, path, "gamma_vec", n, "device")
    if not 0 <= c.first_update_idx < n:
        fail(path, "first_update_idx", f"must index a device (0..{n - 1})", c.first_update_idx)


def one_sided(c: cp.OneSidedUnitCell, path: str) -> None:
    _n_devices(c, path, 1, 2)
    devices = c.unit_cell_devices
    if not isinstance(devices[0], dv.PulsedDevice):
        fail(path, "unit_cell_devices[0]", "must be a pulsed device", devices[0])
    if len(devices) == 2 and type(devices[1]) is not type(devices[0]):
        fail(
            path,
            "unit_cell_devices[1]",
            f"must be a {type(devices[0]).__name__} like device 0",
            devices[1],
        )
    at_least(c, path, 0, "refresh_every")


def transfer(c: cp.TransferCompound, path: str) -> None:
    n = _n_devices(c, path, 2)
    lengths(c, path, "gamma_vec", n, "device")
    if c.gamma_vec and c.gamma_vec[-1] == 0:
        fail(path, "gamma_vec", "must have a non-zero last entry", c.gamma_vec)
    lengths(c, path, "transfer_lr_vec", n, "device")
    lengths(c, path, "transfer_every_vec", n, "device")
    at_least(c, path, 1, "n_reads_per_transfer")
    probability(c, path, "with_reset_prob")
    if c.with_reset_prob > 0 and not c.transfer_columns:
        fail(path, "with_reset_prob", "must be 0 when transfer_columns is False", c.with_reset_prob)
    if not isinstance(c, cp.ChoppedTransferCompound):
        at_least(c, path, 0, "transfer_every")


def buffered(c: cp.BufferedTransferCompound, path: str) -> None:
    greater(c, path, 0, "thres_scale", "step")
    probability(c, path, "momentum")


def chopped(c: cp.ChoppedTransferCompound, path: str) -> None:
    _n_devices(c, path, 2, 2)
    probability(c, path, "in_chop_prob", "out_chop_prob", "momentum", "auto_momentum")
    at_least(c, path, 0, "buffer_granularity", "auto_granularity")
    greater(c, path, 0, "step")
    if c.n_reads_per_transfer != 1:
        fail(path, "n_reads_per_transfer", "must be 1 for chopped transfer", c.n_reads_per_transfer)
    if c.transfer_every < 0 and c.units_in_mbatch:
        fail(
            path,
            "transfer_every",
            "must be >= 0 when units_in_mbatch is True",
            c.transfer_every,
        )


def dynamic(c: cp.DynamicTransferCompound, path: str) -> None:
    at_least(c, path, 0, "tail_weightening", "buffer_cap")


def mixed_precision(c: cp.MixedPrecisionCompound, path: str) -> None:
    if isinstance(c.device, cp.TransferCompound):
        fail(
            path,
            "device",
            "must be a pulsed device or a vector/one-sided/reference unit cell",
            c.device,
        )
    at_least(c, path, 0, "transfer_every", "granularity", "n_x_bins", "n_d_bins")
    at_least(c, path, -1, "n_rows_per_transfer")
    for name in ("n_x_bins", "n_d_bins"):
        if getattr(c, name) == 1:
            fail(path, name, "must be 0 (off) or >= 2 (one bin divides by zero)", getattr(c, name))


def single_config(c: rc.SingleRPUConfig, path: str) -> None:
    if not isinstance(c.device, (dv.PulsedDevice, dv.IdealDevice)):
        raise ConfigError(f"{_p(path)}device must be a single device, got {c.device!r}")


def _p(path: str) -> str:
    return f"{path}." if path else ""
