"""The single analog tile: one device array read by noisy MVMs and written by pulses.

``AnalogTile`` simulates one crossbar of one device model (any pulsed device, the
:class:`~analogtrain.configs.IdealDevice`, or the exact
:class:`~analogtrain.configs.FloatingPointDevice` of a ``FloatingPointRPUConfig``):

* forward ``y = W x`` and backward ``z = Wᵀ d`` through :func:`~.mvm.analog_mvm`
  with the ``forward`` / ``backward`` IO parameters (spec single-tile 3; exact products for a
  ``FloatingPointRPUConfig``, which has no IO parameters);
* update ``W ← W − lr · d xᵀ`` through :func:`analogtrain.kernels.update.pulsed.pulsed_update`
  (spec single-tile 4), exact for floating-point arrays;
* ``post_update_step``: diffusion, then decay, when the device asks for them (spec 2.10).

With ``update.pulse_type == PulseType.NONE`` a pulsed device is replaced by a floating-point
device that keeps only the simple part of its config (``diffusion``, ``lifetime``,
``reset_std``): no bounds, no device-to-device variation (spec single-tile 4.2, routing 1).
The same bypass serves compound configs with that pulse type (spec compounds 3.0). Drift of
the pulsed config is not carried over (the :class:`~analogtrain.configs.IdealDevice` has none).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from analogtrain.configs import (
    FloatingPointDevice,
    FloatingPointRPUConfig,
    IdealDevice,
    PulsedDevice,
    UpdateParameters,
)
from analogtrain.configs.enums import PulseType
from analogtrain.devices import create_device_array
from analogtrain.devices.base import DeviceArray
from analogtrain.kernels.update.pulsed import pulsed_update_of_checked
from analogtrain.module_entry import module_entry
from analogtrain.tiles.base import AnalogTileBase
from analogtrain.tiles.io_states import TensorState, build_io_states, stateful_mvm

__all__ = ["AnalogTile", "effective_device_config"]

#: half-width of the uniform initial weights (aihwkit's engine default, spec compounds 4.1)
INITIAL_WEIGHT_RANGE = 0.1


def effective_device_config(rpu_config: Any) -> Any:
    """The device config the single tile simulates for ``rpu_config``.

    The config's own device, except that ``update.pulse_type == NONE`` turns a pulsed (or
    compound) device into an :class:`IdealDevice` with the pulsed device's ``diffusion``,
    ``lifetime`` and ``reset_std`` (compounds keep none of theirs: 0, 0, 0).
    """
    device = rpu_config.device
    if isinstance(rpu_config, FloatingPointRPUConfig):
        return device
    if isinstance(device, (IdealDevice, FloatingPointDevice)):
        return device
    if rpu_config.update.pulse_type != PulseType.NONE:
        return device
    if isinstance(device, PulsedDevice):
        return IdealDevice(
            construction_seed=device.construction_seed,
            diffusion=device.diffusion,
            lifetime=device.lifetime,
            reset_std=device.reset_std,
        )
    return IdealDevice(diffusion=0.0, lifetime=0.0, reset_std=0.0)


class AnalogTile(AnalogTileBase):
    """One crossbar of one device model (``SingleRPUConfig`` / ``FloatingPointRPUConfig``).

    Attributes:
        array: the :class:`~analogtrain.devices.base.DeviceArray` holding the weights and the
            per-cross-point device parameters.
        forward_io, backward_io: the systematic per-tile IO draws of each direction (absent
            for a ``FloatingPointRPUConfig``).
        device_config: the device config actually simulated (see
            :func:`effective_device_config`).
    """

    array: DeviceArray = module_entry("_modules")
    forward_io: TensorState = module_entry("_modules")
    backward_io: TensorState = module_entry("_modules")

    def __init__(
        self,
        out_size: int,
        in_size: int,
        rpu_config: Any,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__(out_size, in_size, rpu_config, device=device, dtype=dtype)
        self._build()
        gen = self.construction_generator("initial_weights")
        w = torch.rand(out_size, in_size, generator=gen, device=self.device, dtype=self.dtype)
        self.array.set_weights((2.0 * w - 1.0) * INITIAL_WEIGHT_RANGE, gen)

    def _build(self) -> None:
        """Create the device array and the IO states from ``rpu_config`` (weights: array's)."""
        cfg = self.rpu_config
        self.device_config = effective_device_config(cfg)
        self.exact_mvm = isinstance(cfg, FloatingPointRPUConfig)
        self.update_parameters = UpdateParameters() if self.exact_mvm else cfg.update
        self.array = create_device_array(
            self.device_config,
            self.out_size,
            self.in_size,
            self.construction_generator(),
            device=self.device,
            dtype=self.dtype,
        )
        if self.exact_mvm:
            self.forward_io, self.backward_io = TensorState({}), TensorState({})
            self.shared_running_abs_max = False
            return
        self.forward_io, self.backward_io, self.shared_running_abs_max = build_io_states(
            cfg,
            self.out_size,
            self.in_size,
            self.construction_generator,
            device=self.device,
            dtype=self.dtype,
        )

    def _rebuild(self) -> None:
        self._build()

    # ------------------------------------------------------------------ MVMs and update
    def forward_mvm(self, x: Tensor) -> Tensor:
        x = self._check_input(x)
        w = self.array.weight
        if self.exact_mvm:
            return x.detach() @ w.t()
        # the analog product is not differentiated (autograd: the nn layer's function)
        return _without_grad(
            stateful_mvm, w, x, self.rpu_config.forward, self.forward_io, self.generator
        )

    def backward_mvm(self, d: Tensor) -> Tensor:
        d = self._check_error(d)
        w = self.array.weight
        if self.exact_mvm:
            return d.detach() @ w
        args = (w.t(), d, self.rpu_config.backward, self.backward_io, self.generator)
        running = self.forward_io if self.shared_running_abs_max else None
        return _without_grad(stateful_mvm, *args, is_backward=True, running_from=running)

    def update(self, x: Tensor, d: Tensor, lr: float | None = None) -> None:
        rate = self._check_update(x, d, lr)
        if rate == 0.0:
            return
        m = int(x.shape[0])
        if self.last_update_m_batch != m:  # nn.Module.__setattr__ costs microseconds
            self.last_update_m_batch = m
        # _check_update checked x, d and the rate as pulsed_update would (shapes, dtypes,
        # devices, finite values): the array takes them without a second validation
        _without_grad(
            pulsed_update_of_checked,
            self.array, x, d, rate, self.update_parameters, self.generator,
        )  # fmt: skip

    def get_forward_parameters(self) -> dict[str, Tensor]:
        """Copies of the systematic forward IO draws (spec 3.2 step 6), e.g.
        ``out_noise_values``, ``v_offset``; empty when the forward pass has none."""
        return self.forward_io.snapshot()

    def set_forward_parameters(self, values: Mapping[str, Tensor]) -> None:
        """Overwrite the systematic forward IO draws (same names and shapes)."""
        self.forward_io.overwrite(values, "forward parameter")

    def get_backward_parameters(self) -> dict[str, Tensor]:
        """Copies of the systematic backward IO draws."""
        return self.backward_io.snapshot()

    def set_backward_parameters(self, values: Mapping[str, Tensor]) -> None:
        """Overwrite the systematic backward IO draws (same names and shapes)."""
        self.backward_io.overwrite(values, "backward parameter")

    def post_update_step(self) -> None:
        if self.device_config.requires_diffusion():
            self.diffuse_weights()
        if self.device_config.requires_decay():
            self.decay_weights()

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> Tensor:
        return self.array.weight.detach().clone()

    def set_weights(self, weight: Tensor) -> None:
        w = self._check_weights(weight)
        with torch.no_grad():
            self.array.set_weights(w, self.generator)

    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        return self.array.get_hidden_parameters()

    def get_hidden_parameter_names(self) -> list[str]:
        return list(self.array.hidden_parameter_names())

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        with torch.no_grad():
            self.array.set_hidden_parameters(params)

    # ------------------------------------------------------------------ maintenance
    def decay_weights(self, alpha: float = 1.0) -> None:
        with torch.no_grad():
            self.array.decay_weights(float(alpha), self.generator)

    def diffuse_weights(self) -> None:
        with torch.no_grad():
            self.array.diffuse_weights(self.generator)

    def reset_columns(self, start: int = 0, n: int = -1, prob: float = 1.0) -> None:
        with torch.no_grad():
            self.array.reset_columns(start, n, float(prob), self.generator)

    def drift_weights(self, delta_t: float) -> None:
        with torch.no_grad():
            self.array.drift_weights(float(delta_t), self.generator)


def _without_grad(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with autograd off: under ``torch.no_grad()`` only when it is
    on (inside a layer's autograd function and an optimizer step it is off already, and the
    context manager costs microseconds per call)."""
    if torch.is_grad_enabled():
        with torch.no_grad():
            return fn(*args, **kwargs)
    return fn(*args, **kwargs)
