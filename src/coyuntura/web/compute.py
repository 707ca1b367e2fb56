"""What the web API computes: a request made concrete, the simulation it asks for, and its JSON.

Everything here is a pure function of (scenario, request): the same request gives the
same numbers, whichever worker runs it and however it is batched. The work itself is
the library's - ``simulate`` for ensembles, :mod:`coyuntura.experiments.whatif` for
interventions and their paired differences, ``engine.tables`` for probabilities with
their standard errors, ``report.chronicle`` for single trajectories; this module only
chooses batches, reports progress, honours cancellation and shapes results for the page.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..engine.model import compile_scenario
from ..engine.simulate import Ensemble, SimulationCancelled, merge_ensembles, simulate
from ..engine.state import REGIME_KEYS
from ..engine.tables import Table, event_table, standard_error
from ..experiments.measures import outcome_labels, outcome_matrix, outcome_names
from ..experiments.whatif import (
    Intervention,
    WhatIfResult,
    apply_intervention,
    check_same_draws,
    either_arm_can_have,
    experiment_intervention,
    extend,
    record_whatif,
    whatif_table,
)
from ..report.chronicle import chronicle
from ..scenario.calendar import format_month, parse_month
from ..scenario.paths import value_named_twice
from ..scenario.schema import Scenario
from ..store.records import ensemble_summary, record_run
from ..store.runstore import RunStore
from .models import MAX_MONTHS, Interventions, RunRequest

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of actor strength drawn as fans: 90% and 50% bands around the median."""
EXAMPLE_RUNS = 5
"""How many example run indices the result lists per outcome (to open as chronicles)."""
WORK_PER_BATCH = 500_000
"""Trajectory-months per batch at most, so that progress moves (a cancel lands within a simulated month)."""


class JobCancelled(SimulationCancelled):
    """Raised inside a simulation when its job has been cancelled (checked between batches; the engine's
    own :class:`~coyuntura.engine.simulate.SimulationCancelled` stops it between months)."""


@dataclass(frozen=True)
class Prepared:
    """A request made concrete: the scenario, the changed scenario (if any), the span and notes."""

    scenario: Scenario
    changed: Scenario | None
    intervention: Intervention | None
    start: str | None
    start_month: int
    until: int
    notes: tuple[str, ...]


def prepare(scenario: Scenario, request: Interventions) -> Prepared:
    """Check a request against its scenario and apply its intervention.

    Raises ``KeyError`` (unknown snapshot, experiment or event; a ``PathError`` for an
    unknown value path, listing close matches), ``ValueError`` (a bad or out-of-range
    month) or ``ScenarioError`` (a value the scenario's schema refuses).
    """
    intervention: Intervention | None = None
    if request.experiment is not None:
        intervention = experiment_intervention(scenario, request.experiment)
    start = request.start if request.start is not None else (intervention.start if intervention is not None else None)
    if start is not None and start == format_month(scenario.calendar.start) and not _is_snapshot(scenario, start):
        start = None  # the scenario's own start, named by its month
    elif start is not None:
        start = scenario.snapshot(start).id
    start_month = scenario.snapshot(start).month if start is not None else scenario.calendar.start
    if request.until is not None:
        until = parse_month(request.until)
    elif intervention is not None and intervention.until is not None and (request.start is None or request.start == intervention.start):
        until = intervention.until
    else:
        until = scenario.default_until(start)
    scenario.check_until(start_month, until)
    if until - start_month + 1 > MAX_MONTHS:
        raise ValueError(f"{format_month(start_month)}..{format_month(until)} is {until - start_month + 1} months; at most {MAX_MONTHS} per run")
    if request.has_intervention:
        base = intervention if intervention is not None else Intervention(name="web", title="What-if from the web explorer")
        twice = value_named_twice(scenario, request.changes)
        if twice is not None:
            raise ValueError(f"changes: {twice}")
        intervention = replace(extend(base, changes=dict(request.changes), cancel_events=tuple(request.cancel_events)), start=start, until=until)
        changed, notes = apply_intervention(scenario, intervention)
        check_same_draws(scenario, changed)
        return Prepared(scenario, changed, intervention, start, start_month, until, notes)
    return Prepared(scenario, None, None, start, start_month, until, ())


def _is_snapshot(scenario: Scenario, name: str) -> bool:
    return any(s.id == name or format_month(s.month) == name for s in scenario.snapshots)


def batch_size(runs: int, months: int) -> int:
    """Runs per batch: about WORK_PER_BATCH trajectory-months (at least 2,048 runs), a multiple of 1,024, at most all runs.

    Big batches keep the engine fast (a 10,000-run, 27-month arm is one batch); the cap keeps a
    long job's progress moving and lets a cancel land within a couple of seconds.
    """
    size = 1024 * math.ceil(max(2048, WORK_PER_BATCH // max(months, 1)) / 1024)
    return min(size, 1024 * math.ceil(runs / 1024))


# --- running --------------------------------------------------------------------------------------


@dataclass
class Arm:
    """One simulated arm of a request: its ensemble's summaries (the event log dropped) and per-run outcomes."""

    name: str
    ensemble: Ensemble
    outcomes: np.ndarray  # (runs, outcomes) bool, in the scenario's outcome_names order
    seconds: float


def arm_names(prepared: Prepared) -> tuple[str, ...]:
    """``baseline``, and ``intervention`` when the request changes anything."""
    return ("baseline", "intervention") if prepared.changed is not None else ("baseline",)


def simulate_arm(
    prepared: Prepared,
    request: RunRequest,
    arm: str,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Arm:
    """Simulate one arm: ``request.runs`` runs of the baseline or the changed scenario, on the request's seed.

    Both arms read the same random streams run for run (common random numbers), whether they
    run one after the other or side by side in two processes. ``progress(runs done)`` is
    called after every batch and may raise :class:`JobCancelled`; ``should_stop()`` is asked once a
    simulated month and stops the arm there with :class:`~coyuntura.engine.simulate.SimulationCancelled`.
    """
    began = time.perf_counter()
    scenario = prepared.changed if arm == "intervention" else prepared.scenario
    if scenario is None:
        raise ValueError("arm 'intervention' needs an intervention")
    model = compile_scenario(scenario)
    months = prepared.until - prepared.start_month + 1
    size = batch_size(request.runs, months)
    parts, outcomes = [], []
    for first in range(0, request.runs, size):  # chunk by chunk: only one chunk's event log is ever held
        part = simulate(
            model, min(size, request.runs - first), seed=request.seed, start=prepared.start, until=prepared.until,
            batch_size=size, keep_events=True, first_run=first, should_stop=should_stop,
        )
        outcomes.append(outcome_matrix(part, first, own=True))
        part.events = None
        parts.append(part)
        if progress is not None:
            progress(first + part.n_runs)
    return Arm(arm, merge_ensembles(parts), np.concatenate(outcomes), time.perf_counter() - began)


def run_request(
    prepared: Prepared,
    request: RunRequest,
    progress: Callable[[int, int], None] | None = None,
    store: RunStore | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Simulate every arm of ``request`` one after the other and :func:`assemble` the page's JSON.

    ``progress(done, total)`` is called after every batch; it may raise :class:`JobCancelled`.
    """
    began = time.perf_counter()
    names = arm_names(prepared)
    total = request.runs * len(names)
    arms = []
    for position, name in enumerate(names):
        report = (lambda done, offset=position * request.runs: progress(offset + done, total)) if progress is not None else None
        arms.append(simulate_arm(prepared, request, name, report, should_stop))
    return assemble(prepared, request, arms, time.perf_counter() - began, store)


def whatif_result(prepared: Prepared, request: RunRequest, arms: list[Arm]) -> WhatIfResult:
    """The arms of a what-if as the what-if library's paired result (differences, SEs, 95% intervals)."""
    by_name = {arm.name: arm for arm in arms}
    assert prepared.intervention is not None and prepared.changed is not None  # a what-if's two arms come from an intervention
    outcomes = outcome_names(by_name["baseline"].ensemble)
    return WhatIfResult(
        scenario_id=prepared.scenario.id,
        intervention=prepared.intervention,
        seed=request.seed,
        n_runs=request.runs,
        start=prepared.start_month,
        until=prepared.until,
        outcomes=outcomes,
        baseline=by_name["baseline"].outcomes,
        treated=by_name["intervention"].outcomes,
        notes=prepared.notes,
        labels=outcome_labels(by_name["baseline"].ensemble),
        possible=either_arm_can_have(outcomes, prepared.scenario, prepared.changed),  # as the command's table
    )


def record(prepared: Prepared, request: RunRequest, arms: list[Arm], seconds: float, store: RunStore) -> str:
    """Record finished work in the run store (``record_run`` / ``record_whatif``); its record id."""
    if prepared.changed is None:
        return record_run(
            store, "run", prepared.scenario, arms[0].ensemble, seconds,
            parameters={"request": request.model_dump(mode="json"), "origin": "web"},
        )
    return record_whatif(store, prepared.scenario, whatif_result(prepared, request, arms), seconds)


def assemble(prepared: Prepared, request: RunRequest, arms: list[Arm], seconds: float, store: RunStore | None = None) -> dict[str, Any]:
    """The page's JSON (``kind`` ``run`` or ``whatif``) from the simulated arms.

    A what-if's paired differences and intervals are :class:`~coyuntura.experiments.whatif.WhatIfResult`'s.
    With a ``store``, the work is recorded there (:func:`record`) and ``record_id`` names the
    record; a store that fails costs ``store_error``, not the result.
    """
    by_name = {arm.name: arm for arm in arms}
    baseline = by_name["baseline"]
    payload: dict[str, Any] = {
        "kind": "whatif" if prepared.changed is not None else "run",
        "scenario": prepared.scenario.id,
        "runs": request.runs,
        "seed": request.seed,
        "start": format_month(prepared.start_month),
        "start_snapshot": prepared.start,
        "until": format_month(prepared.until),
        "notes": list(prepared.notes),
        "baseline": ensemble_payload(baseline.ensemble),
    }
    if prepared.changed is None:
        payload["examples"] = {name: _first(baseline.outcomes[:, j]) for j, name in enumerate(outcome_names(baseline.ensemble))}
        payload["summary"] = ensemble_summary(baseline.ensemble)
    else:
        result = whatif_result(prepared, request, arms)
        payload["intervention"] = ensemble_payload(by_name["intervention"].ensemble)
        payload["comparison"] = comparison_payload(result)
        payload["examples"] = {
            name: {"gained": _first(result.treated[:, j] & ~result.baseline[:, j]), "lost": _first(result.baseline[:, j] & ~result.treated[:, j])}
            for j, name in enumerate(result.outcomes)
        }
        payload["summary"] = result.summary()
    payload["compute_seconds"] = round(seconds, 3)
    payload["record_id"] = None
    if store is not None:
        try:
            payload["record_id"] = record(prepared, request, arms, seconds, store)
        except Exception as error:  # noqa: BLE001 - any failure to record is said; the result still reaches the page
            payload["store_error"] = f"the run store did not record this job: {error}"
    return payload


def _first(mask: np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)[:EXAMPLE_RUNS]]


# --- shaping results --------------------------------------------------------------------------------


def _round(values: np.ndarray, digits: int = 4) -> list[Any]:
    return np.round(np.asarray(values, dtype=float), digits).tolist()


def table_payload(table: Table) -> dict[str, Any]:
    """A :class:`Table` of probabilities as compact JSON: groups, and per row its p and SE per group."""
    keys = [c.key for c in table.columns]
    groups = table.groups
    rows = []
    for row in table.rows:
        values = dict(zip(keys, row))
        rows.append({
            "key": row[0],
            "label": values.get("label", row[0]),
            "p": [round(float(values[f"p {g}"]), 5) for g in groups],
            "se": [round(float(values[f"se {g}"]), 5) for g in groups],
        })
    return {"title": table.title, "notes": list(table.notes), "groups": groups, "rows": rows}


def ensemble_payload(ensemble: Ensemble) -> dict[str, Any]:
    """What the charts draw from one ensemble: strength fans, regime probabilities per month, event table."""
    n = ensemble.n_runs
    regime_p = ensemble.regime_counts / n  # (months, regimes)
    quantiles = ensemble.strength_quantiles(QUANTILES)  # (months, actors, q)
    return {
        "runs": n,
        "months": [format_month(m) for m in ensemble.months],
        "actors": [{"id": i, "name": name} for i, name in zip(ensemble.actor_ids, ensemble.actor_names)],
        "strength": {"quantiles": list(QUANTILES), "values": _round(np.transpose(quantiles, (1, 0, 2)), 3)},
        "regimes": {
            "keys": list(REGIME_KEYS),
            "labels": list(ensemble.regime_labels),
            "colours": list(ensemble.regime_colours),  # the scenario's own, or null for the page's
            "p": _round(regime_p.T),
            "se": _round(np.transpose(standard_error(regime_p, n))),
        },
        "events": table_payload(event_table(ensemble)),
    }


def comparison_payload(result: WhatIfResult) -> dict[str, Any]:
    """Per outcome: both probabilities with their SEs, the paired difference, its SE and 95% interval - the command's
    table (``whatif_table``) under the page's names, with the SE independent streams would have given beside it."""
    unpaired = dict(zip(result.outcomes, result.unpaired_se.tolist()))
    names = {"outcome": "key", "label": "label", "p baseline": "baseline", "se baseline": "baseline_se", "p intervention": "intervention",
             "se intervention": "intervention_se", "difference": "difference", "se difference": "se", "low": "low", "high": "high"}
    table = whatif_table(result)
    keys = [column.key for column in table.columns]
    rows = []
    for row in table.rows:
        values = dict(zip(keys, row))
        rows.append({**{names[key]: values[key] for key in keys}, "unpaired_se": float(unpaired[values["outcome"]])})
    n = result.n_runs
    return {
        "title": f"What-if {result.intervention.name}: paired differences ({n:,} runs, seed {result.seed})",
        "intervention": result.intervention.to_dict(),
        "span": f"{format_month(result.start)}..{format_month(result.until)}",
        "rows": rows,
    }


def chronicle_payload(prepared: Prepared, run: int, seed: int, arm: str) -> dict[str, Any]:
    """Run ``run`` of one arm told as dated sentences, each with its mechanism and source locators."""
    if arm == "intervention" and prepared.changed is None:
        raise ValueError("arm 'intervention' needs an intervention (experiment, changes or cancel_events)")
    scenario = prepared.changed if arm == "intervention" and prepared.changed is not None else prepared.scenario
    lines = chronicle(compile_scenario(scenario), run, seed=seed, start=prepared.start, until=prepared.until)
    return {
        "scenario": prepared.scenario.id,
        "arm": arm,
        "run": run,
        "seed": seed,
        "start": format_month(prepared.start_month),
        "until": format_month(prepared.until),
        "lines": [line.to_dict() for line in lines],
    }
