"""Charts of scores and calibrations (matplotlib, Agg backend): reliability diagram, running scores, posterior, epsilon schedule."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

from ..extras import require

matplotlib = require("charts", "matplotlib")  # this module is imported only when a chart is drawn

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..experiments.files import save_figure  # noqa: E402
from .calibration import Posterior  # noqa: E402
from .posterior import distance_label  # noqa: E402
from .scores import FORECASTERS, LABELS, CellForecast, reliability  # noqa: E402

DPI = 120
COLORS = {"model": "#c0392b", "constant": "#4a5a78", "persistence": "#5f9e6e"}


def reliability_chart(forecasts: Sequence[CellForecast], path: str | Path, title: str, bins: int = 5) -> Path:
    """Reliability diagram: each forecaster's mean forecast per probability bin against how often the event happened."""
    figure = Figure(figsize=(6.4, 6.0), dpi=DPI)
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="#999999", linewidth=1, linestyle="--", label="perfectly reliable")
    for name in FORECASTERS:
        points = reliability(forecasts, name, bins)
        if not points:
            continue
        x = [b.mean_forecast for b in points]
        y = [b.frequency for b in points]
        sizes = [20 + 8 * b.count for b in points]
        ax.plot(x, y, color=COLORS[name], linewidth=1.2, alpha=0.8)
        ax.scatter(x, y, s=sizes, color=COLORS[name], alpha=0.8, label=f"{LABELS[name]} (dot size: cells)")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("forecast probability (mean within the bin)")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"{title}\n{len(forecasts)} cells, {bins} probability bins", fontsize=10)
    ax.grid(True, color="#dddddd", linewidth=0.5)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    figure.tight_layout()
    save_figure(figure, path)
    return Path(path)


def running_score_chart(panels: Mapping[str, Sequence[tuple[int, Mapping[str, float]]]], path: str | Path, title: str) -> Path:
    """Each forecaster's running log score through the record, one panel per way of scoring (title -> the last month
    of each period and each forecaster's score in it): a line falls where its forecaster was surprised, so one sees
    when the model gains or loses on the baselines."""
    figure = Figure(figsize=(5.5 * max(len(panels), 1), 4.4), dpi=DPI)
    axes = figure.subplots(1, max(len(panels), 1), sharey=True, squeeze=False)[0]
    for ax, (what, points) in zip(axes, panels.items()):
        ends = [(month + 1) / 12.0 for month, _ in points]  # the end of the month, in years (month index = 12 × year + month − 1)
        for name in FORECASTERS:
            running = np.cumsum([scores[name] for _, scores in points])
            ax.plot(ends, running, color=COLORS[name], linewidth=1.6, marker="o", markersize=2.5,
                    label=f"{LABELS[name]} ({running[-1]:.1f})" if len(running) else LABELS[name])
        if len(ends) == 1:  # one period: a year either side, not the axis matplotlib picks around a lone point
            ax.set_xlim(ends[0] - 1.0, ends[0] + 1.0)
        ax.set_title(what, fontsize=9)
        ax.set_xlabel("end of period")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, color="#dddddd", linewidth=0.5)
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    axes[0].set_ylabel("running total of the log score (higher is better)")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    save_figure(figure, path)
    return Path(path)


def posterior_chart(posterior: Posterior, path: str | Path, columns: int = 4) -> Path:
    """One panel per free parameter: the weighted posterior histogram over the prior's range, the file's value marked."""
    n = len(posterior.parameters)
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    width, height = 3.4 * columns, 2.2 * rows + 1.0
    figure = Figure(figsize=(width, height), dpi=DPI)
    axes = figure.subplots(rows, columns, squeeze=False)
    weights = posterior.weights / posterior.weights.sum()
    for index in range(rows * columns):
        ax = axes[index // columns][index % columns]
        if index >= n:
            ax.set_visible(False)
            continue
        parameter = posterior.parameters[index]
        low, high = parameter["prior"]["low"], parameter["prior"]["high"]
        ax.hist(posterior.values[:, index], bins=12, range=(low, high), weights=weights, color="#4292c6", alpha=0.85)
        ax.axhline(1.0 / 12, color="#999999", linewidth=0.8, linestyle="--")
        ax.axvline(parameter["scenario_value"], color="#c0392b", linewidth=1.2)
        ax.set_xlim(low, high)
        ax.set_title(parameter["path"].removeprefix("mechanisms."), fontsize=7.5)
        ax.tick_params(labelsize=7)
    figure.suptitle(
        f"Posterior of {posterior.scenario_id} calibrated on the record before {posterior.as_of}\n"
        "bars: posterior mass over the prior range; dashed: a flat prior; red: the scenario file's value",
        fontsize=10,
    )
    figure.subplots_adjust(left=0.4 / width, right=1 - 0.2 / width, bottom=0.4 / height, top=1 - 0.95 / height, wspace=0.3, hspace=0.7)
    save_figure(figure, path)
    return Path(path)


def epsilon_chart(posterior: Posterior, path: str | Path) -> Path:
    """The epsilon schedule and the acceptance rate per generation."""
    generations = posterior.generations
    t = np.array([g["t"] for g in generations])
    figure = Figure(figsize=(7.0, 3.6), dpi=DPI)
    left, right = figure.subplots(1, 2)
    left.plot(t, [g["epsilon"] for g in generations], marker="o", color="#08306b")
    left.set_xlabel("generation")
    left.set_ylabel(f"epsilon ({distance_label(posterior)})")
    left.set_title("Epsilon schedule", fontsize=10)
    right.bar(t, [g["acceptance_rate"] for g in generations], color="#5f9e6e")
    right.set_xlabel("generation")
    right.set_ylabel("acceptance rate")
    right.set_ylim(0, 1)
    right.set_title("Acceptance rate", fontsize=10)
    for ax in (left, right):
        ax.set_xticks(t)
        ax.grid(True, color="#dddddd", linewidth=0.5)
    figure.tight_layout()
    save_figure(figure, path)
    return Path(path)


def forecast_chart(rows: Sequence[tuple[str, float, float]], path: str | Path, title: str) -> Path:
    """Horizontal bars of forecast probabilities with their 95% Monte Carlo intervals (rows: label, p, se)."""
    figure = Figure(figsize=(9.0, 0.34 * len(rows) + 1.4), dpi=DPI)
    ax = figure.subplots()
    y = np.arange(len(rows))[::-1]
    p = np.array([r[1] for r in rows])
    se = np.array([r[2] for r in rows])
    ax.barh(y, p, color=COLORS["model"], alpha=0.75, height=0.62)
    ax.errorbar(p, y, xerr=1.96 * se, fmt="none", ecolor="#333333", elinewidth=1, capsize=2.5)
    for yi, pi, si in zip(y, p, se):
        ax.text(min(pi + 1.96 * si + 0.012, 0.93), yi, f"{100 * pi:.1f}%", va="center", fontsize=7.5)
    ax.set_yticks(y)
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability (bars: 95% Monte Carlo interval)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", color="#dddddd", linewidth=0.5)
    figure.tight_layout()
    save_figure(figure, path)
    return Path(path)
