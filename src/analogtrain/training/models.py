"""Small networks built from analog layers: an MLP and a LeNet-5-style CNN.

Every analog layer gets the same RPU configuration (deep-copied by the layer). Activations
are ``tanh``, whose bounded output suits the analog input range ``[-1, 1]``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from analogtrain.errors import ArgumentError

__all__ = ["MODELS", "build_model", "lenet", "mlp"]

MODELS: tuple[str, ...] = ("mlp", "lenet")


ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def mlp(
    in_features: int,
    n_classes: int,
    rpu_config: Any,
    *,
    hidden: tuple[int, ...] = (32,),
    activation: str = "tanh",
) -> nn.Sequential:
    """``flatten -> [AnalogLinear -> activation] * len(hidden) -> AnalogLinear``."""
    from analogtrain.nn import AnalogLinear, AnalogSequential

    if activation not in ACTIVATIONS:
        raise ArgumentError(
            f"unknown activation {activation!r}; known: {', '.join(sorted(ACTIVATIONS))}"
        )
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [
            AnalogLinear(width, h, bias=True, rpu_config=rpu_config),
            ACTIVATIONS[activation](),
        ]
        width = h
    layers.append(AnalogLinear(width, n_classes, bias=True, rpu_config=rpu_config))
    return AnalogSequential(*layers)


def lenet(image_shape: tuple[int, int, int], n_classes: int, rpu_config: Any) -> nn.Sequential:
    """LeNet-5 style: two analog convolutions with max-pooling, two analog linear layers.

    28x28 inputs use 5x5 kernels (16 and 32 channels, as in aihwkit's LeNet example); small
    images (< 16 pixels, e.g. the 8x8 digits) use 3x3 kernels with padding.
    """
    from analogtrain.nn import AnalogConv2d, AnalogLinear, AnalogSequential

    channels, height, width = image_shape
    if min(height, width) >= 16:
        kernel, pad = 5, 0
    else:
        kernel, pad = 3, 1
    size_h, size_w = height, width
    for _ in range(2):
        size_h = (size_h + 2 * pad - kernel + 1) // 2
        size_w = (size_w + 2 * pad - kernel + 1) // 2
    if size_h < 1 or size_w < 1:
        raise ArgumentError(f"images of shape {image_shape} are too small for lenet")
    c1, c2, fc = (16, 32, 128) if kernel == 5 else (8, 16, 32)
    return AnalogSequential(
        AnalogConv2d(channels, c1, kernel, padding=pad, rpu_config=rpu_config),
        nn.Tanh(),
        nn.MaxPool2d(2),
        AnalogConv2d(c1, c2, kernel, padding=pad, rpu_config=rpu_config),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        AnalogLinear(c2 * size_h * size_w, fc, rpu_config=rpu_config),
        nn.Tanh(),
        AnalogLinear(fc, n_classes, rpu_config=rpu_config),
    )


def build_model(
    name: str, image_shape: tuple[int, int, int], n_classes: int, rpu_config: Any, **kwargs: Any
) -> nn.Sequential:
    """``"mlp"`` or ``"lenet"`` for images of ``image_shape`` (channels, height, width)."""
    key = name.lower()
    if key == "mlp":
        c, h, w = image_shape
        return mlp(c * h * w, n_classes, rpu_config, **kwargs)
    if key == "lenet":
        return lenet(image_shape, n_classes, rpu_config, **kwargs)
    raise ArgumentError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
