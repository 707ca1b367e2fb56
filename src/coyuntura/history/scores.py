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
rolling-origin backtest (:mod:`coyuntura.history.backtest`); the one-step-ahead
(filtered) score is :mod:`coyuntura.history.filtered`.

Totals are also given by *kind* of cell (each outcome key, and ``regime`` for
the regime readings). The Monte Carlo error of the model's totals comes from
:class:`Replicates`: independent replicates of the model's probabilities (blocks
of independent runs here, independent particle filters in the filtered score),
by the delete-one jackknife.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..defaults import DEFAULT_REPLICATES
from ..engine.outcomes import outcome
from ..engine.tables import Column, Table, to_dict
from ..extras import require
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from .baselines import ConstantHazard, Persistence
from .observations import DEFAULT_PERIOD, Cell, record_log_probability, require_observations, smoothed_probability, timeline_cells
from .particles import Histories, Simulator, simulate_histories

MODEL = "model"
CONSTANT = "constant"
PERSISTENCE = "persistence"
FORECASTERS = (MODEL, CONSTANT, PERSISTENCE)
LABELS = {MODEL: "Model", CONSTANT: "Constant hazard", PERSISTENCE: "Persistence"}
REGIME_KIND = "regime"
"""The kind of every regime cell in the breakdown by kind (events: their outcome key)."""


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
            p = float(smoothed_probability(p, self.model_runs))
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


def kind_of(cell: Cell) -> str:
    """The cell's kind in the breakdown: its outcome key (events) or ``regime``."""
    return REGIME_KIND if cell.kind == "regime" else cell.key


REGIME_KIND_LABEL = "Regime in power (any type)"
"""The breakdown's row for the regime cells (event cells are named by their own labels, in the scenario's words)."""


@dataclass(frozen=True)
class Replicates:
    """``K`` independent Monte Carlo replicates of the model's probability of each cell, for its Monte Carlo error.

    ``probabilities[c, r]`` is replicate ``r``'s probability of ``cells[c]``,
    ``effective_runs[c, r]`` the runs behind it (its effective sample size) and
    ``pool[r]`` the weight of replicate ``r`` in the pooled estimate (its runs).
    Leaving replicate ``r`` out gives a pooled estimate of every cell and of every
    total; the spread of those ``K`` estimates is the delete-one jackknife
    standard error, ``sqrt((K - 1) / K * sum_r (T_-r - mean)^2)`` - for one cell's
    probability with equal pools, the replicates' standard deviation over ``sqrt(K)``.
    """

    cells: tuple[Cell, ...]
    probabilities: np.ndarray
    effective_runs: np.ndarray
    pool: np.ndarray
    method: str

    @property
    def k(self) -> int:
        return int(self.pool.size)

    def _rows(self, cells: Sequence[Cell]) -> list[int]:
        index = {cell: i for i, cell in enumerate(self.cells)}
        return [index[cell] for cell in cells]

    def leave_one_out(self) -> tuple[np.ndarray, np.ndarray]:
        """Pooled probabilities and effective runs of every cell with each replicate left out: two ``(cells, K)`` arrays."""
        weighted = self.probabilities * self.pool
        p = (weighted.sum(axis=1, keepdims=True) - weighted) / (self.pool.sum() - self.pool)
        n = self.effective_runs.sum(axis=1, keepdims=True) - self.effective_runs
        return np.clip(p, 0.0, 1.0), n

    def cell_se(self, cell: Cell) -> float:
        """Jackknife standard error of the pooled probability of one cell."""
        p, _ = self.leave_one_out()
        return jackknife_se(p[self._rows([cell])[0]])

    def totals_se(self, cells: Sequence[Cell]) -> tuple[float, float]:
        """Jackknife standard errors of the model's total log score and total Brier score over ``cells``."""
        if not cells:
            return 0.0, 0.0
        p, n = self.leave_one_out()
        rows = self._rows(cells)
        p, n = p[rows], n[rows]
        y = np.array([cell.observed for cell in cells])[:, None]
        log = record_log_probability(p, y, n).sum(axis=0)
        brier = ((p - y) ** 2).sum(axis=0)
        return jackknife_se(log), jackknife_se(brier)


def jackknife_se(estimates: np.ndarray) -> float:
    """The delete-one jackknife standard error from the ``K`` leave-one-out estimates (NaN with fewer than two)."""
    k = estimates.size
    if k < 2:
        return float("nan")
    return float(math.sqrt((k - 1) / k * float(np.sum((estimates - estimates.mean()) ** 2))))


def blurred_log_probability(probability: float, observed: bool, mismatch: float) -> float:
    """The log probability a forecaster gives to what the record says of a cell, read through the record's noise.

    The particle filter weighs a run that agrees with a cell by ``1 - mismatch`` and one that disagrees by
    ``mismatch``; a forecaster giving ``q`` to the observed outcome is read the same way:
    ``(1 - mismatch) q + mismatch (1 - q)``."""
    q = probability if observed else 1.0 - probability
    return math.log((1.0 - mismatch) * q + mismatch * (1.0 - q))


@dataclass(frozen=True)
class JointGroup:
    """Cells scored at once (a period's, an origin's, or all of them), with each filter's log evidence of them."""

    key: str
    label: str
    alone: tuple[tuple[Cell, Mapping[str, float]], ...]  # its cells, each with every forecaster's probability of it alone
    model: np.ndarray  # per independent filter: the log probability of the cells' record given the record before them


def joint_scores_table(
    groups: Sequence[JointGroup],
    mismatch: float,
    title: str,
    what: str = "Cells",
    notes: Sequence[str] = (),
) -> Table:
    """Joint log scores: for each group, the log probability of everything the record says of its cells at once.

    The model's is each group's ``model`` (the particle filters' log evidence of the cells, the chain rule through
    their months), averaged over the filters, with the delete-one jackknife over them. The baselines forecast each
    cell alone, so theirs is the sum over the cells of :func:`blurred_log_probability` of their probabilities
    (a group's ``alone``: each cell with its probability by forecaster); the model's own cells alone are summed the
    same way beside its joint score, so that the two differ only in the jointness.
    """
    k = len(groups[0].model) if groups else 1

    def row(group: JointGroup) -> tuple[Any, ...]:
        model = np.asarray(group.model, dtype=float)
        leave_one_out = (model.sum() - model) / (k - 1) if k > 1 else model
        summed = [
            round(sum(blurred_log_probability(probabilities[name], cell.observed, mismatch) for cell, probabilities in group.alone), 3)
            for name in FORECASTERS
        ]
        return (group.key, group.label, len(group.alone), round(float(np.mean(model)), 3), round(jackknife_se(leave_one_out), 3), *summed)

    rows = tuple(row(group) for group in groups)
    columns = (
        Column("group", "Group", "key"),
        Column("label", what, "label"),
        Column("cells", "Cells", "label"),
        Column("log model", "Joint log score model", "label"),
        Column("se log model", "SE log model", "label"),
        Column("log model alone", "Model, each cell alone", "label"),
        Column("log constant", "Joint log score constant hazard", "label"),
        Column("log persistence", "Joint log score persistence", "label"),
    )
    total = dict(zip((c.key for c in columns), rows[-1])) if rows else {}
    best = max(FORECASTERS, key=lambda name: total[f"log {name}"]) if rows else MODEL
    filters = f"the mean of the {k} filters' (" if k > 1 else "one filter's ("
    all_notes = (
        "Joint log score: the log probability of everything the record says of the cells at once, given the record "
        "before them - so what the model makes happen together (a coup, the strike against it and its defeat; one "
        "attempt making the next likelier) counts, where a per-cell score scores each cell alone.",
        f"Every forecaster is read through the record's noise (mismatch ε = {mismatch}, as the filter weighs runs): "
        "a probability q of what was observed counts as (1 - ε) q + ε (1 - q).",
        "Model: the particle filter's log evidence of the cells (the chain rule through their months: each cell given every "
        f"cell closed before it), {filters}the log of a filter's nearly unbiased estimate is biased low, against the model)"
        + (f"; SE: delete-one jackknife over the {k} filters." if k > 1 else "; no SE from one filter."),
        "Model, each cell alone: its probability of each cell forecast alone (the per-cell tables'), read through the same "
        "noise and summed: what the joint score adds to it is what the model makes happen together.",
        "Baselines: they forecast each cell alone, so their joint score is the sum over the cells.",
        f"Best joint log score over all the cells: {LABELS[best].lower()}.",
        *notes,
    )
    return Table(title=title, columns=columns, rows=rows, notes=all_notes)


def block_replicates(cells: Sequence[Cell], histories: Histories, k: int = DEFAULT_REPLICATES) -> Replicates:
    """Replicates from ``k`` interleaved blocks of one set of histories (runs ``r, r + k, r + 2k, ...``).

    Honest when the runs are independent (no filtering): each block is then an
    independent sample, and interleaving spreads every parameter draw over all blocks.
    """
    k = max(1, min(k, histories.n_runs))
    flags = np.stack([histories.flags[cell] for cell in cells]) if cells else np.zeros((0, histories.n_runs), dtype=bool)
    p = np.zeros((len(cells), k))
    ess = np.zeros((len(cells), k))
    pool = np.zeros(k)
    for r in range(k):
        w = histories.weights[r::k]
        total = float(w.sum())
        pool[r] = total
        p[:, r] = (flags[:, r::k] * w).sum(axis=1) / total
        ess[:, r] = total**2 / float(np.sum(w**2))
    method = (
        f"delete-one jackknife over {k} interleaved blocks of the {histories.n_runs:,} independent runs "
        "(a cell's SE: binomial, sqrt(p(1-p)/N))"
    )
    return Replicates(tuple(cells), p, ess, pool, method)


def filter_replicates(cells: Sequence[Cell], histories: Histories) -> Replicates:
    """Replicates from the independent particle filters of ``histories`` (its ``blocks`` equal contiguous groups of runs).

    Honest for filtered histories too: each filter has its own random streams and resampling."""
    k = histories.blocks
    size = histories.n_runs // k
    flags = np.stack([histories.flags[cell] for cell in cells]) if cells else np.zeros((0, histories.n_runs), dtype=bool)
    weights = histories.weights.reshape(k, size)
    p = np.stack([(flags[:, r * size:(r + 1) * size] * weights[r]).sum(axis=1) for r in range(k)], axis=1) if cells else np.zeros((0, k))
    ess = np.broadcast_to(1.0 / np.sum(weights**2, axis=1), (len(cells), k)).copy()
    method = f"delete-one jackknife over {k} independent particle filters of {size:,} runs each (own random streams, own resampling)"
    return Replicates(tuple(cells), np.clip(p, 0.0, 1.0), ess, np.ones(k), method)


def join_replicates(parts: Sequence[Replicates]) -> Replicates:
    """Replicates of disjoint cell sets side by side (replicate ``r`` of each part taken together as one replicate)."""
    return Replicates(
        tuple(cell for part in parts for cell in part.cells),
        np.vstack([part.probabilities for part in parts]),
        np.vstack([part.effective_runs for part in parts]),
        parts[0].pool,
        parts[0].method,
    )


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


def cell_table(
    forecasts: Sequence[CellForecast], title: str, periods: Sequence[str] | None = None, notes: Sequence[str] = ()
) -> Table:
    """One row per cell: what, window, observed, each forecaster's probability, and the log-score differences.

    ``periods`` (one per forecast) adds the period each cell was forecast in; ``notes`` are added to the table's.
    """
    columns = (
        Column("cell", "Cell", "key"),
        Column("label", "Event", "label"),
        Column("window", "Window", "label"),
        *((Column("period", "Forecast in", "label"),) if periods is not None else ()),
        Column("observed", "Observed", "label"),
        Column("p model", "Model", "probability", "model"),
        Column("se model", "SE", "se", "model"),
        Column("p constant", "Const.", "probability"),
        Column("p persistence", "Persist.", "probability"),
        Column("dlog constant", "Δlog vs const.", "label"),
        Column("dlog persistence", "Δlog vs persist.", "label"),
    )
    rows = []
    for i, f in enumerate(forecasts):
        model_log = f.log_score(MODEL)
        rows.append(
            (
                f.cell.name, f.cell.label, f.cell.window, *((periods[i],) if periods is not None else ()), _yes_no(f.cell),
                f.probabilities[MODEL], f.model_se,
                f.probabilities[CONSTANT], f.probabilities[PERSISTENCE],
                round(model_log - f.log_score(CONSTANT), 3), round(model_log - f.log_score(PERSISTENCE), 3),
            )
        )
    notes = (
        "Probabilities are that the event happens in the window (regimes: that the regime holds at that month).",
        "Δlog: the model's log score minus the baseline's for the cell; positive means the model did better.",
        *notes,
    )
    return Table(title=title, columns=columns, rows=tuple(rows), notes=notes)


def totals_table(
    groups: Sequence[tuple[str, str, Sequence[CellForecast]]],
    title: str,
    replicates: Replicates | None = None,
    total_label: str = "all origins",
    notes: Sequence[str] = (),
    total_row: bool | None = None,
) -> Table:
    """Total log and Brier scores of each forecaster: one row per (key, label, cells) group, and overall.

    With ``replicates`` the model's totals get their Monte Carlo standard errors (jackknife). The overall row
    (``total``) comes with ``total_row=True``, never with ``False``, and by default when there are several groups.
    """
    columns = [Column("group", "Group", "key"), Column("label", "Scored", "label"), Column("cells", "Cells", "label")]
    for name in FORECASTERS:
        columns.append(Column(f"log {name}", f"Log score {LABELS[name].lower()}", "label"))
        if name == MODEL and replicates is not None:
            columns.append(Column("se log model", "SE log model", "label"))
    for name in FORECASTERS:
        columns.append(Column(f"brier {name}", f"Brier {LABELS[name].lower()}", "label"))
        if name == MODEL and replicates is not None:
            columns.append(Column("se brier model", "SE Brier model", "label"))
    rows = []
    everything: list[CellForecast] = []
    for key, label, forecasts in groups:
        everything += list(forecasts)
        rows.append(_totals_row(key, label, forecasts, replicates))
    if total_row or (total_row is None and len(groups) > 1):
        rows.append(_totals_row("total", total_label, everything, replicates))
    best = {t.forecaster: t.log_score for t in totals(everything)}
    winner = max(best, key=best.__getitem__) if everything else MODEL
    notes = (
        "Log score: sum of log(probability given to what happened); higher is better. Brier: sum of (p - observed)^2; lower is better.",
        f"Best total log score: {LABELS[winner].lower()}.",
        *((f"SE of the model's totals: Monte Carlo error, {replicates.method}.",) if replicates is not None else ()),
        *notes,
    )
    return Table(title=title, columns=tuple(columns), rows=tuple(rows), notes=notes)


def _totals_row(key: str, label: str, forecasts: Sequence[CellForecast], replicates: Replicates | None = None) -> tuple[Any, ...]:
    by_name = {t.forecaster: t for t in totals(forecasts)}
    se = replicates.totals_se([f.cell for f in forecasts]) if replicates is not None else None
    logs: list[Any] = []
    briers: list[Any] = []
    for name in FORECASTERS:
        logs.append(round(by_name[name].log_score, 3))
        briers.append(round(by_name[name].brier, 3))
        if name == MODEL and se is not None:
            logs.append(round(se[0], 3))
            briers.append(round(se[1], 3))
    return (key, label, len(forecasts), *logs, *briers)


def _kind_label(forecasts: Sequence[CellForecast]) -> str:
    """A kind's name: its cells' label (a plug-in's in the scenario's words), not one naming a holding."""
    for forecast in forecasts:
        if not forecast.cell.holding:
            return forecast.cell.label
    return outcome(forecasts[0].cell.key).label


def kind_table(forecasts: Sequence[CellForecast], title: str, replicates: Replicates | None = None, notes: Sequence[str] = ()) -> Table:
    """Totals by kind of cell (each outcome key, then ``regime``), and over all cells."""
    kinds: dict[str, list[CellForecast]] = {}
    for f in forecasts:
        kinds.setdefault(kind_of(f.cell), []).append(f)
    order = sorted(kinds, key=lambda k: (k == REGIME_KIND, k))
    groups = [(kind, REGIME_KIND_LABEL if kind == REGIME_KIND else _kind_label(kinds[kind]), kinds[kind]) for kind in order]
    return totals_table(groups, title, replicates, total_label="all kinds", notes=notes, total_row=True)


def forecasts_frame(forecasts: Sequence[CellForecast], **extra: Sequence[Any]) -> Any:
    """A pandas DataFrame, one row per cell: what it is, what happened, each forecaster's probability, log and Brier scores."""
    pd = require("data", "pandas")

    rows = []
    for f in forecasts:
        row: dict[str, Any] = {
            "cell": f.cell.name, "kind": kind_of(f.cell), "key": f.cell.key, "label": f.cell.label, "first": format_month(f.cell.first),
            "last": format_month(f.cell.last), "observed": f.cell.observed,
            "p_model": f.probabilities[MODEL], "se_model": f.model_se, "effective_runs_model": f.model_runs,
        }
        for name in (CONSTANT, PERSISTENCE):
            row[f"p_{name}"] = f.probabilities[name]
        for name in FORECASTERS:
            row[f"log_{name}"] = f.log_score(name)
            row[f"brier_{name}"] = f.brier(name)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column, values in extra.items():
        frame.insert(4, column, list(values))
    return frame


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
    kinds: Table
    replicates: Replicates

    @property
    def mc_error(self) -> str:
        """How the Monte Carlo error is estimated, in words."""
        return self.replicates.method

    def to_frame(self) -> Any:
        """One row per cell (a pandas DataFrame)."""
        return forecasts_frame(self.forecasts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the settings and the three tables (cells, totals, by kind), as ``score --json`` prints them."""
        return {"scenario": self.scenario_id, "mode": "in-sample", "runs": self.runs, "seed": self.seed, "parameters": self.parameters,
                "mc_error": self.mc_error, "cells": to_dict(self.cells), "totals": to_dict(self.totals), "kinds": to_dict(self.kinds)}

    def plot(self, path: str | Path) -> Path:
        """Draw the reliability diagram of the model's cell probabilities to ``path`` (PNG); return the path."""
        from .charts import reliability_chart

        return reliability_chart(self.forecasts, path, f"{self.scenario_id}: reliability")


def score_scenario(
    scenario: Scenario,
    runs: int = 4_000,
    seed: int = 0,
    per_run: Mapping[str, np.ndarray] | None = None,
    parameters: str = "the scenario's values",
    simulator: Simulator | None = None,
    period: int = DEFAULT_PERIOD,
    progress: Callable[[int, int], None] | None = None,
    replicates: int = DEFAULT_REPLICATES,
) -> ScoreResult:
    """Score the whole observed timeline in-sample; ``per_run`` gives free parameters one value per run (posterior draws; default: the scenario's values).

    ``replicates`` interleaved blocks of runs give the Monte Carlo error of the totals.
    """
    require_observations(scenario)
    cells = timeline_cells(scenario, scenario.calendar.start, period)
    until = max(c.last for c in cells)
    histories = simulate_histories(scenario, runs, seed, until, record=cells, simulator=simulator, progress=progress, parameters=per_run)
    forecasts = cell_forecasts(cells, histories, ConstantHazard.fit(cells), Persistence.fit(cells), None)
    blocks = block_replicates(cells, histories, replicates)
    title = f"{scenario.id}: every cell of the observed timeline, in-sample ({runs:,} runs, seed {seed}; {parameters})"
    se_note = (f"SE: Monte Carlo standard error of the model's probability, binomial sqrt(p(1-p)/N) from N = {runs:,} independent runs.",)
    span = f"{format_month(scenario.calendar.start)}..{format_month(until)}"
    return ScoreResult(
        scenario.id, runs, seed, parameters, forecasts,
        cell_table(forecasts, title, notes=se_note),
        totals_table([("in-sample", span, forecasts)], f"{scenario.id}: total scores, in-sample", blocks),
        kind_table(forecasts, f"{scenario.id}: total scores by kind of cell, in-sample ({span})", blocks),
        blocks,
    )
