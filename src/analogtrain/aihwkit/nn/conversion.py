"""``aihwkit.nn.conversion`` (re-exported from :mod:`analogtrain.nn.conversion`).

aihwkit's private conversion tables are given too, as scripts pass them as
``conversion_map``: ``_DEFAULT_MAPPED_CONVERSION_MAP`` converts to the mapped layers.
"""

from analogtrain.nn.conversion import (
    convert_to_analog,
    default_conversion_map,
    default_mapped_conversion_map,
    specific_rpu_config_id,
)

_DEFAULT_CONVERSION_MAP = default_conversion_map()
_DEFAULT_MAPPED_CONVERSION_MAP = default_mapped_conversion_map()

__all__ = ["convert_to_analog", "specific_rpu_config_id"]
