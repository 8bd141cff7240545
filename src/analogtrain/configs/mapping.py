"""`MappingParameter`: how a layer's weights are placed onto tiles (spec single-tile 5.1)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from analogtrain.configs.base import ConfigBase

__all__ = ["MappingParameter"]


@dataclass
class MappingParameter(ConfigBase):
    """Digital periphery around the crossbar: bias, weight scaling and tiling.

    Attributes:
        digital_bias: keep the bias as a digital parameter added after the analog output;
            if False the bias is an extra crossbar column driven by a constant input 1.
        weight_scaling_omega: if > 0, weights written to the tile are scaled so that their
            abs-max is ``omega``; the inverse factor is applied digitally to the outputs.
        weight_scaling_columnwise: one scale per output row instead of one for the tile.
        weight_scaling_lr_compensation: fold the mean scale into the learning rate instead
            of dividing the errors by the scales before the update.
        learn_out_scaling: add a learnable digital output scale (initialised to 1).
        out_scaling_columnwise: that learnable scale per output instead of a scalar.
        max_input_size: largest number of inputs per tile; larger layers are split along
            the inputs and partial outputs summed digitally (0 = never split).
        max_output_size: the same for outputs (outputs concatenated).
    """

    digital_bias: bool = True
    weight_scaling_omega: float = 0.0
    weight_scaling_columnwise: bool = False
    weight_scaling_lr_compensation: bool = False
    learn_out_scaling: bool = False
    out_scaling_columnwise: bool = False
    max_input_size: int = 512
    max_output_size: int = 512

    def compatible_with(self, other: MappingParameter) -> bool:
        """Whether ``other`` differs at most in the three ``weight_scaling_*`` fields."""
        ignore = {
            "weight_scaling_omega",
            "weight_scaling_columnwise",
            "weight_scaling_lr_compensation",
        }
        names = [f.name for f in fields(self) if f.name not in ignore]
        return all(getattr(self, n) == getattr(other, n, None) for n in names)
