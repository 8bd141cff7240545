"""The tile side of the analog MVM: its per-tile IO state and stateful reads.

The kernels (:func:`analogtrain.kernels.mvm.mvm.analog_mvm`) take the systematic per-tile IO
draws and the running ``AVERAGE_ABS_MAX`` value as a plain dict; a tile keeps them as
buffers in a :class:`TensorState` so that they follow ``.to()`` and ``state_dict``.

As in aihwkit's CPU engine (spec single-tile 3.4), one ``AVERAGE_ABS_MAX`` running value
serves both directions of a tile when both use it: it lives in the forward state and is
lent to the backward pass (:func:`build_io_states`, :func:`stateful_mvm`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.errors import TileError
from analogtrain.kernels.mvm.io_management import AVERAGE_ABS_MAX_KEY
from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state

__all__ = ["TensorState", "build_io_states", "stateful_mvm"]


class TensorState(nn.Module):
    """A named set of tensors kept as buffers, exchanged with kernels as a plain dict.

    Holds, e.g., the systematic per-tile IO draws of :func:`~.mvm.init_io_state`
    so that they move with ``.to()`` and are saved in ``state_dict``. Kernels may replace or add
    entries of the dict they get; :meth:`store` writes them back.
    """

    def __init__(self, values: Mapping[str, Tensor]) -> None:
        super().__init__()
        self.store(values)

    def as_dict(self) -> dict[str, Tensor]:
        """The tensors by name (the buffers themselves, not copies)."""
        return {name: buf for name, buf in self._buffers.items() if buf is not None}

    def snapshot(self) -> dict[str, Tensor]:
        """Detached copies of the tensors by name."""
        return {name: value.detach().clone() for name, value in self.as_dict().items()}

    def overwrite(self, values: Mapping[str, Tensor], what: str) -> None:
        """Copy ``values`` into the existing tensors (same names and shapes, else TileError)."""
        current = self.as_dict()
        if sorted(values) != sorted(current):
            raise TileError(f"{what} names must be {sorted(current)}, got {sorted(values)}")
        converted = {}
        for name, target in current.items():
            value = torch.as_tensor(values[name]).to(device=target.device, dtype=target.dtype)
            if value.shape != target.shape:
                raise TileError(
                    f"{what} {name!r} must have shape {tuple(target.shape)}, "
                    f"got {tuple(value.shape)}"
                )
            converted[name] = value
        with torch.no_grad():
            for name, value in converted.items():
                current[name].copy_(value)

    def store(self, values: Mapping[str, Tensor]) -> None:
        """Take over the entries of ``values`` (new names become new buffers)."""
        for name, value in values.items():
            if not isinstance(value, Tensor):
                raise TileError(f"state entry {name!r} must be a tensor, got {type(value)}")
            if name in self._buffers:
                if self._buffers[name] is not value:
                    self._buffers[name] = value
            else:
                self.register_buffer(name, value)


def build_io_states(
    rpu_config: Any,
    out_size: int,
    in_size: int,
    construction_generator: Callable[[str], torch.Generator],
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[TensorState, TensorState, bool]:
    """The forward and backward IO states of a ``[out_size, in_size]`` tile.

    Each direction draws from its own construction stream (``construction_generator("forward")``
    and ``("backward")``). Returns ``(forward, backward, shared_running_abs_max)``; when the
    last is True the backward state has no running value of its own and
    :func:`stateful_mvm` must be given ``running_from=forward``.
    """
    fwd = init_io_state(
        rpu_config.forward,
        out_size,
        in_size,
        construction_generator("forward"),
        device=device,
        dtype=dtype,
    )
    bwd = init_io_state(
        rpu_config.backward,
        in_size,
        out_size,
        construction_generator("backward"),
        device=device,
        dtype=dtype,
    )
    shared = AVERAGE_ABS_MAX_KEY in fwd and AVERAGE_ABS_MAX_KEY in bwd
    if shared:
        del bwd[AVERAGE_ABS_MAX_KEY]
    return TensorState(fwd), TensorState(bwd), shared


def stateful_mvm(
    weight: Tensor,
    v: Tensor,
    io: Any,
    state: TensorState,
    generator: torch.Generator,
    *,
    is_backward: bool = False,
    running_from: TensorState | None = None,
) -> Tensor:
    """:func:`~analogtrain.kernels.mvm.mvm.analog_mvm` of ``weight`` ``[rows, cols]`` with ``v``
    ``[m, cols]`` -> ``[m, rows]``, its IO state taken from and written back to ``state``.

    For a backward pass, pass the transposed weight and ``is_backward=True``.
    ``running_from`` lends that state's ``AVERAGE_ABS_MAX`` running value for this call.
    """
    values = state.as_dict()
    if running_from is not None:
        values[AVERAGE_ABS_MAX_KEY] = running_from.as_dict()[AVERAGE_ABS_MAX_KEY]
    y = analog_mvm(weight, v, io, values, generator, is_backward=is_backward)
    if running_from is not None:
        running_from.store({AVERAGE_ABS_MAX_KEY: values.pop(AVERAGE_ABS_MAX_KEY)})
    state.store(values)
    return y
