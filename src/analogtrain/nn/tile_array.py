"""A layer mapped onto a grid of tiles (compounds.md 4.5, single-tile.md 5.1).

A weight matrix larger than ``mapping.max_input_size`` columns or ``max_output_size`` rows
is split into near-equal blocks, each an independent :class:`AnalogTileModule` (own device
draws, own noise and bound management, own mapping scales, own update). With the inputs
split into parts ``x_a`` and the outputs into parts ``b``,

    y[..., b] = Σ_a tile[a][b](x_a) + bias[b]

the partial sums being digital. The bias is always digital, held by the array.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.configs.entry import check_rpu_config
from analogtrain.errors import ArgumentError, NotSimulatedError
from analogtrain.kernels.io_checks import values_checked
from analogtrain.nn.tile_class import tile_module_class_of
from analogtrain.nn.tile_module import (
    AnalogTileModule,
    check_finite_input,
    check_omega,
    check_weight_shapes,
    describe_module,
    split_sizes,
)

__all__ = ["TileModuleArray", "default_tile_module_class"]


def default_tile_module_class(rpu_config: Any, out_size: int, in_size: int) -> type[nn.Module]:
    """:class:`TileModuleArray` when the mapping limits split an ``out x in`` layer, else
    the class of ``rpu_config.tile_class`` (:func:`~analogtrain.nn.tile_class.
    tile_module_class_of`, :class:`AnalogTileModule` by default; compounds.md 2.4, 4.5).

    ``rpu_config.tile_array_class`` may be an ``nn.Module`` subclass (used for split layers)
    or ``None`` (never split, as in aihwkit); a class name means :class:`TileModuleArray`.
    """
    check_rpu_config(rpu_config, "rpu_config")
    mapping = rpu_config.mapping
    split = (
        len(split_sizes(in_size, mapping.max_input_size)) > 1
        or len(split_sizes(out_size, mapping.max_output_size)) > 1
    )
    array_class = getattr(rpu_config, "tile_array_class", "TileModuleArray")
    if not split or array_class is None:
        return tile_module_class_of(rpu_config)
    if isinstance(array_class, type) and issubclass(array_class, nn.Module):
        return array_class
    return TileModuleArray


class TileModuleArray(nn.Module):
    """A grid of :class:`AnalogTileModule` s computing one ``out_size x in_size`` layer.

    Args:
        out_size: number of outputs of the layer.
        in_size: number of inputs of the layer.
        rpu_config: configuration; each tile gets its own deep copy.
        bias: whether the layer has a (digital) bias.
        device: torch device of the tiles.
        in_sizes: explicit input block sizes (summing to ``in_size``) instead of the
            near-equal split; the mapped convolutions use it to keep kernels whole.
    """

    def __init__(
        self,
        out_size: int,
        in_size: int,
        rpu_config: Any,
        bias: bool = False,
        *,
        device: torch.device | str | None = None,
        in_sizes: list[int] | None = None,
    ) -> None:
        super().__init__()
        check_rpu_config(rpu_config, f"{type(self).__name__}(rpu_config=...)")
        mapping = rpu_config.mapping
        self.out_size = out_size
        self.in_size = in_size
        if in_sizes is not None and (sum(in_sizes) != in_size or min(in_sizes) < 1):
            raise ArgumentError(f"in_sizes={in_sizes} must be positive and sum to {in_size}")
        self.in_sizes = (
            split_sizes(in_size, mapping.max_input_size) if in_sizes is None else list(in_sizes)
        )
        self.out_sizes = split_sizes(out_size, mapping.max_output_size)
        self.array = nn.ModuleList(
            nn.ModuleList(
                tile_module_class_of(rpu_config)(out_b, in_a, rpu_config, bias=False, device=device)
                for out_b in self.out_sizes
            )
            for in_a in self.in_sizes
        )
        first = self.array[0][0].analog_ctx
        self.bias: nn.Parameter | None = (
            nn.Parameter(torch.zeros(out_size, dtype=first.dtype, device=first.device))
            if bias
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        """``x [..., in_size]`` -> ``[..., out_size]``."""
        where = describe_module(self)
        if not isinstance(x, Tensor):
            raise ArgumentError(f"{where}: input must be a torch.Tensor, got {type(x).__name__}")
        if x.shape[-1:] != (self.in_size,):
            raise ArgumentError(
                f"{where}: input has shape {tuple(x.shape)}; its last dimension must be "
                f"{self.in_size}"
            )
        # Checked as a whole before the first tile draws noise (a bad value in the second
        # tile's slice must not advance the first tile's generator).
        check_finite_input(x, where)
        dtype = self.array[0][0].analog_ctx.dtype
        if x.dtype != dtype:
            raise ArgumentError(
                f"{where}: input dtype {x.dtype} does not match the tile dtype {dtype}"
            )
        parts = torch.split(x, self.in_sizes, dim=-1)
        y: Tensor | None = None
        with values_checked():  # the tiles need not scan their slices again
            for row, x_a in zip(self.array, parts):
                y_a = torch.cat([tile(x_a) for tile in row], dim=-1)
                y = y_a if y is None else y + y_a
        assert y is not None
        if self.bias is not None:
            y = y + self.bias
        return y

    def analog_tile_modules(self) -> list[AnalogTileModule]:
        """The tile modules, input block major."""
        return [tile for row in self.array for tile in row]

    @torch.no_grad()
    def get_weights(
        self, apply_weight_scaling: bool = True, realistic: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """The logical ``(weight [out, in], bias or None)`` assembled from the tiles (CPU)."""
        rows = [
            torch.cat([tile.get_weights(apply_weight_scaling, realistic)[0] for tile in row], dim=0)
            for row in self.array
        ]
        weight = torch.cat(rows, dim=1)
        bias = self.bias.detach().cpu().clone() if self.bias is not None else None
        return weight, bias

    @torch.no_grad()
    def set_weights(
        self,
        weight: Tensor,
        bias: Tensor | None = None,
        apply_weight_scaling: bool = True,
        realistic: bool = False,
        weight_scaling_omega: float | None = None,
    ) -> None:
        """Write ``weight [out, in]`` block by block and the bias into the digital bias."""
        if realistic:
            raise NotSimulatedError("set_weights(realistic=True) (closed-loop programming)")
        where = f"{describe_module(self)}.set_weights"
        weight, bias = check_weight_shapes(
            weight, bias, self.out_size, self.in_size, self.bias is not None, where
        )
        omega = check_omega(weight_scaling_omega, where)
        if omega is None:
            omega = float(self.array[0][0].rpu_config.mapping.weight_scaling_omega)
        # Every tile's mapping scale is at most max|W| / omega: finite here means finite in
        # every tile, so no tile can refuse after another was written.
        if apply_weight_scaling and omega > 0 and weight.numel():
            top = float(weight.abs().max()) / omega
            if not math.isfinite(top):
                raise ArgumentError(
                    f"{where}: weight_scaling_omega={omega!r} gives non-finite mapping "
                    "scales; nothing was written"
                )
        in_parts = torch.split(weight, self.in_sizes, dim=1)
        for row, w_a in zip(self.array, in_parts):
            for tile, w_ab in zip(row, torch.split(w_a, self.out_sizes, dim=0)):
                tile.set_weights(
                    w_ab,
                    apply_weight_scaling=apply_weight_scaling,
                    weight_scaling_omega=weight_scaling_omega,
                )
        if self.bias is not None and bias is not None:
            self.bias.copy_(bias.to(self.bias))

    def post_update_step(self) -> None:
        """Post-update step of every tile."""
        for tile in self.analog_tile_modules():
            tile.post_update_step()

    def extra_repr(self) -> str:
        return f"out_sizes={self.out_sizes}, in_sizes={self.in_sizes}, bias={self.bias is not None}"
