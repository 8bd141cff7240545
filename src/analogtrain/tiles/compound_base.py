"""The frame shared by the compound tiles: several device arrays behind one visible weight.

A compound tile (spec compounds 3.0) holds hidden weights ``W_k`` on device arrays
(:mod:`analogtrain.devices`) and shows the training loop one visible weight ``W``, which the
forward and backward passes read through the analog MVM (:func:`~analogtrain.kernels.mvm.mvm.
analog_mvm`) with the config's ``forward`` / ``backward`` IO. Updates are pulsed writes
(:func:`~analogtrain.kernels.update.pulsed.pulsed_update`, or shared coincidences from
:func:`~analogtrain.kernels.update.pulsed.iter_coincidences`) routed by the compound's rule; the
internal reads of the transfer compounds are real analog MVMs of one-hot vectors.

Every sub-device is drawn, in order, from one construction generator seeded by the
compound's ``construction_seed`` (the sub-devices' own seeds are ignored, as in aihwkit).
"""

from __future__ import annotations

import abc
import dataclasses
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from analogtrain.configs.compounds import DigitalRankUpdateCell, UnitCell
from analogtrain.configs.enums import BoundManagementType, NoiseManagementType, PulseType
from analogtrain.devices.base import DeviceArray
from analogtrain.devices.registry import create_device_array
from analogtrain.errors import ArgumentError, ConfigError, NotSimulatedError, TileError
from analogtrain.kernels.mvm.mvm import init_io_state
from analogtrain.kernels.update.cpu.fast_update import fast_apply_pulse_counts
from analogtrain.kernels.update.pulsed import pulsed_update
from analogtrain.module_entry import module_entry
from analogtrain.tiles.base import AnalogTileBase
from analogtrain.tiles.io_states import TensorState, build_io_states, stateful_mvm

__all__ = ["CompoundTile", "transfer_io"]


def transfer_io(io: Any) -> Any:
    """A copy of ``io`` with noise and bound management off, as every transfer read uses
    (spec 3.5: the engine forces both to NONE for internal reads)."""
    return dataclasses.replace(
        io,
        noise_management=NoiseManagementType.NONE,
        bound_management=BoundManagementType.NONE,
    )


class CompoundTile(AnalogTileBase):
    """Base of the compound tiles: IO state, MVMs through the visible weight, array helpers.

    Subclasses build their arrays and state in :meth:`_build_compound` (also used to rebuild
    when a checkpoint brings another config), and implement :meth:`visible_weight`,
    :meth:`_update` and the hidden-parameter and weight rules of their compound.
    """

    arrays: nn.ModuleList = module_entry("_modules")
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

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        cfg = self.rpu_config
        if cfg.update.pulse_type == PulseType.NONE:
            raise NotSimulatedError(
                f"{type(cfg.device).__name__} with update.pulse_type=PulseType.NONE: a compound "
                "is then replaced by a floating-point tile; use FloatingPointRPUConfig"
            )
        self.forward_io, self.backward_io, self.shared_running_abs_max = build_io_states(
            cfg,
            self.out_size,
            self.in_size,
            self.construction_generator,
            device=self.device,
            dtype=self.dtype,
        )
        self._build_compound()

    def _rebuild(self) -> None:
        self._build()

    @abc.abstractmethod
    def _build_compound(self) -> None:
        """Create the device arrays, buffers and counters of the compound."""

    def _make_arrays(
        self, configs: Sequence[Any], generator: torch.Generator, what: str
    ) -> nn.ModuleList:
        """One device array per config, drawn in order from ``generator``."""
        arrays = []
        for k, config in enumerate(configs):
            if isinstance(config, (UnitCell, DigitalRankUpdateCell)):
                raise NotSimulatedError(
                    f"{what}[{k}] is a compound ({type(config).__name__}); nested compounds "
                    "are not simulated, use pulsed devices"
                )
            array = create_device_array(
                config,
                self.out_size,
                self.in_size,
                generator,
                device=self.device,
                dtype=self.dtype,
            )
            if array.is_floating_point:
                raise ConfigError(
                    f"{what}[{k}] is {type(config).__name__}; compounds need pulsed devices"
                )
            arrays.append(array)
        return nn.ModuleList(arrays)

    # ------------------------------------------------------------------ weights, MVMs
    @abc.abstractmethod
    def visible_weight(self) -> Tensor:
        """The weight the forward and backward passes read, ``[out, in]`` (no copy)."""

    def get_weights(self) -> Tensor:
        return self.visible_weight().detach().clone()

    def forward_mvm(self, x: Tensor) -> Tensor:
        x = self._check_input(x)
        return stateful_mvm(
            self.visible_weight(), x, self.rpu_config.forward, self.forward_io, self.generator
        )

    def backward_mvm(self, d: Tensor) -> Tensor:
        d = self._check_error(d)
        return stateful_mvm(
            self.visible_weight().T,
            d,
            self.rpu_config.backward,
            self.backward_io,
            self.generator,
            is_backward=True,
            running_from=self.forward_io if self.shared_running_abs_max else None,
        )

    # ------------------------------------------------------------------ update frame
    def update(self, x: Tensor, d: Tensor, lr: float | None = None) -> None:
        rate = self._check_update(x, d, lr)
        if rate == 0.0 or x.shape[0] == 0:
            return  # nothing happens, no counter advances (spec 3.0)
        self.last_update_m_batch = int(x.shape[0])
        with torch.no_grad():
            self._update(x.detach(), d.detach(), rate)

    @abc.abstractmethod
    def _update(self, x: Tensor, d: Tensor, lr: float) -> None:
        """One update call of ``m = x.shape[0]`` vector updates with SGD rate ``lr > 0``."""

    def _write(
        self,
        array: DeviceArray,
        x: Tensor,
        d: Tensor,
        lr: float,
        up: Any,
        granularity: float,
    ) -> None:
        """Pulsed update ``W <- W - lr d x^T`` of ``array`` (a negative ``lr`` flips ``d``)."""
        if lr == 0.0:
            return
        if lr < 0.0:
            d, lr = -d, -lr
        pulsed_update(array, x, d, lr, up, self.generator, granularity=granularity)

    def _apply_counts(self, array: DeviceArray, counts: Tensor, down: Tensor) -> None:
        """``array.apply_pulse_counts(counts, down)`` on the compiled CPU kernel where it
        applies (backend ``"auto"``, numba, a supported array on CPU tensors, the same rule as
        :func:`~.pulsed.pulsed_update`'s fast path), else the reference."""
        if not fast_apply_pulse_counts(array, counts, down, self.generator):
            array.apply_pulse_counts(counts, down, self.generator)

    def _read(
        self, weight: Tensor, indices: Sequence[int], columns: bool, io: Any, state: TensorState
    ) -> Tensor:
        """Analog reads of columns (``columns``) or rows of ``weight`` with one-hot inputs.

        Returns ``[len(indices), d_size]`` for columns (forward MVMs ``W e_i``) or
        ``[len(indices), x_size]`` for rows (backward MVMs ``W^T e_j``).
        """
        eye = self._one_hot(indices, self.in_size if columns else self.out_size)
        if columns:
            return stateful_mvm(weight, eye, io, state, self.generator)
        return stateful_mvm(weight.T, eye, io, state, self.generator, is_backward=True)

    def _internal_read_io(
        self, io: Any, out_size: int, in_size: int, stream: str
    ) -> tuple[Any, TensorState]:
        """The IO of internal reads (:func:`transfer_io` of ``io``) and its per-tile draws for
        an ``[out_size, in_size]`` read, from the construction stream named ``stream``."""
        read_io = transfer_io(io)
        state = init_io_state(
            read_io,
            out_size,
            in_size,
            self.construction_generator(stream),
            device=self.device,
            dtype=self.dtype,
        )
        return read_io, TensorState(state)

    def _one_hot(self, indices: Sequence[int] | Tensor, size: int) -> Tensor:
        """Rows ``e_i`` of the identity for each index (a sequence or a long tensor on the
        tile's device), ``[len(indices), size]``."""
        if isinstance(indices, np.ndarray):
            indices = torch.from_numpy(indices.astype(np.int64, copy=False)).to(self.device)
        elif not isinstance(indices, Tensor):
            indices = torch.tensor(list(indices), dtype=torch.long, device=self.device)
        eye = torch.zeros(indices.shape[0], size, device=self.device, dtype=self.dtype)
        return eye.scatter_(1, indices.unsqueeze(1), 1.0)

    def _uniform(self) -> float:
        """One U[0, 1) draw from the runtime generator."""
        gen = self.generator
        return float(torch.rand((), generator=gen, device=gen.device, dtype=torch.float64))

    # ------------------------------------------------------------------ maintenance
    def _maintained_arrays(self) -> Sequence[DeviceArray]:
        """The arrays that decay, diffusion, drift and resets act on."""
        return list(self.arrays)

    def _after_weight_change(self) -> None:
        """Hook after the hidden weights changed outside an update (recompute caches)."""

    def post_update_step(self) -> None:
        device = self.rpu_config.device
        if device.requires_diffusion():
            self.diffuse_weights()
        if device.requires_decay():
            self.decay_weights()

    def decay_weights(self, alpha: float = 1.0) -> None:
        for array in self._maintained_arrays():
            array.decay_weights(float(alpha), self.generator)
        self._after_weight_change()

    def diffuse_weights(self) -> None:
        for array in self._maintained_arrays():
            array.diffuse_weights(self.generator)
        self._after_weight_change()

    def drift_weights(self, delta_t: float) -> None:
        for array in self._maintained_arrays():
            array.drift_weights(float(delta_t), self.generator)
        self._after_weight_change()

    def clip_weights(self, c: float) -> None:
        """Clip every hidden weight to its device bounds and to ``[-c, c]`` (``c < 0``: bounds)."""
        for array in self._maintained_arrays():
            array.clip_weights(float(c), self.generator)
        self._after_weight_change()

    def reset_columns(self, start: int = 0, n: int = -1, prob: float = 1.0) -> None:
        for array in self._reset_arrays():
            array.reset_columns(start, n, prob, self.generator)
        self._after_weight_change()

    def _reset_arrays(self) -> Sequence[DeviceArray]:
        return self._maintained_arrays()

    # ------------------------------------------------------------------ hidden parameters
    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        """The arrays' hidden parameters (:meth:`_array_hidden`); compounds with buffers add
        theirs."""
        return self._array_hidden("_")

    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        self._check_hidden_names(params)
        self._set_array_hidden(params, "_")

    def _array_hidden(self, suffix: str) -> OrderedDict[str, Tensor]:
        """Device parameters then ``hidden_weights`` of every array, names suffixed ``_k``."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for k, array in enumerate(self.arrays):
            for name, value in array.get_hidden_parameters().items():
                out[f"{name}{suffix}{k}"] = value
            out[f"hidden_weights{suffix}{k}"] = array.weight.detach().clone()
        return out

    def _set_array_hidden(self, params: Mapping[str, Tensor], suffix: str) -> None:
        """Inverse of :meth:`_array_hidden` (hidden weights written exactly, no clipping).

        Every value is checked before any array changes, so a rejected call changes nothing.
        """
        checked = []
        for k, array in enumerate(self.arrays):
            tag = f"{suffix}{k}"
            hidden = {
                name: array.check_matrix(params[name + tag], f"hidden parameter {name + tag!r}")
                for name in array.hidden_parameter_names()
            }
            name = "hidden_weights" + tag
            weight = array.check_matrix(params[name], f"hidden parameter {name!r}", finite=True)
            checked.append((array, hidden, weight))
        with torch.no_grad():
            for array, hidden, weight in checked:
                array.set_hidden_parameters(hidden)
                array.weight.copy_(weight)

    def _check_hidden_names(self, params: Mapping[str, Tensor]) -> None:
        expected = self.get_hidden_parameter_names()
        if list(params.keys()) != expected and sorted(params.keys()) != sorted(expected):
            raise TileError(
                "hidden parameter names do not match this tile: got "
                f"{list(params.keys())}, expected {expected}"
            )

    # ------------------------------------------------------------------ misc
    @property
    def weight_granularity(self) -> float:
        """Granularity of the main update's pulse trains: the mean over the sub-devices."""
        return sum(a.granularity for a in self.arrays) / len(self.arrays)

    @property
    def n_states(self) -> float:
        """Number of states (mean over sub-devices; transfer compounds use the fast device)."""
        return sum(a.n_states for a in self.arrays) / len(self.arrays)

    @staticmethod
    def _check_index(
        value: Any, size: int, what: str, error: type[Exception] = ArgumentError
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise error(f"{what} must be an int in [0, {size}), got {value!r}")
        return value
