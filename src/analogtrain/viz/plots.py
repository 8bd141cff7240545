"""Figures: device pulse responses, learning curves, accuracy bars (matplotlib, optional).

matplotlib is imported only when a figure is drawn (install the ``plot`` extra). Figures are
built with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``, so no GUI
backend and no global state is involved; ``savefig`` renders with Agg.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analogtrain.errors import ArgumentError
from analogtrain.viz.pulse_response import (
    PulseResponse,
    PulseStatistics,
    compute_pulse_response,
    compute_pulse_statistics,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ALGORITHM_COLORS",
    "color_for",
    "new_figure",
    "plot_accuracy_bars",
    "plot_comparison",
    "plot_device",
    "plot_devices",
    "plot_learning_curves",
    "plot_pulse_response",
    "plot_step_sizes",
    "save_figure",
]


#: Fixed colours of the algorithms, so that a name has the same colour in every figure and
#: every run (matplotlib's default cycle, in the order of ``analogtrain compare``).
ALGORITHM_COLORS: dict[str, str] = {
    "sgd": "C0",
    "mp": "C1",
    "tt": "C2",
    "ttv2": "C3",
    "c-ttv2": "C4",
    "agad": "C5",
    "fp": "C7",
}


def color_for(name: str) -> str:
    """The colour of ``name``: :data:`ALGORITHM_COLORS`, else one of matplotlib's ten cycle
    colours chosen by a checksum of the name (stable across runs and processes)."""
    known = ALGORITHM_COLORS.get(name.lower())
    if known is not None:
        return known
    return f"C{zlib.crc32(name.lower().encode()) % 10}"


def _figure_class() -> type:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib: pip install 'analogtrain[plot]' (or pip install matplotlib)"
        ) from exc
    return Figure


def new_figure(
    n_panels: int = 1, *, n_rows: int = 1, width: float = 5.0, height: float = 4.0
) -> Figure:
    """A figure with ``n_rows`` x ``n_panels`` axes (no pyplot, no GUI backend); ``fig.axes``
    lists them row by row."""
    fig = _figure_class()(figsize=(width * n_panels, height * n_rows), layout="constrained")
    fig.subplots(n_rows, n_panels, squeeze=False)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, e.g. ``.png``); returns the path."""
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=dpi)
    return p


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else new_figure(1).axes[0]


def plot_pulse_response(response: PulseResponse, ax: Axes | None = None) -> Axes:
    """Weight against pulse number for every sampled device (up blocks then down blocks)."""
    ax = _axes(ax)
    weights = response.weights.numpy()
    for k in range(weights.shape[1]):
        ax.plot(weights[:, k], linewidth=0.8, alpha=0.8)
    ax.axhline(0.0, color="0.6", linewidth=0.5)
    ax.set_xlabel("pulse number")
    ax.set_ylabel("weight")
    ax.set_title(f"{response.device_name}: up/down pulse loops ({response.n_devices} devices)")
    return ax


def plot_step_sizes(statistics: PulseStatistics, ax: Axes | None = None) -> Axes:
    """Mean up-step and down-step size against the weight, per sampled device."""
    ax = _axes(ax)
    w = statistics.weights.numpy()
    up = statistics.step_up.numpy()
    down = statistics.step_down.numpy()
    for k in range(w.shape[0]):
        ax.plot(
            w[k], up[k], color="tab:red", linewidth=0.8, alpha=0.7, label="up" if k == 0 else None
        )
        ax.plot(
            w[k],
            down[k],
            color="tab:blue",
            linewidth=0.8,
            alpha=0.7,
            label="down" if k == 0 else None,
        )
    ax.axvline(
        statistics.symmetry_point,
        color="k",
        linestyle="--",
        linewidth=0.8,
        label=f"symmetry point {statistics.symmetry_point:.3g}",
    )
    ax.set_xlabel("weight")
    ax.set_ylabel("mean step size of one pulse")
    ax.set_title(f"step size against weight (granularity {statistics.granularity:.3g})")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_device(
    device_config: Any,
    *,
    n_devices: int = 8,
    seed: int = 1,
    n_pulses: int | None = None,
    response: PulseResponse | None = None,
    statistics: PulseStatistics | None = None,
) -> Figure:
    """Two panels: up/down loops of ``n_devices`` sampled devices and step size vs weight.

    Pass precomputed ``response`` / ``statistics`` to avoid recomputing them.
    """
    if response is None:
        response = compute_pulse_response(
            device_config, n_pulses=n_pulses, n_devices=n_devices, seed=seed
        )
    if statistics is None:
        statistics = compute_pulse_statistics(device_config, n_devices=n_devices, seed=seed)
    fig = new_figure(2)
    plot_pulse_response(response, fig.axes[0])
    plot_step_sizes(statistics, fig.axes[1])
    fig.suptitle(
        f"{statistics.device_name}: {statistics.n_states:.0f} states, "
        f"asymmetry {statistics.asymmetry:+.3f}, symmetry point {statistics.symmetry_point:+.3f}"
    )
    return fig


def plot_devices(
    responses: Sequence[PulseResponse],
    statistics: Sequence[PulseStatistics],
    *,
    title: str = "",
) -> Figure:
    """One row per device model: up/down loops (left) and step size against weight (right);
    ``title`` (e.g. the overrides that were applied) on top."""
    if len(responses) != len(statistics) or not responses:
        raise ArgumentError("plot_devices needs one statistics object per response (>= 1)")
    fig = new_figure(2, n_rows=len(responses))
    for row, (resp, stats) in enumerate(zip(responses, statistics)):
        plot_pulse_response(resp, fig.axes[2 * row])
        plot_step_sizes(stats, fig.axes[2 * row + 1])
    if title:
        fig.suptitle(title)
    return fig


def plot_learning_curves(
    curves: Mapping[str, Sequence[Sequence[float]] | Sequence[float]],
    ax: Axes | None = None,
    *,
    ylabel: str = "test accuracy (%)",
) -> Axes:
    """One line per name: value against epoch (1-based).

    A value may be a list of runs (seeds) of equal length: the mean is drawn with a band of
    ± one standard deviation.
    """
    ax = _axes(ax)
    if not curves:
        raise ArgumentError("plot_learning_curves needs at least one curve")
    for name, values in curves.items():
        runs = [list(v) for v in values] if values and _is_nested(values) else [list(values)]
        n = min(len(r) for r in runs)
        if n == 0:
            continue
        mean = [sum(r[i] for r in runs) / len(runs) for i in range(n)]
        epochs = list(range(1, n + 1))
        (line,) = ax.plot(
            epochs, mean, marker="o", markersize=3, label=name, color=color_for(name)
        )
        if len(runs) > 1:
            std = [_std([r[i] for r in runs]) for i in range(n)]
            lo = [m - s for m, s in zip(mean, std)]
            hi = [m + s for m, s in zip(mean, std)]
            ax.fill_between(epochs, lo, hi, color=line.get_color(), alpha=0.2)
    from matplotlib.ticker import MaxNLocator

    longest = max((len(v) if not _is_nested(v) else max(map(len, v))) for v in curves.values() if v)
    if longest <= 12:  # short runs: a tick at every epoch, a margin of half an epoch
        ax.set_xticks(range(1, longest + 1))
        ax.set_xlim(0.5, longest + 0.5)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_accuracy_bars(
    values: Mapping[str, Sequence[float] | float],
    ax: Axes | None = None,
    *,
    ylabel: str = "final test accuracy (%)",
) -> Axes:
    """One bar per name (mean over runs, error bar = standard deviation), value printed on top."""
    ax = _axes(ax)
    if not values:
        raise ArgumentError("plot_accuracy_bars needs at least one value")
    names = list(values)
    runs = [list(v) if isinstance(v, Sequence) else [float(v)] for v in values.values()]
    means = [sum(r) / len(r) if r else math.nan for r in runs]
    stds = [_std(r) for r in runs]
    bars = ax.bar(
        names,
        means,
        yerr=stds if any(stds) else None,
        capsize=4,
        color=[color_for(n) for n in names],
    )
    ax.bar_label(bars, labels=[f"{m:.1f}" for m in means], padding=2, fontsize="small")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(100.0, max((m for m in means if math.isfinite(m)), default=0) * 1.1))
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_comparison(
    curves: Mapping[str, Sequence[Sequence[float]] | Sequence[float]],
    finals: Mapping[str, Sequence[float] | float],
    *,
    title: str = "",
    caption: str | None = None,
) -> Figure:
    """Learning curves (left) and final-accuracy bars (right) in one figure.

    ``caption`` (below the panels) defaults to a sentence saying what the lines, bands and
    error bars are (mean and standard deviation over the runs of each name).
    """
    fig = new_figure(2, width=5.5, height=4.3)
    plot_learning_curves(curves, fig.axes[0])
    plot_accuracy_bars(finals, fig.axes[1])
    if title:
        fig.suptitle(title)
    if caption is None:
        n = {len(v) if _is_nested(v) else 1 for v in curves.values() if v}
        runs = f"{n.pop()} seeds" if len(n) == 1 else "the seeds"
        caption = (
            f"lines: mean test accuracy over {runs}; shaded band and error bars: "
            "± one standard deviation over the seeds (sample std)"
        )
    if caption:
        fig.supxlabel(caption, fontsize="small")
    return fig


def _is_nested(values: Any) -> bool:
    first = values[0]
    return isinstance(first, Sequence) and not isinstance(first, str)


def _std(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))
