"""PNG charts of an ensemble (matplotlib, Agg backend, no display needed).

- :func:`strength_fan_chart`: one small panel per actor, the median of its
  strength (organization x the M12 arms factor) with 50% and 90% bands over the
  runs, month by month.
- :func:`regime_chart`: the share of runs in each regime type, month by month,
  as a stacked area.

The x axis is in calendar years: month index ``m`` is ``m // 12 + (m % 12) / 12``.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from ..extras import require

matplotlib = require("charts", "matplotlib")  # this module is imported only when a chart is drawn

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, PercentFormatter  # noqa: E402

from ..engine.simulate import Ensemble  # noqa: E402
from ..engine.state import REGIME_KEYS  # noqa: E402
from ..scenario.calendar import format_month  # noqa: E402

DPI = 120
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
REGIME_COLORS = {
    "civilian_nationalist": "#e6a532",
    "right_military": "#4a5a78",
    "nationalist_military": "#5f9e6e",
    "workers_government": "#c0392b",
    "civilian_elected": "#8e7cc3",
}
_FALLBACK_COLORS = ("#8e7cc3", "#7f7f7f", "#bcbd22", "#17becf")


def calendar_years(months: np.ndarray | list[int] | range) -> np.ndarray:
    """Month indices as fractional calendar years (``m // 12 + (m % 12) / 12``)."""
    months = np.asarray(months)
    return months // 12 + (months % 12) / 12.0


def _year_axis(ax, nbins: int) -> None:
    """Whole calendar years on the x axis."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, integer=True))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))


def _span(ensemble: Ensemble) -> str:
    return f"{format_month(ensemble.start)} to {format_month(ensemble.until)}"


def strength_fan_chart(ensemble: Ensemble, path: str | Path, columns: int = 4) -> Path:
    """Write the small-multiples fan chart of every actor's strength to ``path`` (PNG)."""
    quantiles = ensemble.strength_quantiles(QUANTILES)  # (months, actors, 5)
    years = calendar_years(ensemble.months)
    n_actors = len(ensemble.actor_ids)
    columns = max(1, min(columns, n_actors))
    rows = math.ceil(n_actors / columns)
    width, height = 3.6 * columns, 2.5 * rows + 1.1
    figure = Figure(figsize=(width, height), dpi=DPI)
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for index in range(rows * columns):
        ax = axes[index // columns][index % columns]
        if index >= n_actors:
            ax.set_visible(False)
            continue
        q = quantiles[:, index, :]
        band90 = ax.fill_between(years, q[:, 0], q[:, 4], color="#9ecae1", alpha=0.6, linewidth=0, label="90% of runs")
        band50 = ax.fill_between(years, q[:, 1], q[:, 3], color="#4292c6", alpha=0.7, linewidth=0, label="50% of runs")
        (median,) = ax.plot(years, q[:, 2], color="#08306b", linewidth=1.4, label="median")
        name = ensemble.actor_names[index] if index < len(ensemble.actor_names) else ensemble.actor_ids[index]
        ax.set_title("\n".join(textwrap.wrap(name, 34)[:2]), fontsize=8.5)
        ax.set_ylim(0.0, 1.0)
        ax.set_xlim(years[0], years[-1])
        _year_axis(ax, 5)
        ax.grid(True, color="#dddddd", linewidth=0.5)
        ax.tick_params(labelsize=7.5)
        if index % columns == 0:
            ax.set_ylabel("strength", fontsize=8)
        if index // columns == rows - 1 or index + columns >= n_actors:
            ax.set_xlabel("year", fontsize=8)
            ax.tick_params(labelbottom=True)
    figure.suptitle(
        f"Strength of each actor (organization x arms factor), {_span(ensemble)}\n"
        f"{ensemble.scenario_id}: median and bands over {ensemble.n_runs:,} runs (seed {ensemble.seed})",
        fontsize=12,
    )
    figure.legend(handles=[median, band50, band90], loc="upper right", fontsize=9, frameon=False)
    # Margins in inches (tight_layout would cost seconds for two dozen panels).
    figure.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, bottom=0.55 / height, top=1 - 1.15 / height, wspace=0.12, hspace=0.42)
    path = Path(path)
    figure.savefig(path, dpi=DPI, format="png")
    return path


def regime_chart(ensemble: Ensemble, path: str | Path) -> Path:
    """Write the stacked-area chart of regime probabilities over time to ``path`` (PNG)."""
    years = calendar_years(ensemble.months)
    shares = np.asarray(ensemble.regime_counts, dtype=float) / ensemble.n_runs  # (months, regimes)
    figure = Figure(figsize=(10, 5), dpi=DPI)
    ax = figure.subplots()
    colors = [
        ensemble.regime_colours[i] or REGIME_COLORS.get(key, _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]) for i, key in enumerate(REGIME_KEYS)
    ]
    labels = list(ensemble.regime_labels)
    ax.stackplot(years, shares.T, labels=labels, colors=colors, alpha=0.9, linewidth=0)
    ax.set_xlim(years[0], years[-1])
    _year_axis(ax, 10)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("year")
    ax.set_ylabel("share of runs")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(True, color="white", linewidth=0.5, alpha=0.5)
    ax.set_title(
        f"Regime type over time, {_span(ensemble)}\n{ensemble.scenario_id}: {ensemble.n_runs:,} runs (seed {ensemble.seed})"
    )
    handles, legend_labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], legend_labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=DPI, format="png")
    return path
