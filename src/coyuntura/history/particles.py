"""Simulated histories read against the observed timeline, optionally filtered on it.

:func:`simulate_histories` simulates ``N`` runs from the scenario's start in
*segments* that end where cells of the observed timeline end, so that each run's
answer to each cell is known as soon as the cell closes: did the outcome happen
in the cell's window (from the event log), was the regime the observed one at
the cell's month (from the state). Runs are numbered by position ``0..N-1``;
each segment's random streams depend only on (seed, the segment's first month,
position), so results do not depend on batch size, the executor or its number of workers.

With ``condition`` cells it is a particle filter, sequential importance
resampling (Gordon, Salmond & Smith 1993): at the end of each conditioning cell
every run is weighted by how well it agrees with the record - ``1 - mismatch``
if it matches, ``mismatch`` if it does not (the record may be wrong, and the
model is coarse; no run is ever thrown away for one disagreement) - and when the
effective sample size falls below half the runs they are resampled
systematically; the survivors continue from their own states with fresh random
streams. What remains is a sample of the model's histories *conditional on what
was observed*, from which the next months are forecast.

When the record finds a segment so surprising that fewer than
:data:`BRANCH_BELOW` of the runs stay effective (the October 1970 crisis leaves
about one run in three hundred), resampling alone would fill the filter with
copies of those few. Instead the segment is simulated again from every run's
state at its start, up to :data:`MAX_OFFSPRING` times in all, each time with
streams of its own (:func:`offspring_seed`); a run and its offspring share the
run's weight, each is weighted by its own agreement with the record, and the
runs are resampled from all of them (a branching step of sequential Monte Carlo;
the estimate of the record's likelihood stays nearly unbiased: the number of
offspring is chosen after seeing the first, which biases it by a fraction of a
percent). The same happens when no run of a filter agrees with every cell that
closed (its weights stay even, and wrong). The states after the
segment are then many, not a few copies. Runs may use different
parameter values (``parameters``: one value per run of each free parameter, e.g.
draws from a posterior); a run's values follow it when it is resampled.

The filter itself is :class:`ParticleFilter`, which advances segment by
segment, assimilates cells as they close, can be forked (to forecast without
assimilating; the one-step-ahead score in :mod:`coyuntura.history.filtered`) and
can hold several independent filters side by side (``blocks``, for an honest
Monte Carlo error). :func:`simulate_histories` runs one filter to the end.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np

from ..engine.model import Model, compile_scenario
from ..engine.outcomes import OutcomeDefinition, nationalization_of, runs_with_outcome
from ..engine.parameters import RunParameters, run_parameters
from ..engine.simulate import Ensemble, concat_states, merge_ensembles, simulate
from ..engine.state import REGIME_KEYS, State
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from .observations import Cell

DEFAULT_MISMATCH = 0.05
"""Probability that the record and a faithful history disagree on one cell (the filter's observation noise)."""

RESAMPLE_BELOW = 0.5
"""Resample when the effective sample size falls below this share of the runs."""

BRANCH_BELOW = 0.1
"""Re-simulate a segment with several offspring per run when the record leaves fewer effective runs than this share."""

BRANCH_TARGET = 0.5
"""The offspring per run are chosen so that, at the surprise just measured, about this share of the runs stays effective."""

MAX_OFFSPRING = 16
"""At most this many offspring per run (the run itself and 15 re-simulations of its segment)."""

OFFSPRING_KEPT_BYTES = 256 * 2**20
"""The offspring's final states a re-simulated segment keeps from weighing them to drawing from them, at most (beyond
it, those drawn are simulated again: the same numbers, more time)."""


@dataclass(frozen=True)
class Job:
    """Runs ``first_run .. first_run + n_runs - 1`` with their per-run ``parameters`` (if any), from ``resume`` (or the start)."""

    first_run: int
    n_runs: int
    resume: State | None
    parameters: RunParameters | None = None


@dataclass(frozen=True)
class SegmentStart:
    """Where the last segment began: its months, the runs' states before it and the answers it changed, as they were."""

    first: int
    end: int
    state: State | None
    answers: dict[int, np.ndarray]  # cell index -> per-run answer before the segment, for the cells the segment reaches


def offspring_seed(seed: int, offspring: int) -> int:
    """The seed of a segment's ``offspring``-th re-simulation (1, 2, ...): its own streams, keyed on each run's position like the
    run's own, so a run's offspring do not depend on how many runs or filters there are."""
    state = np.random.SeedSequence(seed, spawn_key=(offspring, 0, 0, 2)).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


class Simulator(Protocol):
    """Simulates jobs up to a month; results in job order, with event logs and final states."""

    def run(self, scenario: Scenario, jobs: Sequence[Job], seed: int, until: int) -> list[Ensemble]: ...


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

    def run(self, scenario: Scenario, jobs: Sequence[Job], seed: int, until: int) -> list[Ensemble]:
        return [
            simulate(
                self._model(scenario), job.n_runs, seed=seed, until=until, first_run=job.first_run,
                resume=job.resume, keep_events=True, keep_state=True, parameters=job.parameters,
            )
            for job in jobs
        ]


class ExecutorSimulator:
    """Simulate on an executor (a process pool, Dask: :mod:`coyuntura.executor`) in chunks of runs; same numbers as in-process."""

    def __init__(self, executor: Any, chunk_runs: int | None = None):
        from ..executor import as_executor

        self.executor = as_executor(executor)
        self.chunk_runs = chunk_runs
        self._shared: dict[int, tuple[Scenario, Any]] = {}

    def _handle(self, scenario: Scenario) -> Any:
        cached = self._shared.get(id(scenario))
        if cached is None or cached[0] is not scenario:
            cached = (scenario, self.executor.share(scenario))
            self._shared[id(scenario)] = cached
        return cached[1]

    def run(self, scenario: Scenario, jobs: Sequence[Job], seed: int, until: int) -> list[Ensemble]:
        from ..parallel import chunk_runs_for, chunk_tasks, simulate_chunk

        total = sum(job.n_runs for job in jobs)
        chunk = self.chunk_runs or chunk_runs_for(total, self.executor.workers, minimum=256)
        tasks, owners = [], []
        for position, job in enumerate(jobs):
            parts = chunk_tasks(
                self._handle(scenario), job.n_runs, chunk, first_run=job.first_run, resume=job.resume, parameters=job.parameters,
                seed=seed, until=until, keep_events=True, keep_state=True,
            )
            tasks += parts
            owners += [position] * len(parts)
        ensembles = self.executor.map(simulate_chunk, tasks)
        return [merge_ensembles([e for e, owner in zip(ensembles, owners) if owner == position]) for position in range(len(jobs))]


def simulator_for(executor: Any = None) -> Simulator:
    """The simulator for ``executor``: in this process (compiled models kept) when it is None or inline, else chunks on it."""
    if executor is None or not getattr(executor, "parallel", True):
        return LocalSimulator()
    return ExecutorSimulator(executor)


@dataclass
class Histories:
    """Simulated histories at the end of a particle run.

    ``weights`` (summing to 1) and ``parameters`` (each run's values of the
    parameters given per run, after any resampling) are per run; ``flags[c]`` says whether run ``i`` agrees that cell ``c``'s
    outcome happened (events) or its regime held (regimes). ``events`` holds the
    event log of the months from ``collect_from`` on (runs by position).
    """

    n_runs: int
    until: int
    weights: np.ndarray
    parameters: RunParameters | None
    flags: dict[Cell, np.ndarray]
    final_state: State
    events: dict[str, np.ndarray] | None
    conditioned_on: tuple[Cell, ...]
    block_log_evidence: np.ndarray  # per independent filter: the log likelihood of the cells it assimilated
    resamplings: int
    ess_trace: list[tuple[int, float]] = field(default_factory=list)
    branch_trace: list[tuple[int, int, float]] = field(default_factory=list)  # (month, most offspring per run, ESS among them)
    blocks: int = 1  # independent filters side by side (equal contiguous groups of runs, weights normalized in each)

    @property
    def ess(self) -> float:
        """Effective sample size of the final weights, ``1 / sum(w^2)`` (summed over the independent filters)."""
        w = self.weights.reshape(self.blocks, -1)
        return float(np.sum(1.0 / np.sum(w**2, axis=1)))

    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood of the conditioning cells (summed over the independent filters)."""
        return float(self.block_log_evidence.sum())

    @property
    def se_method(self) -> str:
        """How :meth:`probability` computes its Monte Carlo error, in words."""
        if self.blocks > 1:
            return (f"spread of {self.blocks} independent particle filters of {self.n_runs // self.blocks:,} runs each "
                    f"(own random streams, own resampling): SD of their probabilities / sqrt({self.blocks})")
        return "sqrt(p(1-p)/ESS), ESS the effective sample size (one filter: optimistic when resampling has thinned the ancestry)"

    def probability(self, happened: np.ndarray) -> tuple[float, float]:
        """Probability that ``happened`` holds, and its Monte Carlo standard error (see :attr:`se_method`).

        With several independent filters: the mean of their weighted shares, and the standard error of that mean."""
        shares = np.clip((self.weights * happened).reshape(self.blocks, -1).sum(axis=1), 0.0, 1.0)
        p = float(np.mean(shares))
        if self.blocks > 1:
            return p, float(np.std(shares, ddof=1) / math.sqrt(self.blocks))
        return p, math.sqrt(p * (1.0 - p) / self.ess)

    def cell_probability(self, cell: Cell) -> tuple[float, float]:
        """Probability the model gives that the cell's outcome happens (or its regime holds), with its SE."""
        return self.probability(self.flags[cell])


def _segment_ends(start: int, until: int, cells: Sequence[Cell], extra: Sequence[int]) -> list[int]:
    ends = {c.last for c in cells if start <= c.last <= until} | {m for m in extra if start <= m <= until} | {until}
    return sorted(ends)


def _merge_columns(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def systematic_resample(weights: np.ndarray, uniform: float, count: int | None = None) -> np.ndarray:
    """``count`` (default: as many as there are weights) ancestor indices by systematic resampling, in increasing order,
    from one uniform in [0, 1)."""
    count = weights.size if count is None else count
    positions = (uniform + np.arange(count)) / count
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return np.minimum(np.searchsorted(cumulative, positions, side="right"), weights.size - 1)


def _resample_uniform(seed: int, month: int, stream: int = 0) -> float:
    """The resampling uniform of filter ``stream`` at a month: its own stream, independent of the runs' streams."""
    return float(np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(month, stream, 1)))).random())


_LINEAGES = itertools.count()


class SegmentCache:
    """Segments already simulated, keyed by (lineage, first month, last month), for filters that share runs.

    A segment's result depends only on the runs' states at its start, its months
    and the seed; two filters of one *lineage* (a fork and the filter it was
    forked from, before either resamples) hold the same states, so one may reuse
    what the other simulated. Only the newest lineage's segments are kept.
    """

    def __init__(self) -> None:
        self._segments: dict[tuple[int, int, int], tuple[State, dict[str, np.ndarray]]] = {}

    def get(self, key: tuple[int, int, int]) -> tuple[State, dict[str, np.ndarray]] | None:
        """The segment, if simulated; segments of that lineage that start earlier are dropped (they are behind every reader)."""
        self._segments = {k: v for k, v in self._segments.items() if k[0] != key[0] or k[1] >= key[1]}
        return self._segments.get(key)

    def put(self, key: tuple[int, int, int], value: tuple[State, dict[str, np.ndarray]]) -> None:
        """Keep a segment (and drop those of other, older lineages)."""
        self._segments = {k: v for k, v in self._segments.items() if k[0] == key[0]}
        self._segments[key] = value

    def __contains__(self, key: tuple[int, int, int]) -> bool:
        return key in self._segments


class ParticleFilter:
    """Sequential importance resampling over a scenario's months, one segment at a time.

    The runs are simulated from the scenario's start by :meth:`advance` (up to a
    month), each run's answer to each of ``cells`` is kept as the months pass,
    and :meth:`assimilate` weights the runs by their agreement with cells that
    have closed, resampling when the effective sample size falls below
    :data:`RESAMPLE_BELOW` of the runs. :meth:`fork` copies the filter (same runs,
    same weights) to answer other cells without assimilating anything: a
    one-step-ahead prediction. :func:`simulate_histories` is this filter run to
    the end in one go.

    With ``blocks = K`` the runs are ``K`` independent filters side by side: block
    ``b`` holds positions ``b n/K .. (b + 1) n/K - 1`` (their own random streams),
    its own weights, and resamples on its own, from its own resampling uniforms.
    Block ``b`` is exactly the one-block filter of ``n/K`` runs that starts at
    position ``b n/K`` and draws resampling stream ``b``; block 0 is the one-block
    filter of ``n/K`` runs. Simulating them together costs far less than one by one.
    """

    def __init__(
        self,
        scenario: Scenario,
        n_runs: int,
        seed: int,
        cells: Sequence[Cell] = (),
        simulator: Simulator | None = None,
        mismatch: float = DEFAULT_MISMATCH,
        blocks: int = 1,
        parameters: Mapping[str, np.ndarray] | RunParameters | None = None,
        offspring: int = MAX_OFFSPRING,
    ):
        if n_runs < 1:
            raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
        if not 0.0 < mismatch < 0.5:
            raise ValueError(f"the mismatch probability must be in (0, 0.5), got {mismatch}")
        if blocks < 1 or n_runs % blocks:
            raise ValueError(f"{n_runs} runs cannot be split into {blocks} equal filters")
        if offspring < 1:
            raise ValueError(f"the offspring per run must be at least 1 (1: never re-simulate a segment), got {offspring}")
        self.scenario = scenario
        model = compile_scenario(scenario)
        self.outcomes = {definition.key: definition for definition in model.outcomes}  # a plug-in's own kinds among them
        self.holding_ids = list(model.holding_ids)
        self.holding_outcomes: dict[str, OutcomeDefinition] = {}  # a named holding's nationalization (cells that name one)
        self.parameters = run_parameters(model, parameters, n_runs) if parameters else None
        self.n_runs = n_runs
        self.blocks = blocks
        self.block_runs = n_runs // blocks
        self.seed = seed
        self.simulator = simulator or LocalSimulator()
        self.mismatch = mismatch
        self.start = scenario.calendar.start
        self.month = self.start - 1  # the last month simulated
        self._track(cells)
        self.log_w = np.zeros(n_runs)
        self.block_log_evidence = np.zeros(blocks)
        self.block_resamplings = np.zeros(blocks, dtype=int)
        self.ess_trace: list[tuple[int, float]] = []
        self.offspring = offspring
        self.branch_trace: list[tuple[int, int, float]] = []
        self.resimulated_run_months = 0  # months simulated again for offspring, times the runs simulated
        self.segment: SegmentStart | None = None
        self.state: State | None = None
        self.lineage = next(_LINEAGES)

    def _track(self, cells: Sequence[Cell]) -> None:
        self.cells = list(dict.fromkeys(cells))
        self.index_of = {cell: k for k, cell in enumerate(self.cells)}
        self.flags = np.zeros((len(self.cells), self.n_runs), dtype=bool)

    def _block(self, b: int) -> slice:
        return slice(b * self.block_runs, (b + 1) * self.block_runs)

    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood of the cells assimilated (summed over the blocks)."""
        return float(self.block_log_evidence.sum())

    @property
    def resamplings(self) -> int:
        """Resamplings so far (summed over the blocks)."""
        return int(self.block_resamplings.sum())

    @property
    def weights(self) -> np.ndarray:
        """Normalized importance weights of the runs (each block's sum to 1)."""
        if self.blocks == 1:
            return _normalized(self.log_w)
        return np.concatenate([_normalized(self.log_w[self._block(b)]) for b in range(self.blocks)])

    def block_ess(self) -> np.ndarray:
        """Effective sample size of each block's weights, ``1 / sum(w^2)``."""
        w = self.weights.reshape(self.blocks, self.block_runs)
        return 1.0 / np.sum(w**2, axis=1)

    @property
    def ess(self) -> float:
        """Effective sample size of the current weights (one block; with several, summed over the blocks)."""
        if self.blocks == 1:
            return float(1.0 / np.sum(self.weights**2))
        return float(self.block_ess().sum())

    def probability(self, happened: np.ndarray) -> float:
        """Weighted share of runs where ``happened`` holds (with several blocks, their mean)."""
        if self.blocks == 1:
            return float(np.clip(np.sum(self.weights * happened), 0.0, 1.0))
        return float(np.mean(self.block_probabilities(happened)))

    def block_probabilities(self, happened: np.ndarray) -> np.ndarray:
        """Each block's weighted share of runs where ``happened`` holds."""
        shares = (self.weights * happened).reshape(self.blocks, self.block_runs).sum(axis=1)
        return np.clip(shares, 0.0, 1.0)

    def cell_flags(self, cell: Cell) -> np.ndarray:
        """Per run: did the cell's outcome happen (events), or does its regime hold (regimes), in the months simulated?"""
        return self.flags[self.index_of[cell]]

    def segment_key(self, end: int) -> tuple[int, int, int]:
        """What identifies the next segment, through ``end``, in a :class:`SegmentCache`."""
        return (self.lineage, self.month + 1, end)

    def advance(self, end: int, cache: SegmentCache | None = None, store: bool = True) -> dict[str, np.ndarray]:
        """Simulate the months after the last one simulated through ``end``; update the cells' answers; return the segment's events.

        With a ``cache``, a segment a filter of the same lineage already simulated is reused (the numbers are the
        same), and one simulated here is kept for the others unless ``store`` is false.
        """
        first = self.month + 1
        if end < first:
            raise ValueError(f"{format_month(end)} is not after the last month simulated, {format_month(self.month)}")
        key = self.segment_key(end)
        hit = cache.get(key) if cache is not None else None
        if hit is None:
            parts = self.simulator.run(self.scenario, [Job(0, self.n_runs, self.state, self.parameters)], self.seed, end)
            hit = (concat_states([part.final_state for part in parts]), _merge_columns([part.events for part in parts]))  # type: ignore[misc]
            if cache is not None and store:
                cache.put(key, hit)
        reached = [k for k, cell in enumerate(self.cells) if cell.first <= end and cell.last >= first]
        self.segment = SegmentStart(first, end, self.state, {k: self.flags[k].copy() for k in reached})
        self.state, events = hit
        for k in reached:
            self.flags[k] = self._answer(k, self.flags[k], self.state, events, first, end, 0)
        self.month = end
        return events

    def _answer(self, k: int, before: np.ndarray, state: State, events: dict[str, np.ndarray], first: int, end: int, first_run: int) -> np.ndarray:
        """Per run, cell ``k``'s answer after the segment ``first .. end``: a regime cell reads the state at its last month, an
        event cell adds what happened in its window to ``before`` (runs ``first_run ..``), and a standing condition's cell
        (the Left's front) also reads the state at its last month."""
        cell = self.cells[k]
        if cell.kind == "regime":
            return state.regime == REGIME_KEYS.index(cell.key) if cell.last == end else before
        window = (max(cell.first, first), min(cell.last, end))
        at_end = state if cell.last == end else None
        return before | runs_with_outcome(events, self._outcome(cell), before.size, first_run, window, at_end)

    def _outcome(self, cell: Cell) -> OutcomeDefinition:
        """What an event cell asks of the log: its outcome, or the nationalization of the holding it names."""
        if not cell.holding:
            return self.outcomes[cell.key]
        if cell.holding not in self.holding_outcomes:
            index = self.holding_ids.index(cell.holding)
            self.holding_outcomes[cell.holding] = nationalization_of(index, self.scenario.holdings[index].name)
        return self.holding_outcomes[cell.holding]

    def _log_agreement(self, cells: Sequence[Cell], answers: Callable[[int], np.ndarray]) -> np.ndarray:
        """Per run, the log likelihood of the record's ``cells`` given the runs' answers (``answers(k)`` for cell ``k``)."""
        terms = [np.where(answers(self.index_of[cell]) == cell.observed, math.log1p(-self.mismatch), math.log(self.mismatch)) for cell in cells]
        total: np.ndarray = np.sum(terms, axis=0)
        return total

    def assimilate(self, cells: Sequence[Cell]) -> None:
        """Weight the runs by their agreement with ``cells`` (which end in the last month simulated); resample if the ESS is low."""
        if not cells:
            return
        for cell in cells:
            if cell.last != self.month:
                raise ValueError(f"cell {cell.name} does not end in {format_month(self.month)}, the last month simulated")
        blocks = [self._block(b) for b in range(self.blocks)]
        before = [_log_sum(self.log_w[block]) for block in blocks]
        prior_log_w = self.log_w.copy()
        agreement = self._log_agreement(cells, lambda k: self.flags[k])
        self.log_w += agreement
        full_agreement = len(cells) * math.log1p(-self.mismatch)  # a run that agrees with every one of the cells
        can_branch = self.segment is not None and self.segment.end == self.month
        ancestors = np.arange(self.n_runs)
        resampled = False
        trace = []
        branching: dict[int, int] = {}
        for b, block in enumerate(blocks):
            weights = _normalized(self.log_w[block])
            ess = float(1.0 / np.sum(weights**2))
            trace.append(ess)
            # Few effective runs, or none that agrees with every cell (then the weights stay even, but wrong):
            # simulate the segment again, with as many offspring as bring back about BRANCH_TARGET of the runs.
            nobody_agrees = float(np.max(agreement[block])) < full_agreement - 1e-9
            wanted = self.offspring if nobody_agrees else min(self.offspring, math.ceil(BRANCH_TARGET * self.block_runs / ess))
            if can_branch and wanted > 1 and (nobody_agrees or ess < BRANCH_BELOW * self.block_runs):
                branching[b] = wanted
                continue
            self.block_log_evidence[b] += _log_sum(self.log_w[block]) - before[b]
            if ess < RESAMPLE_BELOW * self.block_runs:
                ancestors[block] = block.start + systematic_resample(weights, _resample_uniform(self.seed, self.month, b))
                self.log_w[block] = 0.0
                self.block_resamplings[b] += 1
                resampled = True
        self.ess_trace.append((self.month, float(sum(trace))))
        if branching:
            self._branch(cells, branching, prior_log_w, before, ancestors, trace)
            self.segment = None  # the runs are new: the segment's start belongs to others
            return
        if resampled:
            self.segment = None
            assert self.state is not None
            self.state = self.state.select(ancestors)
            self.flags = self.flags[:, ancestors]
            if self.parameters is not None:
                self.parameters = self.parameters.take(ancestors)
            self.lineage = next(_LINEAGES)

    def _offspring_answers(self, offspring: int, blocks: Sequence[int]) -> dict[int, tuple[State, int, dict[int, np.ndarray]]]:
        """Re-simulate the last segment for the runs of ``blocks`` with the ``offspring``-th streams: per block, the final
        state of the job that holds it, the block's first run within that state, and the block's answers to the cells the
        segment reaches. Neighbouring blocks are simulated as one job."""
        segment = self.segment
        assert segment is not None
        spans: list[list[int]] = []  # runs of neighbouring blocks
        for b in sorted(blocks):
            if spans and spans[-1][-1] == b - 1:
                spans[-1].append(b)
            else:
                spans.append([b])
        jobs = []
        for span in spans:
            positions = np.arange(self._block(span[0]).start, self._block(span[-1]).stop)
            jobs.append(Job(
                int(positions[0]), positions.size, segment.state.select(positions) if segment.state is not None else None,
                self.parameters.take(positions) if self.parameters is not None else None,
            ))
        ensembles = self.simulator.run(self.scenario, jobs, offspring_seed(self.seed, offspring), self.month)
        self.resimulated_run_months += sum(job.n_runs for job in jobs) * (segment.end - segment.first + 1)
        results = {}
        for span, job, ensemble in zip(spans, jobs, ensembles):
            assert ensemble.final_state is not None and ensemble.events is not None
            covered = slice(job.first_run, job.first_run + job.n_runs)
            answers = {
                k: self._answer(k, before[covered], ensemble.final_state, ensemble.events, segment.first, segment.end, job.first_run)
                for k, before in segment.answers.items()
            }
            for b in span:
                offset = self._block(b).start - job.first_run
                results[b] = (ensemble.final_state, offset, {k: answer[offset : offset + self.block_runs] for k, answer in answers.items()})
        return results

    def _branch(
        self, cells: Sequence[Cell], branching: Mapping[int, int], prior_log_w: np.ndarray, before: Sequence[float], ancestors: np.ndarray,
        ess: Sequence[float],
    ) -> None:
        """Blocks the record left with too few effective runs: each run's segment is simulated again ``branching[b] - 1``
        times with streams of their own; the run and its offspring share the run's weight (each gets its own agreement
        with the record), and the block resamples its runs from all of them. Every other block keeps its resampling
        (``ancestors``). The offspring are simulated twice - once to weigh them, once for the states of those drawn -
        so that the states of all of them are never held at once, unless they fit in :data:`OFFSPRING_KEPT_BYTES`: then the
        first pass keeps them for the second."""
        m = self.block_runs
        pool: dict[int, np.ndarray] = {}  # block -> log weights of its candidates, (offspring, runs)
        for b, count in branching.items():
            pool[b] = np.empty((count, m))
            pool[b][0] = self.log_w[self._block(b)]
        kept: dict[int, dict[int, tuple[State, int, dict[int, np.ndarray]]]] = {}  # offspring -> its answers, while they fit
        kept_bytes = 0
        for r in range(1, max(branching.values())):
            results = self._offspring_answers(r, [b for b, count in branching.items() if count > r])
            for b, (_, _, answers) in results.items():
                pool[b][r] = prior_log_w[self._block(b)] + self._log_agreement(cells, lambda k: answers[k])
            size = sum({id(final): final.nbytes for final, _, _ in results.values()}.values())
            if kept_bytes + size <= OFFSPRING_KEPT_BYTES:
                kept[r] = results
                kept_bytes += size
        drawn: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # block -> (offspring, run within the block) of each new run
        pooled_ess = 0.0
        for b, log_w in pool.items():
            count = log_w.shape[0]
            self.block_log_evidence[b] += _log_sum(log_w.ravel()) - math.log(count) - before[b]
            weights = _normalized(log_w.ravel())
            pooled_ess += min(float(1.0 / np.sum(weights**2)), m)  # the runs drawn from them are at most the block's
            picks = systematic_resample(weights, _resample_uniform(self.seed, self.month, b), m)
            drawn[b] = (picks // m, picks % m)
            ancestors[self._block(b)] = self._block(b).start + picks % m
            self.log_w[self._block(b)] = 0.0
            self.block_resamplings[b] += 1
        assert self.state is not None
        parents = ancestors.copy()
        state = self.state.select(parents)  # the run itself (offspring 0), or its parent until an offspring is written in
        flags = self.flags[:, parents]
        for r in range(1, max(branching.values())):
            chosen = [b for b in branching if np.any(drawn[b][0] == r)]
            if not chosen:
                continue
            results = {b: kept[r][b] for b in chosen} if r in kept else self._offspring_answers(r, chosen)
            for b, (final, offset, answers) in results.items():
                offspring, runs = drawn[b]
                targets = self._block(b).start + np.flatnonzero(offspring == r)
                picked = runs[offspring == r]
                state.assign(targets, final.select(offset + picked))
                for k, answer in answers.items():
                    flags[k, targets] = answer[picked]
        self.state = state
        self.flags = flags
        if self.parameters is not None:
            self.parameters = self.parameters.take(parents)
        others = sum(ess[b] for b in range(self.blocks) if b not in branching)
        self.branch_trace.append((self.month, max(branching.values()), pooled_ess + others))
        self.lineage = next(_LINEAGES)

    def fork(self, cells: Sequence[Cell]) -> "ParticleFilter":
        """A copy that goes on from the same runs with the same weights and answers ``cells`` (fresh, from the next month)."""
        twin = copy.copy(self)
        twin.log_w = self.log_w.copy()
        twin.block_log_evidence = self.block_log_evidence.copy()
        twin.block_resamplings = self.block_resamplings.copy()
        twin.ess_trace = list(self.ess_trace)
        twin.branch_trace = list(self.branch_trace)
        twin.segment = None  # a fork answers other cells: it never re-simulates the filter's segment
        twin._track(cells)
        return twin


def simulate_histories(
    scenario: Scenario,
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
    parameters: Mapping[str, np.ndarray] | RunParameters | None = None,
    blocks: int = 1,
    offspring: int = MAX_OFFSPRING,
) -> Histories:
    """Simulate ``n_runs`` histories from the start to ``until``, filtered on ``condition`` cells, answering ``record`` cells.

    ``parameters`` gives free parameters one value per run (e.g. posterior draws;
    :mod:`coyuntura.engine.parameters`). ``blocks`` independent filters share the runs
    equally (a :class:`ParticleFilter` with blocks), for an honest Monte Carlo error. Segments end where
    cells end, at ``extra_ends`` and at ``until``. ``progress`` is called with
    (months done, months in all).
    """
    if n_runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n_runs}")
    start = scenario.calendar.start
    if until < start:
        raise ValueError(f"{format_month(until)} is before the scenario's start {format_month(start)}")
    cells = list(dict.fromkeys(list(condition) + list(record)))
    for cell in condition:
        if collect_from is not None and cell.last >= collect_from:
            raise ValueError("conditioning cells must end before the months whose events are collected")
    ends = _segment_ends(start, until, cells, list(extra_ends) + ([collect_from - 1] if collect_from else []))
    particles = ParticleFilter(scenario, n_runs, seed, cells, simulator, mismatch, blocks=blocks, parameters=parameters, offspring=offspring)
    by_end: dict[int, list[Cell]] = {}
    for cell in condition:
        by_end.setdefault(cell.last, []).append(cell)
    collected: list[dict[str, np.ndarray]] = []
    for end in ends:
        first = particles.month + 1
        events = particles.advance(end)
        if collect_from is not None and first >= collect_from:
            collected.append(events)
        particles.assimilate(by_end.get(end, []))
        if progress is not None:
            progress(end - start + 1, until - start + 1)
    assert particles.state is not None
    return Histories(
        n_runs=n_runs,
        until=until,
        weights=particles.weights,
        parameters=particles.parameters,
        flags={cell: particles.cell_flags(cell) for cell in cells},
        final_state=particles.state,
        events=_merge_columns(collected) if collected else None,
        conditioned_on=tuple(condition),
        block_log_evidence=particles.block_log_evidence.copy(),
        resamplings=particles.resamplings,
        ess_trace=particles.ess_trace,
        branch_trace=particles.branch_trace,
        blocks=blocks,
    )


def _log_sum(log_w: np.ndarray) -> float:
    top = float(np.max(log_w))
    return top + math.log(float(np.sum(np.exp(log_w - top))))


def _normalized(log_w: np.ndarray) -> np.ndarray:
    w = np.exp(log_w - np.max(log_w))
    return w / np.sum(w)


def check_runs_cover(runs: int, replications: int, each: str = "filter") -> None:
    """Raise ``ValueError`` for fewer runs than replicates (independent filters, or blocks of runs): each needs runs."""
    if runs < replications:
        raise ValueError(f"--runs ({runs}) must be at least --replications ({replications}): each {each} needs runs")


def runs_used(runs: int, replications: int) -> int:
    """The runs a forecast simulates: ``runs`` shared evenly among ``replications`` filters, any remainder dropped."""
    return runs - runs % replications


def uneven_runs_notice(runs: int, replications: int) -> str | None:
    """One line saying how many runs a forecast uses when ``runs`` does not divide evenly among the filters; else None."""
    used = runs_used(runs, replications)
    if used == runs:
        return None
    return (
        f"note: using {used:,} of the {runs:,} runs asked for: they are shared evenly among {replications} independent filters "
        f"(--replications) of {used // replications:,} runs each; give a multiple of {replications} to use them all"
    )
