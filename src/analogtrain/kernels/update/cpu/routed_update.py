"""Shared pulse trains routed to several device arrays, on the compiled CPU kernels.

The unit cells that route one set of coincidences to several arrays (spec compounds 3.2,
3.4) need, per update call, one draw of the stochastic pulse trains of every sample (spec
single-tile 4.3-4.5) and then each array's response to them with its own step, bounds,
cycle-to-cycle and write noise. :func:`draw_shared_trains` draws the trains once (two
compiled calls: the scales and the bit masks) and :func:`apply_shared_trains` applies all
``m`` samples of them to one array in one call of that array's generated kernel
(:mod:`.pulse_template`'s ``apply_pulses``; every array has the kernel of its own rule, so the
devices of one cell may follow different rules).

``route`` selects the coincidences an array receives:

* ``"all"``: every coincidence in its own direction (VectorUnitCell ``ALL``);
* ``"down"`` / ``"up"``: only the coincidences that would decrease / increase the weight,
  each applied as a potentiation pulse (the two devices of a OneSidedUnitCell). The trains
  are split into two virtual samples per sample (rows and columns of positive sign, rows and
  columns of negative sign, or the crossed pairs): they reach disjoint cross-points, so the
  coincidence counts are exactly those of the shared trains.

Random streams: the trains use the column and row streams of one seed drawn from the
tile's generator (:mod:`.seeds`); the first array's c2c and write noise use the same seed's
streams 2 and 3, so a cell's first device is bit for bit the single-device
:func:`~.fast_update.fast_pulsed_update` of the same generator state; every further array
draws its own seed. Deterministic pulse types and probability resolutions are handled like
the single-device path's :func:`~.fast_update._train_inputs`; the dense pulse types are
declined (their counts do not depend on a draw, the per-array update gives the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.kernels.update.backend import Declined, get_backend
from analogtrain.kernels.update.cpu import fast_update
from analogtrain.kernels.update.cpu.seeds import SERIAL_WORK, draw_seed, stream_keys
from analogtrain.kernels.update.pulses import STOCHASTIC_TYPES

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters

__all__ = ["ROUTES", "SharedTrains", "apply_shared_trains", "draw_shared_trains"]

ROUTES = ("all", "down", "up")
_NO_READS = np.empty(0, dtype=np.int64)
_SERIAL = SERIAL_WORK  # module attribute: tests lower it to force the parallel variants


@dataclass(frozen=True)
class SharedTrains:
    """The pulse trains of one update call: ``row_masks [m, out, w]``, ``col_masks [m, in, w]``
    (uint64 bits), the directions ``sign_d [m, out]`` (lr sign folded in) and ``sign_x [m, in]``
    (int8), the seed whose streams 2, 3 the first array's noise uses, and the train arguments
    of the pulse kernel that say the trains are given (``_Trains.kernel_args(-1)``)."""

    row_masks: np.ndarray
    col_masks: np.ndarray
    sign_d: np.ndarray
    sign_x: np.ndarray
    seed: int
    train_args: tuple[Any, ...]


def _unusable(
    arrays: list[Any], x: Tensor, generator: torch.Generator, up: UpdateParameters
) -> Declined | None:
    if up.pulse_type not in STOCHASTIC_TYPES:
        return Declined(f"the shared-train update draws stochastic trains, not {up.pulse_type}")
    declined = fast_update._unusable(x, generator, up)
    if declined is not None:
        return declined
    if fast_update._kernels() is None:
        return Declined("numba cannot be imported")
    want = fast_update._NUMPY_DTYPES.get(x.dtype)
    for array in arrays:
        inputs = fast_update._inputs(array)
        if isinstance(inputs, Declined):
            return inputs
        if inputs.w_p.dtype != want:
            return Declined(f"the shared-train update needs weights of the inputs' {x.dtype}")
    return None


def draw_shared_trains(
    arrays: list[Any],
    x: Tensor,
    d: Tensor,
    lr: float,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
) -> SharedTrains | Declined | None:
    """The trains of ``x [m, in]``, ``d [m, out]`` (validated, finite, ``lr != 0``) for the
    ``arrays`` that will receive them; ``None`` when no sample pulses (nothing drawn), a falsy
    :class:`~analogtrain.kernels.update.backend.Declined` (nothing drawn) when the compiled
    path cannot take the call, or when the backend is ``"reference"``."""
    if get_backend() == "reference":
        return Declined("backend 'reference'")
    declined = _unusable(arrays, x, generator, up)
    if declined is not None:
        return declined
    kernels = fast_update._kernels()
    t = fast_update._train_inputs(x, d, lr, granularity, up, generator, kernels)
    if t is None:
        return None
    seed = draw_seed(generator)
    m, in_size = x.shape
    parallel = m * in_size * d.shape[1] >= _SERIAL
    rows, cols, sign_d, sign_x = fast_update._masks_and_signs(kernels, t, seed, parallel)
    return SharedTrains(rows, cols, sign_d, sign_x, seed, t.kernel_args(-1))


def _routed(trains: SharedTrains, route: str) -> tuple[np.ndarray, ...]:
    """The masks and directions that give an array only the coincidences of ``route``."""
    if route == "all":
        return trains.row_masks, trains.col_masks, trains.sign_d, trains.sign_x
    rows, cols = trains.row_masks, trains.col_masks
    row_pos = rows * (trains.sign_d > 0)[:, :, None].astype(np.uint64)
    row_neg = rows * (trains.sign_d < 0)[:, :, None].astype(np.uint64)
    col_pos = cols * (trains.sign_x > 0)[:, :, None].astype(np.uint64)
    col_neg = cols * (trains.sign_x < 0)[:, :, None].astype(np.uint64)
    # down (sign_d sign_x > 0): (+, +) and (-, -); up: the crossed pairs
    first, second = (col_pos, col_neg) if route == "down" else (col_neg, col_pos)
    m, out_size, n_words = rows.shape
    in_size = cols.shape[1]
    v_rows = np.ascontiguousarray(np.stack([row_pos, row_neg], 1).reshape(2 * m, out_size, n_words))
    v_cols = np.ascontiguousarray(np.stack([first, second], 1).reshape(2 * m, in_size, n_words))
    # every routed coincidence is a potentiation pulse: sign_d sign_x < 0
    return v_rows, v_cols, np.ones((2 * m, out_size), np.int8), -np.ones((2 * m, in_size), np.int8)


def apply_shared_trains(array: Any, trains: SharedTrains, route: str, seed: int | None) -> None:
    """Apply every sample of ``trains`` to ``array`` (one of the arrays
    :func:`draw_shared_trains` accepted) in one compiled call. ``seed``: the noise streams'
    seed (``None``: the trains' own, for the first array)."""
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
    inputs = fast_update._inputs(array)
    rows, cols, sign_d, sign_x = _routed(trains, route)
    _, _, c2c_key, wn_key = stream_keys(trains.seed if seed is None else seed)
    # the work of the real samples (the virtual split adds no visits worth a thread pool)
    m, out_size, _ = trains.row_masks.shape
    small = m * out_size * trains.col_masks.shape[1] < _SERIAL
    apply = inputs.pulses.apply_pulses_serial if small else inputs.pulses.apply_pulses
    out = np.empty((0, out_size), dtype=inputs.w_p.dtype)
    apply(
        inputs.w_p,
        inputs.w_a,
        rows,
        cols,
        sign_d,
        sign_x,
        *trains.train_args,
        *inputs.model_args(),
        c2c_key,
        inputs.wn_sigma,
        wn_key,
        _NO_READS,
        _NO_READS,
        out,
    )
