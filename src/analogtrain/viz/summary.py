"""A per-layer table of an analog model: shapes, tiles, tile use, reuse factor.

:func:`analog_summary` (aihwkit's ``utils.analog_info.analog_summary``) runs one forward
pass of zeros of ``input_size`` through a *copy* of the model (so the model, its tiles'
generators and any running statistics stay exactly as they were) to learn every layer's
input and output shape, and lists for each layer:

* name, analog or digital, input / output / kernel shape, number of tiles;
* per tile: logical shape ``(out, in)``, physical shape ``(max_output_size,
  max_input_size)`` of ``rpu_config.mapping`` and the utilisation ``100 · logical /
  physical`` area. analogtrain always splits a layer into tiles of at most the mapping's
  sizes (aihwkit does so only for its ``*Mapped`` layers), so every analog layer is
  reported as mapped;
* the reuse factor, the number of matrix-vector products the layer computes per forward
  pass: ``prod(input shape) / in_features`` for linear layers, ``prod(output shape) /
  out_channels`` for convolutions.

Without ``input_size`` no forward pass runs and the shape columns read ``-``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from analogtrain.errors import ArgumentError

__all__ = ["AnalogInfo", "LayerInfo", "TileInfo", "analog_summary"]

#: the table's columns: (group, header), aihwkit's headers
COLUMN_NAMES: dict[str, tuple[int, str]] = {
    "name": (0, "Layer Name"),
    "isanalog": (0, "Is Analog"),
    "input_size": (0, "In Shape"),
    "output_size": (0, "Out Shape"),
    "kernel_size": (0, "Kernel Shape"),
    "num_tiles": (0, "# of Tiles"),
    "reuse_factor": (0, "Reuse Factor"),
    "log_shape": (1, "Log. tile shape"),
    "phy_shape": (1, "Phys. tile shape"),
    "utilization": (1, "utilization (%)"),
}
_WIDTH = 18


@dataclass
class TileInfo:
    """Shapes and utilisation of one tile."""

    log_out_size: int
    log_in_size: int
    phy_out_size: int
    phy_in_size: int

    @property
    def utilization(self) -> float:
        """Percentage of the physical tile's cross points the logical weights use."""
        return 100.0 * self.log_out_size * self.log_in_size / (self.phy_out_size * self.phy_in_size)

    def tile_summary_dict(self) -> dict[str, Any]:
        """The tile's three table cells."""
        return {
            "log_shape": str((self.log_out_size, self.log_in_size)),
            "phy_shape": str((self.phy_out_size, self.phy_in_size)),
            "utilization": self.utilization,
        }


@dataclass
class LayerInfo:
    """One row of the table (and one sub-row per tile)."""

    module: nn.Module
    path: str
    name: str
    isanalog: bool
    input_size: list[int] | None = None
    output_size: list[int] | None = None
    kernel_size: Any = None
    tiles_info: list[TileInfo] = field(default_factory=list)
    reuse_factor: int | None = None

    @property
    def num_tiles(self) -> int:
        """Number of tiles of the layer."""
        return len(self.tiles_info)

    def layer_summary_dict(self) -> dict[str, Any]:
        """The layer's cells (the tile columns are ``-`` on the layer's own row)."""
        return {
            "name": self.name,
            "isanalog": "analog" if self.isanalog else "digital",
            "input_size": "-" if self.input_size is None else str(self.input_size),
            "output_size": "-" if self.output_size is None else str(self.output_size),
            "kernel_size": "-" if self.kernel_size is None else str(self.kernel_size),
            "num_tiles": self.num_tiles,
            "reuse_factor": "-" if self.reuse_factor is None else str(self.reuse_factor),
            "log_shape": "-",
            "phy_shape": "-",
            "utilization": "-",
        }


def _row(cells: list[Any]) -> str:
    return "".join(f"{str(c):<{_WIDTH}}" for c in cells).rstrip()


@dataclass
class AnalogInfo:
    """The summary of a model: its layers and totals; ``str()`` gives the table."""

    model_name: str
    layer_summary: list[LayerInfo]

    @property
    def total_tile_number(self) -> int:
        """Tiles in the whole model."""
        return sum(layer.num_tiles for layer in self.layer_summary)

    @property
    def total_nb_analog(self) -> int:
        """Analog layers in the model."""
        return sum(1 for layer in self.layer_summary if layer.isanalog)

    def __str__(self) -> str:
        keys = list(COLUMN_NAMES)
        width = _WIDTH * len(keys)
        rule = "=" * width
        lines = [rule, f"Model Name: {self.model_name}", rule, "Per-layer Information", rule]
        n_layer = sum(1 for g, _ in COLUMN_NAMES.values() if g == 0)
        lines.append(f"{'Layer Information':<{_WIDTH * n_layer}}| Tile Information")
        lines.append(_row([header for _, header in COLUMN_NAMES.values()]))
        for layer in self.layer_summary:
            cells = layer.layer_summary_dict()
            lines.append(_row([cells[k] for k in keys]))
            for tile in layer.tiles_info:
                t = tile.tile_summary_dict()
                lines.append(
                    _row(
                        [""] * n_layer + [t["log_shape"], t["phy_shape"], f"{t['utilization']:.2f}"]
                    )
                )
        lines += [
            rule,
            "General Information",
            rule,
            f"Total number of tiles: {self.total_tile_number}",
            f"Total number of analog layers: {self.total_nb_analog}",
        ]
        return "\n".join(lines) + "\n"

    __repr__ = __str__


def _is_reported(module: nn.Module) -> bool:
    from analogtrain.nn import AnalogLayer

    return isinstance(module, AnalogLayer) or len(list(module.children())) == 0


def _reported_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaves and analog layers (whose insides are tiles), in module order."""
    out: list[tuple[str, nn.Module]] = []

    def walk(prefix: str, module: nn.Module) -> None:
        if _is_reported(module):
            out.append((prefix, module))
            return
        for name, child in module.named_children():
            walk(f"{prefix}.{name}" if prefix else name, child)

    walk("", model)
    return out


def _tiles(module: nn.Module) -> list[TileInfo]:
    from analogtrain.nn import AnalogLayer

    if not isinstance(module, AnalogLayer):
        return []
    infos = []
    for tile in module.analog_tiles():
        mapping = tile.rpu_config.mapping
        infos.append(
            TileInfo(tile.out_size, tile.in_size, mapping.max_output_size, mapping.max_input_size)
        )
    return infos


def _reuse_factor(module: nn.Module, inp: list[int], out: list[int]) -> int | None:
    from analogtrain.nn import AnalogConv1d, AnalogConv2d, AnalogLinear

    if isinstance(module, AnalogLinear) and inp:
        return math.prod(inp) // int(inp[-1])
    conv_types: tuple[type, ...] = (AnalogConv1d, AnalogConv2d)
    if isinstance(module, conv_types) and len(out) > 1:
        return math.prod(out) // int(out[1])
    return None


def analog_summary(model: nn.Module, input_size: Any = None, rpu_config: Any = None) -> AnalogInfo:
    """The per-layer summary of ``model`` (see the module docstring).

    Args:
        model: the (analog) model.
        input_size: shape of one input batch, e.g. ``(1, 1, 28, 28)``, for the shapes.
        rpu_config: accepted for aihwkit's signature; the tiles' own configs are reported
            (it may only be ``None`` or an RPU config, it changes nothing in the table).
    """
    if not isinstance(model, nn.Module):
        raise ArgumentError(f"analog_summary needs a torch.nn.Module, got {type(model).__name__}")
    if rpu_config is not None and not hasattr(rpu_config, "mapping"):
        raise ArgumentError(
            f"analog_summary: rpu_config must be an RPU config or None, got "
            f"{type(rpu_config).__name__}"
        )
    reported = _reported_modules(model)
    shapes: dict[str, tuple[list[int], list[int]]] = {}
    if input_size is not None:
        try:
            size = tuple(int(s) for s in input_size)
        except (TypeError, ValueError) as exc:
            raise ArgumentError(
                f"analog_summary: input_size must be a sequence of ints, got {input_size!r}"
            ) from exc
        twin = copy.deepcopy(model)  # the forward pass must not touch the model's state
        twin_modules = dict(twin.named_modules())
        handles = []
        for path, _ in reported:

            def hook(_m: nn.Module, args: Any, output: Any, path: str = path) -> None:
                first = args[0] if args else None
                if isinstance(first, torch.Tensor) and isinstance(output, torch.Tensor):
                    shapes.setdefault(path, (list(first.shape), list(output.shape)))

            handles.append(twin_modules[path].register_forward_hook(hook))
        try:
            param = next(twin.parameters(), None)
            device = param.device if param is not None else torch.device("cpu")
            with torch.no_grad():
                twin(torch.zeros(size, device=device))
        finally:
            for handle in handles:
                handle.remove()
    layers = []
    for path, module in reported:
        inp, out = shapes.get(path, (None, None))
        layers.append(
            LayerInfo(
                module=module,
                path=path,
                name=type(module).__name__,
                isanalog=bool(_tiles(module)),
                input_size=inp,
                output_size=out,
                kernel_size=getattr(module, "kernel_size", None),
                tiles_info=_tiles(module),
                reuse_factor=None if inp is None else _reuse_factor(module, inp, out or []),
            )
        )
    return AnalogInfo(type(model).__name__, layers)
