"""`AnalogSequential`: ``torch.nn.Sequential`` with the analog helper methods."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from analogtrain.nn.layer_base import AnalogLayerBase

__all__ = ["AnalogSequential"]


class AnalogSequential(AnalogLayerBase, nn.Sequential):
    """A sequential container whose :meth:`analog_tiles`, :meth:`get_weights` etc. see
    every analog layer inside (compounds.md 4.4)."""

    @classmethod
    def from_digital(
        cls, module: nn.Sequential, *args: object, **kwargs: object
    ) -> AnalogSequential:
        """Wrap the children of ``module`` (not converted; see ``convert_to_analog``)."""
        return cls(OrderedDict(module.named_children()))

    @classmethod
    def to_digital(cls, module: AnalogSequential, *args: object, **kwargs: object) -> nn.Sequential:
        """A ``torch.nn.Sequential`` of the same children (not converted; see
        ``convert_to_digital``)."""
        return nn.Sequential(OrderedDict(module.named_children()))
