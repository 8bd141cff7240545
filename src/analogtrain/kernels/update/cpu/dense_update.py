"""The compiled CPU update of the deterministic pulse types (``MEAN_COUNT``,
``DETERMINISTIC_IMPLICIT``; spec single-tile 4.5.4 / 4.5.5).

:mod:`.fast_update` hands these calls here once it has the kernel inputs of the array (the
numba views of its weights and rule values). The counts are the reference's: the per-sample
scales of :func:`~analogtrain.kernels.update.pulses.update_scales` and the two factors of
:func:`~analogtrain.kernels.update.pulses.dense_factors` (a few torch operations on
``[m, in]`` and ``[m, out]``, the functions the torch path uses), so the count of every
cross-point and sample is exactly the reference's. One compiled call (``apply_dense`` of the
rule's generated module, :mod:`.dense_template`) then forms each count and applies it through
the rule, sample by sample, taking the captured reads of the transfer compounds on the way.

Noise-free, the result equals the reference up to float rounding; with cycle-to-cycle or
write noise it equals it in distribution (the device noise comes from the counter-based
generator of :mod:`.rng`, keyed by one seed per call drawn from the tile's
``torch.Generator``, as on the stochastic fast path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.kernels.update.cpu.seeds import SERIAL_WORK, draw_seed, stream_keys
from analogtrain.kernels.update.pulses import dense_factors, update_scales

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters

__all__ = ["dense_pulsed_update"]


def _noise_keys(generator: torch.Generator) -> tuple[np.uint64, np.uint64]:
    """The c2c and write-noise stream keys of a call, from one seed drawn from ``generator``
    (streams 3 and 4 of the stochastic path's split of its seed). Only drawn when the array
    has device noise (a c2c or write-noise scale above 0): a noise-free deterministic update
    draws nothing, as on the reference path, so processes that interleave other draws (the
    chopped compounds' random choppers) see the same generator stream on both paths."""
    _, _, c2c, wn = stream_keys(draw_seed(generator))
    return c2c, wn


def _signs(v: Tensor) -> np.ndarray:
    return np.ascontiguousarray(torch.sign(v).to(torch.int8).numpy())


def dense_pulsed_update(
    inputs: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    reads: tuple[list[int], list[int], Tensor] | None,
) -> bool:
    """Apply one deterministic-pulse update with the compiled kernel; returns True.

    ``inputs`` are the kernel inputs of the array (``fast_update``'s ``_Inputs``: the rule's
    generated module ``pulses``, the numpy weights ``w_p``/``w_a``, ``model_args()``,
    ``wn_sigma``); the other arguments as :func:`.fast_update.fast_pulsed_update`, already
    validated (CPU tensors in the weights' dtype, per-sample rates non-negative). ``reads``
    (``read_after``, ``read_columns``, ``captured [R, out]``) as its capturing variant.
    """
    m = x.shape[0]
    after, cols, captured = reads if reads is not None else ([], [], None)
    bl, a, b = update_scales(x, d, lr, granularity, up)
    pulsing = torch.nonzero(bl > 0).squeeze(1)
    n_k = pulsing.numel()
    if n_k == 0:
        if captured is not None:
            captured.copy_(torch.from_numpy(inputs.w_a)[:, torch.tensor(cols, dtype=torch.long)].T)
        return True
    full = n_k == m
    xs, ds = (x, d) if full else (x[pulsing], d[pulsing])
    u_x, u_d = dense_factors(
        xs, ds, bl if full else bl[pulsing], (a if full else a[pulsing]).view(-1, 1),
        (b if full else b[pulsing]).view(-1, 1), up, generator,
    )  # fmt: skip
    sign_x, sign_d = _signs(xs), _signs(ds)
    if not isinstance(lr, Tensor) and lr < 0:  # per-sample rates arrive non-negative
        np.negative(sign_d, out=sign_d)
    # nothing random without device noise: the generator is then left as the reference leaves it
    noisy = inputs.sigma > 0.0 or inputs.wn_sigma > 0.0
    c2c_key, wn_key = _noise_keys(generator) if noisy else (np.uint64(0), np.uint64(0))
    out = np.empty((len(after), d.shape[1]), dtype=inputs.w_p.dtype)
    work = n_k * x.shape[1] * d.shape[1]
    kernel = inputs.pulses.apply_dense_serial if work < SERIAL_WORK else inputs.pulses.apply_dense
    kernel(
        inputs.w_p,
        inputs.w_a,
        np.ascontiguousarray(u_d.numpy()),
        np.ascontiguousarray(u_x.numpy()),
        sign_d,
        sign_x,
        np.ascontiguousarray(pulsing.numpy()),
        m,
        *inputs.model_args(),
        c2c_key,
        inputs.wn_sigma,
        wn_key,
        np.asarray(after, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        out,
    )
    if captured is not None:
        captured.copy_(torch.from_numpy(out))
    return True
