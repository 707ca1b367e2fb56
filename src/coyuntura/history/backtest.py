"""Rolling-origin backtest: calibrate on what came before each vantage, forecast what followed, score it.

For each origin month ``v``: the free parameters are calibrated by ABC-SMC on the
cells of the observed timeline that end before ``v`` (:mod:`.calibration`); the
model's histories, with parameters drawn from that posterior, are filtered on
the same cells and run on to ``v + horizon - 1`` (no later than the end of the
record); every cell lying wholly in that window is scored. The two baselines are
fitted on the same pre-``v`` cells and stand at ``v``. For reference the model is
also scored with the scenario's own parameter values (the same filtering),
so the effect of calibration can be seen. Nothing after ``v`` enters a forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..defaults import DEFAULT_HORIZON, DEFAULT_ORIGINS
from ..engine.tables import Table, to_dict
from ..scenario.calendar import format_month, parse_month
from ..scenario.schema import Scenario
from .baselines import ConstantHazard, Persistence
from .calibration import DATABASE, CalibrationSettings, Posterior, calibrate
from .forecast import DEFAULT_FORECAST_REPLICATIONS
from .observations import Cell, cells_before, cells_within, record_end, require_observations, timeline_cells
from .particles import DEFAULT_MISMATCH, Histories, Simulator, runs_used, simulate_histories
from .posterior import check_draws, draws_label
from .scores import (
    CONSTANT,
    MODEL,
    PERSISTENCE,
    CellForecast,
    JointGroup,
    Replicates,
    cell_forecasts,
    cell_table,
    filter_replicates,
    forecasts_frame,
    join_replicates,
    joint_scores_table,
    totals,
    totals_table,
)


@dataclass
class OriginResult:
    """One vantage: its posterior, the scored cells, and the forecasts with the scenario's own values."""

    origin: int
    until: int
    posterior: Posterior
    forecasts: list[CellForecast]
    reference: list[CellForecast]
    ess: float
    joint: np.ndarray  # per independent filter: the log probability of the scored cells' record given the record before
    alone: dict[Cell, dict[str, float]]  # each forecaster's probability of each scored cell forecast alone

    @property
    def label(self) -> str:
        return f"{format_month(self.origin)}..{format_month(self.until)}"


@dataclass
class Backtest:
    """Every origin's result and the summary tables."""

    scenario_id: str
    origins: list[OriginResult]
    summary: Table
    cells: Table
    joint: Table  # joint log scores per origin: what followed it, at once, given the record before it
    runs: int
    seed: int
    draws: int | None  # parameter vectors drawn per origin; None: one per run

    @property
    def forecasts(self) -> list[CellForecast]:
        return [f for o in self.origins for f in o.forecasts]

    def to_frame(self) -> Any:
        """One row per scored cell of every origin, with its origin, each forecaster's probability and scores (a pandas
        DataFrame, unrounded: :func:`~coyuntura.history.scores.forecasts_frame`)."""
        return forecasts_frame(self.forecasts, origin=[o.label for o in self.origins for _ in o.forecasts])

    def plot(self, path: str | Path) -> Path:
        """Draw the reliability diagram of the calibrated model's cell probabilities over all origins to ``path`` (PNG);
        return the path."""
        from .charts import reliability_chart

        return reliability_chart(self.forecasts, path, f"{self.scenario_id}: backtest reliability (all origins)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the settings, whether the model beats both baselines, the summary by origin, every scored cell, the
        joint scores and each origin's calibration generations, as ``coyuntura backtest --json`` prints them."""
        from .posterior import generations_table

        return {
            "scenario": self.scenario_id, "runs": self.runs, "seed": self.seed, "draws": self.draws,
            "model_beats_baselines": self.model_beats_baselines(),
            "summary": to_dict(self.summary), "cells": to_dict(self.cells), "joint": to_dict(self.joint),
            "generations": {format_month(item.origin): to_dict(generations_table(item.posterior)) for item in self.origins},
        }

    def model_beats_baselines(self) -> bool:
        """Does the calibrated model have the best total log score over all origins?"""
        best = {t.forecaster: t.log_score for t in totals(self.forecasts)}
        return all(best[MODEL] > value for name, value in best.items() if name != MODEL)


def origin_months(scenario: Scenario, origins: Sequence[str]) -> list[int]:
    """The backtest's origins as months, in order: each after the scenario's start and within its record. Checked
    all at once, so that a bad one is refused before any origin is calibrated."""
    months = sorted({parse_month(origin) for origin in origins})
    if not months:
        raise ValueError("give at least one origin month")
    end = record_end(scenario)
    for vantage in months:
        if not scenario.calendar.start < vantage <= end:
            raise ValueError(f"origin {format_month(vantage)} must lie after the start and within the record ({format_month(scenario.calendar.start)}..{format_month(end)})")
    return months


def backtest(
    scenario: Scenario,
    origins: Sequence[str] = DEFAULT_ORIGINS,
    horizon: int = DEFAULT_HORIZON,
    runs: int = 4_000,
    draws: int | None = None,
    settings: CalibrationSettings | None = None,
    out_dir: str | Path = "reports/backtest",
    executor: Any = None,
    simulator: Simulator | None = None,
    mismatch: float = DEFAULT_MISMATCH,
    replications: int = DEFAULT_FORECAST_REPLICATIONS,
    on_origin: Callable[[str, str], None] | None = None,
    calibration_progress: Callable[[int, int, int], None] | None = None,
) -> Backtest:
    """Calibrate, forecast and score from every origin; calibrations go to ``out_dir/<origin>/`` and resume if present.

    ``settings`` gives the ABC-SMC sizes and seed (its ``as_of`` is replaced by each origin).
    ``on_origin`` is called with (origin, stage) as the work proceeds.
    """
    require_observations(scenario)
    if horizon < 1:
        raise ValueError(f"--horizon must be at least 1 month, got {horizon}")
    if runs < 1:
        raise ValueError(f"--runs must be at least 1, got {runs}")
    if replications < 2 or runs < replications:
        raise ValueError(f"--replications must be at least 2 and at most --runs ({runs}), got {replications}")
    runs = runs_used(runs, replications)  # uneven_runs_notice says so
    check_draws(draws, runs, replications)
    months = origin_months(scenario, origins)
    end = record_end(scenario)
    settings = settings or CalibrationSettings(as_of=format_month(months[0]))
    results = []
    replicates = []
    for vantage in months:
        until = min(vantage + horizon - 1, end)
        cells = timeline_cells(scenario, vantage, settings.period)
        known, scored = cells_before(cells, vantage), cells_within(cells, vantage, until)
        label = format_month(vantage)
        if on_origin:
            on_origin(label, "calibrating")
        folder = Path(out_dir) / label
        posterior = calibrate(
            scenario, replace(settings, as_of=label), folder, executor=executor,
            resume=(folder / DATABASE).is_file(), progress=calibration_progress,
        )
        if on_origin:
            on_origin(label, "forecasting")
        constant, persistence = ConstantHazard.fit(known), Persistence.fit(known)
        values = posterior.run_values(scenario, runs, settings.seed, draws, blocks=replications)
        calibrated = simulate_histories(
            scenario, runs, settings.seed, until, condition=known, record=scored, simulator=simulator, mismatch=mismatch,
            parameters=values, blocks=replications,
        )
        plain = simulate_histories(
            scenario, runs, settings.seed, until, condition=known, record=scored, simulator=simulator, mismatch=mismatch, blocks=replications
        )
        replicates.append(filter_replicates(scored, calibrated))
        forecasts = cell_forecasts(scored, calibrated, constant, persistence, vantage)
        joint = joint_log_evidence(scenario, runs, settings.seed, until, known, scored, calibrated, simulator, mismatch, values, replications)
        results.append(
            OriginResult(
                vantage, until, posterior, forecasts, cell_forecasts(scored, plain, constant, persistence, vantage), calibrated.ess,
                joint, baselines_alone(forecasts, known, scored, constant, persistence),
            )
        )
    summary = _summary(scenario, results, runs, draws, join_replicates(replicates))
    joint_table = _joint(scenario, results, mismatch)
    cell_rows = [f for r in results for f in r.forecasts]
    cells_table = cell_table(cell_rows, f"{scenario.id}: every scored cell of the backtest (calibrated model)")
    return Backtest(scenario.id, results, summary, cells_table, joint_table, runs, settings.seed, draws)


def joint_log_evidence(
    scenario: Scenario, runs: int, seed: int, until: int, known: Sequence[Cell], scored: Sequence[Cell], told_known: Histories,
    simulator: Simulator | None, mismatch: float, parameters: Mapping[str, np.ndarray] | None, blocks: int,
) -> np.ndarray:
    """Per independent filter, the log probability of the ``scored`` cells' record given the ``known`` ones: the log
    evidence of a filter conditioned on both, less that of ``told_known`` (the same filter - seed, runs, parameters,
    blocks - conditioned on ``known`` and answering ``scored``). Both walk the same segments on the same streams, so
    they are the same filter up to the origin."""
    if told_known.blocks != blocks or told_known.conditioned_on != tuple(known):
        raise ValueError("told_known must be the same filter conditioned on the known cells alone")
    told_all = simulate_histories(
        scenario, runs, seed, until, condition=list(known) + list(scored), simulator=simulator, mismatch=mismatch,
        parameters=parameters, blocks=blocks,
    )
    joint: np.ndarray = told_all.block_log_evidence - told_known.block_log_evidence
    return joint


def baselines_alone(
    forecasts: Sequence[CellForecast], known: Sequence[Cell], scored: Sequence[Cell], constant: ConstantHazard, persistence: Persistence
) -> dict[Cell, dict[str, float]]:
    """Each forecaster's probability of each scored cell alone, for the joint scores: the model's forecast from the
    origin; the baselines fitted before it, persistence standing at the cell's first month and reading the cells known
    before the origin or scored after it that ended before that month (the chain rule's knowledge, as the model's
    filter has it: a cell straddling the origin is in neither)."""
    reading = replace(persistence, training=tuple(known) + tuple(scored))
    return {
        f.cell: {MODEL: f.probabilities[MODEL], CONSTANT: constant.probability(f.cell), PERSISTENCE: reading.probability(f.cell, f.cell.first)}
        for f in forecasts
    }


def _joint(scenario: Scenario, results: Sequence[OriginResult], mismatch: float) -> Table:
    """Joint log scores per origin and over all origins (a cell after two origins counts once for each, as in the summary)."""
    groups = [JointGroup(format_month(r.origin), r.label, tuple(r.alone.items()), r.joint) for r in results]
    groups.append(JointGroup("total", "all origins", tuple(pair for g in groups for pair in g.alone), np.sum([g.model for g in groups], axis=0)))
    return joint_scores_table(
        groups, mismatch,
        f"{scenario.id}: rolling-origin backtest, joint log scores per origin (what followed it, at once, given the record before it)",
        "Scored window",
        ("Model: parameters from each origin's posterior; baselines fitted on the cells before the origin, persistence "
         "reading the cells known before the origin or scored after it that ended before the cell's first month.",
         "All origins: each origin's scores added up (a cell after two origins counts once for each, as in the summary).",),
    )


def _summary(scenario: Scenario, results: Sequence[OriginResult], runs: int, draws: int | None, replicates: Replicates) -> Table:
    table = totals_table([(format_month(r.origin), r.label, r.forecasts) for r in results], "", replicates, total_row=True)
    reference = {format_month(r.origin): totals(r.reference)[0] for r in results}
    everything = [f for r in results for f in r.reference]
    reference["total"] = totals(everything)[0]
    from ..engine.tables import Column

    cut = 5  # after the model's log score and its SE
    columns = table.columns[:cut] + (Column("log scenario_values", "Log score model (scenario values)", "label"),) + table.columns[cut:]
    rows = tuple(row[:cut] + (round(reference[row[0]].log_score, 3),) + row[cut:] for row in table.rows)
    notes = table.notes + (
        f"Model: parameters from each origin's ABC-SMC posterior ({draws_label(draws)}), histories filtered on the record before the origin, {runs:,} runs.",
        "Model (scenario values): the same, with the scenario file's own parameter values.",
    )
    return Table(
        title=f"{scenario.id}: rolling-origin backtest, total scores per origin (each origin scored on the cells after it)",
        columns=columns, rows=rows, notes=notes,
    )
