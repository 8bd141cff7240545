"""`AnalogConv1d`, `AnalogConv2d`: convolutions computed on analog tiles (compounds.md 4.4).

A convolution is a matrix product on image patches. The input is unfolded into patches
``[N, L, C·kh·kw]`` (``L`` output pixels; channel-major, then kernel rows, then kernel
columns, the order of :func:`torch.nn.functional.unfold`), every patch goes through the tile
``W [out, C·kh·kw]`` (the torch weight ``[out, C, kh, kw]`` reshaped), and the result is
folded back to ``[N, out, H_out, W_out]``. Each patch is one update sample: one optimizer
step performs ``m = N·L`` vector updates. A 1-d convolution is the 2-d one with ``kh = 1``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from analogtrain.configs.entry import check_rpu_config
from analogtrain.errors import ArgumentError
from analogtrain.kernels.io_checks import values_checked
from analogtrain.nn.layer_base import AnalogLayer
from analogtrain.nn.linear import default_rpu_config, init_like_torch
from analogtrain.nn.tile_array import default_tile_module_class
from analogtrain.nn.tile_module import check_finite_input

__all__ = ["AnalogConv1d", "AnalogConv2d"]

IntOrPair = int | tuple[int, ...]


def _tuple(value: IntOrPair, n: int, name: str) -> tuple[int, ...]:
    values = (value,) * n if isinstance(value, int) else tuple(int(v) for v in value)
    if len(values) != n or any(v < 0 for v in values):
        raise ArgumentError(f"{name}={value!r} must be an int or a tuple of {n} ints >= 0")
    return values


class _AnalogConvNd(AnalogLayer, nn.Module):
    """Shared machinery; ``_dims`` is 1 or 2 (3: ``AnalogConv3d`` has its own forward)."""

    _dims: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair | str = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if groups != 1:
            raise ArgumentError(f"groups={groups}: only one group is supported")
        if padding_mode != "zeros":
            raise ArgumentError(f"padding_mode={padding_mode!r}: only 'zeros' is supported")
        n = self._dims
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride")
        self.dilation = _tuple(dilation, n, "dilation")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ArgumentError(
                f"kernel_size={kernel_size!r}, stride={stride!r}, dilation={dilation!r} "
                "must be positive"
            )
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ArgumentError(f"padding={padding!r}: use an int, a tuple, 'valid' or 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ArgumentError("padding='same' needs stride=1")
            self.padding: tuple[int, ...] | str = padding
        else:
            self.padding = _tuple(padding, n, "padding")
        self.groups = groups
        self.padding_mode = padding_mode
        self.bias = bool(bias)  # type: ignore[assignment]
        self.fan_in = in_channels * math.prod(self.kernel_size)
        if rpu_config is None:
            rpu_config = default_rpu_config()
        check_rpu_config(rpu_config, f"{type(self).__name__}(rpu_config=...)")
        # drawn before the tiles take their seeds: same values as torch's conv after a seed
        weight, bias_init = init_like_torch(out_channels, self.fan_in, self.bias)
        cls = tile_module_class or default_tile_module_class(rpu_config, out_channels, self.fan_in)
        self.analog_module = cls(out_channels, self.fan_in, rpu_config, bias=self.bias)
        self.set_weights(weight, bias_init)

    def reset_parameters(self) -> None:
        """torch's ``ConvNd`` initialisation written to the tiles."""
        weight, bias = init_like_torch(self.out_channels, self.fan_in, self.bias)
        self.set_weights(weight, bias)

    # 2-d view of the geometry: (kh, kw), (sh, sw), ...
    def _geometry2d(self) -> tuple[tuple[int, int], ...]:
        def two(t: tuple[int, ...], fill: int) -> tuple[int, int]:
            return (t[0], t[1]) if len(t) == 2 else (fill, t[0])

        return two(self.kernel_size, 1), two(self.stride, 1), two(self.dilation, 1)

    def _pad2d(self, x: Tensor, kernel: tuple[int, int], dilation: tuple[int, int]) -> Tensor:
        """Apply the padding explicitly (``[N, C, H, W]``); 'same' may be asymmetric."""
        if self.padding == "valid":
            return x
        if self.padding == "same":
            pads: list[int] = []
            for k, d in ((kernel[1], dilation[1]), (kernel[0], dilation[0])):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
        else:
            pad = self.padding if len(self.padding) == 2 else (0, self.padding[0])
            pads = [pad[1], pad[1], pad[0], pad[0]]
        return F.pad(x, pads) if any(pads) else x

    def forward(self, x: Tensor) -> Tensor:
        """``[N, C, *spatial]`` (or unbatched ``[C, *spatial]``) -> ``[N, out, *spatial_out]``."""
        n = self._dims
        if x.dim() not in (n + 1, n + 2) or x.shape[-n - 1] != self.in_channels:
            raise ArgumentError(
                f"input has shape {tuple(x.shape)}; expected [N, {self.in_channels}, ...] "
                f"with {n} spatial dimension(s)"
            )
        unbatched = x.dim() == n + 1
        if unbatched:
            x = x.unsqueeze(0)
        x4 = x.unsqueeze(2) if n == 1 else x  # [N, C, H, W]
        kernel, stride, dilation = self._geometry2d()
        x4 = self._pad2d(x4, kernel, dilation)
        h_out = (x4.shape[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
        w_out = (x4.shape[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        if h_out < 1 or w_out < 1:
            raise ArgumentError(f"input of shape {tuple(x.shape)} is smaller than the kernel")
        # The image is scanned once here (patches repeat each pixel up to kh·kw times).
        check_finite_input(x4, self)
        patches = F.unfold(x4, kernel, dilation=dilation, stride=stride)  # [N, C·kh·kw, L]
        with values_checked():
            y = self.analog_module(patches.transpose(1, 2))  # [N, L, out]
        y = y.transpose(1, 2).reshape(x4.shape[0], self.out_channels, h_out, w_out)
        if n == 1:
            y = y.squeeze(2)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
            f"bias={self.bias}"
        )

    @classmethod
    def from_digital(
        cls,
        module: nn.Module,
        rpu_config: Any = None,
        tile_module_class: type[nn.Module] | None = None,
    ) -> Any:
        """An analog copy of a ``torch.nn.Conv1d``/``Conv2d`` (weights via ``set_weights``)."""
        layer = cls(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            module.stride,
            module.padding,
            module.dilation,
            module.groups,
            module.bias is not None,
            module.padding_mode,
            rpu_config,
            tile_module_class,
        )
        bias = module.bias.detach().cpu() if module.bias is not None else None
        layer.set_weights(module.weight.detach().cpu(), bias)
        return layer.to(module.weight.device)

    @classmethod
    def to_digital(cls, module: Any, realistic: bool = False) -> nn.Module:
        """A torch convolution holding ``module``'s current (logical) weights."""
        digital_cls = nn.Conv1d if cls._dims == 1 else nn.Conv2d
        digital = digital_cls(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            module.stride,
            module.padding,
            module.dilation,
            bias=module.bias,
        )
        weight, bias = module.get_weights(realistic=realistic)
        with torch.no_grad():
            digital.weight.copy_(weight.reshape(digital.weight.shape))
            if bias is not None:
                digital.bias.copy_(bias)
        return digital


class AnalogConv1d(_AnalogConvNd):
    """1-d convolution on analog tiles; arguments as :class:`torch.nn.Conv1d` plus
    ``rpu_config`` and ``tile_module_class``. Weights are ``[out, C·k]`` on the tile."""

    _dims = 1


class AnalogConv2d(_AnalogConvNd):
    """2-d convolution on analog tiles; arguments as :class:`torch.nn.Conv2d` plus
    ``rpu_config`` and ``tile_module_class``. Weights are ``[out, C·kh·kw]`` on the tile
    (``get_weights`` returns that 2-d matrix; ``set_weights`` also takes ``[out, C, kh, kw]``)."""

    _dims = 2
