"""The comparison figure: stable colours per algorithm, a caption for the band, short-run ticks."""

from __future__ import annotations

import matplotlib.colors as mcolors

from analogtrain.viz.plots import ALGORITHM_COLORS, color_for, plot_comparison, plot_devices


def _line_colors(fig):
    ax = fig.axes[0]
    return {line.get_label(): mcolors.to_hex(line.get_color()) for line in ax.get_lines()}


def test_colours_depend_on_the_name_not_on_the_order_or_the_set_of_algorithms():
    a = plot_comparison({"sgd": [[1, 2], [2, 3]], "c-ttv2": [[3, 4], [4, 5]]}, {"sgd": [2, 3]})
    b = plot_comparison({"c-ttv2": [[3, 4], [4, 5]], "agad": [1, 2], "sgd": [1, 2]}, {"sgd": 1})
    ca, cb = _line_colors(a), _line_colors(b)
    assert ca["sgd"] == cb["sgd"] and ca["c-ttv2"] == cb["c-ttv2"]
    assert len(set(cb.values())) == 3
    assert ca["sgd"] == mcolors.to_hex(ALGORITHM_COLORS["sgd"])
    bars = [mcolors.to_hex(p.get_facecolor()) for p in a.axes[1].patches]
    assert bars == [ca["sgd"]]
    assert color_for("my-new-alg") == color_for("my-new-alg") and color_for("MP") == "C1"


def test_caption_explains_the_seed_band_and_short_runs_get_a_tick_per_epoch():
    fig = plot_comparison({"sgd": [[10, 20, 30]] * 3}, {"sgd": [30, 30, 30]}, title="t")
    caption = fig.get_supxlabel()
    assert "mean test accuracy over 3 seeds" in caption
    assert "one standard deviation over the seeds" in caption
    assert list(fig.axes[0].get_xticks()) == [1, 2, 3]
    assert fig.axes[0].get_xlim() == (0.5, 3.5)


def test_device_plot_title_shows_the_overrides():
    from analogtrain.configs import SoftBoundsDevice
    from analogtrain.viz.pulse_response import compute_pulse_response, compute_pulse_statistics

    cfg = SoftBoundsDevice(up_down=0.2)
    resp = compute_pulse_response(cfg, n_pulses=10, n_devices=2, seed=1)
    stats = compute_pulse_statistics(cfg, n_devices=2, seed=1)
    fig = plot_devices([resp], [stats], title="SoftBounds (up_down=0.2)")
    assert fig.get_suptitle() == "SoftBounds (up_down=0.2)"
