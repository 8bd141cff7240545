"""The pulse-train length and probability scales of one sample, written once.

:func:`sample_scales` is the single definition of spec single-tile 4.3 (the base ``BL`` and
``A = B``) and 4.4 (update management and bit-length management) for one sample. It is
written with the operations of the rule language (:mod:`analogtrain.devices.rule`: ``where``
selects, ``minimum``/``maximum``, ``sqrt``, ``floor``) for every per-sample quantity, and with
plain ``if`` only on the update parameters (the same for every sample), so the same function
runs

* in torch, elementwise over the samples of a batch (every argument that varies per sample a
  tensor ``[m]``): :func:`analogtrain.kernels.update.pulses.update_scales`;
* in numba, on the numbers of one sample inside the compiled loop over samples
  (:func:`analogtrain.kernels.update.cpu.numba_kernels.update_scales`; numba compiles the
  operations through the overloads of :mod:`analogtrain.kernels.update.cpu.rule_overloads`).

As in a device rule, both sides of a ``where`` are evaluated; a discarded side may divide by
zero harmlessly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analogtrain.devices.rule import floor, maximum, minimum, sqrt, where

if TYPE_CHECKING:
    from analogtrain.configs.parameters import UpdateParameters

__all__ = ["sample_scales", "scale_parameters"]


def scale_parameters(up: UpdateParameters) -> tuple[int, bool, bool, bool, float]:
    """The update parameters that :func:`sample_scales` reads, in its argument order:
    ``(desired_bl, fixed_bl, um, ublm, um_grad_scale)``."""
    return (
        int(up.desired_bl),
        bool(up.fixed_bl),
        bool(up.update_management),
        bool(up.update_bl_management),
        float(up.um_grad_scale),
    )


def sample_scales(
    rate: Any,
    x_max: Any,
    d_max: Any,
    g: float,
    desired_bl: int,
    fixed_bl: bool,
    um: bool,
    ublm: bool,
    um_grad_scale: float,
    scalar_lr: bool,
) -> tuple[Any, Any, Any]:
    """``(BL, A, B)`` of one sample (``BL`` a whole number held as a float).

    ``rate = |lr| >= 0``, ``x_max = max |x|``, ``d_max = max |d|`` of the sample, ``g`` the
    granularity and the rest the update parameters (see
    :func:`~analogtrain.kernels.update.pulses.update_scales` for the formulas). ``scalar_lr``:
    the batch has one rate for all samples; the torch reference then computes the one
    ``lr / (g BL)`` quotient of bit-length management as ``lr * (1 / (g BL))`` (a number over
    a tensor is a reciprocal times the number in torch), and the compiled path follows it.
    A sample with no input, no error or ``rate == 0`` gets ``(0, 0, 0)``.
    """
    # spec 4.3 (calculateBlAB): a train of desired_bl slots, or a longer one with A = B = 1
    zero = 0.0 * rate  # 0 of the rate's kind: a number for one rate, else a tensor
    short_scale = where(desired_bl > 0, sqrt(rate / (g * maximum(desired_bl, 1))), zero)
    if fixed_bl or ublm:
        length = zero + desired_bl
        scale = short_scale
    else:
        long_train = g * desired_bl < rate
        length = where(long_train, maximum(-floor(-(rate / g)), 1.0), zero + desired_bl)
        scale = where(long_train, 1.0, short_scale)

    # spec 4.4 (performUpdateManagement); update management is implied by UBLM
    a = scale
    b = scale
    if um or ublm:
        d_val = um_grad_scale * d_max
        k = rate * x_max * d_val / g
        if ublm:
            length = minimum(-floor(-k), zero + desired_bl)
            denominator = g * maximum(length, 1.0)
            if scalar_lr:
                scale = sqrt(rate * (1.0 / denominator))
            else:
                scale = sqrt(rate / denominator)
        over = k > desired_bl
        d_val = where(over, d_val * desired_bl / where(over, k, 1.0), d_val)
        usable = (x_max > 0.0) & (d_val > 0.0)
        safe_x = where(usable, x_max, 1.0)
        safe_d = where(usable, d_val, 1.0)
        a = scale * sqrt(safe_x / safe_d)
        b = scale * sqrt(safe_d / safe_x)
    else:
        usable = (x_max > 0.0) & (d_max > 0.0)

    usable = usable & (length > 0.0) & (rate > 0.0)
    none = 0.0 * x_max  # a tensor in torch (a torch select of two numbers would be float32)
    return where(usable, length, none), where(usable, a, none), where(usable, b, none)
