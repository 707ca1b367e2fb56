"""Forecasts from any vantage month, conditioned on the observed timeline before it.

Conditioning is by filtering, not by snapshot: the model's histories are
simulated from the scenario's start and filtered on every observation that ends
before the vantage (sequential importance resampling, see
:mod:`coyuntura.history.particles`); the surviving histories are then run on
over the horizon. Why not a snapshot? A snapshot is a hand-written state for
one month (this scenario has two, for 1970-10 and 1971-03); it exists for few
months, bypasses the model's own dynamics, and a snapshot written after the
vantage would leak what came next (the October 1970 one describes the coup's
defeat). Filtering works from any month, uses only what was observed before it,
carries the calibrated parameters through the whole history, and is what the
backtest needs to treat every origin alike. The effective sample size after
filtering is reported, and the standard errors use it.

The vantage ``--as-of YYYY-MM`` is the *start* of that month: the observations
known are those ending in the month before, and the horizon's months are the
vantage month and the ``horizon - 1`` after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from ..defaults import DEFAULT_FORECAST_REPLICATIONS
from ..engine.events import EventType, Outcome, actors_in_mask
from ..engine.model import new_event_kinds
from ..engine.outcomes import new_outcome, outcome, possible_outcomes, runs_with_outcome
from ..engine.state import REGIME_KEYS
from ..engine.tables import Column, Table, standing_note
from ..scenario.calendar import format_month
from ..scenario.checks import recorded_event_kinds
from ..scenario.schema import Scenario
from .observations import DEFAULT_PERIOD, cells_before, timeline_cells
from .particles import DEFAULT_MISMATCH, Histories, Simulator, check_runs_cover, runs_used, simulate_histories

FORECAST_OUTCOMES = (
    "coup_success", "coup_failed", "general_strike", "repression_wave", "left_front", "popular_assembly", "workers_government",
)
"""The outcomes a forecast reports (events, and the Left's front standing at any time), besides the regime at the horizon
and who makes a successful coup."""



@dataclass
class Forecast:
    """A forecast table and how it was conditioned."""

    scenario_id: str
    vantage: int
    until: int
    runs: int
    seed: int
    parameters: str
    conditioning: str
    observations: int
    ess: float
    resamplings: int
    table: Table
    histories: Histories

    def to_frame(self) -> Any:
        """One row per outcome: its probability over the window and the Monte Carlo SE (a pandas DataFrame)."""
        return self.table.to_frame()

    def plot(self, path: str | Path) -> Path:
        """Draw the outcomes' probabilities with their errors to ``path`` (PNG); return the path."""
        from .charts import forecast_chart

        window = f"{format_month(self.vantage)}..{format_month(self.until)}"
        rows = [(_short_label(row[1]), float(row[2]), float(row[3])) for row in self.table.rows]
        return forecast_chart(rows, path, f"{self.scenario_id}: forecast for {window} ({self.runs:,} runs)")

    def to_dict(self) -> dict:
        from ..engine.tables import to_dict

        return {
            "scenario": self.scenario_id,
            "as_of": format_month(self.vantage),
            "window": f"{format_month(self.vantage)}..{format_month(self.until)}",
            "runs": self.runs,
            "seed": self.seed,
            "parameters": self.parameters,
            "conditioning": self.conditioning,
            "observations_used": self.observations,
            "effective_sample_size": self.ess,
            "resamplings": self.resamplings,
            "replications": self.histories.blocks,
            "se_method": self.histories.se_method,
            "table": to_dict(self.table),
        }


def check_window(scenario: Scenario, vantage: int, horizon: int) -> int:
    """The forecast's last month; raise a clear error if the window leaves the scenario's calendar."""
    if horizon < 1:
        raise ValueError(f"--horizon must be at least 1 month, got {horizon}")
    calendar = scenario.calendar
    if vantage <= calendar.start:
        raise ValueError(f"--as-of {format_month(vantage)} must come after the scenario's start {format_month(calendar.start)}")
    until = vantage + horizon - 1
    if until > calendar.horizon:
        raise ValueError(
            f"--as-of {format_month(vantage)} with --horizon {horizon} reaches {format_month(until)}, "
            f"past the scenario's horizon {format_month(calendar.horizon)}"
        )
    return until


def _coalition(mask: int, scenario: Scenario) -> str:
    """Who made a coup: the plotter (the army's right faction, else the young officers, else the regional plotter)
    and its backers."""
    coup = scenario.mechanisms.get("coup")
    if coup is None:  # a scenario without the coup mechanism logs no coups
        return "no coup mechanism"
    ids = [actor.id for actor in scenario.actors]
    members = [ids[i] for i in actors_in_mask(mask)]
    plotter = next((f for f in (coup.right_faction, coup.swing_faction) if f in members), coup.regional_elite)
    name = {actor.id: actor.name.split(" (")[0] for actor in scenario.actors}
    backers = [name[m] for m in members if m != plotter]
    return name[plotter] + (f", backed by {', '.join(backers)}" if backers else "")


def forecast(
    scenario: Scenario,
    vantage: int,
    horizon: int,
    runs: int = 10_000,
    seed: int = 0,
    per_run: Mapping[str, np.ndarray] | None = None,
    parameters: str = "the scenario's values",
    simulator: Simulator | None = None,
    period: int = DEFAULT_PERIOD,
    mismatch: float = DEFAULT_MISMATCH,
    progress: Callable[[int, int], None] | None = None,
    replications: int = DEFAULT_FORECAST_REPLICATIONS,
) -> Forecast:
    """Forecast months ``vantage .. vantage + horizon - 1`` from histories filtered on the observations before ``vantage``.

    ``per_run`` gives free parameters one value per run (e.g. posterior draws); default: the scenario's values.
    The runs are split among ``replications`` independent particle filters (a remainder is dropped); each
    probability is their mean and its standard error comes from their spread (1: from the effective sample size).
    """
    until = check_window(scenario, vantage, horizon)
    if replications < 1:
        raise ValueError(f"--replications must be at least 1, got {replications}")
    check_runs_cover(runs, replications)
    runs = runs_used(runs, replications)  # uneven_runs_notice says so
    if per_run is not None:
        per_run = {path: np.asarray(values)[:runs] for path, values in per_run.items()}
    condition = cells_before(timeline_cells(scenario, vantage, period), vantage)
    histories = simulate_histories(
        scenario, runs, seed, until, condition=condition, simulator=simulator,
        mismatch=mismatch, collect_from=vantage, progress=progress, parameters=per_run, blocks=replications,
    )
    window = f"{format_month(vantage)}..{format_month(until)}"
    columns = (Column("outcome", "Outcome key", "key"), Column("label", "Outcome", "label"), Column(f"p {window}", window, "probability", window), Column(f"se {window}", f"SE {window}", "se", window))
    rows = []
    for r, key in enumerate(REGIME_KEYS):
        p, se = histories.probability(histories.final_state.regime == r)
        rows.append((f"regime:{key}", f"Regime at {format_month(until)}: {scenario.regime_labels()[r]}", p, se))
    events = histories.events
    assert events is not None
    possible = possible_outcomes(tuple(sorted(recorded_event_kinds(scenario))))  # the engine's outcomes it can produce
    for key in (k for k in FORECAST_OUTCOMES if k in possible):  # not those no mechanism of the scenario records
        p, se = histories.probability(runs_with_outcome(events, key, runs, 0, (vantage, until), histories.final_state))
        rows.append((key, outcome(key).label, p, se))
        if key == "coup_success":
            success = (events["event"] == int(EventType.COUP_ATTEMPT)) & (events["outcome"] == int(Outcome.SUCCESS))
            for mask in sorted(set(events["actors"][success].tolist())):
                happened = np.zeros(runs, dtype=bool)
                happened[events["run"][success & (events["actors"] == mask)]] = True
                p, se = histories.probability(happened)
                rows.append((f"coup_success:{mask}", f"  by {_coalition(mask, scenario)}", p, se))
    recorded = recorded_event_kinds(scenario)
    for kind, (code, label) in new_event_kinds(scenario.mechanism_schedule()).items():  # the plug-ins' own kinds of event
        if kind in recorded:
            p, se = histories.probability(runs_with_outcome(events, new_outcome(kind, label, code), runs, 0, (vantage, until)))
            rows.append((kind, label, p, se))
    if condition:
        conditioning = (
            f"filtered (sequential importance resampling) on {len(condition)} cells of the observed timeline ending by "
            f"{format_month(vantage - 1)}; effective sample size {histories.ess:,.0f} of {runs:,} runs after {histories.resamplings} resamplings"
        )
        if histories.ess_trace:  # resampling restores the ESS: say how few runs the record left at its most surprising cell
            lowest_month, lowest = min(histories.ess_trace, key=lambda entry: entry[1])
            conditioning += f" (at its lowest {lowest:,.0f}, on the cells ending {format_month(lowest_month)})"
        for month, offspring, pooled in histories.branch_trace:
            conditioning += (
                f"; on the cells ending {format_month(month)} each run's months were simulated up to {offspring} times in all, "
                f"and the runs drawn from all of them ({pooled:,.0f} effective)"
            )
    else:
        conditioning = "none: no observation ends before the vantage"
    table = Table(
        title=f"Forecast for {window} from {format_month(vantage)} ({runs:,} runs, seed {seed}; {parameters})",
        columns=columns,
        rows=tuple(rows),
        notes=(f"Conditioning: {conditioning}.", f"SE: Monte Carlo standard error, {histories.se_method}.", *standing_note(rows)),
    )
    return Forecast(
        scenario.id, vantage, until, runs, seed, parameters, conditioning, len(condition), histories.ess, histories.resamplings, table, histories
    )


def _short_label(label: str) -> str:
    """A table label short enough for a chart's axis: 'Regime: ...', and a coup's backers left out."""
    label = label.strip()
    if label.startswith("Regime at "):
        label = "Regime: " + label.split(": ", 1)[1]
    if ", backed by" in label:
        label = label.split(", backed by")[0] + " (with backers)"
    return label if len(label) <= 60 else label[:57] + "..."


def write_forecast_report(result: Forecast, folder: str | Path) -> list[str]:
    """Write a forecast's report: its table (CSV, Markdown, JSON), everything as JSON, and a chart of the probabilities."""
    from ..experiments.files import write_table
    from .calibration import write_json

    folder = Path(folder)
    files = write_table(folder, "forecast", result.table)
    files.append(str(write_json(folder / "forecast.json", result.to_dict())))
    files.append(str(result.plot(folder / "forecast.png")))
    return files

