"""The floating-point preset: an exact tile that is never split (aihwkit 1.2.0 name).

aihwkit 1.2.0 defines ``FloatingPointPreset`` on its torch inference configuration with a
perfect forward pass, input-range learning off and no tiling (``max_input_size =
max_output_size = 0``). For training that is an exact floating-point layer; analogtrain has no
inference configuration, so the preset is a :class:`FloatingPointRPUConfig` (which has no
``forward`` field: its forward pass is always perfect) with aihwkit's mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.configs.mapping import MappingParameter
from analogtrain.configs.rpu_configs import FloatingPointRPUConfig

__all__ = ["FloatingPointPreset"]


def _untiled() -> MappingParameter:
    return MappingParameter(max_input_size=0, max_output_size=0)


@dataclass
class FloatingPointPreset(FloatingPointRPUConfig):
    """Exact floating-point tile, one tile per layer whatever its size."""

    mapping: MappingParameter = field(default_factory=_untiled)
