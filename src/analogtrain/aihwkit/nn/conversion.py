"""``aihwkit.nn.conversion`` (re-exported from :mod:`analogtrain.nn.conversion`).

aihwkit's private conversion tables are given too, as scripts pass them as
``conversion_map``: ``_DEFAULT_MAPPED_CONVERSION_MAP`` converts to the mapped layers.
"""

from analogtrain.nn.conversion import (
    convert_to_analog,
    convert_to_digital,
    default_conversion_map,
    default_digital_conversion_set,
    default_mapped_conversion_map,
    specific_rpu_config_id,
)

_DEFAULT_CONVERSION_MAP = default_conversion_map()
_DEFAULT_MAPPED_CONVERSION_MAP = default_mapped_conversion_map()
_DEFAULT_DIGITAL_CONVERSION_SET = default_digital_conversion_set()

__all__ = ["convert_to_analog", "convert_to_digital", "specific_rpu_config_id"]
