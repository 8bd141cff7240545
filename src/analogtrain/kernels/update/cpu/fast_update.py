"""Fast CPU pulsed update with numba (optional dependency, extras ``fast`` / ``dev``).

Importing this module registers :func:`fast_pulsed_update` with
:func:`analogtrain.kernels.update.backend.register_fast_update` for the pulsed device arrays
(:class:`~analogtrain.devices.pulsed.PulsedDeviceArray` and every subclass: each model with
its own update rule has a fast path, :mod:`.rule_inputs`), provided numba is installed;
otherwise nothing is registered and the reference path runs. numba itself is only imported,
and the kernels only compiled (with ``cache=True``, so once per machine), on the first update
that uses them; the pulse kernels of each device rule are generated from the rule's one
definition (:mod:`.rule_codegen`), so a model compiles only when a run uses it.
Development note: numba's on-disk cache only tracks the file that defines a kernel; after
editing ``rng.py``, ``rule_overloads.py`` or ``../scales.py`` also touch ``numba_kernels.py``
(or delete its ``__pycache__/*.nbi``/``*.nbc`` files); the generated modules hash their
sources.

The update is the same process as the reference
(:func:`analogtrain.kernels.update.pulsed.pulsed_update`): per sample, in batch order, stochastic
pulse trains of ``BL`` slots on the rows and the columns (spec single-tile 4.3-4.5), and at
each cross-point its coincidences applied one pulse at a time through the model's
update-once rule with a fresh cycle-to-cycle sample and the clip after each pulse (2.5, 4.6),
then the write-noise redraw (2.7). It equals the reference in distribution, not bit for bit:
the random numbers come from a counter-based generator (:mod:`.rng`) keyed by one
seed per call drawn from the tile's ``torch.Generator``, so the generator remains the single
source of reproducibility and results do not depend on the thread count.

:func:`fast_apply_pulse_counts` is the same kernel for one given matrix of coincidence counts
(compounds that share coincidences between arrays call it instead of
``array.apply_pulse_counts``).

Per call: the array's kernel inputs come from a cache
(:func:`~analogtrain.kernels.update.rule_inputs.cached_inputs`, rebuilt when the array's
tensors or values change); a small update (below :data:`_SERIAL_WORK` cross-points) is two
compiled calls, the scales and the generated module's ``pulse_update`` (its serial
``apply_pulses`` given the call's seed: trains and pulses on the calling thread); larger ones
take the parallel kernels. Serial and parallel variants are separate compiled functions, so
numba's thread count is never changed.

Declines (returns a falsy :class:`~analogtrain.kernels.update.backend.Declined` naming the reason,
with nothing changed, not even the generator) for the exact pulse types (``NONE``,
``NONE_WITH_DEVICE``; the single decision point is ``_unusable``), arrays that are not
float32 or float64 on the CPU, array classes without their own rule, and when numba cannot
be imported. The deterministic pulse types (``MEAN_COUNT``, ``DETERMINISTIC_IMPLICIT``) run
in :mod:`.dense_update` (one compiled call per update).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.kernels.compile_notice import watch_kernels
from analogtrain.kernels.update.backend import (
    Declined,
    get_backend,
    register_fast_update,
    report_decline,
)
from analogtrain.kernels.update.cpu.dense_update import dense_pulsed_update
from analogtrain.kernels.update.cpu.seeds import (
    SERIAL_VISITS,
    SERIAL_WORK,
    draw_seed,
    stream_keys,
)
from analogtrain.kernels.update.pulses import DENSE_TYPES, STOCHASTIC_TYPES
from analogtrain.kernels.update.rule_codegen import generated_kernels
from analogtrain.kernels.update.rule_inputs import cached_inputs, rule_tensors
from analogtrain.kernels.update.scales import scale_parameters

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters

__all__ = [
    "fast_apply_pulse_counts",
    "fast_pulsed_update",
    "fast_pulsed_update_capture",
    "numba_available",
    "register_fast_cpu_updates",
]

_SERIAL_WORK = SERIAL_WORK  # module attributes: tests lower them to force a variant
_SERIAL_VISITS = SERIAL_VISITS


def numba_available() -> bool:
    """Whether numba is installed (checked without importing it)."""
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _kernels() -> ModuleType | None:
    """The compiled-on-demand kernel module, or None if numba is unusable here.

    ``ImportError``: numba (or its llvmlite) is missing or broken. ``RuntimeError``/``OSError``:
    numba found no writable cache location for ``cache=True`` kernels.
    """
    try:
        module = importlib.import_module("analogtrain.kernels.update.cpu.numba_kernels")
        return watch_kernels(module)  # a one-line notice when they really compile
    except (ImportError, RuntimeError, OSError):
        return None


@dataclass(frozen=True)
class _Inputs:
    """The numba kernels' view of a device array (numpy views of :class:`.RuleTensors`)."""

    pulses: ModuleType  # the generated kernel module of the array's rule
    w_p: np.ndarray
    w_a: np.ndarray
    b_max: np.ndarray
    b_min: np.ndarray
    cells: np.ndarray
    tables: np.ndarray
    scalars: np.ndarray
    sigma: float
    ref: np.ndarray
    has_ref: bool
    wn_sigma: float

    def model_args(self) -> tuple[Any, ...]:
        """The model arguments of the pulse kernels, in their order (``b_max`` .. ``has_ref``)."""
        return (
            self.b_max,
            self.b_min,
            self.cells,
            self.tables,
            self.scalars,
            self.sigma,
            self.ref,
            self.has_ref,
        )


#: the weight dtypes the kernels take (numba compiles one specialisation per dtype, on use)
_DTYPES = (torch.float32, torch.float64)
_NUMPY_DTYPES = {torch.float32: np.dtype(np.float32), torch.float64: np.dtype(np.float64)}
_MAX = np.maximum.reduce  # ``a.max()`` without its Python wrapper


def _usable_weight(t: Tensor) -> bool:
    return t.device.type == "cpu" and t.dtype in _DTYPES and t.is_contiguous()


def _inputs(array: Any) -> _Inputs | Declined:
    """The kernel inputs of ``array`` (kept across calls while the array holds the same
    tensors and values: :func:`~analogtrain.kernels.update.rule_inputs.cached_inputs`), or
    why the numba path cannot take it."""
    return cached_inputs(array, "numba", lambda: _build_inputs(array))


def _build_inputs(array: Any) -> _Inputs | Declined:
    t = rule_tensors(array)
    if isinstance(t, str):
        return Declined(t)
    if not (_usable_weight(t.w_p) and _usable_weight(t.w_a)):
        return Declined(
            f"{type(array).__name__}: the numba update needs float32 or float64 weights on "
            f"the CPU (got {t.w_a.dtype} on {t.w_a.device})"
        )
    try:
        pulses = generated_kernels(t.rule, t.layout, "numba")
    except (ImportError, RuntimeError, OSError) as exc:
        return Declined(f"the numba kernels of rule {t.rule.name!r} are unavailable: {exc}")

    def view(v: Tensor) -> np.ndarray:
        return np.ascontiguousarray(v.detach().numpy())

    b_max = view(t.b_max)
    return _Inputs(
        pulses=pulses,
        w_p=t.w_p.detach().numpy(),
        w_a=t.w_a.detach().numpy(),
        b_max=b_max,
        b_min=view(t.b_min),
        cells=view(t.cells),
        tables=view(t.tables),
        scalars=np.asarray(t.scalars if t.scalars else [0.0], dtype=np.float64),
        sigma=t.sigma,
        ref=b_max if t.ref is None else view(t.ref),
        has_ref=t.ref is not None,
        wn_sigma=t.wn_sigma,
    )


def _probabilities(
    v: Tensor, scale: Tensor, res: float, sto_round: bool, generator: torch.Generator
) -> np.ndarray:
    """``P = DISCRETIZE(|v| scale, res, sto_round)`` (spec 4.5.1) as float64 ``[m, n]``."""
    p = v.detach().abs().to(torch.float64) * scale.to(torch.float64).unsqueeze(1)
    if res > 0.0:
        scaled = p / res
        if sto_round:
            noise = torch.rand(
                p.shape, generator=generator, dtype=torch.float64, device=generator.device
            )
            scaled = scaled + (noise.to(p.device) - 0.5)
        p = torch.round(scaled) * res
    return np.ascontiguousarray(p.numpy())


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through a slow path
class _Trains:
    """What the train kernels take for one call: the inputs as numpy (``x_np [m, in]``,
    ``d_np [m, out]``), the signed per-sample ``rates`` (float64), the probabilities (``p_x``,
    ``p_d`` with the scales ``a``, ``b``: ``|p_x| b`` and ``|p_d| a``) and the train lengths
    ``bl [m]`` with their maximum ``max_bl > 0``."""

    x_np: np.ndarray
    d_np: np.ndarray
    rates: np.ndarray
    p_x: np.ndarray
    p_d: np.ndarray
    a: np.ndarray
    b: np.ndarray
    bl: np.ndarray
    max_bl: int

    def kernel_args(self, seed: int) -> tuple[Any, ...]:
        """The train arguments of the pulse kernels (``p_x`` .. ``seed``): ``seed >= 0``
        makes the kernel draw the trains itself, ``-1`` means they are given."""
        return (
            self.p_x,
            self.p_d,
            self.a,
            self.b,
            self.bl,
            self.max_bl,
            self.x_np,
            self.d_np,
            self.rates,
            seed,
        )


#: the given trains and directions of a kernel call that makes its own (``seed >= 0``)
_KERNEL_MAKES_TRAINS = (
    np.empty((0, 0, 1), dtype=np.uint64),
    np.empty((0, 0, 1), dtype=np.uint64),
    np.empty((0, 0), dtype=np.int8),
    np.empty((0, 0), dtype=np.int8),
)
_NO_KEY = np.uint64(0)  # the c2c and write-noise keys of such a call come from its seed


def _train_inputs(
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    kernels: ModuleType,
) -> _Trains | None:
    """The scales (``BL``, ``A``, ``B`` with the formulas of
    :func:`~analogtrain.kernels.update.pulses.update_scales`, compiled from the same
    definition) and the train probabilities of a call; None when no sample pulses (nothing
    drawn). Without a probability resolution (``res <= 0``, the default) the probabilities
    ``|x| B``, ``|d| A`` are formed inside the train kernel; with one they are discretised
    here first (spec 4.5.1), drawing from ``generator`` when ``sto_round``."""
    m = x.shape[0]
    x_np = np.ascontiguousarray((x.detach() if x.requires_grad else x).numpy())
    d_np = np.ascontiguousarray((d.detach() if d.requires_grad else d).numpy())
    scalar_lr = not isinstance(lr, Tensor)
    if scalar_lr:
        rates = np.empty(m, dtype=np.float64)
        rates.fill(float(lr))  # np.full's Python wrapper costs more than the fill
    else:
        rates = np.ascontiguousarray(lr.detach().to(torch.float64).numpy())
    bl, a, b = kernels.update_scales(
        x_np, d_np, rates, scalar_lr, float(granularity), *scale_parameters(up)
    )
    max_bl = int(_MAX(bl)) if m else 0
    if max_bl == 0:
        return None
    res = float(up.res)
    if res > 0.0:
        sto_round = bool(up.sto_round)
        p_x = _probabilities(x, torch.from_numpy(b), res, sto_round, generator)  # [m, in]
        p_d = _probabilities(d, torch.from_numpy(a), res, sto_round, generator)  # [m, out]
        a = b = np.ones(m, dtype=np.float64)  # the probabilities are given as they are
    else:
        p_x, p_d = x_np, d_np
    return _Trains(x_np, d_np, rates, p_x, p_d, a, b, bl, max_bl)


def _masks_and_signs(
    kernels: ModuleType, t: _Trains, seed: int, parallel: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pulse trains of the call's ``seed`` (streams 0 and 1) as ``(row_masks [m, out,
    words], col_masks [m, in, words], sign_d [m, out], sign_x [m, in])``: uint64 bits, and
    int8 directions with the rate's sign folded into ``sign_d``."""
    m, in_size = t.x_np.shape
    out_size = t.d_np.shape[1]
    col_key, row_key, _, _ = stream_keys(seed)
    n_words = (t.max_bl + 63) // 64
    col_masks = np.empty((m, in_size, n_words), dtype=np.uint64)
    row_masks = np.empty((m, out_size, n_words), dtype=np.uint64)
    masks = kernels.bit_masks if parallel else kernels.bit_masks_serial
    masks(t.p_x, t.p_d, t.a, t.b, t.bl, col_key, row_key, col_masks, row_masks)
    sign_d = kernels.signs(t.d_np, t.rates)
    sign_x = kernels.signs(t.x_np, np.ones(m, dtype=np.float64))
    return row_masks, col_masks, sign_d, sign_x


def _large_update(
    inputs: _Inputs,
    kernels: ModuleType,
    t: _Trains,
    seed: int,
    reads: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """A large update (at least :data:`_SERIAL_WORK` cross-points) in a few calls: the pulse
    trains in parallel, then the pulses on the kernel that fits the visits they make (parallel
    from :data:`_SERIAL_VISITS` on)."""
    m = t.x_np.shape[0]
    out_size = t.d_np.shape[1]
    _, _, c2c_key, wn_key = stream_keys(seed)
    row_masks, col_masks, sign_d, sign_x = _masks_and_signs(kernels, t, seed, parallel=True)
    visits = _visits(row_masks, col_masks, kernels) + m * out_size
    pulses = inputs.pulses
    apply = pulses.apply_pulses if visits >= _SERIAL_VISITS else pulses.apply_pulses_serial
    apply(
        inputs.w_p,
        inputs.w_a,
        row_masks,
        col_masks,
        sign_d,
        sign_x,
        *t.kernel_args(-1),  # the trains are given
        *inputs.model_args(),
        c2c_key,
        inputs.wn_sigma,
        wn_key,
        *reads,
    )


def _visits(row_masks: np.ndarray, col_masks: np.ndarray, kernels: ModuleType) -> int:
    """The pulse kernel's cross-point visits, to choose its serial or parallel variant: the
    exact count (a serial scan of the trains) where it decides anything, else a bound on the
    right side of the threshold (every cross-point of every sample, or one per row and
    sample)."""
    m, out_size, _ = row_masks.shape
    in_size = col_masks.shape[1]
    if m * out_size * in_size < _SERIAL_VISITS or m * out_size >= _SERIAL_VISITS:
        return m * out_size * in_size
    return int(kernels.pair_visits(row_masks, col_masks))


def _unusable(x: Tensor, generator: torch.Generator, up: UpdateParameters) -> Declined | None:
    if up.pulse_type not in STOCHASTIC_TYPES and up.pulse_type not in DENSE_TYPES:
        return Declined(f"the numba update generates pulse trains, not {up.pulse_type}")
    if x.device.type != "cpu":
        return Declined(f"the numba update runs on CPU tensors, not {x.device.type}")
    if not isinstance(generator, torch.Generator):
        return Declined("the numba update needs a torch.Generator")
    return None


_NO_READS = np.empty(0, dtype=np.int64)


def _run(
    array: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    reads: tuple[np.ndarray, np.ndarray, Tensor] | None,
) -> bool | Declined:
    """The numba update with the optional captured reads; declined = not done, unchanged.

    Two compiled calls for a small update (below :data:`_SERIAL_WORK` cross-points): the
    scales (:func:`_train_inputs`), then, after the call's seed is drawn from ``generator``,
    the generated module's ``pulse_update`` (``apply_pulses_serial`` given that seed: trains,
    directions and pulses, on the calling thread). No seed is drawn when no sample pulses.
    """
    unusable = _unusable(x, generator, up)
    if unusable is not None:
        return unusable
    inputs = _inputs(array)
    if isinstance(inputs, Declined):
        return inputs
    if reads is not None and _NUMPY_DTYPES.get(reads[2].dtype) != inputs.w_p.dtype:
        return Declined(
            f"the numba update captures reads in the weights' dtype, not {reads[2].dtype}"
        )
    kernels = _kernels()
    if kernels is None:
        return Declined("numba cannot be imported")
    if up.pulse_type in DENSE_TYPES:  # deterministic counts: .dense_update
        return dense_pulsed_update(inputs, x, d, lr, granularity, up, generator, reads)
    m, in_size = x.shape
    out_size = d.shape[1]
    t = _train_inputs(x, d, lr, granularity, up, generator, kernels)
    if t is None:  # no sample pulses: nothing drawn, nothing changed
        if reads is not None:
            cols = torch.from_numpy(reads[1])
            reads[2].copy_(array.weight.detach()[:, cols].T)
        return True
    seed = draw_seed(generator)
    if reads is None:
        after = cols = _NO_READS
        out = np.empty((0, out_size), dtype=inputs.w_p.dtype)
    else:
        after = np.asarray(reads[0], dtype=np.int64)
        cols = np.asarray(reads[1], dtype=np.int64)
        out = np.empty((len(after), out_size), dtype=inputs.w_p.dtype)
    if m * in_size * out_size < _SERIAL_WORK:  # the kernel makes the trains of ``seed``
        inputs.pulses.pulse_update(
            inputs.w_p,
            inputs.w_a,
            *_KERNEL_MAKES_TRAINS,
            *t.kernel_args(seed),
            *inputs.model_args(),
            _NO_KEY,
            inputs.wn_sigma,
            _NO_KEY,
            after,
            cols,
            out,
        )
    else:
        _large_update(inputs, kernels, t, seed, (after, cols, out))
    if reads is not None:
        reads[2].copy_(torch.from_numpy(out))
    return True


def fast_pulsed_update(
    array: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
) -> bool | Declined:
    """The numba pulsed update of ``array`` (see the module docstring); falsy = not done.

    Called by :func:`analogtrain.kernels.update.pulsed.pulsed_update` after it validated the inputs
    (``x [m, in]``, ``d [m, out]`` on the weights' device and dtype, finite, ``lr != 0``;
    ``lr`` may be a per-sample tensor ``[m]``).
    """
    return _run(array, x, d, lr, granularity, up, generator, None)


def fast_pulsed_update_capture(
    array: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    read_after: np.ndarray,
    read_columns: np.ndarray,
    captured: Tensor,
) -> bool | Declined:
    """:func:`fast_pulsed_update` that also fills ``captured [R, out]`` with the apparent
    weight column ``read_columns[r]`` right after sample ``read_after[r]`` (int64 arrays,
    ``read_after`` non-decreasing).

    The fast path of :func:`analogtrain.kernels.update.pulsed.pulsed_update_capture` (same
    arguments, already validated); falsy = not done, nothing changed. Every row walks its
    samples in order and records its weight at the read points; the write noise of a pulsed
    cross-point is keyed by its last pulsed sample, so a read sees the same noisy value the
    array keeps if no later pulse hits that cross-point.
    """
    reads = (read_after, read_columns, captured)
    return _run(array, x, d, lr, granularity, up, generator, reads)


#: the fast update accepts per-sample rates and has a capturing variant (see
#: :func:`analogtrain.kernels.update.pulsed.pulsed_update_capture`)
fast_pulsed_update.capture = fast_pulsed_update_capture  # type: ignore[attr-defined]


def fast_apply_pulse_counts(
    array: Any, counts: Tensor, down: Tensor, generator: torch.Generator
) -> bool | Declined:
    """``array.apply_pulse_counts(counts, down, generator)`` with the numba kernel.

    For compounds that route one sample's coincidences (``counts [out, in] >= 0``, ``down``
    True = decrease) to several arrays themselves, e.g.::

        if not fast_apply_pulse_counts(array, counts, down, generator):
            array.apply_pulse_counts(counts, down, generator)

    Same rules as the reference (pulses one after the other with c2c noise and clip, then the
    write-noise redraw of the pulsed cross-points), equal in distribution. Returns ``False``
    with nothing changed when the backend is ``"reference"`` or the inputs are not what the
    reference accepts (it then raises the proper error), and a falsy
    :class:`~analogtrain.kernels.update.backend.Declined` when the fast path cannot take the array
    (numba missing, a class without its own rule: see :func:`fast_pulsed_update`); under the
    backend ``"fast"`` that raises, under ``"auto"`` it warns once per reason
    (:func:`~analogtrain.kernels.update.backend.report_decline`).
    """
    if get_backend() == "reference" or not isinstance(generator, torch.Generator):
        return False
    if not (isinstance(counts, Tensor) and isinstance(down, Tensor)):
        return False
    shape = (array.out_size, array.in_size)
    if tuple(counts.shape) != shape or tuple(down.shape) != shape:
        return False
    if counts.device.type != "cpu" or down.device.type != "cpu":
        return False
    if counts.is_floating_point() or counts.is_complex():
        return False
    inputs = _inputs(array)
    if isinstance(inputs, Declined):
        return report_decline(inputs, "fast_apply_pulse_counts")
    counts64 = counts.detach().to(torch.int64)
    if counts64.numel() and int(counts64.min()) < 0:
        return False
    if counts64.numel() == 0 or int(counts64.max()) == 0:
        return True  # as the reference: nothing to do, nothing drawn
    _, _, c2c_key, wn_key = stream_keys(draw_seed(generator))
    work = counts64.numel() + 4 * int(counts64.sum())
    pulses = inputs.pulses
    apply = pulses.apply_counts if work >= _SERIAL_WORK else pulses.apply_counts_serial
    apply(
        inputs.w_p,
        inputs.w_a,
        np.ascontiguousarray(counts64.numpy()),
        np.ascontiguousarray(down.detach().to(torch.bool).numpy()),
        *inputs.model_args(),
        c2c_key,
        inputs.wn_sigma,
        wn_key,
    )
    return True


def register_fast_cpu_updates() -> tuple[type, ...]:
    """Register :func:`fast_pulsed_update` for the pulsed device arrays on ``"cpu"``.

    Returns the registered classes (none when numba is not installed).
    """
    if not numba_available():
        return ()
    register_fast_update(PulsedDeviceArray, fast_pulsed_update, device_type="cpu", subclasses=True)
    return (PulsedDeviceArray,)


register_fast_cpu_updates()
