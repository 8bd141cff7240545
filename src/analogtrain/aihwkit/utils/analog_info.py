"""aihwkit's ``utils.analog_info``, over :mod:`analogtrain.viz.summary`."""

from analogtrain.viz.summary import AnalogInfo, LayerInfo, TileInfo, analog_summary

__all__ = ["AnalogInfo", "LayerInfo", "TileInfo", "analog_summary"]
