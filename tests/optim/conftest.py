"""Configurations shared by the layer tests (as fixtures returning factories)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from analogtrain.configs import (
    FloatingPointRPUConfig,
    IdealDevice,
    IOParameters,
    MappingParameter,
    SingleRPUConfig,
)


def _perfect(**mapping: Any) -> SingleRPUConfig:
    return SingleRPUConfig(
        device=IdealDevice(),
        forward=IOParameters(is_perfect=True),
        backward=IOParameters(is_perfect=True),
        mapping=MappingParameter(**mapping),
    )


def _fp(**mapping: Any) -> FloatingPointRPUConfig:
    return FloatingPointRPUConfig(mapping=MappingParameter(**mapping))


@pytest.fixture
def perfect_config() -> Callable[..., SingleRPUConfig]:
    """Factory: exact MVMs (``is_perfect``) both ways, exact update (IdealDevice)."""
    return _perfect


@pytest.fixture
def fp_config() -> Callable[..., FloatingPointRPUConfig]:
    """Factory: the floating-point tile (exact everything)."""
    return _fp


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(1234)
