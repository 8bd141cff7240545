"""All parameter groups of a configuration, in one import place.

Each group lives in its own module (``io``, ``update``, ``mapping``, ``drift``,
``inference``, ``pre_post``, ``runtime``); this module re-exports them.
"""

from __future__ import annotations

from analogtrain.configs.drift import DriftParameter, SimpleDriftParameter
from analogtrain.configs.inference import (
    WeightClipParameter,
    WeightModifierParameter,
    WeightRemapParameter,
)
from analogtrain.configs.io import IOParameters
from analogtrain.configs.mapping import MappingParameter
from analogtrain.configs.pre_post import InputRangeParameter, PrePostProcessingParameter
from analogtrain.configs.runtime import RuntimeParameter
from analogtrain.configs.update import UpdateParameters

__all__ = [
    "DriftParameter",
    "IOParameters",
    "InputRangeParameter",
    "MappingParameter",
    "PrePostProcessingParameter",
    "RuntimeParameter",
    "SimpleDriftParameter",
    "UpdateParameters",
    "WeightClipParameter",
    "WeightModifierParameter",
    "WeightRemapParameter",
]
