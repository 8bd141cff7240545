"""Pulse trains of a pulsed (rank-one) update: how many coincidences each cross-point receives.

A pulsed update realises the SGD step ``W <- W - lr * d x^T`` on a crossbar without computing
the outer product digitally (Gokmen & Vlasov, Front. Neurosci. 10:333, 2016). For one sample,
every column ``j`` (input ``x_j``) and every row ``i`` (error ``d_i``) fires a train of ``BL``
time slots; in each slot column ``j`` fires with probability ``p^x_j = |x_j| B`` and row ``i``
with probability ``p^d_i = |d_i| A``. Where a row pulse and a column pulse coincide, the device
at ``(i, j)`` receives one pulse of its minimal step ``g`` (the weight granularity), downwards
when ``sign(d_i) sign(x_j) > 0``. The coincidence count is ``Binomial(BL, p^x_j p^d_i)`` with
mean ``BL A B |x_j||d_i|``; choosing ``BL A B = lr / g`` makes the expected weight change the
SGD step (spec single-tile 4.3-4.5).

Update management (UM) balances ``A`` and ``B`` per sample so that neither side's probability
exceeds one needlessly; bit-length management (UBLM) shortens the train to the number of
pulses the largest ``|x| |d|`` pair needs (spec 4.4).

This module is pure: it returns counts and directions and never touches a device. Applying
the pulses (in sample order) is :mod:`analogtrain.kernels.update.pulsed`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from analogtrain.configs.enums import PulseType
from analogtrain.errors import ArgumentError, NotSimulatedError
from analogtrain.kernels.update.scales import sample_scales, scale_parameters

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters

__all__ = [
    "STOCHASTIC_TYPES",
    "DENSE_TYPES",
    "update_scales",
    "sample_coincidences",
    "sample_coincidences_batch",
    "coincidence_directions",
    "dense_factors",
]

#: Pulse types that draw independent Bernoulli bit trains (spec 4.5.2, 4.5.3).
STOCHASTIC_TYPES = frozenset({PulseType.STOCHASTIC_COMPRESSED, PulseType.STOCHASTIC})
#: Pulse types whose counts are computed from mean values (spec 4.5.4, 4.5.5).
DENSE_TYPES = frozenset({PulseType.MEAN_COUNT, PulseType.DETERMINISTIC_IMPLICIT})


def _scale_dtype(device: torch.device) -> torch.dtype:
    """float64 for the per-sample scales where the backend has it (MPS has no float64)."""
    return torch.float32 if device.type == "mps" else torch.float64


def _check_pair(x: Tensor, d: Tensor) -> None:
    if x.dim() != 2 or d.dim() != 2:
        raise ArgumentError(
            f"x and d must be [m, in] and [m, out]; got shapes {tuple(x.shape)} and "
            f"{tuple(d.shape)}"
        )
    if x.shape[0] != d.shape[0]:
        raise ArgumentError(
            f"x and d must have the same number of samples; got {x.shape[0]} and {d.shape[0]}"
        )


def update_scales(
    x: Tensor, d: Tensor, lr: float | Tensor, granularity: float, up: UpdateParameters
) -> tuple[Tensor, Tensor, Tensor]:
    """Pulse-train length ``BL`` and probability scales ``A`` (d side), ``B`` (x side) per sample.

    Base values (spec 4.3, ``g`` = granularity, ``lr`` taken by magnitude)::

        fixed_bl or update_bl_management:  BL = desired_bl,  A = B = sqrt(lr / (g BL))
        otherwise, if g desired_bl < lr:   BL = ceil(lr / g), A = B = 1
        otherwise:                         BL = desired_bl,  A = B = sqrt(lr / (g BL))

    With update management or BL management (spec 4.4), per sample, with
    ``xm = max |x|``, ``dm = um_grad_scale max |d|`` and ``k = lr xm dm / g``::

        update_bl_management:  BL = min(ceil(k), desired_bl),  A = B = sqrt(lr / (g BL))
        if k > desired_bl:     dm <- dm desired_bl / k
        A <- A sqrt(xm / dm),  B <- B sqrt(dm / xm)

    Samples with ``xm == 0`` or ``dm == 0`` (and every sample when ``lr == 0``) get ``BL = 0``:
    they produce no pulse. The formulas of one sample are
    :func:`analogtrain.kernels.update.scales.sample_scales`, the one definition that the
    compiled CPU path runs too.

    Args:
        x: inputs ``[m, in]``.
        d: errors ``[m, out]``.
        lr: learning rate (its sign only sets the pulse direction, see
            :func:`analogtrain.kernels.update.pulsed.iter_coincidences`), or one rate per sample
            (a tensor ``[m]``, e.g. the per-vector rates of the chopped compounds); every
            formula above then uses the sample's own ``lr``.
        granularity: the device weight granularity ``g > 0`` (spec 2.4).
        up: the update parameters.

    Returns:
        ``(bl, a, b)``: ``bl`` ``[m]`` long, ``a`` and ``b`` ``[m]`` (float64 where available).
    """
    _check_pair(x, d)
    if not (math.isfinite(granularity) and granularity > 0):
        raise ArgumentError(f"granularity must be a positive finite number; got {granularity!r}")
    m = x.shape[0]
    dtype = _scale_dtype(x.device)
    per_sample = isinstance(lr, Tensor)
    if per_sample:
        lr = _per_sample_lr(lr, m, x.device, dtype)
    elif not math.isfinite(lr):
        raise ArgumentError(f"lr must be finite; got {lr!r}")
    else:
        lr = abs(float(lr))
    zeros = torch.zeros(m, dtype=dtype, device=x.device)
    if m == 0 or (not per_sample and lr == 0.0):
        return torch.zeros(m, dtype=torch.long, device=x.device), zeros, zeros.clone()

    x_max = x.detach().abs().amax(dim=1).to(dtype)  # [m]
    d_max = d.detach().abs().amax(dim=1).to(dtype)  # [m]
    for name, v_max in (("x", x_max), ("d", d_max)):
        if not bool(torch.isfinite(v_max).all()):
            raise ArgumentError(f"update tensor {name} contains NaN or infinite values")
    # one rate stays a number: its base scale is then computed as today, in Python floats
    g = float(granularity)
    bl, a, b = sample_scales(lr, x_max, d_max, g, *scale_parameters(up), not per_sample)
    return bl.to(torch.long), a, b


def _per_sample_lr(lr: Tensor, m: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """``|lr|`` of a per-sample rate tensor ``[m]`` in the scale dtype (checked finite)."""
    if lr.dim() != 1 or lr.shape[0] != m:
        raise ArgumentError(f"a per-sample lr must have shape [{m}]; got {tuple(lr.shape)}")
    lr = lr.detach().to(device=device, dtype=dtype)
    if not bool(torch.isfinite(lr).all()):
        raise ArgumentError("lr contains NaN or infinite values")
    return lr.abs()


def _discretize(v: Tensor, step: float, sto_round: bool, generator: torch.Generator) -> Tensor:
    """``DISCRETIZE(v, step, sto)`` of spec 3.3.3: a zero-centred grid of width ``step``.

    ``step <= 0`` leaves ``v`` unchanged; stochastic rounding adds ``U - 0.5`` before rounding
    to nearest. Update resolutions are bin widths: ``step > 1`` is taken literally and rounds
    ordinary probabilities to 0 (the aihwkit behaviour, spec 4.1 [quirk]).
    """
    if step <= 0:
        return v
    scaled = v / step
    if sto_round:
        noise = torch.rand(v.shape, generator=generator, device=v.device, dtype=v.dtype)
        scaled = scaled + (noise - 0.5)
    return torch.round(scaled) * step


def coincidence_directions(x: Tensor, d: Tensor) -> Tensor:
    """``down[..., i, j] = sign(d_i) sign(x_j) > 0`` (spec 2.5), for a positive learning rate.

    ``x`` is ``[..., in]`` and ``d`` ``[..., out]``; returns a bool tensor ``[..., out, in]``.
    """
    return (torch.sign(d).unsqueeze(-1) * torch.sign(x).unsqueeze(-2)) > 0


def _stochastic_counts(p_x: Tensor, p_d: Tensor, bl: Tensor, generator: torch.Generator) -> Tensor:
    """Coincidences of independent Bernoulli trains (spec 4.5.2), batched over samples.

    ``p_x [m, in]``, ``p_d [m, out]`` (probabilities, may exceed 1), ``bl [m]``. Slot ``k``
    of sample ``s`` exists for ``k < bl[s]``. Only the rows/columns that can fire at all get
    random bits, so sparse inputs (one-hot transfer reads, ReLU activations) stay cheap.
    Returns int32 counts ``[m, out, in]`` = ``bits_d [m, out, BL] @ bits_x [m, BL, in]``.
    """
    m, n_in = p_x.shape
    n_out = p_d.shape[1]
    cols = torch.nonzero((p_x > 0).any(dim=0)).squeeze(1)
    rows = torch.nonzero((p_d > 0).any(dim=0)).squeeze(1)
    max_bl = int(bl.max()) if m else 0
    if cols.numel() == 0 or rows.numel() == 0 or max_bl == 0:
        return torch.zeros((m, n_out, n_in), dtype=torch.int32, device=p_x.device)
    full = cols.numel() == n_in and rows.numel() == n_out
    px = (p_x if full else p_x[:, cols]).to(torch.float32)  # [m, in']
    pd = (p_d if full else p_d[:, rows]).to(torch.float32)  # [m, out']
    slot_ok = torch.arange(max_bl, device=p_x.device).unsqueeze(0) < bl.unsqueeze(1)  # [m, BL]
    u_x = torch.rand((m, max_bl, px.shape[1]), generator=generator, device=px.device)
    u_d = torch.rand((m, pd.shape[1], max_bl), generator=generator, device=pd.device)
    # A slot fires when P > U (so P >= 1 fires in every slot, P == 0 never).
    bits_x = ((u_x < px.unsqueeze(1)) & slot_ok.unsqueeze(2)).to(torch.float32)  # [m, BL, in']
    bits_d = (u_d < pd.unsqueeze(2)).to(torch.float32)  # [m, out', BL]
    hits = torch.bmm(bits_d, bits_x).round_().to(torch.int32)  # exact: counts <= BL << 2^24
    if full:
        return hits
    counts = torch.zeros((m, n_out, n_in), dtype=torch.int32, device=p_x.device)
    counts[:, rows.unsqueeze(1), cols.unsqueeze(0)] = hits
    return counts


def dense_factors(
    x: Tensor,
    d: Tensor,
    bl: Tensor,
    a: Tensor,
    b: Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    """The two factors of the deterministic coincidence counts: ``|c[s, i, j]| = rint(u_d[s, i]
    u_x[s, j])`` with ``u_x [m, in]`` and ``u_d [m, out]`` (>= 0, scale dtype).

    ``MEAN_COUNT`` (spec 4.5.4): ``n^x = clip(rint(BL p^x), 0, BL)``, likewise ``n^d``, and
    ``c = rint((n^d / BL) n^x)``, so ``u_d = n^d / BL`` and ``u_x = n^x``.
    ``DETERMINISTIC_IMPLICIT`` (4.5.5): ``q = clip(DISCRETIZE(|v| scale), 0, 1)`` and
    ``c = rint((BL q^d) q^x)``, so ``u_d = BL q^d`` and ``u_x = q^x``. The sign of a count is
    ``sign(d_i) sign(x_j)``. Both the torch path (:func:`sample_coincidences_batch`) and the
    compiled CPU path form the counts from these factors, so they agree exactly.

    Args:
        x, d: inputs ``[m, in]`` and errors ``[m, out]``.
        bl, a, b: the per-sample values of :func:`update_scales`, shaped ``[m]``, ``[m, 1]``,
            ``[m, 1]`` (``a``, ``b`` in the scale dtype).
        up: the update parameters (``pulse_type``, ``res``, ``sto_round``,
            ``x_res_implicit``, ``d_res_implicit``).
        generator: source of stochastic rounding (``sto_round``), x side first.
    """
    abs_x = x.detach().abs().to(a.dtype) * b  # [m, in]
    abs_d = d.detach().abs().to(a.dtype) * a  # [m, out]
    sto_round = bool(up.sto_round)
    if up.pulse_type == PulseType.MEAN_COUNT:
        p_x = _discretize(abs_x, float(up.res), sto_round, generator)
        p_d = _discretize(abs_d, float(up.res), sto_round, generator)
        blf = bl.clamp(min=1).to(p_x.dtype).unsqueeze(1)  # [m, 1]; BL = 0 is masked later
        n_x = torch.minimum(torch.round(blf * p_x), blf).clamp(min=0)
        n_d = torch.minimum(torch.round(blf * p_d), blf).clamp(min=0)
        return n_x, n_d / blf
    if up.pulse_type == PulseType.DETERMINISTIC_IMPLICIT:
        q_x = _discretize(abs_x, float(up.x_res_implicit), sto_round, generator)
        q_d = _discretize(abs_d, float(up.d_res_implicit), sto_round, generator)
        blf = bl.to(q_x.dtype).unsqueeze(1)  # [m, 1]
        return q_x.clamp(0.0, 1.0), blf * q_d.clamp(0.0, 1.0)
    raise NotSimulatedError(f"pulse_type {up.pulse_type} has no deterministic counts")


def sample_coincidences_batch(
    x: Tensor,
    d: Tensor,
    bl: Tensor,
    a: Tensor,
    b: Tensor,
    up: UpdateParameters,
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    """Coincidence counts and directions of ``m`` samples at once (spec 4.5).

    The samples are independent draws; applying them to a device must still happen sample by
    sample, in order (spec 4.2). ``bl``, ``a``, ``b`` are the per-sample values of
    :func:`update_scales`.

    Args:
        x: inputs ``[m, in]``.
        d: errors ``[m, out]``.
        bl: pulse-train lengths ``[m]``.
        a: d-side scales ``[m]``.
        b: x-side scales ``[m]``.
        up: the update parameters (``pulse_type``, ``res``, ``sto_round``,
            ``x_res_implicit``, ``d_res_implicit``).
        generator: source of the bit trains and of stochastic rounding.

    Returns:
        ``(counts, down)``: int32 ``[m, out, in]`` with ``counts >= 0``, and bool
        ``[m, out, in]`` (True = depress), as for a positive learning rate.
    """
    _check_pair(x, d)
    m = x.shape[0]
    pulse_type = up.pulse_type
    dtype = _scale_dtype(x.device)
    bl = bl.to(device=x.device, dtype=torch.long).reshape(m)
    a = a.to(device=x.device, dtype=dtype).reshape(m, 1)
    b = b.to(device=x.device, dtype=dtype).reshape(m, 1)
    down = coincidence_directions(x.detach(), d.detach())

    if pulse_type in STOCHASTIC_TYPES:
        abs_x = x.detach().abs().to(dtype) * b  # [m, in]
        abs_d = d.detach().abs().to(dtype) * a  # [m, out]
        p_x = _discretize(abs_x, float(up.res), bool(up.sto_round), generator)
        p_d = _discretize(abs_d, float(up.res), bool(up.sto_round), generator)
        counts = _stochastic_counts(p_x, p_d, bl, generator)
    elif pulse_type in DENSE_TYPES:
        u_x, u_d = dense_factors(x, d, bl, a, b, up, generator)
        counts = torch.round(u_d.unsqueeze(2) * u_x.unsqueeze(1)).to(torch.int32)
    else:
        raise NotSimulatedError(
            f"pulse_type {pulse_type} does not generate pulse trains; "
            "NONE and NONE_WITH_DEVICE are exact updates"
        )
    # Samples without a pulse train (BL = 0) never pulse, whatever the type.
    counts = counts * (bl > 0).to(torch.int32).view(m, 1, 1)
    return counts, down


def sample_coincidences(
    x: Tensor,
    d: Tensor,
    bl: int,
    a: float,
    b: float,
    up: UpdateParameters,
    generator: torch.Generator,
) -> tuple[Tensor, Tensor]:
    """Coincidence counts and directions of ONE sample (``x [in]``, ``d [out]``), spec 4.5.

    ``STOCHASTIC_COMPRESSED``/``STOCHASTIC``: counts ~ ``Binomial(BL, P^x_j P^d_i)`` with
    ``P`` the (optionally discretised, 4.5.1) probabilities. ``MEAN_COUNT`` and
    ``DETERMINISTIC_IMPLICIT``: the rounded deterministic counts of 4.5.4 / 4.5.5.

    Returns:
        ``(counts, down)``: int32 ``[out, in]`` (``>= 0``) and bool ``[out, in]``,
        ``down = sign(d_i) sign(x_j) > 0`` (for a positive learning rate).
    """
    if x.dim() != 1 or d.dim() != 1:
        raise ArgumentError(
            f"sample_coincidences takes one sample, x [in] and d [out]; got shapes "
            f"{tuple(x.shape)} and {tuple(d.shape)}"
        )
    dtype = _scale_dtype(x.device)
    counts, down = sample_coincidences_batch(
        x.unsqueeze(0),
        d.unsqueeze(0),
        torch.tensor([int(bl)], dtype=torch.long, device=x.device),
        torch.tensor([float(a)], dtype=dtype, device=x.device),
        torch.tensor([float(b)], dtype=dtype, device=x.device),
        up,
        generator,
    )
    return counts[0], down[0]
