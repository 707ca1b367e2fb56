"""Run the model: N trajectories month by month, in batches, streaming summaries.

``simulate`` splits the runs into batches, simulates each batch as arrays over
runs, and merges integer summaries (regime counts, strength histograms, counts
of runs with each outcome per period). Because every run's random stream
depends only on (seed, start month, run index) and every summary is a count,
results are identical whatever the batch size. The full event log and state
series are kept only when asked for, so memory stays bounded for 10^6 runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from ..limits import check_seed
from ..scenario.calendar import format_month
from ..scenario.plugins import BUILTIN_PACKAGE
from ..scenario.schema import Election, Snapshot
from ..scenario.vocabulary import REGIME_LABELS
from .events import EventLog
from .exogenous import apply_scheduled, incumbent_keeps_office
from .mechanisms.base import MechanismFailed as MechanismFailed  # re-exported: where callers catch it
from .mechanisms.base import Month, mechanism_failed
from .model import Model
from .outcomes import OUTCOMES, OutcomeDefinition, new_outcome
from .parameters import RunParameters, batch_params, run_parameters, set_initial_values, snapshot_overrides
from .random import RunStreams
from .state import REGIME_KEYS, State
from .tally import RegimeTally

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

STRENGTH_BINS = 50
"""Histogram bins over [0, 1] used to stream the quantiles of actor strength."""

DEFAULT_BATCH_SIZE = 25_000
"""Runs simulated together as arrays; any size gives the same results, this one runs fastest here."""

SERIES_VARIABLES = ("regime", "policy", "left_unity", "revolutionary_unity", "polarization", "army_capacity")




def trial_run(model: Model, months: int = 2, n_runs: int = 8) -> None:
    """Run a few runs for a few months from the start and from every snapshot, so that a mechanism that cannot
    run (a misspelt name in its code, a wrong shape) is reported by ``check``, not by the first real run."""
    starts: list[str | None] = [None, *(snapshot.id for snapshot in model.scenario.snapshots)]
    for start in starts:
        first = model.scenario.snapshot(start).month if start is not None else model.scenario.calendar.start
        ensemble = simulate(model, n_runs, seed=0, start=start, until=min(first + months - 1, model.scenario.calendar.horizon), keep_state=True)
        assert ensemble.final_state is not None
        # A mechanism that decides a scheduled election is asked once too, whenever the election falls.
        month = Month(index=ensemble.until + 1, model=model, draws=RunStreams(0, ensemble.until + 1, 0, n_runs, model.layout).next_month(),
                      log=EventLog(0), scratch={}, parameters=batch_params(model, None))
        for event in model.scenario.events:
            if isinstance(event, Election) and event.decided_by is not None:
                incumbent_keeps_office(ensemble.final_state, month, event)


class SimulationCancelled(Exception):
    """Raised by :func:`simulate` when its ``should_stop`` callback answers true (checked once a month)."""


def actor_strength(state: State, model: Model, params: dict[str, SimpleNamespace] | None = None) -> np.ndarray:
    """Strength of each actor, (actors, runs) in [0, 1]: organization x the M12 arms factor.

    ``params`` are the mechanisms' parameters of these runs (per-run values), by default the model's."""
    arms = (params if params is not None else model.params).get("arms")
    floor = arms.arms_floor if arms is not None else 1.0  # without the arms mechanism strength is organization alone
    strength: np.ndarray = (1.0 - floor) * state.arms
    strength += floor
    strength *= state.organization  # in place: organization x (floor + (1 - floor) x arms)
    return strength


@dataclass
class Ensemble:
    """Summaries of an ensemble of runs, plus the event log and series if kept."""

    scenario_id: str
    seed: int
    n_runs: int
    start: int
    until: int
    actor_ids: tuple[str, ...]
    actor_names: tuple[str, ...]
    periods: tuple[tuple[int, int], ...]
    regime_counts: np.ndarray  # (months, regimes)
    strength_histogram: np.ndarray  # (months, actors, bins)
    outcome_counts: np.ndarray  # (periods, outcomes): runs with >= 1 occurrence
    outcome_counts_total: np.ndarray  # (outcomes,): over the whole run
    events: dict[str, np.ndarray] | None = None
    series: dict[str, np.ndarray] | None = None
    series_months: tuple[int, ...] = ()
    final_regime: np.ndarray | None = None
    start_regime: int = 0
    first_run: int = 0  # index of the first run: per-run arrays are indexed by run - first_run
    final_state: State | None = None  # the state at the end of ``until``, when kept (``keep_state=True``)
    final_standing: dict[str, np.ndarray] | None = None  # per standing outcome (the Left's front): does it hold at ``until``'s end, per run
    regime_tally: RegimeTally | None = None  # what happened under each regime type (coups, exits, strikes)
    split: int = 0  # the month after which per-run coup counts go to the second part of the tally (calendar end)
    mechanism_names: tuple[str, ...] = ()  # the names of the log's mechanism codes (code i is mechanism_names[i])
    event_kinds: tuple[str, ...] | None = None  # the kinds of event the scenario's mechanisms can record (None: not known)
    regime_labels: tuple[str, ...] = tuple(REGIME_LABELS.values())  # the scenario's names of the regime types (REGIME_KEYS order)
    new_events: tuple[tuple[str, int, str], ...] = ()  # the plug-ins' own kinds of event (name, log code, label), plain data to pickle
    regime_colours: tuple[str | None, ...] = (None,) * len(REGIME_LABELS)  # their chart colours (None: the engine's)
    holding_ids: tuple[str, ...] = ()  # the scenario's holdings, whose index a nationalization's outcome gives (events.holding_outcome)

    @property
    def own_outcomes(self) -> tuple[OutcomeDefinition, ...]:
        """The outcomes of the plug-ins' own kinds of event, counted after the engine's."""
        return tuple(new_outcome(kind, label, code) for kind, code, label in self.new_events)

    @property
    def outcome_keys(self) -> tuple[str, ...]:
        """The outcomes of ``outcome_counts``, in order: the engine's, then the plug-ins' own."""
        return tuple(o.key for o in OUTCOMES + self.own_outcomes)

    @property
    def outcome_labels(self) -> tuple[str, ...]:
        return tuple(o.label for o in OUTCOMES + self.own_outcomes)

    @property
    def months(self) -> np.ndarray:
        return np.arange(self.start, self.until + 1)

    def regime_probability(self, month: int) -> np.ndarray:
        """Share of runs in each regime type at the end of ``month``."""
        share: np.ndarray = self.regime_counts[month - self.start] / self.n_runs
        return share

    def to_xarray(self) -> "xr.Dataset":
        """The summaries as an xarray Dataset with named dimensions (month, regime, period, outcome, actor, run, ...)
        and ISO months and ids as coordinates (:mod:`coyuntura.engine.labelled`)."""
        from .labelled import ensemble_dataset

        return ensemble_dataset(self)

    def to_dataframe(self) -> "pd.DataFrame":
        """The event log as a tidy table: run, month (YYYY-MM), event, outcome, mechanism, actors by id
        (needs ``keep_events=True``)."""
        from .labelled import events_frame

        return events_frame(self)

    def strength_quantiles(self, quantiles: tuple[float, ...]) -> np.ndarray:
        """(months, actors, quantiles) of actor strength, from the streamed histograms."""
        cumulative = np.cumsum(self.strength_histogram, axis=-1) / self.n_runs
        edges = np.linspace(0.0, 1.0, STRENGTH_BINS + 1)
        result = np.empty(cumulative.shape[:2] + (len(quantiles),))
        for k, q in enumerate(quantiles):
            index = np.argmax(cumulative >= q - 1e-12, axis=-1)
            result[..., k] = 0.5 * (edges[index] + edges[index + 1])
        return result


def default_periods(start: int, until: int) -> tuple[tuple[int, int], ...]:
    """Reporting periods: 5-year windows over long spans, years over short ones."""
    length = 60 if until - start + 1 > 120 else 12
    periods = []
    first = start
    while first <= until:
        periods.append((first, min(first + length - 1, until)))
        first += length
    return tuple(periods)


def simulate(
    model: Model,
    n_runs: int,
    seed: int = 0,
    start: str | None = None,
    until: int | None = None,
    periods: tuple[tuple[int, int], ...] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    keep_events: bool = False,
    series_every: int | None = None,
    progress: Callable[[int], None] | None = None,
    first_run: int = 0,
    resume: State | None = None,
    keep_state: bool = False,
    should_stop: Callable[[], bool] | None = None,
    parameters: Mapping[str, ArrayLike] | RunParameters | None = None,
) -> Ensemble:
    """Simulate runs ``first_run .. first_run + n_runs - 1`` and summarize them.

    ``start`` is a snapshot id (or its month ``YYYY-MM``); by default the run
    starts at the scenario's start. ``until`` (a month index) defaults to the
    calendar's ``end``. ``progress`` is called with the number of runs finished.
    ``resume`` continues these runs from a state at the end of month ``resume.month``
    (one column per run, e.g. a kept ``final_state``): they start the month after,
    with random streams keyed on that month. ``keep_state`` keeps the final state.
    ``should_stop`` is called once a month of every batch; when it answers true the
    simulation stops there and raises :class:`SimulationCancelled` (it never changes results).
    ``parameters`` gives free parameters one value per run (``path -> array of n_runs``, position
    ``k`` for run ``first_run + k``; see :mod:`coyuntura.engine.parameters`); the others keep the
    scenario's values, and the random streams do not depend on them.
    """
    scenario = model.scenario
    if isinstance(n_runs, bool) or not isinstance(n_runs, (int, np.integer)):
        raise ValueError(f"the number of runs must be a whole number, got {n_runs!r}")
    check_seed(seed, "the seed")
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if first_run < 0:
        raise ValueError(f"first_run must be a non-negative run index, got {first_run}")
    if series_every is not None and series_every < 0:
        raise ValueError(f"series_every must be a non-negative number of months (0 keeps no series), got {series_every}")
    if resume is not None and start is not None:
        raise ValueError("give either a snapshot to start from or a state to resume, not both")
    if resume is not None and resume.n_runs != n_runs:
        raise ValueError(f"the state to resume holds {resume.n_runs} runs, not {n_runs}")
    per_run = run_parameters(model, parameters, n_runs)
    snapshot = scenario.snapshot(start) if start is not None else None
    start_month = snapshot.month if snapshot is not None else scenario.calendar.start
    if resume is not None:
        start_month = resume.month + 1
    until = scenario.check_until(start_month, scenario.calendar.end if until is None else until)
    periods = periods or default_periods(start_month, until)
    n_months = until - start_month + 1
    regime_counts = np.zeros((n_months, len(REGIME_KEYS)), dtype=np.int64)
    histogram = np.zeros((n_months, model.n_actors, STRENGTH_BINS), dtype=np.int64)
    outcomes = model.outcomes
    outcome_counts = np.zeros((len(periods), len(outcomes)), dtype=np.int64)
    outcome_total = np.zeros(len(outcomes), dtype=np.int64)
    series_months = tuple(range(start_month, until + 1, series_every)) if series_every else ()
    event_chunks: list[dict[str, np.ndarray]] = []
    series_chunks: list[dict[str, np.ndarray]] = []
    final_regimes = []
    final_states: list[State] = []
    final_standing: dict[str, list[np.ndarray]] = {o.key: [] for o in outcomes if o.standing is not None}
    standing_months = tuple(sorted({min(last, until) for _, last in periods if start_month <= last} | {until}))
    tally = RegimeTally.empty()
    split = scenario.calendar.end
    done = 0
    for batch_first in range(first_run, first_run + n_runs, batch_size):
        batch_runs = min(batch_size, first_run + n_runs - batch_first)
        positions = (batch_first - first_run, batch_first - first_run + batch_runs)
        initial = resume.select(np.arange(*positions)) if resume is not None else None
        state, log, series, regime_before, standing = _run_batch(
            model, seed, snapshot, start_month, until, batch_first, batch_runs, regime_counts, histogram, series_months, initial,
            should_stop, per_run.slice(*positions), standing_months,
        )
        unsorted = log.columns(sort=False)
        _count_outcomes(unsorted, periods, batch_first, batch_runs, outcome_counts, outcome_total, outcomes, standing, until)
        for key, parts in final_standing.items():
            parts.append(standing[until][key])
        tally.add_batch(regime_before, unsorted, start_month, batch_first, split)
        final_regimes.append(state.regime.copy())
        if keep_state:
            final_states.append(state)
        if keep_events:
            event_chunks.append(log.columns())
        if series is not None:
            series_chunks.append(series)
        done += batch_runs
        if progress is not None:
            progress(done)
    return Ensemble(
        scenario_id=scenario.id,
        seed=seed,
        n_runs=n_runs,
        start=start_month,
        until=until,
        actor_ids=model.actor_ids,
        actor_names=model.actor_names,
        mechanism_names=model.mechanism_names,
        event_kinds=model.event_kinds,
        regime_labels=scenario.regime_labels(),
        regime_colours=scenario.regime_colours(),
        new_events=tuple((kind, code, label) for kind, (code, label) in model.new_events.items()),
        holding_ids=model.holding_ids,
        periods=periods,
        regime_counts=regime_counts,
        strength_histogram=histogram,
        outcome_counts=outcome_counts,
        outcome_counts_total=outcome_total,
        events={k: np.concatenate([c[k] for c in event_chunks]) for k in event_chunks[0]} if keep_events else None,
        series={k: np.concatenate([c[k] for c in series_chunks], axis=-1) for k in series_chunks[0]} if series_chunks else None,
        series_months=series_months,
        final_regime=np.concatenate(final_regimes),
        start_regime=REGIME_KEYS.index((snapshot.government if snapshot is not None else scenario.government).type),
        first_run=first_run,
        final_state=concat_states(final_states) if keep_state else None,
        final_standing={key: np.concatenate(parts) for key, parts in final_standing.items()},
        regime_tally=tally,
        split=split,
    )


def concat_states(states: list[State]) -> State:
    """One state holding the runs of ``states`` (all at the same month) side by side, in order."""
    if len(states) == 1:
        return states[0]
    values: dict[str, object] = {"month": states[0].month}
    for f in fields(State):
        if f.name not in ("month", "extra"):
            values[f.name] = np.concatenate([getattr(s, f.name) for s in states], axis=-1)
    values["extra"] = {name: np.concatenate([s.extra[name] for s in states], axis=-1) for name in states[0].extra}
    return State(**values)  # type: ignore[arg-type]


def _run_batch(
    model: Model,
    seed: int,
    snapshot: Snapshot | None,
    start_month: int,
    until: int,
    first_run: int,
    n_runs: int,
    regime_counts: np.ndarray,
    histogram: np.ndarray,
    series_months: tuple[int, ...],
    initial: State | None = None,
    should_stop: Callable[[], bool] | None = None,
    per_run: RunParameters | None = None,
    standing_months: tuple[int, ...] = (),
) -> tuple[State, EventLog, dict[str, np.ndarray] | None, np.ndarray, dict[int, dict[str, np.ndarray]]]:
    """Simulate one batch of runs month by month. Besides the final state, the log and the series, it returns the
    regime before each month and, at each of ``standing_months``, which runs hold each standing outcome."""
    if initial is not None:
        state = initial.copy()
    else:
        state = model.initial_state(n_runs, snapshot)
        set_initial_values(state, model, per_run, snapshot_overrides(snapshot))
    params = batch_params(model, per_run)
    if initial is None:  # a mechanism may read state of its own off the starting values, before the first month
        for module in model.scenario.mechanism_schedule():
            begin = getattr(module, "begin", None)
            if begin is not None and params[module.NAME].enabled:
                begin(state, params[module.NAME])
    streams = RunStreams(seed, start_month, first_run, n_runs, model.layout)
    log = EventLog(first_run)
    series: dict[str, list[np.ndarray]] = {name: [] for name in SERIES_VARIABLES + ("strength",)} if series_months else {}
    mechanisms = [(module, params[module.NAME]) for module in model.scenario.mechanism_schedule()]
    bounds = model.state_bounds  # the plug-ins' variables' ranges, once per batch rather than every month
    offsets = (np.arange(model.n_actors) * STRENGTH_BINS)[:, None]
    regime_before = np.empty((until - start_month + 1, n_runs), dtype=np.int8)
    standing_outcomes = [(o.key, o.standing) for o in model.outcomes if o.standing is not None]
    standing: dict[int, dict[str, np.ndarray]] = {}
    for index in range(start_month, until + 1):
        if should_stop is not None and should_stop():
            raise SimulationCancelled(f"simulation cancelled before {format_month(index)} (runs {first_run}..{first_run + n_runs - 1})")
        regime_before[index - start_month] = state.regime
        state.month = index
        month = Month(index=index, model=model, draws=streams.next_month(), log=log, scratch={}, parameters=params)
        apply_scheduled(state, month)
        for module, values in mechanisms:
            if values.enabled:
                try:
                    module.apply(state, values, month)
                except Exception as error:
                    if module.__name__.startswith(BUILTIN_PACKAGE + "."):
                        raise  # a fault of coyuntura's own mechanisms, not of the scenario's input: keep the traceback
                    raise mechanism_failed(model, module.NAME, index, error) from error
        state.advance_clocks()
        state.clip_to_bounds(bounds)
        row = index - start_month
        regime_counts[row] += np.bincount(state.regime, minlength=regime_counts.shape[1])
        strength = actor_strength(state, model, params)
        bins = (strength * STRENGTH_BINS).astype(np.int64)
        np.minimum(bins, STRENGTH_BINS - 1, out=bins)
        bins += offsets  # one bincount for all actors: actor a's bins are a * STRENGTH_BINS + bin
        histogram[row] += np.bincount(bins.ravel(), minlength=model.n_actors * STRENGTH_BINS).reshape(model.n_actors, STRENGTH_BINS)
        if index in standing_months:
            standing[index] = {key: holds(state).copy() for key, holds in standing_outcomes}
        if index in series_months:
            for name in SERIES_VARIABLES:
                series[name].append(getattr(state, name).copy())
            series["strength"].append(strength.astype(np.float32))
    stacked = {name: np.stack(values) for name, values in series.items()} if series_months else None
    return state, log, stacked, regime_before, standing


def _count_outcomes(
    columns: dict[str, np.ndarray],
    periods: tuple[tuple[int, int], ...],
    first_run: int,
    n_runs: int,
    outcome_counts: np.ndarray,
    outcome_total: np.ndarray,
    outcomes: tuple[OutcomeDefinition, ...] = OUTCOMES,
    standing: Mapping[int, Mapping[str, np.ndarray]] | None = None,
    until: int | None = None,
) -> None:
    # Row k of ``seen`` marks the runs with the outcome in period k; the last row, rows outside every period.
    # A standing outcome (the Left's front) also holds in a period where it stands at the period's last month, and
    # over the whole run where it stands at ``until`` (``standing``: month -> key -> per run).
    n_periods = len(periods)
    period_of = np.full(columns["month"].shape, n_periods)
    for k, (first, last) in enumerate(periods):
        period_of[(columns["month"] >= first) & (columns["month"] <= last)] = k
    runs_of = columns["run"] - first_run
    seen = np.zeros((n_periods + 1, n_runs), dtype=bool)
    for j, definition in enumerate(outcomes):
        rows = np.flatnonzero(definition.rows(columns))
        seen[:] = False
        seen[period_of[rows], runs_of[rows]] = True
        whole = seen.any(axis=0)
        if definition.standing is not None and standing is not None and until is not None:
            for k, (first, last) in enumerate(periods):
                if first <= until and min(last, until) in standing:  # a period reaching past the run is read at its end
                    seen[k] |= standing[min(last, until)][definition.key]
            whole |= standing[until][definition.key]
        outcome_total[j] += np.count_nonzero(whole)
        outcome_counts[:, j] += np.count_nonzero(seen[:n_periods], axis=1)


def merge_ensembles(parts: list[Ensemble]) -> Ensemble:
    """Join ensembles of consecutive run ranges (same model, seed, start and periods) into one.

    Summaries are integer counts, so the merge is exact: ``simulate`` over runs
    0..N in one call equals the merge of any split of 0..N, in any number of pieces.
    """
    if not parts:
        raise ValueError("nothing to merge")
    first = parts[0]
    for part in parts[1:]:
        same = (part.scenario_id, part.seed, part.start, part.until, part.periods, part.new_events) == (
            first.scenario_id, first.seed, first.start, first.until, first.periods, first.new_events
        )
        if not same:
            raise ValueError("can only merge ensembles of the same scenario, seed, start, until, periods and outcomes")
    events = [part.events for part in parts if part.events is not None]
    series = [part.series for part in parts if part.series is not None]
    states = [part.final_state for part in parts if part.final_state is not None]
    standing = [part.final_standing for part in parts if part.final_standing is not None]
    tallies = [part.regime_tally for part in parts if part.regime_tally is not None]
    keep_events = len(events) == len(parts)
    keep_series = len(series) == len(parts)
    keep_state = len(states) == len(parts)
    return Ensemble(
        scenario_id=first.scenario_id,
        seed=first.seed,
        n_runs=sum(part.n_runs for part in parts),
        start=first.start,
        until=first.until,
        actor_ids=first.actor_ids,
        actor_names=first.actor_names,
        mechanism_names=first.mechanism_names,
        event_kinds=first.event_kinds,
        regime_labels=first.regime_labels,
        regime_colours=first.regime_colours,
        new_events=first.new_events,
        holding_ids=first.holding_ids,
        periods=first.periods,
        regime_counts=_sum_counts(part.regime_counts for part in parts),
        strength_histogram=_sum_counts(part.strength_histogram for part in parts),
        outcome_counts=_sum_counts(part.outcome_counts for part in parts),
        outcome_counts_total=_sum_counts(part.outcome_counts_total for part in parts),
        events={k: np.concatenate([e[k] for e in events]) for k in events[0]} if keep_events else None,
        series={k: np.concatenate([s[k] for s in series], axis=-1) for k in series[0]} if keep_series else None,
        series_months=first.series_months,
        final_regime=np.concatenate([part.final_regime for part in parts]),
        start_regime=first.start_regime,
        first_run=first.first_run,
        final_state=concat_states(states) if keep_state else None,
        final_standing={key: np.concatenate([part[key] for part in standing]) for key in standing[0]} if len(standing) == len(parts) else None,
        regime_tally=sum(tallies[1:], tallies[0]) if len(tallies) == len(parts) else None,
        split=first.split,
    )


def _sum_counts(arrays: Iterable[np.ndarray]) -> np.ndarray:
    """``sum(arrays)``, a new array, of a non-empty sequence of count arrays."""
    total: np.ndarray | int = sum(arrays)
    if isinstance(total, int):
        raise ValueError("nothing to sum")
    return total
