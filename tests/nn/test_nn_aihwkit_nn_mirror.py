"""``analogtrain.aihwkit.nn``: every public name of aihwkit 1.2.0's ``aihwkit.nn`` tree (the
lists below are read from aihwkit 1.2.0's source) is there and is analogtrain's own object."""

from __future__ import annotations

import importlib

import pytest

import analogtrain.nn as at_nn
from analogtrain.nn import conversion, rnn, rnn_cells, rnn_layers

AIHWKIT_NN_NAMES = {
    "": [
        "AnalogSequential",
        "AnalogWrapper",
        "AnalogConv1d",
        "AnalogConv2d",
        "AnalogConv3d",
        "AnalogLinear",
        "AnalogRNN",
        "AnalogGRUCell",
        "AnalogLSTMCell",
        "AnalogVanillaRNNCell",
        "AnalogLSTMCellCombinedWeight",
        "AnalogLinearMapped",
        "AnalogConv1dMapped",
        "AnalogConv2dMapped",
        "AnalogConv3dMapped",
    ],
    ".modules.base": ["AnalogLayerBase"],
    ".modules.container": ["AnalogContainerBase", "AnalogSequential", "AnalogWrapper"],
    ".modules.conv": ["AnalogConv1d", "AnalogConv2d", "AnalogConv3d"],
    ".modules.conv_mapped": ["AnalogConv1dMapped", "AnalogConv2dMapped", "AnalogConv3dMapped"],
    ".modules.linear": ["AnalogLinear"],
    ".modules.linear_mapped": ["AnalogLinearMapped"],
    ".modules.rnn.cells": [
        "LSTMState",
        "AnalogVanillaRNNCell",
        "AnalogLSTMCell",
        "AnalogLSTMCellCombinedWeight",
        "AnalogGRUCell",
    ],
    ".modules.rnn.layers": ["AnalogRNNLayer", "AnalogReverseRNNLayer", "AnalogBidirRNNLayer"],
    ".modules.rnn.rnn": ["ModularRNN", "AnalogRNN"],
    ".conversion": ["convert_to_analog", "specific_rpu_config_id"],
}

OWN_MODULES = [at_nn, conversion, rnn, rnn_cells, rnn_layers]


def _own(name: str) -> object:
    if name == "AnalogContainerBase":
        return at_nn.AnalogLayerBase
    for module in OWN_MODULES:
        if hasattr(module, name):
            return getattr(module, name)
    raise AssertionError(f"{name} is not defined in analogtrain.nn")


@pytest.mark.parametrize("suffix", list(AIHWKIT_NN_NAMES))
def test_mirror_module_reexports_analogtrain_objects(suffix):
    mirror = importlib.import_module("analogtrain.aihwkit.nn" + suffix)
    for name in AIHWKIT_NN_NAMES[suffix]:
        assert getattr(mirror, name) is _own(name), f"aihwkit.nn{suffix}.{name}"


def test_mirror_conversion_tables():
    mirror = importlib.import_module("analogtrain.aihwkit.nn.conversion")
    assert mirror._DEFAULT_CONVERSION_MAP == conversion.default_conversion_map()
    assert mirror._DEFAULT_MAPPED_CONVERSION_MAP == conversion.default_mapped_conversion_map()
