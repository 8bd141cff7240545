"""aihwkit-style device figures: returned Figures with the expected panels and lines."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from analogtrain.configs import (  # noqa: E402
    ConstantStepDevice,
    ReferenceUnitCell,
    SoftBoundsDevice,
    TransferCompound,
)
from analogtrain.errors import ArgumentError  # noqa: E402
from analogtrain.viz.device_figures import (  # noqa: E402
    plot_device_compact,
    plot_device_response,
    plot_device_symmetry,
    plot_step_statistics,
    plot_tile_pulse_response,
)
from analogtrain.viz.tile_response import pulse_directions, tile_for_plotting  # noqa: E402


def test_plot_device_compact_returns_loops_and_two_step_panels() -> None:
    fig = plot_device_compact(SoftBoundsDevice(), n_steps=20, n_traces=3, n_loops=1)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    loops = fig.axes[0]
    assert len(loops.get_lines()) == 3
    assert len(loops.get_lines()[0].get_xdata()) == 40  # n_loops * 2 * n_steps pulses
    assert fig.axes[1].get_xlabel() == "up pulse size"


def test_plot_device_compact_draws_only_the_loops_into_given_axes() -> None:
    ax = Figure().add_subplot()
    out = plot_device_compact(ConstantStepDevice(), n_steps=10, n_traces=2, axes=ax, color="k")
    assert out is ax
    assert len(ax.get_lines()) == 2 and ax.get_lines()[0].get_color() == "k"


def test_plot_device_overview_has_two_traces_and_up_down_statistics() -> None:
    fig = plot_device_response(SoftBoundsDevice(), n_steps=20, n_loops=1, n_traces=2)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes[2:]] == ["up-direction", "down-direction"]
    # at least 1000 pulses are drawn (aihwkit's minimum trace length)
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 1000


@pytest.mark.parametrize("cell_class", [ReferenceUnitCell, TransferCompound])
def test_plot_device_overview_works_for_unit_cells_and_transfer_compounds(
    cell_class: type,
) -> None:
    cell = cell_class(unit_cell_devices=[SoftBoundsDevice(), SoftBoundsDevice()])
    fig = plot_device_response(cell, n_steps=10, n_loops=1, n_traces=2)
    assert len(fig.axes) == 4
    assert len(fig.axes[1].get_lines()) == 2  # the noise-free trace of each device


def test_plot_device_symmetry_alternates_pulses_from_w_init() -> None:
    fig = plot_device_symmetry(SoftBoundsDevice(), n_pulses=200, n_traces=2)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 and len(lines[0].get_ydata()) == 200
    with pytest.raises(ArgumentError, match="pulsed device"):
        plot_device_symmetry(ReferenceUnitCell(unit_cell_devices=[SoftBoundsDevice()]))


def test_plot_pulse_response_and_statistics_return_aihwkits_numbers() -> None:
    from analogtrain.configs import SingleRPUConfig

    tile = tile_for_plotting(SingleRPUConfig(device=SoftBoundsDevice()), 2, noise_free=True)
    direction = pulse_directions(10, 40)
    trace = plot_tile_pulse_response(tile, direction)
    assert trace.shape == (40, 2, 1)
    nodes, mean, std = plot_step_statistics(trace, direction, True, num_nodes=5)
    assert nodes.shape == (5,) and mean.shape == (5, 2, 1) and std.shape == (5, 2, 1)
    assert np.nanmin(mean) > 0  # up steps


def test_figures_do_not_use_pyplot() -> None:
    plot_device_compact(SoftBoundsDevice(), n_steps=10, n_traces=1, n_loops=1)
    if "matplotlib.pyplot" in sys.modules:  # imported by another test module: no figures
        import matplotlib.pyplot as plt

        assert plt.get_fignums() == []
