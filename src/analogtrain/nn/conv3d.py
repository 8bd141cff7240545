"""`AnalogConv3d`: a 3-d convolution computed on analog tiles (compounds.md 4.4).

As for the 1-d and 2-d layers (:mod:`analogtrain.nn.conv`), the convolution is a matrix
product on patches: the padded input ``[N, C, D, H, W]`` is cut into ``L = D_out·H_out·W_out``
patches of ``C·kd·kh·kw`` values (channel-major, then depth, rows, columns: the order of
torch's ``Conv3d`` weight ``[out, C, kd, kh, kw]`` flattened), every patch goes through the
tile ``W [out, C·kd·kh·kw]``, and the result is folded back to ``[N, out, D_out, H_out, W_out]``.
Each patch is one update sample: an optimizer step performs ``m = N·L`` vector updates.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from analogtrain.errors import ArgumentError
from analogtrain.nn.conv import _AnalogConvNd

__all__ = ["AnalogConv3d", "unfold3d"]


def unfold3d(
    x: Tensor,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[Tensor, tuple[int, int, int]]:
    """Patches of an (already padded) ``x [N, C, D, H, W]``.

    Returns ``(patches [N, L, C·kd·kh·kw], (D_out, H_out, W_out))``.
    """
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    out = tuple((x.shape[2 + i] - spans[i]) // stride[i] + 1 for i in range(3))
    if min(out) < 1:
        raise ArgumentError(f"input of shape {tuple(x.shape)} is smaller than the kernel")
    windows = x
    for i in range(3):
        windows = windows.unfold(2 + i, spans[i], stride[i])  # appends a window dimension
    # [N, C, Do, Ho, Wo, span_d, span_h, span_w] -> keep every dilation-th kernel element
    windows = windows[..., :: dilation[0], :: dilation[1], :: dilation[2]]
    n, c = x.shape[:2]
    patches = windows.permute(0, 2, 3, 4, 1, 5, 6, 7).reshape(
        n, out[0] * out[1] * out[2], c * kernel[0] * kernel[1] * kernel[2]
    )
    return patches, (out[0], out[1], out[2])


class AnalogConv3d(_AnalogConvNd):
    """3-d convolution on analog tiles; arguments as :class:`torch.nn.Conv3d` plus
    ``rpu_config`` and ``tile_module_class``. Weights are ``[out, C·kd·kh·kw]`` on the tile
    (``get_weights`` returns that 2-d matrix; ``set_weights`` also takes
    ``[out, C, kd, kh, kw]``). Unlike aihwkit, ``dilation > 1`` is supported."""

    _dims = 3

    def _pad3d(self, x: Tensor) -> Tensor:
        """Apply the padding explicitly (``[N, C, D, H, W]``); 'same' may be asymmetric."""
        if self.padding == "valid":
            return x
        pads: list[int] = []
        # F.pad takes the last dimension first
        for i in (2, 1, 0):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                pads += [total // 2, total - total // 2]
            else:
                pads += [self.padding[i], self.padding[i]]
        return F.pad(x, pads) if any(pads) else x

    def forward(self, x: Tensor) -> Tensor:
        """``[N, C, D, H, W]`` (or unbatched ``[C, D, H, W]``) -> ``[N, out, D', H', W']``."""
        if x.dim() not in (4, 5) or x.shape[-4] != self.in_channels:
            raise ArgumentError(
                f"AnalogConv3d: input has shape {tuple(x.shape)}; expected "
                f"[N, {self.in_channels}, D, H, W]"
            )
        unbatched = x.dim() == 4
        if unbatched:
            x = x.unsqueeze(0)
        patches, out_shape = unfold3d(self._pad3d(x), self.kernel_size, self.stride, self.dilation)
        y = self.analog_module(patches)  # [N, L, out]
        y = y.transpose(1, 2).reshape(x.shape[0], self.out_channels, *out_shape)
        return y.squeeze(0) if unbatched else y

    @classmethod
    def to_digital(cls, module: AnalogConv3d, realistic: bool = False) -> nn.Conv3d:
        """A ``torch.nn.Conv3d`` holding ``module``'s current (logical) weights."""
        digital = nn.Conv3d(
            module.in_channels,
            module.out_channels,
            module.kernel_size,  # type: ignore[arg-type]
            module.stride,  # type: ignore[arg-type]
            module.padding,  # type: ignore[arg-type]
            module.dilation,  # type: ignore[arg-type]
            bias=bool(module.bias),
        )
        weight, bias = module.get_weights(realistic=realistic)
        with torch.no_grad():
            digital.weight.copy_(weight.reshape(digital.weight.shape))
            if bias is not None:
                digital.bias.copy_(bias)
        return digital
