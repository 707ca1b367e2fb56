"""One-step-ahead ("filtered") scores: each period's cells forecast from the record before that period.

The in-sample score (:func:`coyuntura.history.scores.score_scenario`) lets the
model tell the whole history on its own, from 1952; a cell in 1970 is scored
against runs that may have lost track of what happened decades before. The
filtered score asks what the model says about the next few months when it knows
everything up to now:

- the record is cut into consecutive periods of ``period`` months on the grid
  anchored at the calendar's start (the grid the cells are cut on), and each cell
  belongs to the period holding its first month;
- ONE particle filter (:class:`~coyuntura.history.particles.ParticleFilter`) runs
  from the scenario's start. At the start of each period the filtered particle
  cloud - weighted and resampled on every cell that ended before the period's
  first month, and on nothing later - is *forked*; the fork runs on without
  assimilating anything to the last month of the period's latest cell (a cell
  whose window is longer than the period is simulated to its end), and each of
  the period's cells gets the weighted share of runs in which it comes out true:
  its predictive probability. Then the filter itself goes on through the period,
  assimilating the cells that end in it, and the next period is forecast;
- the fork and the filter share their random streams (a segment's streams depend
  only on the seed, its first month and the run's position), so until the filter
  resamples, it reuses what the fork simulated
  (:class:`~coyuntura.history.particles.SegmentCache`) instead of
  simulating the months twice.

Running one filter through the record costs about one simulation of the record
(plus the forks' look-ahead over long windows, and the months re-simulated when
the filter resamples inside a period), where a filter from scratch for each
period would cost one simulation per period. The probability of a cell is, to
the bit, what :func:`~coyuntura.history.particles.simulate_histories`
conditioned on the cells before the period gives with the same seed, runs and
segment ends - and so what :func:`coyuntura.history.forecast.forecast` from the
period's start gives when its segments end at the same months.

**Monte Carlo error.** The runs are ``K`` independent filters side by side (the
blocks of one :class:`~coyuntura.history.particles.ParticleFilter`): filter ``r``
owns positions ``r n .. (r + 1) n - 1``, hence its own random streams, and its own
weights and resampling uniforms; filter 0 is the plain filter of ``n`` runs with
the seed. The model's probability of a cell is the filters' mean; its standard
error and those of the totals come from the delete-one jackknife over the ``K``
filters (:class:`~coyuntura.history.scores.Replicates`). This measures the whole
error of the filter - resampling, weight degeneracy, the correlation resampling
puts between runs - which a standard error from the effective sample size does
not. Simulating the ``K`` filters together (one batch of ``K n`` runs per segment)
costs much less than one after another.

The baselines are scored on the same cells. By default they are fitted on the
whole record (as in the in-sample score: the model's own parameters were also set
by someone who had read the whole history) and stand at the period's start
(persistence reads the record before it: the last regime, the recent events);
with ``baselines="past"`` they are also fitted only on the cells that ended
before the period (prequential, as in the backtest).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np

from ..defaults import DEFAULT_FILTERED_RUNS
from ..engine.tables import Table, to_dict
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from .baselines import ConstantHazard, Persistence
from .observations import DEFAULT_PERIOD, Cell, cells_before, grid_boundaries, require_observations, timeline_cells
from .particles import DEFAULT_MISMATCH, ParticleFilter, SegmentCache, Simulator, check_runs_cover, runs_used
from .scores import (
    CONSTANT,
    DEFAULT_REPLICATES,
    MODEL,
    PERSISTENCE,
    CellForecast,
    JointGroup,
    Replicates,
    cell_table,
    forecasts_frame,
    joint_scores_table,
    kind_table,
    totals_table,
)

BaselineTraining = Literal["in-sample", "past"]
BASELINE_TRAINING: tuple[str, ...] = ("in-sample", "past")


@dataclass(frozen=True)
class ScorePeriod:
    """One period of the grid and the cells whose first month lies in it."""

    first: int
    last: int
    cells: tuple[Cell, ...]

    @property
    def until(self) -> int:
        """The last month any of its cells reaches (past ``last`` for windows longer than the period)."""
        return max(cell.last for cell in self.cells)

    @property
    def label(self) -> str:
        return f"{format_month(self.first)}..{format_month(self.last)}"


def score_periods(cells: Sequence[Cell], start: int, period: int = DEFAULT_PERIOD) -> list[ScorePeriod]:
    """The grid's periods (anchored at ``start``) that hold the first month of some cell, in order, with their cells."""
    if not cells:
        return []
    if min(cell.first for cell in cells) < start:
        raise ValueError(f"a cell begins before {format_month(start)}, the start of the grid")
    starts = grid_boundaries(start, start, max(cell.last for cell in cells), period)
    by_start: dict[int, list[Cell]] = {}
    for cell in cells:
        by_start.setdefault(starts[bisect.bisect_right(starts, cell.first) - 1], []).append(cell)
    return [ScorePeriod(first, first + period - 1, tuple(by_start[first])) for first in sorted(by_start)]


def segment_ends(cells: Sequence[Cell], periods: Sequence[ScorePeriod], start: int) -> tuple[int, ...]:
    """Where the filter's segments end: every cell's last month and the month before every period's start."""
    return tuple(sorted({cell.last for cell in cells} | {p.first - 1 for p in periods if p.first > start}))


@dataclass
class Replication:
    """One of the independent filters: its runs, and its predictive probability of every cell with the ESS behind it."""

    index: int
    first_run: int
    runs: int
    probabilities: dict[Cell, float]
    effective_runs: dict[Cell, float]
    resamplings: int
    log_evidence: float


@dataclass
class FilterPass:
    """The result of one pass of the filters through the record."""

    replications: list[Replication]
    simulated_months: int  # months simulated (for all the runs together), forks and re-simulations after resampling included
    record_months: int  # months from the start to the record's last month
    offspring_months: int = 0  # and months simulated again for the filter's offspring (for all the runs together)
    evidence: tuple[tuple[int, np.ndarray], ...] = ()  # (month, each filter's log evidence of the cells closed by its end), in order


def filter_pass(
    scenario: Scenario,
    runs: int,
    seed: int,
    cells: Sequence[Cell],
    periods: Sequence[ScorePeriod],
    replications: int = 1,
    simulator: Simulator | None = None,
    mismatch: float = DEFAULT_MISMATCH,
    progress: Callable[[int, int], None] | None = None,
    per_run: Mapping[str, np.ndarray] | None = None,
) -> FilterPass:
    """One pass of ``replications`` independent filters of ``runs`` runs each through the record, forecasting each
    period's cells from the clouds at its start.

    Filter ``r`` holds positions ``r * runs .. (r + 1) * runs - 1`` and resampling
    stream ``r`` (a :class:`ParticleFilter` block); filter 0 is exactly the filter
    of :func:`~coyuntura.history.particles.simulate_histories` with ``seed`` and ``runs``.
    ``progress`` is called with (months done, months in all). ``per_run`` gives free parameters
    one value for each of the ``runs * replications`` runs (e.g. posterior draws).
    """
    start = scenario.calendar.start
    ends = segment_ends(cells, periods, start)
    by_end: dict[int, list[Cell]] = {}
    for cell in cells:
        by_end.setdefault(cell.last, []).append(cell)
    particles = ParticleFilter(scenario, runs * replications, seed, cells, simulator, mismatch, blocks=replications, parameters=per_run)
    cache = SegmentCache()
    probabilities: list[dict[Cell, float]] = [{} for _ in range(replications)]
    effective: list[dict[Cell, float]] = [{} for _ in range(replications)]
    simulated = 0
    position = 0
    total = max(ends[-1] - start + 1, 1) if ends else 1
    evidence: list[tuple[int, np.ndarray]] = []

    def walk(end: int) -> None:
        """The filter itself through one more segment, weighted on the cells that close at its end."""
        step(particles, end, store=False)
        particles.assimilate(by_end.get(end, []))
        evidence.append((end, particles.block_log_evidence.copy()))
        if progress is not None:
            progress(particles.month - start + 1, total)

    def step(filter_: ParticleFilter, end: int, store: bool) -> None:
        nonlocal simulated
        if filter_.segment_key(end) not in cache:
            simulated += end - filter_.month
        filter_.advance(end, cache, store)

    for period in periods:
        while particles.month < period.first - 1:  # the filter, to the month before the period
            walk(ends[position])
            position += 1
        ahead = particles.fork(period.cells)  # the predictive clouds: run on, assimilate nothing
        for end in ends[position:]:
            if end > period.until:
                break
            step(ahead, end, store=end <= period.last)  # the filter walks through the period next; later months are rarely reused
        ess = ahead.block_ess()
        for cell in period.cells:
            shares = ahead.block_probabilities(ahead.cell_flags(cell))
            for r in range(replications):
                probabilities[r][cell] = float(shares[r])
                effective[r][cell] = float(ess[r])
    for end in ends[position:]:  # and through the last period, so that its evidence covers the whole record
        walk(end)
    return FilterPass(
        [
            Replication(r, r * runs, runs, probabilities[r], effective[r], int(particles.block_resamplings[r]), float(particles.block_log_evidence[r]))
            for r in range(replications)
        ],
        simulated,
        total,
        math.ceil(particles.resimulated_run_months / (runs * replications)),
        tuple(evidence),
    )


@dataclass
class FilteredScore:
    """One-step-ahead scores of a scenario (or posterior) on its observed timeline, with their Monte Carlo errors."""

    scenario_id: str
    runs: int
    seed: int
    parameters: str
    period: int
    mismatch: float
    baselines: str
    periods: list[ScorePeriod]
    replications: list[Replication]
    simulated_months: int
    record_months: int
    forecasts: list[CellForecast]
    replicates: Replicates
    cells: Table
    totals: Table
    kinds: Table
    by_period: Table  # totals by grid period: which periods the model wins and loses one step ahead
    joint: Table  # joint log scores by grid period: each period's record at once, given the record before it
    offspring_months: int = 0  # months simulated again for the filters' offspring (for all the runs together)

    @property
    def mc_error(self) -> str:
        """How the Monte Carlo error is estimated, in words."""
        return self.replicates.method

    def running_scores(self) -> dict[str, list[tuple[int, dict[str, float]]]]:
        """Each forecaster's log score period by period, cell by cell (``"cells"``: the by-period table) and jointly
        (``"joint"``): the last month of each period and the scores in it, in order (what the running-score chart draws)."""
        cells = [f.cell for f in self.forecasts]

        def scores(table: Table, key: str) -> dict[str, float]:
            row = table.row(key)
            return {name: float(row[f"log {name}"]) for name in (MODEL, CONSTANT, PERSISTENCE)}

        return {
            "cells": [(p.last, scores(self.by_period, p.label)) for p in self.periods],
            "joint": [
                (last, scores(self.joint, f"{format_month(first)}..{format_month(last)}"))
                for first, last in closing_periods(cells, self.periods[0].first, self.period)
            ],
        }

    def period_of(self, cell: Cell) -> ScorePeriod:
        for period in self.periods:
            if cell in period.cells:
                return period
        raise KeyError(cell.name)

    def to_frame(self) -> Any:
        """One row per cell (a pandas DataFrame), with the period it was forecast in and each filter's probability."""
        frame = forecasts_frame(self.forecasts, period=[self.period_of(f.cell).label for f in self.forecasts])
        for replication in self.replications:
            frame[f"p_model_{replication.index}"] = [replication.probabilities[f.cell] for f in self.forecasts]
        return frame

    def plot(self, path: str | Path) -> Path:
        """Draw each forecaster's running log score through the record, cell by cell and jointly, to ``path`` (PNG);
        return the path. A line falls where its forecaster was surprised."""
        from .charts import running_score_chart

        running = self.running_scores()
        panels = {"cell by cell, each period's cells from its start": running["cells"],
                  "jointly, each period's record given the record before it": running["joint"]}
        return running_score_chart(panels, path, f"{self.scenario_id}: the log score through the record, one step ahead")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: settings, the filters, the periods and the five tables (cells, totals, by kind, by period, joint)."""
        return {
            "scenario": self.scenario_id,
            "mode": "filtered (one step ahead)",
            "runs": self.runs,
            "seed": self.seed,
            "parameters": self.parameters,
            "period_months": self.period,
            "mismatch": self.mismatch,
            "baselines": self.baselines,
            "mc_error": self.mc_error,
            "simulated_months": self.simulated_months,
            "record_months": self.record_months,
            "offspring_months": self.offspring_months,
            "replications": [
                {"index": r.index, "first_run": r.first_run, "runs": r.runs, "resamplings": r.resamplings, "log_evidence": r.log_evidence}
                for r in self.replications
            ],
            "periods": [
                {
                    "period": p.label,
                    "cells": len(p.cells),
                    "forecast_through": format_month(p.until),
                    "effective_runs": float(sum(r.effective_runs[p.cells[0]] for r in self.replications)),
                }
                for p in self.periods
            ],
            "cells": to_dict(self.cells),
            "totals": to_dict(self.totals),
            "kinds": to_dict(self.kinds),
            "by_period": to_dict(self.by_period),
            "joint": to_dict(self.joint),
        }


def period_table(forecasts: Sequence[CellForecast], periods: Sequence[ScorePeriod], title: str, replicates: Replicates | None = None) -> Table:
    """Totals by grid period (the periods a one-step-ahead score forecasts in turn), and over all of them."""
    by_cell = {f.cell: f for f in forecasts}
    groups = [(p.label, p.label, [by_cell[cell] for cell in p.cells]) for p in periods]
    return totals_table(groups, title, replicates, total_label="all periods", total_row=True)


def closing_periods(cells: Sequence[Cell], start: int, period: int) -> list[tuple[int, int]]:
    """The grid's periods (anchored at ``start``) in which some cell closes, as (first, last) months, in order."""
    if not cells:
        return []
    spans = [(first, first + period - 1) for first in grid_boundaries(start, start, max(cell.last for cell in cells), period)]
    return [(first, last) for first, last in spans if any(first <= cell.last <= last for cell in cells)]


def joint_table(
    cells: Sequence[Cell],
    start: int,
    period: int,
    evidence: Sequence[tuple[int, np.ndarray]],
    alone: Mapping[Cell, Mapping[str, float]],
    mismatch: float,
    title: str,
    notes: Sequence[str] = (),
) -> Table:
    """Joint log scores by grid period (:func:`~coyuntura.history.scores.joint_scores_table`): the cells that close in
    each period, scored at once given the record before it, and the whole record.

    The model's is the particle filters' log evidence gathered over the period (``evidence``: each filter's running
    total after each segment end, each cell given every cell closed before it).
    """
    if not cells:
        raise ValueError("no cells to score jointly")
    if not evidence:
        raise ValueError("no filter evidence: the joint scores need the particle filters' log evidence through the record")
    months = [month for month, _ in evidence]
    k = len(evidence[0][1])

    def after(month: int) -> np.ndarray:
        """Each filter's log evidence of the cells closed by the end of ``month``."""
        i = bisect.bisect_right(months, month) - 1
        return evidence[i][1] if i >= 0 else np.zeros(k)

    def group(key: str, label: str, first: int, last: int) -> JointGroup:
        closing = tuple((cell, alone[cell]) for cell in cells if first <= cell.last <= last)
        return JointGroup(key, label, closing, after(last) - after(first - 1))

    groups = [group(f"{format_month(first)}..{format_month(last)}", f"{format_month(first)}..{format_month(last)}", first, last)
              for first, last in closing_periods(cells, start, period)]
    groups.append(group("total", "whole record", start, max(cell.last for cell in cells)))
    return joint_scores_table(groups, mismatch, title, "Cells closing in", notes)


def filtered_score(
    scenario: Scenario,
    runs: int = DEFAULT_FILTERED_RUNS,
    seed: int = 0,
    per_run: Mapping[str, np.ndarray] | None = None,
    parameters: str = "the scenario's values",
    simulator: Simulator | None = None,
    period: int = DEFAULT_PERIOD,
    replications: int = DEFAULT_REPLICATES,
    mismatch: float = DEFAULT_MISMATCH,
    baselines: BaselineTraining = "in-sample",
    progress: Callable[[int, int], None] | None = None,
) -> FilteredScore:
    """Score every cell of the observed timeline one step ahead: forecast from the filtered cloud at its period's start.

    ``runs`` are split evenly among ``replications`` independent filters
    (:func:`filter_pass`; a remainder is dropped); ``per_run`` gives free parameters one
    value per run (e.g. posterior draws, :meth:`Posterior.run_values` with ``blocks=replications``;
    default: the scenario's values); ``baselines`` is ``"in-sample"``
    (fitted on the whole record) or ``"past"`` (fitted on the cells before each
    period). ``progress`` is called with (months done, months in all).
    """
    require_observations(scenario)
    if replications < 2:
        raise ValueError(f"--replications must be at least 2 (the Monte Carlo error comes from their spread), got {replications}")
    check_runs_cover(runs, replications)
    if baselines not in BASELINE_TRAINING:
        raise ValueError(f"--baselines must be one of {', '.join(BASELINE_TRAINING)}, got {baselines!r}")
    start = scenario.calendar.start
    cells = timeline_cells(scenario, start, period)
    periods = score_periods(cells, start, period)
    per_filter = runs_used(runs, replications) // replications  # uneven_runs_notice says when some are left out
    if per_run is not None:
        per_run = {path: np.asarray(values)[: per_filter * replications] for path, values in per_run.items()}
    done = filter_pass(scenario, per_filter, seed, cells, periods, replications, simulator, mismatch, progress, per_run)
    results = done.replications
    ordered = [cell for p in periods for cell in p.cells]
    replicates = Replicates(
        tuple(ordered),
        np.array([[r.probabilities[cell] for r in results] for cell in ordered]),
        np.array([[r.effective_runs[cell] for r in results] for cell in ordered]),
        np.full(replications, float(per_filter)),
        f"delete-one jackknife over {replications} independent particle filters of {per_filter:,} runs each "
        f"(own random streams, own resampling); a cell's SE is the spread of the {replications} filters' probabilities over sqrt({replications})",
    )
    constant_all, persistence_all = ConstantHazard.fit(cells), Persistence.fit(cells)
    forecasts = []
    alone: dict[Cell, dict[str, float]] = {}  # each forecaster's probability of each cell forecast alone, for the joint scores
    for p in periods:
        if baselines == "past":
            known = cells_before(cells, p.first)
            constant, persistence = ConstantHazard.fit(known), Persistence.fit(known)
        else:
            constant, persistence = constant_all, persistence_all
        for cell in p.cells:
            model = float(np.mean([r.probabilities[cell] for r in results]))
            alone[cell] = {MODEL: model, CONSTANT: constant.probability(cell, cell.first), PERSISTENCE: persistence.probability(cell, cell.first)}
            forecasts.append(
                CellForecast(
                    cell,
                    {
                        MODEL: model,
                        CONSTANT: constant.probability(cell, p.first),
                        PERSISTENCE: persistence.probability(cell, p.first),
                    },
                    replicates.cell_se(cell),
                    float(sum(r.effective_runs[cell] for r in results)),
                )
            )
    used = per_filter * replications
    span = f"{format_month(start)}..{format_month(max(c.last for c in cells))}"
    how = (
        f"Model: predictive probability from the particle filters' clouds at the start of the cell's {period}-month period "
        f"(grid from {format_month(start)}), filtered on every cell that ended before it (mismatch ε = {mismatch}); "
        "windows longer than the period are simulated to their end without assimilating anything.",
        "Baselines: fitted on the whole record, standing at the period's start (persistence reads only the record before it)."
        if baselines == "in-sample"
        else "Baselines: fitted on the cells that ended before the period, standing at its start (prequential).",
        f"SE: Monte Carlo error, {replicates.method}.",
    )
    title = f"{scenario.id}: every cell of the observed timeline, one step ahead ({used:,} runs in {replications} filters, seed {seed}; {parameters})"
    return FilteredScore(
        scenario.id, used, seed, parameters, period, mismatch, baselines, periods, results, done.simulated_months, done.record_months,
        forecasts, replicates,
        cell_table(forecasts, title, periods=[p.label for p in periods for _ in p.cells], notes=how),
        totals_table([("filtered", span, forecasts)], f"{scenario.id}: total scores, one step ahead (filtered)", replicates),
        kind_table(forecasts, f"{scenario.id}: total scores by kind of cell, one step ahead (filtered, {span})", replicates),
        period_table(forecasts, periods, f"{scenario.id}: total scores by period, each forecast from the record before it", replicates),
        joint_table(
            cells, start, period, done.evidence, alone, mismatch,
            f"{scenario.id}: joint log scores by period, each period's record at once given the record before it ({span})",
            ("Baselines: fitted on " + ("the whole record, as in the in-sample score" if baselines == "in-sample"
             else "the cells that ended before the period of the cell's first month (prequential)")
             + "; each stands at the cell's first month (persistence reads every cell that ended before it).",),
        ),
        done.offspring_months,
    )
