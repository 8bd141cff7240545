"""The interface every device array implements, and the weight storage they share.

A :class:`DeviceArray` is one crossbar of ``out_size x in_size`` cross-points of one device
model. All of its state (weights, per-cross-point device parameters, drift state) lives in
registered buffers, so ``.to()``, ``state_dict`` and ``copy.deepcopy`` carry it along.

Two weights exist per cross-point (spec single-tile 2.7): the *persistent* weight, on which
pulses, clipping, decay, diffusion, drift and reset act, and the *apparent* weight ``weight``
that MVMs read. Without write noise both names refer to the same tensor.
"""

from __future__ import annotations

import abc
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from analogtrain.devices.sampling import uniform
from analogtrain.errors import ArgumentError, TileError, check_positive_int
from analogtrain.module_entry import module_entry


class DeviceArray(nn.Module, abc.ABC):
    """One crossbar of one device model: weights plus per-cross-point parameters (buffers).

    Concrete arrays are the pulsed models (:class:`~analogtrain.devices.pulsed.PulsedDeviceArray`
    and its per-model subclasses) and the exact floating-point array
    (:class:`~analogtrain.devices.ideal.FloatingPointDeviceArray`).
    """

    is_floating_point: ClassVar[bool] = False

    config: Any
    out_size: int
    in_size: int
    granularity: float
    n_states: float
    uses_persistent_weight: bool
    weight: Tensor = module_entry("_buffers")  # [out, in] apparent weight
    # [out, in]; the same tensor as ``weight`` without write noise
    persistent_weight: Tensor = module_entry("_buffers")

    def __init__(
        self,
        config: Any,
        out_size: int,
        in_size: int,
        *,
        uses_persistent_weight: bool,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        check_positive_int(out_size, "out_size")
        check_positive_int(in_size, "in_size")
        if not dtype.is_floating_point:
            raise ArgumentError(f"dtype must be a floating point dtype, got {dtype}")
        self.config = config
        self.out_size = out_size
        self.in_size = in_size
        self.uses_persistent_weight = bool(uses_persistent_weight)
        self.register_buffer("weight", torch.zeros(out_size, in_size, device=device, dtype=dtype))
        if self.uses_persistent_weight:
            self.register_buffer("persistent_weight", torch.zeros_like(self.weight))
        else:
            self.register_buffer("persistent_weight", self.weight)

    # ------------------------------------------------------------------ storage helpers
    @property
    def shape(self) -> tuple[int, int]:
        """``(out_size, in_size)``."""
        return (self.out_size, self.in_size)

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> DeviceArray:
        # .to()/.double() convert every buffer separately, which would untie the alias.
        super()._apply(fn, recurse)
        if not self.uses_persistent_weight:
            self.persistent_weight = self.weight
        return self

    def _check_shape(self, value: Tensor, what: str) -> Tensor:
        """``value`` as a tensor on this array's device, or TileError if the shape is off."""
        if not isinstance(value, Tensor):
            value = torch.as_tensor(value)
        if tuple(value.shape) != self.shape:
            raise TileError(
                f"{what} must have shape {self.shape} (out_size, in_size), got {tuple(value.shape)}"
            )
        return value.to(device=self.weight.device)

    def check_matrix(self, value: Tensor, what: str, *, finite: bool = False) -> Tensor:
        """``value`` as an ``[out, in]`` tensor on this array's device and dtype.

        Raises TileError if the shape is off or ``value`` holds NaN (with ``finite=True``,
        also if it holds an infinity, as weights must not).
        """
        value = self._check_shape(value, what).to(dtype=self.weight.dtype)
        bad = ~torch.isfinite(value) if finite else torch.isnan(value)
        if bool(bad.any()):
            kind = "non-finite values (NaN or inf)" if finite else "NaN"
            raise TileError(f"{what} contains {kind} ({int(bad.sum())} of {value.numel()})")
        return value

    def get_weights(self) -> Tensor:
        """A copy of the apparent weight ``[out, in]``."""
        return self.weight.detach().clone()

    # ------------------------------------------------------------------ hidden parameters
    #: buffers exported as hidden parameters before ``persistent_weights`` (spec compounds 3.11)
    common_parameter_names: ClassVar[tuple[str, ...]] = ()
    #: model-specific buffers exported after them
    model_parameter_names: ClassVar[tuple[str, ...]] = ()

    def hidden_parameter_names(self) -> list[str]:
        """Names of the hidden parameters, in export order."""
        names = list(self.common_parameter_names)
        if self.uses_persistent_weight:
            names.append("persistent_weights")
        names.extend(self.model_parameter_names)
        return names

    def _hidden_buffer(self, name: str) -> Tensor:
        return self.persistent_weight if name == "persistent_weights" else getattr(self, name)

    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        """Copies of the per-cross-point parameters (and persistent weights), each ``[out, in]``."""
        return OrderedDict(
            (name, self._hidden_buffer(name).detach().clone())
            for name in self.hidden_parameter_names()
        )

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        """Overwrite the hidden parameters; names and shapes must match exactly.

        Nothing is re-derived (the granularity keeps its construction value) and the apparent
        weight is left as it is; the caller sets the weights afterwards if needed.
        """
        expected = self.hidden_parameter_names()
        if sorted(params.keys()) != sorted(expected):
            raise TileError(
                "Mismatch with loaded analog state: hidden parameter structure is unexpected: "
                f"got names {list(params.keys())}, expected {expected}"
            )
        checked = {
            name: self.check_matrix(params[name], f"hidden parameter {name!r}") for name in expected
        }
        with torch.no_grad():
            for name, value in checked.items():
                self._hidden_buffer(name).copy_(value)

    # ------------------------------------------------------------------ the operations
    @abc.abstractmethod
    def pulse_once(self, w: Tensor, down: Tensor, generator: torch.Generator | None) -> Tensor:
        """The model's update-once rule at every cross-point (``down`` True = decrease)."""

    @abc.abstractmethod
    def apply_pulse_counts(
        self, counts: Tensor, down: Tensor, generator: torch.Generator | None
    ) -> None:
        """Apply ``counts[i, j]`` same-direction pulses to each cross-point, one at a time."""

    @abc.abstractmethod
    def set_weights(self, w: Tensor, generator: torch.Generator | None) -> None:
        """Write the weights (device rules of spec 2.8.1 / 2.7 apply)."""

    @abc.abstractmethod
    def clip_weights(self, c: float, generator: torch.Generator | None) -> None:
        """Clip the weights (spec 2.8.1)."""

    @abc.abstractmethod
    def decay_weights(self, alpha: float, generator: torch.Generator | None) -> None:
        """One decay step (spec 2.8.2)."""

    @abc.abstractmethod
    def diffuse_weights(self, generator: torch.Generator | None) -> None:
        """One diffusion step (spec 2.8.3)."""

    @abc.abstractmethod
    def reset_columns(
        self, start: int, n: int, prob: float, generator: torch.Generator | None
    ) -> None:
        """Reset columns ``start .. start+n-1`` (modulo ``in_size``; ``n < 0`` = all)."""

    @abc.abstractmethod
    def drift_weights(self, delta_t: float, generator: torch.Generator | None) -> None:
        """Advance the power-law drift by ``delta_t`` (spec 2.9)."""

    # ------------------------------------------------------------------ shared checks
    def _reset_mask(
        self, start: int, n: int, prob: float, generator: torch.Generator | None
    ) -> Tensor | None:
        """Boolean ``[out, in]`` mask of the elements a reset selects, or None for a no-op."""
        if not 0.0 <= prob <= 1.0:
            raise ArgumentError(f"reset probability must be in [0, 1], got {prob!r}")
        if isinstance(start, bool) or not isinstance(start, int):
            raise ArgumentError(f"start column must be an int, got {start!r}")
        if isinstance(n, bool) or not isinstance(n, int):
            raise ArgumentError(f"number of columns must be an int, got {n!r}")
        if prob == 0.0 or n == 0:
            return None
        n_cols = self.in_size if n < 0 else min(n, self.in_size)
        cols = (start + torch.arange(n_cols, device=self.weight.device)) % self.in_size
        mask = torch.zeros(self.shape, dtype=torch.bool, device=self.weight.device)
        mask[:, cols] = True
        if prob < 1.0:
            mask &= uniform(self.shape, generator, like=self.weight) < prob
        return mask

    def extra_repr(self) -> str:
        return (
            f"out_size={self.out_size}, in_size={self.in_size}, "
            f"config={type(self.config).__name__}, dtype={self.weight.dtype}"
        )
