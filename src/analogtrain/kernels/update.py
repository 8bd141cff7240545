"""The pulsed update of one device array: a batch applied sample by sample (spec 4.2, 4.6).

For every sample ``s`` of a batch, in order, the pulse trains of :mod:`.pulses` give each
cross-point ``(i, j)`` a number of coincidences ``n_ij`` and a direction; the device array
then applies those ``n_ij`` single pulses one after the other, each with its own
cycle-to-cycle noise and bound clip. In expectation this realises ``W <- W - lr d_s x_s^T``
for every sample (Gokmen & Vlasov 2016; spec single-tile 4.5.6).

Routing (spec 4.2): floating-point arrays take the exact step ``W <- W - lr D^T X``;
``NONE_WITH_DEVICE`` takes the exact step per sample followed by a clip to the device bounds;
every other pulse type goes through pulse trains. Compound tiles that route one shared set
of coincidences to several arrays use :func:`iter_coincidences` directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from analogtrain.configs.enums import PulseType
from analogtrain.errors import ArgumentError, NotSimulatedError, TileError
from analogtrain.kernels.backend import fast_update_for
from analogtrain.kernels.io_checks import check_batch
from analogtrain.kernels.pulses import sample_coincidences_batch, update_scales

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters
    from analogtrain.devices.base import DeviceArray

__all__ = ["iter_coincidences", "pulsed_update", "validate_update_inputs"]

#: Upper bound on ``samples x out x in`` coincidence counts generated at once.
_CHUNK_ELEMENTS = 1 << 22


def validate_update_inputs(x: Tensor, d: Tensor, weight: Tensor, lr: float) -> None:
    """Reject an update before anything is touched.

    ``x`` must be ``[m, in]`` and ``d`` ``[m, out]`` for a ``weight`` of shape
    ``[out, in]``, on the weight's device and with its dtype, and finite; ``lr`` finite.
    Raises :class:`~analogtrain.errors.TileError` (bad tensors) or
    :class:`~analogtrain.errors.ArgumentError` (bad ``lr``).
    """
    out_size, in_size = weight.shape
    check_batch(x, in_size, "update input x", like=weight)
    check_batch(d, out_size, "update error d", like=weight)
    if x.shape[0] != d.shape[0]:
        raise TileError(
            f"update x and d must have the same number of rows; got {x.shape[0]} and {d.shape[0]}"
        )
    if not math.isfinite(lr):
        raise ArgumentError(f"learning rate must be finite; got {lr!r}")


def _chunk_size(n_samples: int, out_size: int, in_size: int) -> int:
    return max(1, min(n_samples, _CHUNK_ELEMENTS // max(1, out_size * in_size)))


def iter_coincidences(
    x: Tensor,
    d: Tensor,
    lr: float,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    *,
    skip_empty: bool = True,
    chunk_size: int | None = None,
) -> Iterator[tuple[int, Tensor, Tensor]]:
    """Yield ``(sample_index, counts [out, in] int32, down [out, in] bool)`` in sample order.

    The single-device pulse trains of every sample (:func:`.pulses.update_scales` and
    :func:`.pulses.sample_coincidences_batch`). ``down`` is True where the pulse decreases
    the weight: ``sign(lr) sign(d_i) sign(x_j) > 0``. Samples are drawn ``chunk_size`` at a
    time (default: as many as fit a fixed memory budget) and the draws of a chunk happen
    lazily when its first sample is requested, so a consumer that applies each sample before
    asking for the next interleaves its own random draws with these. With ``chunk_size=1``
    the random stream of a batch of ``m`` samples equals that of ``m`` calls of one sample.

    Args:
        x: inputs ``[m, in]``.
        d: errors ``[m, out]``.
        lr: learning rate; ``lr == 0`` yields nothing.
        granularity: the weight granularity ``g`` of the target device(s) (spec 2.4).
        up: update parameters; ``pulse_type`` must generate pulse trains.
        generator: random source of the pulse trains.
        skip_empty: when False, also yield samples without any coincidence (all-zero
            counts), e.g. for compounds that act once per sample.
        chunk_size: number of samples whose trains are drawn together.
    """
    if up.pulse_type in (PulseType.NONE, PulseType.NONE_WITH_DEVICE):
        raise NotSimulatedError(
            f"pulse_type {up.pulse_type} is an exact update and has no pulse trains"
        )
    if chunk_size is not None and chunk_size < 1:
        raise ArgumentError(f"chunk_size must be >= 1; got {chunk_size}")
    bl, a, b = update_scales(x, d, lr, granularity, up)
    m = x.shape[0]
    out_size, in_size = d.shape[1], x.shape[1]
    flip = lr < 0
    pulsing = torch.nonzero(bl > 0).squeeze(1).tolist()
    if not skip_empty:
        empty_counts = torch.zeros((out_size, in_size), dtype=torch.int32, device=x.device)
        empty_down = torch.zeros((out_size, in_size), dtype=torch.bool, device=x.device)
    step = chunk_size or _chunk_size(len(pulsing), out_size, in_size)
    position = 0  # next sample index to report when skip_empty is False
    for start in range(0, len(pulsing), step):
        chunk = pulsing[start : start + step]
        index = torch.tensor(chunk, dtype=torch.long, device=x.device)
        counts, down = sample_coincidences_batch(
            x[index], d[index], bl[index], a[index], b[index], up, generator
        )
        if flip:
            down = ~down
        nonzero = counts.flatten(1).any(dim=1).tolist()
        for k, s in enumerate(chunk):
            if not skip_empty:
                for t in range(position, s):
                    yield t, empty_counts, empty_down
                position = s + 1
            if nonzero[k] or not skip_empty:
                yield s, counts[k], down[k]
    if not skip_empty:
        for t in range(position, m):
            yield t, empty_counts, empty_down


def _exact_update_with_device(
    array: DeviceArray, x: Tensor, d: Tensor, lr: float, generator: torch.Generator
) -> None:
    """``NONE_WITH_DEVICE`` (spec 4.2 item 2): per sample, the exact step on the device
    weight followed by a clip to the device bounds (which redraws write noise, 2.8.1)."""
    w = array.persistent_weight
    for s in range(x.shape[0]):
        w.sub_(lr * torch.outer(d[s], x[s]))
        array.clip_weights(-1.0, generator)


def pulsed_update(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float,
    up: UpdateParameters,
    generator: torch.Generator,
    *,
    granularity: float | None = None,
) -> None:
    """Apply one update call ``W <- W - lr d^T x`` (``m`` samples) to ``array`` with pulses.

    The samples are processed in order; each sample's coincidences are applied through
    ``array.apply_pulse_counts`` before the next sample's are. A rejected call (bad shape,
    device, dtype, NaN/inf) raises before any weight changes.

    Args:
        array: the device array; its ``weight`` is ``[out, in]``.
        x: inputs ``[m, in]``.
        d: errors ``[m, out]``.
        lr: learning rate (0: nothing happens).
        up: update parameters.
        generator: random source of the pulse trains and of the device noise.
        granularity: the ``g`` of the pulse-train scaling; defaults to
            ``array.granularity`` (compounds pass their own, spec compounds 3.0).
    """
    validate_update_inputs(x, d, array.weight, lr)
    if granularity is not None and not (math.isfinite(granularity) and granularity > 0):
        raise ArgumentError(f"granularity must be a positive finite number; got {granularity!r}")
    if lr == 0 or x.shape[0] == 0:
        return
    with torch.no_grad():
        _dispatch(array, x.detach(), d.detach(), lr, up, generator, granularity)


def _dispatch(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float,
    up: UpdateParameters,
    generator: torch.Generator,
    granularity: float | None,
) -> None:
    if array.is_floating_point:
        array.float_update(x, d, lr)
        return
    if up.pulse_type == PulseType.NONE:
        raise NotSimulatedError(
            "pulse_type NONE on a pulsed device array: the tile must build a floating-point "
            "array for it (spec 4.2 item 1)"
        )
    if up.pulse_type == PulseType.NONE_WITH_DEVICE:
        _exact_update_with_device(array, x, d, lr, generator)
        return
    g = float(array.granularity if granularity is None else granularity)
    fast = fast_update_for(array, x.device.type)
    if fast is not None and fast(array, x, d, lr, g, up, generator):
        return
    for _, counts, down in iter_coincidences(x, d, lr, g, up, generator):
        array.apply_pulse_counts(counts, down, generator)
