"""Mirror of ``aihwkit.simulator.parameters.pre_post`` (input ranges)."""

from analogtrain.configs import InputRangeParameter, PrePostProcessingParameter

__all__ = [
    "InputRangeParameter",
    "PrePostProcessingParameter",
]
