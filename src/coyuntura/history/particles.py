"""Simulated histories read against the observed timeline, optionally filtered on it.

:func:`simulate_histories` simulates ``N`` runs from the scenario's start in
*segments* that end where cells of the observed timeline end, so that each run's
answer to each cell is known as soon as the cell closes: did the outcome happen
in the cell's window (from the event log), was the regime the observed one at
the cell's month (from the state). Runs are numbered by position ``0..N-1``;
each segment's random streams depend only on (seed, the segment's first month,
position), so results do not depend on batch size or on the number of Dask workers.

With ``condition`` cells it is a particle filter, sequential importance
resampling (Gordon, Salmond & Smith 1993): at the end of each conditioning cell
every run is weighted by how well it agrees with the record - ``1 - mismatch``
if it matches, ``mismatch`` if it does not (the record may be wrong, and the
model is coarse; no run is ever thrown away for one disagreement) - and when the
effective sample size falls below half the runs they are resampled
systematically; the survivors continue from their own states with fresh random
streams. What remains is a sample of the model's histories *conditional on what
was observed*, from which the next months are forecast. Runs may use different
parameter values (``scenarios``: draws from a posterior); positions of one draw
stay contiguous, because systematic resampling keeps ancestors in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from ..engine.model import Model, compile_scenario
from ..engine.outcomes import runs_with_outcome
from ..engine.simulate import Ensemble, concat_states, simulate
from ..engine.state import REGIME_KEYS, State
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from .observations import Cell

DEFAULT_MISMATCH = 0.05
"""Probability that the record and a faithful history disagree on one cell (the filter's observation noise)."""

RESAMPLE_BELOW = 0.5
"""Resample when the effective sample size falls below this share of the runs."""


@dataclass(frozen=True)
class Job:
    """Runs ``first_run .. first_run + n_runs - 1`` with the parameters of draw ``draw``, from ``resume`` (or the start)."""

    draw: int
    first_run: int
    n_runs: int
    resume: State | None


class Simulator(Protocol):
    """Simulates jobs up to a month; results in job order, with event logs and final states."""

    def run(self, scenarios: Sequence[Scenario], jobs: Sequence[Job], seed: int, until: int) -> list[Ensemble]: ...


class LocalSimulator:
    """Simulate in this process."""

    def __init__(self) -> None:
        self._models: dict[int, tuple[Scenario, Model]] = {}

    def _model(self, scenario: Scenario) -> Model:
        cached = self._models.get(id(scenario))
        if cached is None or cached[0] is not scenario:
            cached = (scenario, compile_scenario(scenario))
            self._models[id(scenario)] = cached
        return cached[1]

    def run(self, scenarios: Sequence[Scenario], jobs: Sequence[Job], seed: int, until: int) -> list[Ensemble]:
        return [
            simulate(
                self._model(scenarios[job.draw]), job.n_runs, seed=seed, until=until, first_run=job.first_run,
                resume=job.resume, keep_events=True, keep_state=True, batch_size=max(job.n_runs, 1),
            )
            for job in jobs
        ]


class DaskSimulator:
    """Simulate on a Dask cluster through :mod:`coyuntura.parallel`, in chunks of runs (same numbers as in-process)."""

    def __init__(self, client: Any, chunk_runs: int | None = None):
        self.client = client
        self.chunk_runs = chunk_runs
        self._scattered: dict[int, tuple[Scenario, Any]] = {}

    def _future(self, scenario: Scenario) -> Any:
        cached = self._scattered.get(id(scenario))
        if cached is None or cached[0] is not scenario:
            cached = (scenario, self.client.scatter(scenario, broadcast=True))
            self._scattered[id(scenario)] = cached
        return cached[1]

    def run(self, scenarios: Sequence[Scenario], jobs: Sequence[Job], seed: int, until: int) -> list[Ensemble]:
        from ..parallel import gather_chunks, submit_chunks

        total = sum(job.n_runs for job in jobs)
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        chunk = self.chunk_runs or max(256, math.ceil(total / (2 * workers)))
        pending = [
            submit_chunks(
                self.client, self._future(scenarios[job.draw]), job.n_runs, seed, chunk, first_run=job.first_run,
                resume=job.resume, until=until, keep_events=True, keep_state=True,
            )
            for job in jobs
        ]
        return [gather_chunks(parts) for parts in pending]


@dataclass
class Histories:
    """Simulated histories at the end of a particle run.

    ``weights`` (summing to 1) and ``draw`` (the parameter draw of each position)
    are per run; ``flags[c]`` says whether run ``i`` agrees that cell ``c``'s
    outcome happened (events) or its regime held (regimes). ``events`` holds the
    event log of the months from ``collect_from`` on (runs by position).
    """

    n_runs: int
    until: int
    weights: np.ndarray
    draw: np.ndarray
    flags: dict[Cell, np.ndarray]
    final_state: State
    events: dict[str, np.ndarray] | None
    conditioned_on: tuple[Cell, ...]
    log_evidence: float
    resamplings: int
    ess_trace: list[tuple[int, float]] = field(default_factory=list)

    @property
    def ess(self) -> float:
        """Effective sample size of the final weights, ``1 / sum(w^2)``."""
        return float(1.0 / np.sum(self.weights**2))

    def probability(self, happened: np.ndarray) -> tuple[float, float]:
        """Weighted share of runs where ``happened`` holds, and its Monte Carlo standard error ``sqrt(p(1-p)/ESS)``."""
        p = float(np.clip(np.sum(self.weights * happened), 0.0, 1.0))
        return p, math.sqrt(p * (1.0 - p) / self.ess)

    def cell_probability(self, cell: Cell) -> tuple[float, float]:
        """Probability the model gives that the cell's outcome happens (or its regime holds), with its SE."""
        return self.probability(self.flags[cell])


def _segment_ends(start: int, until: int, cells: Sequence[Cell], extra: Sequence[int]) -> list[int]:
    ends = {c.last for c in cells if start <= c.last <= until} | {m for m in extra if start <= m <= until} | {until}
    return sorted(ends)


def _groups(draw: np.ndarray) -> list[tuple[int, int, int]]:
    """(draw, first position, count) of each contiguous block of positions."""
    if draw.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(draw)) + 1
    starts = np.concatenate([[0], cuts])
    stops = np.concatenate([cuts, [draw.size]])
    return [(int(draw[a]), int(a), int(b - a)) for a, b in zip(starts, stops)]


def _merge_columns(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def systematic_resample(weights: np.ndarray, uniform: float) -> np.ndarray:
    """Ancestor indices by systematic resampling (in increasing order) from one uniform in [0, 1)."""
    n = weights.size
    positions = (uniform + np.arange(n)) / n
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return np.minimum(np.searchsorted(cumulative, positions, side="right"), n - 1)


def _resample_uniform(seed: int, month: int) -> float:
    """The resampling uniform at a month: its own stream, independent of the runs' streams."""
    return float(np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(month, 0, 1)))).random())


def simulate_histories(
    scenarios: Sequence[Scenario],
    n_runs: int,
    seed: int,
    until: int,
    condition: Sequence[Cell] = (),
    record: Sequence[Cell] = (),
    simulator: Simulator | None = None,
    mismatch: float = DEFAULT_MISMATCH,
    extra_ends: Sequence[int] = (),
    collect_from: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Histories:
    """Simulate ``n_runs`` histories from the start to ``until``, filtered on ``condition`` cells, answering ``record`` cells.

    ``scenarios`` are parameter draws (runs are split among them in equal
    contiguous blocks); they must share calendar and actors. ``progress`` is
    called with (months done, months in all).
    """
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    if not scenarios:
        raise ValueError("give at least one scenario (parameter draw)")
    if not 0.0 < mismatch < 0.5:
        raise ValueError(f"the mismatch probability must be in (0, 0.5), got {mismatch}")
    start = scenarios[0].calendar.start
    if until < start:
        raise ValueError(f"{format_month(until)} is before the scenario's start {format_month(start)}")
    cells = list(dict.fromkeys(list(condition) + list(record)))
    for cell in condition:
        if collect_from is not None and cell.last >= collect_from:
            raise ValueError("conditioning cells must end before the months whose events are collected")
    ends = _segment_ends(start, until, cells, list(extra_ends) + ([collect_from - 1] if collect_from else []))
    simulator = simulator or LocalSimulator()
    draw = np.repeat(np.arange(len(scenarios)), np.diff(np.linspace(0, n_runs, len(scenarios) + 1).round().astype(int)))
    flags = np.zeros((len(cells), n_runs), dtype=bool)
    index_of = {cell: k for k, cell in enumerate(cells)}
    by_end: dict[int, list[Cell]] = {}
    for cell in condition:
        by_end.setdefault(cell.last, []).append(cell)
    log_w = np.zeros(n_runs)
    log_evidence = 0.0
    resamplings = 0
    ess_trace: list[tuple[int, float]] = []
    state: State | None = None
    collected: list[dict[str, np.ndarray]] = []
    first = start
    for end in ends:
        jobs = [
            Job(d, offset, count, state.select(np.arange(offset, offset + count)) if state is not None else None)
            for d, offset, count in _groups(draw)
        ]
        parts = simulator.run(scenarios, jobs, seed, end)
        state = concat_states([part.final_state for part in parts])  # type: ignore[misc]
        events = _merge_columns([part.events for part in parts])  # type: ignore[misc]
        if collect_from is not None and first >= collect_from:
            collected.append(events)
        for cell in cells:
            if cell.last < first or cell.first > end:
                continue
            k = index_of[cell]
            if cell.kind == "regime":
                if cell.last == end:
                    flags[k] = state.regime == REGIME_KEYS.index(cell.key)
            else:
                window = (max(cell.first, first), min(cell.last, end))
                flags[k] |= runs_with_outcome(events, cell.key, n_runs, 0, window)
        closing = by_end.get(end, [])
        if closing:
            before = _log_sum(log_w)
            for cell in closing:
                agree = flags[index_of[cell]] == cell.observed
                log_w += np.where(agree, math.log1p(-mismatch), math.log(mismatch))
            log_evidence += _log_sum(log_w) - before
            weights = _normalized(log_w)
            ess = float(1.0 / np.sum(weights**2))
            ess_trace.append((end, ess))
            if ess < RESAMPLE_BELOW * n_runs:
                ancestors = systematic_resample(weights, _resample_uniform(seed, end))
                state = state.select(ancestors)
                flags = flags[:, ancestors]
                draw = draw[ancestors]
                log_w = np.zeros(n_runs)
                resamplings += 1
        if progress is not None:
            progress(end - start + 1, until - start + 1)
        first = end + 1
    assert state is not None
    return Histories(
        n_runs=n_runs,
        until=until,
        weights=_normalized(log_w),
        draw=draw,
        flags={cell: flags[index_of[cell]] for cell in cells},
        final_state=state,
        events=_merge_columns(collected) if collected else None,
        conditioned_on=tuple(condition),
        log_evidence=float(log_evidence),
        resamplings=resamplings,
        ess_trace=ess_trace,
    )


def _log_sum(log_w: np.ndarray) -> float:
    top = float(np.max(log_w))
    return top + math.log(float(np.sum(np.exp(log_w - top))))


def _normalized(log_w: np.ndarray) -> np.ndarray:
    w = np.exp(log_w - np.max(log_w))
    return w / np.sum(w)
