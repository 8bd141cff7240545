"""Fast CUDA pulsed update with Triton (used automatically for arrays on a CUDA device).

Importing this module registers :func:`fast_cuda_pulsed_update` for the pulsed device arrays
(every model with its own update rule, :mod:`.rule_inputs`) on ``"cuda"`` tensors, provided
Triton is installed (CUDA builds of PyTorch ship it); the kernels of a rule are generated
from its one definition (:mod:`..rule_codegen`, template :mod:`.pulse_template`)
and compiled on its first CUDA update only.
``analogtrain.kernels.use_reference()`` forces the plain torch path, as on the CPU.

The process is the reference's (:func:`analogtrain.kernels.update.pulsed.pulsed_update`): per
sample, in batch order, stochastic pulse trains of ``BL`` slots on rows and columns (spec
single-tile 4.3-4.5); at each cross-point the coincidences are applied one pulse at a time
through the model's update-once rule, with a fresh cycle-to-cycle normal and the clip after
every pulse (2.5, 4.6), then the write-noise redraw (2.7). The GPU splits the work this way:

1. torch draws the trains of a chunk of samples with the tile's generator and turns them into
   signed coincidence counts with one batched matrix product of the ``±1/0`` trains
   (``counts[s] = (bits_d · sign_d) @ (bits_x · sign_x)``; exact, the counts are small
   integers);
2. ``pulse_segment`` walks every cross-point through its samples,
   keeping the weight in a register;
3. ``redraw_apparent`` redraws the apparent weight of the pulsed
   cross-points.

Results equal the reference in distribution (not bit for bit: the device noise comes from a
counter-based Philox stream keyed by one seed per call drawn from the tile's generator, so
the generator stays the single source of reproducibility).

Declines (returns a falsy :class:`~analogtrain.kernels.update.backend.Declined` naming the reason,
nothing changed) for pulse types other than ``STOCHASTIC_COMPRESSED`` / ``STOCHASTIC``,
arrays that are not float32 and contiguous, classes without their own rule, and when Triton
cannot be imported.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.kernels.update.backend import Declined, register_fast_update
from analogtrain.kernels.update.cuda.triton_interpreter import (
    interpreting,
    patch_interpreter_scalars,
)
from analogtrain.kernels.update.pulses import STOCHASTIC_TYPES, _discretize, update_scales
from analogtrain.kernels.update.rule_codegen import generated_kernels
from analogtrain.kernels.update.rule_inputs import rule_tensors

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters

__all__ = [
    "fast_cuda_pulsed_update",
    "fast_cuda_pulsed_update_capture",
    "register_fast_cuda_updates",
    "triton_available",
]

#: cross-points per Triton program
_BLOCK = 256
#: upper bound on the elements of one chunk of signed counts ``[S, out, in]``
_CHUNK_ELEMENTS = 1 << 27


def triton_available() -> bool:
    """Whether Triton is installed (checked without importing it)."""
    return importlib.util.find_spec("triton") is not None


def _kernels(array: Any) -> tuple[ModuleType, Any] | Declined:
    """The generated Triton module of ``array``'s rule and its :class:`.RuleTensors`."""
    t = rule_tensors(array)
    if isinstance(t, str):
        return Declined(t)
    try:
        if interpreting():
            patch_interpreter_scalars()
        return generated_kernels(t.rule, t.layout, "triton"), t
    except (ImportError, RuntimeError, OSError) as exc:  # pragma: no cover - the install
        return Declined(f"the Triton kernels of rule {t.rule.name!r} are unavailable: {exc}")


@dataclass(frozen=True)
class _Model:
    """The kernel's view of a device array: flat float32 tensors and the noise scales."""

    w_p: Tensor
    w_a: Tensor
    hi: Tensor
    lo: Tensor
    cells: Tensor  # [k, out * in]
    tables: Tensor  # [n_tables, length]
    scalars: Tensor  # float32 [max(n_scalars, 1)]
    ref: Tensor | None
    sigma: float
    wn_sigma: float  # 0: the array has no separate apparent weight


def _flat(t: Tensor) -> Tensor | None:
    t = t.detach()
    if t.dtype != torch.float32:
        return None
    return t.contiguous().view(-1)


def _model(t: Any) -> _Model | Declined:
    """The kernel inputs of the :class:`.RuleTensors` ``t``, or why there are none."""
    for w in (t.w_p, t.w_a):
        if w.dtype != torch.float32 or not w.is_contiguous():
            return Declined(f"the Triton update needs contiguous float32 weights (got {w.dtype})")
    hi, lo = _flat(t.b_max), _flat(t.b_min)
    ref = None if t.ref is None else _flat(t.ref)
    if hi is None or lo is None or (t.ref is not None and ref is None):
        return Declined("the Triton update needs float32 device parameters")
    device = t.w_p.device
    cells = t.cells.detach().to(torch.float32).contiguous().view(t.cells.shape[0], -1)
    scalars = torch.tensor(t.scalars or [0.0], dtype=torch.float32, device=device)
    return _Model(
        w_p=t.w_p,
        w_a=t.w_a,
        hi=hi,
        lo=lo,
        cells=cells,
        tables=t.tables.detach().to(torch.float32).contiguous(),
        scalars=scalars,
        ref=ref,
        sigma=t.sigma,
        wn_sigma=t.wn_sigma,
    )


def _seeds(generator: torch.Generator) -> tuple[int, int]:
    """The Philox keys of one call (cycle-to-cycle and write noise), from the tile's generator."""
    keys = torch.randint(
        0, 2**62, (2,), generator=generator, dtype=torch.int64, device=generator.device
    ).tolist()
    return int(keys[0]), int(keys[1])


class _Trains:
    """Signed coincidence counts of a batch, produced a chunk of samples at a time."""

    def __init__(
        self,
        x: Tensor,
        d: Tensor,
        lr: float | Tensor,
        granularity: float,
        up: UpdateParameters,
        generator: torch.Generator,
    ) -> None:
        bl, a, b = update_scales(x, d, lr, granularity, up)
        self.m = x.shape[0]
        self.bl = bl
        self.max_bl = int(bl.max()) if bl.numel() else 0
        self.generator = generator
        res, sto = float(up.res), bool(up.sto_round)
        scale_dtype = a.dtype
        self.p_x = _discretize(x.abs().to(scale_dtype) * b.unsqueeze(1), res, sto, generator)
        self.p_d = _discretize(d.abs().to(scale_dtype) * a.unsqueeze(1), res, sto, generator)
        self.p_x = self.p_x.to(torch.float32)
        self.p_d = self.p_d.to(torch.float32)
        sign_d = torch.sign(d)
        if not isinstance(lr, Tensor) and lr < 0:  # per-sample rates arrive non-negative
            sign_d = -sign_d
        self.sign_x = torch.sign(x).to(torch.float32)
        self.sign_d = sign_d.to(torch.float32)
        exact_half = x.device.type == "cuda" and self.max_bl <= 2048
        self.count_dtype = torch.float16 if exact_half else torch.float32
        out_size, in_size = d.shape[1], x.shape[1]
        self.chunk = max(1, min(self.m, _CHUNK_ELEMENTS // max(1, out_size * in_size)))

    def counts(self, start: int, stop: int) -> Tensor:
        """Signed counts ``[stop - start, out * in]`` of samples ``start .. stop - 1``."""
        bl = self.bl[start:stop]
        n = stop - start
        device = self.p_x.device
        slot_ok = torch.arange(self.max_bl, device=device).unsqueeze(0) < bl.unsqueeze(1)
        in_size, out_size = self.p_x.shape[1], self.p_d.shape[1]
        g = self.generator
        u_x = torch.rand((n, self.max_bl, in_size), generator=g, device=device)
        u_d = torch.rand((n, out_size, self.max_bl), generator=g, device=device)
        px, pd = self.p_x[start:stop], self.p_d[start:stop]
        bits_x = ((u_x < px.unsqueeze(1)) & slot_ok.unsqueeze(2)).to(self.count_dtype)
        bits_x = bits_x * self.sign_x[start:stop].unsqueeze(1).to(self.count_dtype)
        bits_d = (u_d < pd.unsqueeze(2)).to(self.count_dtype)
        bits_d = bits_d * self.sign_d[start:stop].unsqueeze(2).to(self.count_dtype)
        return torch.bmm(bits_d, bits_x).view(n, out_size * in_size)


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _launch(
    kernels: ModuleType,
    model: _Model,
    counts: Tensor,
    last: Tensor,
    sample_base: int,
    seeds: tuple[int, int],
    reads: tuple[Tensor, Tensor, Tensor] | None,
) -> None:
    """One ``pulse_segment`` launch over a chunk of samples."""
    out_size, in_size = model.w_p.shape
    n = out_size * in_size
    ref = model.ref if model.ref is not None else model.hi
    read_start, read_cols, captured = reads if reads is not None else (last, last, model.w_p)
    kernels.pulse_segment[(_cdiv(n, _BLOCK),)](
        model.w_p, ref, model.hi, model.lo, model.cells, model.tables, model.tables.shape[1],
        model.scalars, counts, last, n, counts.shape[0], sample_base, seeds[0],
        model.w_a, read_start, read_cols, captured, in_size, out_size, seeds[1], model.wn_sigma,
        HAS_REF=model.ref is not None, NOISE=model.sigma > 0.0,
        READS=reads is not None, WRITE_NOISE=_separate(model), BLOCK=_BLOCK,
    )  # fmt: skip


def _separate(model: _Model) -> bool:
    """Whether the array keeps an apparent weight apart from the persistent one."""
    return model.w_a.data_ptr() != model.w_p.data_ptr()


def _run_launches(
    array: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    reads: tuple[np.ndarray, np.ndarray, Tensor] | None,
    *,
    allow_cpu: bool = False,
) -> bool | Declined:
    if up.pulse_type not in STOCHASTIC_TYPES:
        return Declined(f"the Triton update draws stochastic pulse trains, not {up.pulse_type}")
    if not isinstance(generator, torch.Generator):
        return Declined("the Triton update needs a torch.Generator")
    if x.device.type != "cuda" and not allow_cpu:
        return Declined(f"the Triton update runs on CUDA tensors, not {x.device.type}")
    found = _kernels(array)
    if isinstance(found, Declined):
        return found
    kernels, tensors = found
    model = _model(tensors)
    if isinstance(model, Declined):
        return model
    if reads is not None and reads[2].dtype != torch.float32:
        return Declined(f"the Triton update captures float32 reads, not {reads[2].dtype}")
    trains = _Trains(x, d, lr, granularity, up, generator)
    out_size, in_size = model.w_p.shape
    n = out_size * in_size
    if trains.max_bl == 0:
        if reads is not None:
            after, cols, captured = reads
            index = torch.tensor(cols, dtype=torch.long, device=x.device)
            captured.copy_(model.w_a[:, index].T)
        return True
    seeds = _seeds(generator)
    last = torch.full((n,), -1, dtype=torch.int32, device=x.device)
    after = torch.tensor(reads[0] if reads else [], dtype=torch.long, device=x.device)
    cols = torch.tensor(reads[1] if reads else [], dtype=torch.int32, device=x.device)
    for start in range(0, trains.m, trains.chunk):
        stop = min(trains.m, start + trains.chunk)
        chunk_reads = None
        if reads is not None:
            # reads taken after local sample k: read_start[k] .. read_start[k + 1] - 1
            bounds = torch.arange(start, stop + 1, device=x.device)
            read_start = torch.searchsorted(after, bounds, right=False).to(torch.int32)
            chunk_reads = (read_start, cols, reads[2])
        _launch(kernels, model, trains.counts(start, stop), last, start, seeds, chunk_reads)
    if _separate(model):
        kernels.redraw_apparent[(_cdiv(n, _BLOCK),)](
            model.w_p, model.w_a, last, n, seeds[1], model.wn_sigma, BLOCK=_BLOCK
        )
    return True


def _run(
    array: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
    reads: tuple[np.ndarray, np.ndarray, Tensor] | None,
    *,
    allow_cpu: bool = False,
) -> bool | Declined:
    """The Triton update (see :func:`fast_cuda_pulsed_update`). In Triton's interpreter,
    numpy's floating-point warnings are silenced for the call: on a GPU an overflow in a
    discarded lane (or a ``where`` branch not taken) is an ordinary IEEE inf, not a warning."""
    args = (array, x, d, lr, granularity, up, generator, reads)
    if not interpreting():
        return _run_launches(*args, allow_cpu=allow_cpu)
    import numpy as np

    with np.errstate(all="ignore"):
        return _run_launches(*args, allow_cpu=allow_cpu)


def fast_cuda_pulsed_update(
    array: Any,
    x: Tensor,
    d: Tensor,
    lr: float | Tensor,
    granularity: float,
    up: UpdateParameters,
    generator: torch.Generator,
) -> bool | Declined:
    """The Triton pulsed update of ``array`` (module docstring); falsy = not done.

    Called by :func:`analogtrain.kernels.update.pulsed.pulsed_update` with validated inputs
    (``x [m, in]``, ``d [m, out]`` on the weights' device and dtype, ``lr`` a float or a
    non-negative per-sample tensor ``[m]``).
    """
    return _run(array, x, d, lr, granularity, up, generator, None)


def fast_cuda_pulsed_update_capture(
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
    """:func:`fast_cuda_pulsed_update` that also fills ``captured [R, out]`` with the apparent
    weight column ``read_columns[r]`` right after sample ``read_after[r]`` (non-decreasing):
    the batch is applied in segments that end at the read points."""
    return _run(array, x, d, lr, granularity, up, generator, (read_after, read_columns, captured))


fast_cuda_pulsed_update.capture = fast_cuda_pulsed_update_capture  # type: ignore[attr-defined]


def register_fast_cuda_updates() -> tuple[type, ...]:
    """Register :func:`fast_cuda_pulsed_update` for the pulsed device arrays on ``"cuda"``.

    Returns the registered classes (none when Triton is not installed).
    """
    if not triton_available():
        return ()
    register_fast_update(
        PulsedDeviceArray, fast_cuda_pulsed_update, device_type="cuda", subclasses=True
    )
    return (PulsedDeviceArray,)


register_fast_cuda_updates()
