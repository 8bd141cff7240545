"""A user-defined pulsed device for the tests (defined the way a user outside the package
does), and a rule that calls every operation of the rule language."""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.configs import PulsedDevice
from analogtrain.devices import pulse_rule, pulsed_device
from analogtrain.devices.rule import (
    abs,
    exp,
    floor,
    log,
    maximum,
    minimum,
    pow,
    sigmoid,
    sqrt,
    take,
    tanh,
    where,
)


@pulse_rule
def sigmoid_step(w, down, xi, max_bound, min_bound, dwmin_up, dwmin_down, steepness, dw_min_std):  # type: ignore[no-untyped-def]
    u = (w - min_bound) / maximum(max_bound - min_bound, 1e-9) - 0.5
    step = where(down, -dwmin_down * sigmoid(steepness * u), dwmin_up * sigmoid(-steepness * u))
    return w + 2.0 * step * (1.0 + dw_min_std * xi)


@pulsed_device(sigmoid_step, granularity=lambda array: array.dw_min * 0.5)
@dataclass
class SigmoidTestDevice(PulsedDevice):
    """Step ``2 Δ σ(∓k u)`` with ``u`` the centred position of the weight in its range."""

    steepness: float = 3.0
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


@pulse_rule
def every_operation(  # type: ignore[no-untyped-def]
    w, down, xi, max_bound, min_bound, dwmin_up, dwmin_down, reset_bias, dw_min_std, gain, levels
):
    span = max_bound - min_bound
    u = minimum(maximum((w - min_bound) / span, 0.0), 1.0)
    bumps = sqrt(u + 0.01) * exp(-u) + log(1.0 + u) * tanh(gain * u) + abs(reset_bias)
    level = minimum(floor(u * 3.0), 2.0)  # linear between the table's entries: continuous
    t = u * 3.0 - level
    shaped = pow(1.0 - u, 1.5) + (1.0 - t) * take(levels, level) + t * take(levels, level + 1.0)
    step = where(down, -dwmin_down * shaped, dwmin_up * (bumps + sigmoid(u)))
    return w + step * (1.0 + dw_min_std * xi)


@pulsed_device(every_operation)
@dataclass
class EveryOperationDevice(PulsedDevice):
    """A device whose rule calls every operation (the kernels must agree on each)."""

    gain: float = 2.0
    levels: list[float] = field(default_factory=lambda: [1.0, 0.8, 0.6, 0.4])
