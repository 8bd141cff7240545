"""`AnalogLinear`: a fully connected layer computed on analog tiles (compounds.md 4.4)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.configs import SingleRPUConfig
from analogtrain.configs.entry import check_rpu_config
from analogtrain.nn.layer_base import AnalogLayer
from analogtrain.nn.tile_array import default_tile_module_class

__all__ = ["AnalogLinear", "default_rpu_config"]


def default_rpu_config() -> Any:
    """``SingleRPUConfig()``: a ConstantStep device with default IO and update."""
    return SingleRPUConfig()


def init_like_torch(out_size: int, fan_in: int, bias: bool) -> tuple[Tensor, Tensor | None]:
    """torch's default ``Linear``/``ConvNd`` initialisation, drawn from torch's global RNG:
    kaiming-uniform with ``a = √5``, i.e. ``W, b ~ U(±1/√fan_in)``."""
    weight = torch.empty(out_size, fan_in)
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    b = None
    if bias:
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        b = torch.empty(out_size).uniform_(-bound, bound)
    return weight, b


class AnalogLinear(AnalogLayer, nn.Linear):
    """``y = W x + b`` with ``W`` on analog tiles; a drop-in for :class:`torch.nn.Linear`.

    The forward and backward products are analog MVMs with the IO non-idealities of the
    config; the weight changes only in the optimizer step, by pulses
    (:class:`~analogtrain.optim.AnalogSGD`). ``weight`` and ``bias`` are not torch
    parameters (``self.bias`` is a bool, as in aihwkit); read and write them with
    :meth:`get_weights` / :meth:`set_weights`.

    Args:
        in_features: input size.
        out_features: output size.
        bias: whether the layer has a bias (digital unless ``mapping.digital_bias=False``).
        rpu_config: the tile configuration; ``SingleRPUConfig()`` if None.
        tile_module_class: override the tile module class (default: one tile, or a
            :class:`~analogtrain.nn.tile_array.TileModuleArray` if the mapping splits it).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> None:
        nn.Module.__init__(self)  # not Linear.__init__: there is no torch weight
        self.in_features = in_features
        self.out_features = out_features
        self.bias = bool(bias)  # type: ignore[assignment]
        if rpu_config is None:
            rpu_config = default_rpu_config()
        check_rpu_config(rpu_config, f"{type(self).__name__}(rpu_config=...)")
        # drawn before the tiles take their seeds: same values as nn.Linear after the same seed
        weight, bias_init = init_like_torch(out_features, in_features, self.bias)
        cls = tile_module_class or default_tile_module_class(rpu_config, out_features, in_features)
        self.analog_module = cls(out_features, in_features, rpu_config, bias=self.bias)
        self.set_weights(weight, bias_init)

    def reset_parameters(self) -> None:
        """torch's ``Linear`` initialisation written to the tiles."""
        weight, bias = init_like_torch(self.out_features, self.in_features, self.bias)
        self.set_weights(weight, bias)

    def forward(self, x: Tensor) -> Tensor:
        """``x [..., in_features]`` -> ``[..., out_features]``."""
        return self.analog_module(x)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias}"

    @classmethod
    def from_digital(
        cls,
        module: nn.Linear,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> AnalogLinear:
        """An analog copy of ``module`` (its weights written with ``set_weights``)."""
        layer = cls(
            module.in_features,
            module.out_features,
            module.bias is not None,
            rpu_config,
            tile_module_class,
        )
        bias = module.bias.detach().cpu() if module.bias is not None else None
        layer.set_weights(module.weight.detach().cpu(), bias)
        return layer.to(module.weight.device)

    @classmethod
    def to_digital(cls, module: AnalogLinear, realistic: bool = False) -> nn.Linear:
        """A ``torch.nn.Linear`` holding ``module``'s current (logical) weights."""
        weight, bias = module.get_weights(realistic=realistic)
        linear = nn.Linear(module.in_features, module.out_features, bias is not None)
        with torch.no_grad():
            linear.weight.copy_(weight)
            if bias is not None:
                linear.bias.copy_(bias)
        return linear
