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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.configs.enums import PulseType
from analogtrain.errors import ArgumentError, NotSimulatedError, TileError
from analogtrain.kernels.io_checks import check_batch, values_were_checked
from analogtrain.kernels.io_threads import serial_opted_in, serial_torch_ops
from analogtrain.kernels.update.backend import Declined, fast_update_for, report_decline
from analogtrain.kernels.update.pulses import sample_coincidences_batch, update_scales

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters
    from analogtrain.devices.base import DeviceArray

__all__ = [
    "iter_coincidences",
    "pulsed_update",
    "pulsed_update_capture",
    "pulsed_update_capture_of_checked",
    "pulsed_update_of_checked",
    "validate_update_inputs",
]

#: Upper bound on ``samples x out x in`` coincidence counts generated at once.
_CHUNK_ELEMENTS = 1 << 22


def validate_update_inputs(x: Tensor, d: Tensor, weight: Tensor, lr: float | Tensor) -> None:
    """Reject an update before anything is touched.

    ``x`` must be ``[m, in]`` and ``d`` ``[m, out]`` for a ``weight`` of shape
    ``[out, in]``, on the weight's device and with its dtype, and finite; ``lr`` finite (a
    float, or one rate per sample: a tensor ``[m]``).
    Raises :class:`~analogtrain.errors.TileError` (bad tensors) or
    :class:`~analogtrain.errors.ArgumentError` (bad ``lr``).
    """
    out_size, in_size = weight.shape
    # inside values_checked() check_batch tests shapes, dtypes and devices only (the caller
    # scanned the values): no reduction needed
    if values_were_checked() or not (
        _plain_batch(x, in_size, weight) and _plain_batch(d, out_size, weight)
    ):
        check_batch(x, in_size, "update input x", like=weight)  # raises what is wrong
        check_batch(d, out_size, "update error d", like=weight)
    if x.shape[0] != d.shape[0]:
        raise TileError(
            f"update x and d must have the same number of rows; got {x.shape[0]} and {d.shape[0]}"
        )
    if isinstance(lr, Tensor):
        if lr.dim() != 1 or lr.shape[0] != x.shape[0]:
            raise ArgumentError(
                f"a per-sample learning rate must have shape [{x.shape[0]}]; got {tuple(lr.shape)}"
            )
        if lr.is_complex() or not _finite_rates(lr):
            raise ArgumentError("per-sample learning rates must be finite real numbers")
    elif not math.isfinite(lr):
        raise ArgumentError(f"learning rate must be finite; got {lr!r}")


def _finite_rates(lr: Tensor) -> bool:
    """Whether every per-sample rate is finite (numpy's test on a CPU float tensor: a few
    microseconds less than torch's on these short vectors)."""
    if lr.device.type == "cpu" and lr.dtype in (torch.float32, torch.float64):
        return bool(np.isfinite(lr.detach().numpy()).all())
    return bool(torch.isfinite(lr).all())


def _plain_batch(t: object, width: int, like: Tensor) -> bool:
    """Whether :func:`~analogtrain.kernels.io_checks.check_batch` would pass ``t`` for sure:
    a ``[m, width]`` tensor of ``like``'s dtype and device whose sum is finite (so is every
    entry). The same test in fewer torch operations (a Python float instead of a 0-d
    ``isfinite``); when it fails, ``check_batch`` decides and names the problem."""
    return (
        isinstance(t, Tensor)
        and t.dim() == 2
        and t.shape[1] == width
        and t.dtype == like.dtype
        and t.device == like.device
        and (t.numel() == 0 or math.isfinite(t.sum().item()))
    )


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
        lr: learning rate; ``lr == 0`` yields nothing. A tensor ``[m]`` gives every sample
            its own rate (and direction).
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
    negative = (lr < 0).to(x.device) if isinstance(lr, Tensor) else None
    flip = bool(negative.any()) if negative is not None else lr < 0
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
        if negative is not None and flip:
            down = down ^ negative[index].view(-1, 1, 1)
        elif flip:
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


def _check_granularity(granularity: float | None) -> None:
    if granularity is not None and not (math.isfinite(granularity) and granularity > 0):
        raise ArgumentError(f"granularity must be a positive finite number; got {granularity!r}")


def _all_zero(lr: float | Tensor) -> bool:
    if not isinstance(lr, Tensor):
        return lr == 0
    if lr.device.type == "cpu" and lr.dtype in (torch.float32, torch.float64):
        return not lr.detach().numpy().any()  # numpy's test: cheaper on a short vector
    return bool((lr == 0).all())


def pulsed_update(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
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
        lr: learning rate (0: nothing happens), or a tensor ``[m]`` of per-sample rates
            (sample ``s`` realises ``W <- W - lr[s] d_s x_s^T``).
        up: update parameters.
        generator: random source of the pulse trains and of the device noise.
        granularity: the ``g`` of the pulse-train scaling; defaults to
            ``array.granularity`` (compounds pass their own, spec compounds 3.0).
    """
    if serial_opted_in():
        with torch.no_grad(), serial_torch_ops():  # small tensors: no intra-op pool
            _pulsed_update(array, x, d, lr, up, generator, granularity)
    else:  # nothing to switch (spares the context manager, microseconds per call)
        with torch.no_grad():
            _pulsed_update(array, x, d, lr, up, generator, granularity)


def pulsed_update_of_checked(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    rate: float,
    up: UpdateParameters,
    generator: torch.Generator,
    *,
    granularity: float | None = None,
) -> None:
    """:func:`pulsed_update` for a caller that has checked its inputs already, as a tile's
    ``update`` does: ``x [m, in]`` and ``d [m, out]`` tensors of one dtype and device with
    the array's sizes (finite, or inside ``values_checked()``), one ``rate`` that is a
    finite float ``> 0`` and ``granularity`` None (the array's) or positive and finite. Call
    it with autograd off (under ``torch.no_grad()``).

    It spares the second validation of every input and the context managers of
    :func:`pulsed_update` (microseconds per call, a large share of a small layer's update);
    inputs whose dtype or device differ from the array's weights take the full check of
    :func:`validate_update_inputs`, so a call refused there is refused here the same way.
    """
    weight = array.weight
    if x.dtype != weight.dtype or x.device != weight.device:
        validate_update_inputs(x, d, weight, rate)  # raises what is wrong
    if x.shape[0] == 0:
        return
    x = x.detach() if x.requires_grad else x
    d = d.detach() if d.requires_grad else d
    if serial_opted_in():
        with serial_torch_ops():
            _dispatch(array, x, d, float(rate), up, generator, granularity)
    else:
        _dispatch(array, x, d, float(rate), up, generator, granularity)


def _pulsed_update(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    granularity: float | None,
) -> None:
    validate_update_inputs(x, d, array.weight, lr)
    _check_granularity(granularity)
    if x.shape[0] == 0 or _all_zero(lr):
        return
    x, d, lr = _normalise_rates(x.detach(), d.detach(), lr)
    _dispatch(array, x, d, lr, up, generator, granularity)


def _normalise_rates(x: Tensor, d: Tensor, lr: float | Tensor) -> tuple[Tensor, Tensor, Any]:
    """Per-sample rates made non-negative (a negative rate flips its sample's ``d``)."""
    if not isinstance(lr, Tensor):
        return x, d, float(lr)
    lr = lr.detach()
    if lr.dtype != torch.float64 or lr.device != x.device:
        lr = lr.to(device=x.device, dtype=torch.float64)
    if lr.device.type == "cpu":  # numpy's test of a short vector: cheaper than torch's
        if not (lr.numpy() < 0).any():
            return x, d, lr
    negative = lr < 0
    if bool(negative.any()):
        d = torch.where(negative.unsqueeze(1), -d, d)
        lr = lr.abs()
    return x, d, lr


def _dispatch(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    granularity: float | None,
) -> None:
    per_sample = isinstance(lr, Tensor)
    if array.is_floating_point:
        if per_sample:
            array.float_update(x, d * lr.to(d.dtype).unsqueeze(1), 1.0)
        else:
            array.float_update(x, d, lr)
        return
    if up.pulse_type == PulseType.NONE:
        raise NotSimulatedError(
            "pulse_type NONE on a pulsed device array: the tile must build a floating-point "
            "array for it (spec 4.2 item 1)"
        )
    if up.pulse_type == PulseType.NONE_WITH_DEVICE:
        if per_sample:
            _exact_update_with_device(array, x, d * lr.to(d.dtype).unsqueeze(1), 1.0, generator)
        else:
            _exact_update_with_device(array, x, d, lr, generator)
        return
    g = float(array.granularity if granularity is None else granularity)
    fast = fast_update_for(array, x.device.type)
    if fast is None:
        declined = _no_fast_update(array, x.device.type)
    elif per_sample and getattr(fast, "capture", None) is None:
        declined = Declined(f"the fast update of {type(array).__name__} takes no per-sample rates")
    else:
        declined = fast(array, x, d, lr, g, up, generator)
        if declined:
            return
    report_decline(declined, "pulsed_update")
    for _, counts, down in iter_coincidences(x, d, lr, g, up, generator):
        array.apply_pulse_counts(counts, down, generator)


def _no_fast_update(array: DeviceArray, device_type: str) -> Declined:
    return Declined(f"no fast update is registered for {type(array).__name__} on {device_type}")


def pulsed_update_capture(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    read_after: Sequence[int],
    read_columns: Sequence[int],
    *,
    granularity: float | None = None,
) -> Tensor:
    """:func:`pulsed_update` that also records columns of the weight during the update.

    Read ``r`` records the apparent weight column ``array.weight[:, read_columns[r]]`` (what an
    analog read of that column would see: the persistent weight plus its current write noise)
    right after sample ``read_after[r]`` has been applied. ``read_after`` must be
    non-decreasing, with entries in ``[0, m)``. This is how the transfer compounds take their
    reads of the fast device at the exact vector counts inside one batched update (spec
    compounds 3.12): the result equals updating in segments and copying the column between
    them.

    Returns:
        ``[R, out]`` (``R = len(read_after)``) in the weight's dtype.
    """
    with serial_torch_ops():  # small tensors: no intra-op pool
        return _pulsed_update_capture(
            array, x, d, lr, up, generator, read_after, read_columns, granularity=granularity
        )


def _pulsed_update_capture(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    read_after: Sequence[int],
    read_columns: Sequence[int],
    *,
    granularity: float | None = None,
) -> Tensor:
    validate_update_inputs(x, d, array.weight, lr)
    _check_granularity(granularity)
    after = _read_indices(read_after)
    cols = _read_indices(read_columns)
    m = x.shape[0]
    out_size, in_size = array.weight.shape
    if len(after) != len(cols):
        raise ArgumentError(
            f"read_after and read_columns must have the same length; got {len(after)} "
            f"and {len(cols)}"
        )
    # non-decreasing from >= 0 to < m: all in [0, m) (array operations: reads can be thousands)
    if len(after) and (after[0] < 0 or after[-1] >= m or bool((after[1:] < after[:-1]).any())):
        raise ArgumentError(
            f"read_after must be non-decreasing in [0, {m}); got {after.tolist()}"
        )
    if len(cols) and (cols.min() < 0 or cols.max() >= in_size):
        raise ArgumentError(f"read_columns must lie in [0, {in_size}); got {cols.tolist()}")
    return _capture_checked(array, x, d, lr, up, generator, after, cols, granularity)


def pulsed_update_capture_of_checked(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    read_after: np.ndarray,
    read_columns: np.ndarray,
    *,
    granularity: float | None = None,
) -> Tensor:
    """:func:`pulsed_update_capture` for a caller that made its inputs valid, as the chopped
    compounds' batched update does: ``x [m, in]`` and ``d [m, out]`` finite tensors of the
    array's dtype and device, ``lr`` a finite float or a finite per-sample tensor ``[m]``, the
    reads int64 arrays of one length (``read_after`` non-decreasing in ``[0, m)``,
    ``read_columns`` in ``[0, in)``), ``granularity`` None or positive and finite. It spares
    the checks (and the context manager) that cost a large share of a small layer's call;
    the update itself is the same."""
    if serial_opted_in():
        with serial_torch_ops():
            return _capture_checked(
                array, x, d, lr, up, generator, read_after, read_columns, granularity
            )
    return _capture_checked(array, x, d, lr, up, generator, read_after, read_columns, granularity)


def _capture_checked(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    after: np.ndarray,
    cols: np.ndarray,
    granularity: float | None,
) -> Tensor:
    out_size = array.weight.shape[0]
    captured = torch.empty((len(after), out_size), dtype=array.weight.dtype, device=x.device)
    if x.shape[0] == 0:
        return captured
    if torch.is_grad_enabled():  # (off already inside a tile's update: spare the context)
        with torch.no_grad():
            return _capture_into(array, x, d, lr, up, generator, after, cols, granularity, captured)
    return _capture_into(array, x, d, lr, up, generator, after, cols, granularity, captured)


def _capture_into(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    after: np.ndarray,
    cols: np.ndarray,
    granularity: float | None,
    captured: Tensor,
) -> Tensor:
    x, d, lr = _normalise_rates(x.detach(), d.detach(), lr)
    trains = up.pulse_type not in (PulseType.NONE, PulseType.NONE_WITH_DEVICE)
    if trains and not array.is_floating_point and not _all_zero(lr):
        g = float(array.granularity if granularity is None else granularity)
        fast = fast_update_for(array, x.device.type)
        capture = getattr(fast, "capture", None) if fast is not None else None
        if capture is not None:
            done = capture(array, x, d, lr, g, up, generator, after, cols, captured)
            if done:
                return captured
        elif fast is None:
            done = _no_fast_update(array, x.device.type)
        else:
            done = Declined(f"the fast update of {type(array).__name__} captures no reads")
        report_decline(done, "pulsed_update_capture")
        _capture_by_sample(
            array, x, d, lr, g, up, generator, after.tolist(), cols.tolist(), captured
        )
        return captured
    _capture_by_segment(
        array, x, d, lr, up, generator, granularity, after.tolist(), cols.tolist(), captured
    )
    return captured


def _read_indices(values: Sequence[int] | np.ndarray) -> np.ndarray:
    """Read positions or columns as an int64 array: a 1-D integer array as it is, any other
    sequence entry by entry through ``int``."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    return np.array(list(map(int, values)), dtype=np.int64)


def _capture_by_sample(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    g: float,
    up: UpdateParameters,
    generator: torch.Generator,
    after: list[int],
    cols: list[int],
    captured: Tensor,
) -> None:
    """Reference capture: the coincidences of every sample applied in order, the reads taken
    between them."""
    r = 0
    for s, counts, down in iter_coincidences(x, d, lr, g, up, generator):
        while r < len(after) and after[r] < s:
            captured[r] = array.weight[:, cols[r]]
            r += 1
        array.apply_pulse_counts(counts, down, generator)
    for t in range(r, len(after)):
        captured[t] = array.weight[:, cols[t]]


def _capture_by_segment(
    array: DeviceArray,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
    granularity: float | None,
    after: list[int],
    cols: list[int],
    captured: Tensor,
) -> None:
    """Capture for exact updates (no pulse trains): update in segments, read between them."""
    start = 0
    for r, b in enumerate(after):
        if b + 1 > start:
            seg_lr = lr[start : b + 1] if isinstance(lr, Tensor) else lr
            if not _all_zero(seg_lr):
                _dispatch(
                    array, x[start : b + 1], d[start : b + 1], seg_lr, up, generator, granularity
                )
            start = b + 1
        captured[r] = array.weight[:, cols[r]]
    if start < x.shape[0]:
        seg_lr = lr[start:] if isinstance(lr, Tensor) else lr
        if not _all_zero(seg_lr):
            _dispatch(array, x[start:], d[start:], seg_lr, up, generator, granularity)
