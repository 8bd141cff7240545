"""The framework shared by every pulsed device model (spec single-tile 2.3-2.5, 2.7-2.9).

A model subclass supplies its update-once rule as the class attribute ``rule`` (a
:class:`~analogtrain.devices.rule.PulseRule`: the new, unclipped weight after one pulse, written
once for the torch reference and the compiled kernels), its granularity and optionally extra
device-to-device draws; ``reference_parameter`` names the buffer a model is read against (the
rule then sees ``w + reference``). Everything else is common:

* every pulse is the model rule followed by the clip to ``[min_bound, max_bound]``; pulses on
  one cross-point are applied strictly one after the other;
* with write noise (``write_noise_std > 0``) the pulses act on the persistent weight ``w_p``
  and the apparent weight is redrawn as ``w_a = w_p + write_noise_std · dw_min · ξ``: after a
  pulsed update for the touched cross-points, after set-weights for all (if
  ``apply_write_noise_on_set``), after decay/diffusion/drift/clip/reset for all;
* set weights clips to each device's bounds (corrupt devices become their stuck value);
* decay ``w ← clip((w − b)(1 + α(δ − 1)) + b)`` towards the reset bias ``b``;
* diffusion ``w ← clip(w + ρ ξ)``;
* reset ``w ← clip(b + reset_std ξ)`` on selected columns.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from analogtrain.devices.base import DeviceArray
from analogtrain.devices.drift import DriftSettings, PowerLawDrift
from analogtrain.devices.dtod import MeanParameters, sample_common_parameters
from analogtrain.devices.rule import PulseRule
from analogtrain.devices.sampling import standard_normal
from analogtrain.errors import ArgumentError, ConfigError

COMMON_PARAMETER_NAMES: tuple[str, ...] = (
    "max_bound",
    "min_bound",
    "dwmin_up",
    "dwmin_down",
    "decay_scales",
    "diffusion_rates",
    "reset_bias",
    "drift_nu",
)


class PulsedDeviceArray(DeviceArray):
    """Base of the pulsed models; see the module docstring for the common rules."""

    common_parameter_names = COMMON_PARAMETER_NAMES
    #: whether the config has ``write_noise_std`` / ``apply_write_noise_on_set`` fields
    supports_write_noise: ClassVar[bool] = True
    #: the model's update-once rule (set by every concrete model)
    rule: ClassVar[PulseRule | None] = None
    #: the buffer the model is read against (the rule acts on ``w + reference``), if any
    reference_parameter: ClassVar[str | None] = None

    max_bound: Tensor
    min_bound: Tensor
    dwmin_up: Tensor
    dwmin_down: Tensor
    decay_scales: Tensor
    diffusion_rates: Tensor
    reset_bias: Tensor
    drift_nu: Tensor

    def __init__(
        self,
        config: Any,
        out_size: int,
        in_size: int,
        generator: torch.Generator,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        write_noise_std = float(config.write_noise_std) if self.supports_write_noise else 0.0
        if write_noise_std < 0.0:
            raise ConfigError(f"write_noise_std must be >= 0, got {write_noise_std!r}")
        super().__init__(
            config,
            out_size,
            in_size,
            uses_persistent_weight=write_noise_std > 0.0,
            device=device,
            dtype=dtype,
        )
        if not isinstance(generator, torch.Generator):
            raise ArgumentError(f"construction needs a torch.Generator, got {generator!r}")
        means = self._mean_parameters(config)
        means.check(type(config).__name__)
        self.w_min, self.w_max = means.w_min, means.w_max
        self.dw_min, self.up_down = means.dw_min, means.up_down
        self.dw_min_std = float(config.dw_min_std)
        self.reset_std = max(float(config.reset_std), 0.0)
        self.write_noise_std = write_noise_std
        self.apply_write_noise_on_set = bool(
            config.apply_write_noise_on_set if self.supports_write_noise else True
        )

        params = sample_common_parameters(config, means, out_size, in_size, generator)
        params.update(self._sample_model_parameters(params, generator))
        names = self.common_parameter_names + self.model_parameter_names
        for name in names:
            self.register_buffer(name, params[name].to(device=self.weight.device, dtype=dtype))

        self.granularity = float(self._granularity())
        self.n_states = (self.w_max - self.w_min) / self.granularity
        drift = DriftSettings.from_drift_parameter(config.drift)
        self.drifter = PowerLawDrift(drift, self.weight) if drift.nu > 0.0 else None
        self.set_weights(torch.zeros_like(self.weight), generator)

    # ------------------------------------------------------------------ model hooks
    def _mean_parameters(self, config: Any) -> MeanParameters:
        """Mean bounds, step and asymmetry; a model may derive them from other fields."""
        return MeanParameters(
            w_min=float(config.w_min),
            w_max=float(config.w_max),
            dw_min=float(config.dw_min),
            up_down=float(config.up_down),
        )

    def _sample_model_parameters(
        self, common: dict[str, Tensor], generator: torch.Generator
    ) -> dict[str, Tensor]:
        """Model-specific draws (float64); may also return changed common parameters."""
        return {}

    def _granularity(self) -> float:
        """The weight granularity ``g`` of spec 2.4 (``dw_min`` unless the model says so)."""
        return self.dw_min

    def rule_value(self, name: str) -> Any:
        """The value of the rule parameter ``name``: the array's attribute of that name (a
        buffer ``[out, in]``, a 1-D table or a number), else the config's field (a number, or
        a list of numbers: a table). Numbers are returned as floats."""
        if hasattr(self, name):
            value = getattr(self, name)
        elif hasattr(self.config, name):
            value = getattr(self.config, name)
        else:
            raise ConfigError(
                f"{type(self).__name__}: rule parameter {name!r} is neither an attribute of "
                f"the array nor a field of {type(self.config).__name__}"
            )
        if isinstance(value, Tensor):
            if value.dim() == 0:
                return float(value)
            if value.dim() == 2 and tuple(value.shape) != tuple(self.weight.shape):
                raise ConfigError(
                    f"{type(self).__name__}: rule parameter {name!r} has shape "
                    f"{tuple(value.shape)}, expected {tuple(self.weight.shape)} or 1-D"
                )
            if value.dim() > 2:
                raise ConfigError(
                    f"{type(self).__name__}: rule parameter {name!r} is {value.dim()}-D"
                )
            return value
        if isinstance(value, (bool, int, float)):
            return float(value)
        if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (bool, int, float)) for v in value
        ):  # a table given as numbers (a config field)
            return torch.tensor(
                [float(v) for v in value], dtype=self.weight.dtype, device=self.weight.device
            )
        raise ConfigError(
            f"{type(self).__name__}: rule parameter {name!r} must be a tensor, a number or a "
            f"non-empty list of numbers, got {value!r}"
        )

    def rule_values(self) -> tuple[Any, ...]:
        """The values of the rule's parameters, in the rule's order."""
        rule = self._own_rule()
        return tuple(self.rule_value(name) for name in rule.parameters)

    def rule_reference(self) -> Tensor | None:
        """The reference the model is read against (``None`` for most models)."""
        if self.reference_parameter is None:
            return None
        return getattr(self, self.reference_parameter)

    def _own_rule(self) -> PulseRule:
        if self.rule is None:
            raise ConfigError(f"{type(self).__name__} defines no update rule ('rule')")
        return self.rule

    def _update_once(self, w: Tensor, down: Tensor, xi: Tensor | None) -> Tensor:
        """The model's unclipped weight after one pulse (``down`` True = decrease)."""
        rule = self._own_rule()
        return rule.torch(w, down, 0.0 if xi is None else xi, *self.rule_values())

    # ------------------------------------------------------------------ pulses
    def _clip(self, w: Tensor) -> Tensor:
        return torch.minimum(torch.maximum(w, self.min_bound), self.max_bound)

    def _c2c_noise(self, w: Tensor, generator: torch.Generator | None) -> Tensor | None:
        if self.dw_min_std > 0.0:
            return standard_normal(w.shape, generator, like=w)
        return None

    def pulse_once(self, w: Tensor, down: Tensor, generator: torch.Generator | None) -> Tensor:
        reference = self.rule_reference()
        if reference is None:
            return self._clip(self._update_once(w, down, self._c2c_noise(w, generator)))
        g = w + reference
        return self._clip(self._update_once(g, down, self._c2c_noise(g, generator))) - reference

    def apply_pulse_counts(
        self, counts: Tensor, down: Tensor, generator: torch.Generator | None
    ) -> None:
        counts = self._check_shape(counts, "pulse counts")
        down = self._check_shape(down, "pulse directions").to(torch.bool)
        if counts.numel() == 0:
            return
        if counts.dtype.is_floating_point:
            counts = counts.round()
        counts = counts.to(torch.int64)
        if int(counts.min()) < 0:
            raise ArgumentError(f"pulse counts must be >= 0, got minimum {int(counts.min())}")
        n_max = int(counts.max())
        if n_max == 0:
            return
        w = self.persistent_weight
        for t in range(n_max):
            w = torch.where(counts > t, self.pulse_once(w, down, generator), w)
        with torch.no_grad():
            self.persistent_weight.copy_(w)
            if self.uses_persistent_weight:
                noisy = self._with_write_noise(w, generator)
                self.weight.copy_(torch.where(counts > 0, noisy, self.weight))

    # ------------------------------------------------------------------ write noise
    def _with_write_noise(self, w: Tensor, generator: torch.Generator | None) -> Tensor:
        sigma = self.write_noise_std * self.dw_min
        return w + sigma * standard_normal(w.shape, generator, like=w)

    def _store(self, w: Tensor, generator: torch.Generator | None, *, noisy: bool = True) -> None:
        """Write the persistent weight and refresh the apparent one for all elements."""
        with torch.no_grad():
            self.persistent_weight.copy_(w)
            if self.uses_persistent_weight:
                apparent = self._with_write_noise(w, generator) if noisy else w
                self.weight.copy_(apparent)

    # ------------------------------------------------------------------ other operations
    def set_weights(self, w: Tensor, generator: torch.Generator | None) -> None:
        w = self.check_matrix(w, "weights", finite=True)
        self._store(self._clip(w), generator, noisy=self.apply_write_noise_on_set)

    def clip_weights(self, c: float, generator: torch.Generator | None) -> None:
        w = self._clip(self.persistent_weight)
        if c >= 0.0:
            w = torch.clamp(w, -c, c)
        self._store(w, generator)

    def decay_weights(self, alpha: float, generator: torch.Generator | None) -> None:
        scale = 1.0 + alpha * (self.decay_scales - 1.0)
        w = (self.persistent_weight - self.reset_bias) * scale + self.reset_bias
        self._store(self._clip(w), generator)

    def diffuse_weights(self, generator: torch.Generator | None) -> None:
        w = self.persistent_weight
        w = w + self.diffusion_rates * standard_normal(w.shape, generator, like=w)
        self._store(self._clip(w), generator)

    def reset_columns(
        self, start: int, n: int, prob: float, generator: torch.Generator | None
    ) -> None:
        mask = self._reset_mask(start, n, prob, generator)
        if mask is None:
            return
        target = self.reset_bias
        if self.reset_std > 0.0:
            target = target + self.reset_std * standard_normal(target.shape, generator, like=target)
        w = torch.where(mask, self._clip(target), self.persistent_weight)
        self._store(w, generator)

    def drift_weights(self, delta_t: float, generator: torch.Generator | None) -> None:
        if self.drifter is None:
            return
        if delta_t < 0.0:
            raise ArgumentError(f"drift time step must be >= 0, got {delta_t!r}")
        w = self._clip(self.drifter.step(self.persistent_weight, self.drift_nu, delta_t, generator))
        self.drifter.clip_previous(self.min_bound, self.max_bound)
        self._store(w, generator)

    def extra_repr(self) -> str:
        return (
            super().extra_repr()
            + f", granularity={self.granularity:.6g}, n_states={self.n_states:.6g}"
            + (f", write_noise_std={self.write_noise_std:g}" if self.uses_persistent_weight else "")
        )
