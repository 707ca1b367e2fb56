"""Proper scores of forecasts against the observed timeline, for the model and the two baselines.

Each cell of the timeline gets, from each forecaster, the probability that its
outcome happens (or its regime holds). The *log score* of a cell is the log of
the probability given to what was observed (0 is perfect; higher is better);
the *Brier score* is ``(p - observed)^2`` (0 is perfect; lower is better). Both
are proper: a forecaster does best by saying what it believes. Totals are sums
over cells. The model's probability is a Monte Carlo share of ``n`` runs (its
effective sample size); for the log score it is read as ``(p n + 0.5) / (n + 1)``
so that a share of 0 out of ``n`` runs does not score minus infinity.

:func:`score_scenario` scores the whole timeline in-sample: the model simulated
from the scenario's start without conditioning (its own account of the whole
history), the baselines fitted on every cell. The out-of-sample comparison is the
rolling-origin backtest (:mod:`coyuntura.history.backtest`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..report.tables import Column, Table
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from .baselines import ConstantHazard, Persistence
from .observations import DEFAULT_PERIOD, Cell, require_observations, timeline_cells
from .particles import Histories, Simulator, simulate_histories

MODEL = "model"
CONSTANT = "constant"
PERSISTENCE = "persistence"
FORECASTERS = (MODEL, CONSTANT, PERSISTENCE)
LABELS = {MODEL: "Model", CONSTANT: "Constant hazard", PERSISTENCE: "Persistence"}


@dataclass(frozen=True)
class CellForecast:
    """Every forecaster's probability for one cell (the model's with its SE and effective runs)."""

    cell: Cell
    probabilities: dict[str, float]
    model_se: float
    model_runs: float

    def scored_probability(self, forecaster: str) -> float:
        """The probability used for the log score (the model's smoothed by half a run)."""
        p = self.probabilities[forecaster]
        if forecaster == MODEL:
            p = (p * self.model_runs + 0.5) / (self.model_runs + 1.0)
        return p

    def log_score(self, forecaster: str) -> float:
        p = self.scored_probability(forecaster)
        return math.log(p if self.cell.observed else 1.0 - p)

    def brier(self, forecaster: str) -> float:
        return (self.probabilities[forecaster] - float(self.cell.observed)) ** 2


def cell_forecasts(cells: Sequence[Cell], histories: Histories, constant: ConstantHazard, persistence: Persistence, as_of: int | None) -> list[CellForecast]:
    """The forecasters' probabilities for ``cells``; baselines stand at ``as_of`` (None: at each cell's start)."""
    result = []
    for cell in cells:
        p, se = histories.cell_probability(cell)
        result.append(
            CellForecast(
                cell,
                {MODEL: p, CONSTANT: constant.probability(cell), PERSISTENCE: persistence.probability(cell, as_of)},
                se,
                histories.ess,
            )
        )
    return result


@dataclass(frozen=True)
class Totals:
    """Summed scores of one forecaster over a set of cells."""

    forecaster: str
    cells: int
    log_score: float
    brier: float


def totals(forecasts: Sequence[CellForecast]) -> list[Totals]:
    """Total log score and Brier score of each forecaster."""
    return [
        Totals(name, len(forecasts), float(sum(f.log_score(name) for f in forecasts)), float(sum(f.brier(name) for f in forecasts)))
        for name in FORECASTERS
    ]


def _yes_no(cell: Cell) -> str:
    return "yes" if cell.observed else "no"


def cell_table(forecasts: Sequence[CellForecast], title: str) -> Table:
    """One row per cell: what, window, observed, each forecaster's probability, and the log-score differences."""
    columns = (
        Column("cell", "Cell", "key"),
        Column("label", "Event", "label"),
        Column("window", "Window", "label"),
        Column("observed", "Observed", "label"),
        Column("p model", "Model", "probability", "model"),
        Column("se model", "SE", "se", "model"),
        Column("p constant", "Const.", "probability"),
        Column("p persistence", "Persist.", "probability"),
        Column("dlog constant", "Δlog vs const.", "label"),
        Column("dlog persistence", "Δlog vs persist.", "label"),
    )
    rows = []
    for f in forecasts:
        model_log = f.log_score(MODEL)
        rows.append(
            (
                f.cell.name, f.cell.label, f.cell.window, _yes_no(f.cell), f.probabilities[MODEL], f.model_se,
                f.probabilities[CONSTANT], f.probabilities[PERSISTENCE],
                round(model_log - f.log_score(CONSTANT), 3), round(model_log - f.log_score(PERSISTENCE), 3),
            )
        )
    notes = (
        "Probabilities are that the event happens in the window (regimes: that the regime holds at that month).",
        "Δlog: the model's log score minus the baseline's for the cell; positive means the model did better.",
    )
    return Table(title=title, columns=columns, rows=tuple(rows), notes=notes)


def totals_table(groups: Sequence[tuple[str, str, Sequence[CellForecast]]], title: str) -> Table:
    """Total log and Brier scores of each forecaster: one row per (key, label, cells) group, and overall."""
    columns = [Column("group", "Group", "key"), Column("label", "Scored", "label"), Column("cells", "Cells", "label")]
    for name in FORECASTERS:
        columns.append(Column(f"log {name}", f"Log score {LABELS[name].lower()}", "label"))
    for name in FORECASTERS:
        columns.append(Column(f"brier {name}", f"Brier {LABELS[name].lower()}", "label"))
    rows = []
    everything: list[CellForecast] = []
    for key, label, forecasts in groups:
        everything += list(forecasts)
        rows.append(_totals_row(key, label, forecasts))
    if len(groups) > 1:
        rows.append(_totals_row("total", "all origins", everything))
    best = {t.forecaster: t.log_score for t in totals(everything)}
    winner = max(best, key=best.get) if everything else MODEL
    notes = (
        "Log score: sum of log(probability given to what happened); higher is better. Brier: sum of (p - observed)^2; lower is better.",
        f"Best total log score: {LABELS[winner].lower()}.",
    )
    return Table(title=title, columns=tuple(columns), rows=tuple(rows), notes=notes)


def _totals_row(key: str, label: str, forecasts: Sequence[CellForecast]) -> tuple[Any, ...]:
    by_name = {t.forecaster: t for t in totals(forecasts)}
    return (
        key, label, len(forecasts),
        *[round(by_name[name].log_score, 3) for name in FORECASTERS],
        *[round(by_name[name].brier, 3) for name in FORECASTERS],
    )


@dataclass(frozen=True)
class ReliabilityBin:
    """Cells whose forecast fell in ``[low, high)``: their mean forecast and how often the event happened."""

    low: float
    high: float
    count: int
    mean_forecast: float
    frequency: float


def reliability(forecasts: Sequence[CellForecast], forecaster: str, bins: int = 5) -> list[ReliabilityBin]:
    """Reliability (calibration) curve data: forecast probability bins against observed frequency."""
    p = np.array([f.probabilities[forecaster] for f in forecasts], dtype=float)
    y = np.array([float(f.cell.observed) for f in forecasts])
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.minimum(np.digitize(p, edges) - 1, bins - 1)
    result = []
    for k in range(bins):
        chosen = index == k
        if np.any(chosen):
            result.append(ReliabilityBin(float(edges[k]), float(edges[k + 1]), int(chosen.sum()), float(p[chosen].mean()), float(y[chosen].mean())))
    return result


@dataclass
class ScoreResult:
    """In-sample scores of a scenario (or posterior) on its observed timeline."""

    scenario_id: str
    runs: int
    seed: int
    parameters: str
    forecasts: list[CellForecast]
    cells: Table
    totals: Table


def score_scenario(
    scenario: Scenario,
    runs: int = 4_000,
    seed: int = 0,
    scenarios: Sequence[Scenario] | None = None,
    parameters: str = "the scenario's values",
    simulator: Simulator | None = None,
    period: int = DEFAULT_PERIOD,
    progress: Callable[[int, int], None] | None = None,
) -> ScoreResult:
    """Score the whole observed timeline in-sample; ``scenarios`` are posterior draws (default: the scenario itself)."""
    require_observations(scenario)
    cells = timeline_cells(scenario, scenario.calendar.start, period)
    until = max(c.last for c in cells)
    histories = simulate_histories(list(scenarios or [scenario]), runs, seed, until, record=cells, simulator=simulator, progress=progress)
    forecasts = cell_forecasts(cells, histories, ConstantHazard.fit(cells), Persistence.fit(cells), None)
    title = f"{scenario.id}: every cell of the observed timeline, in-sample ({runs:,} runs, seed {seed}; {parameters})"
    return ScoreResult(
        scenario.id, runs, seed, parameters, forecasts,
        cell_table(forecasts, title),
        totals_table(
            [("in-sample", f"{format_month(scenario.calendar.start)}..{format_month(until)}", forecasts)],
            f"{scenario.id}: total scores, in-sample",
        ),
    )
