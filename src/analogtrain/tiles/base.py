"""The common frame of every analog tile: config handling, randomness, checks, checkpoints.

A tile is one ``[out_size, in_size]`` crossbar as the training loop sees it (spec
compounds 4.1): an analog matrix-vector product forward (``y = W x``) and backward
(``z = Wᵀ d``), and an in-place update approximating ``W ← W − lr · d xᵀ``. The analog bias
column, mapping scales and tile grids belong to the layer around the tile, so ``x_size``
equals ``in_size`` here.

Tiles are the only objects with simulation state. Tensors live in buffers of the tile and
its sub-modules (so ``.to()``, ``state_dict`` and ``copy.deepcopy`` carry them); the rest is
saved through :meth:`AnalogTileBase.get_extra_state`: the runtime generator's state, the
seeds, the counters and the configuration as a plain dict. A checkpoint therefore resumes
*exactly*: the same subsequent random draws as an uninterrupted run (aihwkit instead restarts
clock-seeded streams on every reload, spec compounds 4.9).

Two seeds exist per tile (both resolved with :func:`analogtrain.rng.resolve_seed`, so ``0``
draws from torch's global generator and ``torch.manual_seed`` makes a run reproducible):

* the *runtime* seed drives every draw during operation (MVM noise, pulse trains, write
  noise, diffusion, resets); its generator is created lazily on the device of the tile's
  tensors and re-seeded with a derived seed when the tile moves to another device type;
* the *construction* seed (``device.construction_seed``) drives the device-to-device draws,
  the systematic IO draws and the initial weights, each from its own derived stream
  (:meth:`AnalogTileBase.construction_generator`).
"""

from __future__ import annotations

import abc
import contextlib
import copy
import math
import numbers
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.configs.not_simulated import check_simulated
from analogtrain.configs.read_only import freeze_config
from analogtrain.configs.serialization import from_dict, to_dict
from analogtrain.errors import (
    ArgumentError,
    ConfigError,
    TileError,
    check_positive_int,
)
from analogtrain.kernels.io_checks import check_batch
from analogtrain.rng import derive_seed, make_generator, resolve_seed

__all__ = ["AnalogTileBase"]

#: version of the dict written by :meth:`AnalogTileBase.get_extra_state`
EXTRA_STATE_FORMAT = 1

#: tile learning rate right after construction (aihwkit's engine default, spec compounds 4.1)
DEFAULT_LEARNING_RATE = 0.1


class AnalogTileBase(nn.Module, abc.ABC):
    """Abstract analog tile: ``[out_size, in_size]`` weights, MVMs, updates, state.

    Args:
        out_size: number of output lines (rows of ``W``).
        in_size: number of input lines (columns of ``W``).
        rpu_config: the tile configuration; a validated deep copy is kept (later edits of
            the caller's object do not leak in).
        device: torch device of the tile's tensors.
        dtype: floating-point dtype of the tile's tensors.
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        rpu_config: Any,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        check_positive_int(out_size, "out_size")
        check_positive_int(in_size, "in_size")
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ArgumentError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
        self.out_size = out_size
        self.in_size = in_size
        self.rpu_config = copy.deepcopy(rpu_config)
        _validate_config(self.rpu_config)
        freeze_config(self.rpu_config)  # edits of a built tile's config raise (read_only.py)
        # Zero-element tensor that follows .to(): tells the tile's current device and dtype.
        self.register_buffer(
            "_anchor", torch.zeros(0, device=device, dtype=dtype), persistent=False
        )
        self.seed = resolve_seed(0)
        self.construction_seed = resolve_seed(self._config_construction_seed())
        self.learning_rate = DEFAULT_LEARNING_RATE
        self.last_update_m_batch = 0
        self._n_moves = 0  # how many times the runtime generator had to change device
        self._generator: torch.Generator | None = None

    # ------------------------------------------------------------------ geometry, device
    @property
    def x_size(self) -> int:
        """Input size of the crossbar (equals ``in_size``; bias columns belong to the layer)."""
        return self.in_size

    @property
    def d_size(self) -> int:
        """Output size of the crossbar (equals ``out_size``)."""
        return self.out_size

    # The anchor is read from ``_buffers`` (where ``register_buffer`` keeps it and ``.to()``
    # replaces it) rather than through ``nn.Module.__getattr__``: the tile's checks and its
    # generator read it at every call, and the attribute fallback costs a microsecond or so.
    @property
    def device(self) -> torch.device:
        """The device of the tile's tensors."""
        return self._buffers["_anchor"].device

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point dtype of the tile's tensors."""
        return self._buffers["_anchor"].dtype

    # ------------------------------------------------------------------ randomness
    @property
    def generator(self) -> torch.Generator:
        """The runtime generator, on the tile's current device (created on first use)."""
        gen = self._generator
        if gen is None or gen.device != self.device:
            if gen is not None:
                self._n_moves += 1
            self._generator = make_generator(self._runtime_stream_seed(), self.device)
        return self._generator

    def _runtime_stream_seed(self) -> int:
        if self._n_moves == 0:
            return self.seed
        return derive_seed(self.seed, "moved", self._n_moves)

    @contextlib.contextmanager
    def use_generator(self, generator: torch.Generator) -> Iterator[None]:
        """Draw from ``generator`` instead of the runtime generator inside the block.

        The hook of data-parallel training (:mod:`analogtrain.distributed`): every rank runs
        its forward and backward MVMs on a stream of its own, while updates and maintenance
        stay on the runtime stream that all replicas share. ``generator`` must live on the
        tile's device; the runtime generator is untouched and restored afterwards.
        """
        if not isinstance(generator, torch.Generator) or generator.device != self.device:
            raise TileError(
                f"use_generator needs a torch.Generator on the tile's device {self.device}, "
                f"got {generator!r}"
            )
        saved = self._generator
        self._generator = generator
        try:
            yield
        finally:
            self._generator = saved

    def construction_generator(self, *keys: object) -> torch.Generator:
        """A fresh generator on the tile's device for construction-time draws.

        Without ``keys`` it is seeded with the resolved construction seed itself; with keys
        (e.g. ``"forward"``) it gives an independent stream derived from that seed.
        """
        seed = derive_seed(self.construction_seed, *keys) if keys else self.construction_seed
        return make_generator(seed, self.device)

    def _config_construction_seed(self) -> int:
        """The ``construction_seed`` of the device config (0 when the config has none)."""
        return int(getattr(self.rpu_config.device, "construction_seed", 0) or 0)

    # ------------------------------------------------------------------ learning rate
    def set_learning_rate(self, learning_rate: float) -> None:
        """Set the tile learning rate used by :meth:`update` when no ``lr`` is given."""
        self.learning_rate = _check_lr(learning_rate)

    def get_learning_rate(self) -> float:
        """The tile learning rate."""
        return self.learning_rate

    # ------------------------------------------------------------------ input checks
    def _check_batch(self, t: Tensor, width: int, what: str) -> Tensor:
        """``t`` if it is a finite ``[m, width]`` tensor of the tile's dtype and device."""
        context = f"tile out_size={self.out_size}, in_size={self.in_size}"
        return check_batch(t, width, what, like=self._buffers["_anchor"], context=context)

    def _check_input(self, x: Tensor) -> Tensor:
        return self._check_batch(x, self.in_size, "input x")

    def _check_error(self, d: Tensor) -> Tensor:
        return self._check_batch(d, self.out_size, "error d")

    def _check_update(self, x: Tensor, d: Tensor, lr: float | None) -> float:
        """Check an update call completely before anything changes; returns the rate."""
        rate = self.learning_rate if lr is None else _check_lr(lr)
        self._check_input(x)
        self._check_error(d)
        if x.shape[0] != d.shape[0]:
            raise TileError(
                f"x and d must have the same number of rows, got {x.shape[0]} and {d.shape[0]}"
            )
        return rate

    def _check_weights(self, w: Tensor, what: str = "weights") -> Tensor:
        """``w`` as a finite ``[out, in]`` tensor on the tile's device and dtype."""
        if not isinstance(w, Tensor):
            w = torch.as_tensor(w)
        shape = (self.out_size, self.in_size)
        if tuple(w.shape) != shape:
            raise TileError(f"{what} must have shape {shape}, got {tuple(w.shape)}")
        w = w.detach().to(device=self.device, dtype=self.dtype)
        if not bool(torch.isfinite(w).all()):
            raise TileError(f"{what} contain non-finite values (NaN or inf)")
        return w

    # ------------------------------------------------------------------ the tile operations
    @abc.abstractmethod
    def forward_mvm(self, x: Tensor) -> Tensor:
        """Analog forward product ``y = W x`` per row: ``[m, in] -> [m, out]``."""

    @abc.abstractmethod
    def backward_mvm(self, d: Tensor) -> Tensor:
        """Analog backward product ``z = Wᵀ d`` per row: ``[m, out] -> [m, in]``."""

    @abc.abstractmethod
    def update(self, x: Tensor, d: Tensor, lr: float | None = None) -> None:
        """One update call approximating ``W ← W − lr · Σ_rows d xᵀ`` (``lr=None``: tile rate).

        A rejected call (bad shape, dtype, device or non-finite values) changes nothing.
        """

    @abc.abstractmethod
    def post_update_step(self) -> None:
        """Maintenance after each optimizer step: diffusion, then decay (spec 2.10)."""

    @abc.abstractmethod
    def get_weights(self) -> Tensor:
        """A detached copy of the visible weight ``[out, in]`` on the tile's device."""

    @abc.abstractmethod
    def set_weights(self, weight: Tensor) -> None:
        """Write the visible weight ``[out, in]`` (device rules such as clipping apply)."""

    @abc.abstractmethod
    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        """Hidden per-cross-point parameters and hidden weights, each ``[out, in]``."""

    @abc.abstractmethod
    def set_hidden_parameters(self, params: Mapping[str, Tensor]) -> None:
        """Overwrite the hidden parameters (names must match exactly, else TileError)."""

    def get_hidden_parameter_names(self) -> list[str]:
        """Names of :meth:`get_hidden_parameters`, in order."""
        return list(self.get_hidden_parameters().keys())

    @abc.abstractmethod
    def decay_weights(self, alpha: float = 1.0) -> None:
        """One decay step towards the reset bias (spec 2.8.2)."""

    @abc.abstractmethod
    def diffuse_weights(self) -> None:
        """One diffusion step (spec 2.8.3)."""

    @abc.abstractmethod
    def reset_columns(self, start: int = 0, n: int = -1, prob: float = 1.0) -> None:
        """Reset columns ``start .. start+n-1`` modulo ``in_size`` (``n < 0``: all; 2.8.4)."""

    def reset(self, prob: float = 1.0) -> None:
        """Reset every column with probability ``prob`` per element."""
        self.reset_columns(0, -1, prob)

    @abc.abstractmethod
    def drift_weights(self, delta_t: float) -> None:
        """Advance the power-law drift by ``delta_t`` (spec 2.9; explicit calls only)."""

    # ------------------------------------------------------------------ checkpoints
    def _state_extra(self) -> dict[str, Any]:
        """Non-tensor state of a subclass (counters, flags) to save; override and extend."""
        return {}

    def _load_state_extra(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_state_extra` saved; override together with it."""

    def _rebuild(self) -> None:
        """Rebuild the simulation objects after a checkpoint brought a different config.

        Subclasses that can (their buffers are loaded right afterwards by ``load_state_dict``)
        override this; the default refuses.
        """
        raise TileError(
            f"{type(self).__name__} cannot load a checkpoint whose rpu_config differs from "
            "its own; construct the tile with the saved config"
        )

    def get_extra_state(self) -> dict[str, Any]:
        """Everything ``state_dict`` needs beyond the buffers to resume exactly."""
        gen = self.generator
        return {
            "format": EXTRA_STATE_FORMAT,
            "tile_class": type(self).__name__,
            "out_size": self.out_size,
            "in_size": self.in_size,
            "rpu_config": _config_to_state(self.rpu_config),
            "seed": self.seed,
            "construction_seed": self.construction_seed,
            "n_moves": self._n_moves,
            "generator_device_type": gen.device.type,
            "generator_state": gen.get_state(),
            "learning_rate": self.learning_rate,
            "last_update_m_batch": self.last_update_m_batch,
            "tile": self._state_extra(),
        }

    def set_extra_state(self, state: Any) -> None:
        """Restore :meth:`get_extra_state` (called by ``load_state_dict`` before the buffers
        of the sub-modules are loaded, so a rebuilt structure still receives them)."""
        if not isinstance(state, Mapping) or state.get("format") != EXTRA_STATE_FORMAT:
            raise TileError(f"not an analogtrain tile state (format {EXTRA_STATE_FORMAT})")
        if state["tile_class"] != type(self).__name__:
            raise TileError(
                f"checkpoint holds a {state['tile_class']}, cannot load it into "
                f"a {type(self).__name__}"
            )
        saved_shape = (state["out_size"], state["in_size"])
        if saved_shape != (self.out_size, self.in_size):
            raise TileError(
                f"checkpoint tile has shape {saved_shape}, this tile "
                f"{(self.out_size, self.in_size)}"
            )
        config = _config_from_state(state["rpu_config"])
        self.seed = int(state["seed"])
        self.construction_seed = int(state["construction_seed"])
        if config != self.rpu_config:
            _validate_config(config)
            self.rpu_config = freeze_config(config)
            self._rebuild()
        self._n_moves = int(state["n_moves"])
        self._generator = None
        if state["generator_device_type"] == self.device.type:
            gen = make_generator(self._runtime_stream_seed(), self.device)
            gen.set_state(state["generator_state"].detach().to("cpu", torch.uint8))
            self._generator = gen
        else:  # the stream of another device type cannot be continued here: move on
            self._n_moves += 1
        self.learning_rate = float(state["learning_rate"])
        self.last_update_m_batch = int(state["last_update_m_batch"])
        self._load_state_extra(state["tile"])

    def extra_repr(self) -> str:
        return (
            f"out_size={self.out_size}, in_size={self.in_size}, "
            f"device_config={type(self.rpu_config.device).__name__}, "
            f"dtype={self.dtype}, device={self.device}"
        )


def _config_to_state(rpu_config: Any) -> Any:
    """The config as plain data (loadable with ``torch.load(weights_only=True)``).

    Configs with classes unknown to :mod:`analogtrain.configs.serialization` (a user's own
    device subclass) are kept as a copy of the object instead: ``state_dict``, pickling and
    ``copy.deepcopy`` still work, only a weights-only load refuses them.
    """
    try:
        return to_dict(rpu_config)
    except ConfigError:
        return copy.deepcopy(rpu_config)


def _config_from_state(saved: Any) -> Any:
    if isinstance(saved, Mapping):
        return from_dict(saved)
    return copy.deepcopy(saved)


def _check_lr(lr: float) -> float:
    """``lr`` as a float (a real number or a one-element tensor), finite and >= 0."""
    if type(lr) is float and 0.0 <= lr < math.inf:  # the optimizers' case, decided at once
        return lr
    if isinstance(lr, Tensor) and lr.numel() == 1 and not lr.dtype.is_complex:
        lr = lr.item()
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise ArgumentError(f"learning rate must be a real number, got {lr!r}")
    lr = float(lr)
    if not math.isfinite(lr) or lr < 0.0:
        raise ArgumentError(f"learning rate must be finite and >= 0, got {lr!r}")
    return lr


def _validate_config(rpu_config: Any) -> None:
    """``rpu_config.validate()`` plus the not-simulated check of :mod:`analogtrain.configs`."""
    rpu_config.validate()
    check_simulated(rpu_config)
