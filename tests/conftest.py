"""Fixtures shared by the test directories: layer configurations as factories (used by the
nn and optim tests; fixtures apply only where a test requests them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
