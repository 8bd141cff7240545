"""Port check in the style of aihwkit examples 21/22: fit a device model to a measured
up/down pulse response, then draw the fitted device's compact response over the data.

The "measurement" is made here (nothing is read or fetched): a soft-bounds device with
known parameters, pulsed up and down, plus Gaussian read noise. Imports:
``analogtrain.aihwkit.utils`` (the mirror); the device config from ``analogtrain.configs``
until ``analogtrain.aihwkit.simulator.configs`` exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analogtrain.aihwkit.simulator.configs import SoftBoundsDevice
from analogtrain.aihwkit.utils.fitting import fit_measurements
from analogtrain.aihwkit.utils.visualization import plot_device_compact

TRUE_PARAMETERS = {"dw_min": 0.02, "up_down": -0.1, "w_max": 0.9}
READ_NOISE = 0.01


def measured_response(n_pulses: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pulses (``n_pulses`` up, ``n_pulses`` down) and noisy weights of the true device."""
    pulses = np.concatenate([np.ones(n_pulses), -np.ones(n_pulses)])
    dw, up_down, w_max, w_min = *TRUE_PARAMETERS.values(), -1.0
    w, trace = -0.8, [-0.8]
    for p in pulses[:-1]:
        if p > 0:
            w += dw * (1 + min(up_down, 0.0)) * (1 - w / w_max)
        else:
            w -= dw * (1 - max(up_down, 0.0)) * (1 - w / w_min)
        trace.append(w)
    rng = np.random.default_rng(seed)
    return pulses, np.array(trace) + READ_NOISE * rng.standard_normal(len(trace))


def main(n_pulses: int = 200, method: str = "powell") -> tuple[Any, Any, Any]:
    """Fit, print the fit report, draw the fitted device with the data."""
    pulses, response = measured_response(n_pulses)
    parameters = {
        "dw_min": (0.01, 0.001, 0.1),
        "up_down": (0.0, -0.9, 0.9),
        "w_max": (1.0, 0.2, 2.0),
        "w_min": -1.0,
    }
    result, device, model_response = fit_measurements(
        parameters, pulses, response, SoftBoundsDevice(), method=method
    )
    print(result.report())
    print(device)
    figure = plot_device_compact(device, n_steps=n_pulses, n_traces=1, n_loops=1, w_init=-0.8)
    figure.axes[0].plot(response, "k:", alpha=0.5)
    return result, device, figure


if __name__ == "__main__":
    main()
