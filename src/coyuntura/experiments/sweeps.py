"""Sweeps: one scenario simulated at many parameter points, resumable, recorded point by point.

A :class:`Sweep` is a scenario, a list of points (each a mapping of value paths to
values) and how to simulate each point (runs, seed, start, until). Every point is
simulated with the same seed, so points differ only by their parameters and not by
their random streams (common random numbers across points). Points are grouped
into tasks of several points each, run on an executor (:mod:`coyuntura.executor`:
this process by default, a process pool or Dask). Each finished task's points are committed to the run
store at once, so a sweep killed at any moment keeps every point it finished, and
``resume=True`` finds the sweep by its identity (a hash of the scenario's content,
the points and the simulation settings) and computes only the missing points. The
store's primary key (record, point) makes a duplicate impossible.

A :class:`PointSweep` does the same for points that are per-run parameters (the
free parameters of ``coyuntura.engine.parameters``): a batch of consecutive points
is ONE vectorized ``simulate`` call in which point i's runs carry point i's values.
Point i owns the run indices ``i * n_runs .. (i + 1) * n_runs - 1`` of the one seed,
so its random streams (and result) do not depend on how points are grouped into
batches or spread over workers; unlike a :class:`Sweep`, points do not share
random numbers. Each finished batch is committed to the run store as one item, so
``resume=True`` recomputes only the points of unfinished batches.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..engine.model import compile_scenario
from ..engine.parameters import run_parameters
from ..engine.simulate import DEFAULT_BATCH_SIZE, simulate
from ..engine.tables import standard_error
from ..executor import Executor, as_executor
from ..extras import require
from ..scenario.calendar import format_month
from ..scenario.paths import with_values
from ..scenario.schema import Scenario
from ..store.runstore import Item, RunStore, canonical_json, code_version, scenario_hash
from .measures import OUTCOME_NAMES, outcome_counts, outcome_matrix, outcome_names, scenario_outcomes, unknown_outcome

DEFAULT_POINTS_PER_TASK = 8
DEFAULT_RUNS_PER_BATCH = 10_240
"""Runs (points x runs per point) one batch of a :class:`PointSweep` simulates together; any size gives the same results."""
STORE_EVERY = 5.0
"""Seconds between commits of a :class:`PointSweep`'s finished batches (each commit opens the store: ~0.1 s)."""


@dataclass(frozen=True)
class Sweep:
    """A scenario, the points to simulate it at, and how to simulate each point."""

    scenario: Scenario
    points: tuple[Mapping[str, Any], ...]
    n_runs: int
    seed: int = 0
    start: str | None = None
    until: int | None = None
    kind: str = "sweep"
    name: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)  # what the caller wants recorded (method, outcome, ...)

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a sweep needs at least one point")
        if self.n_runs < 1:
            raise ValueError(f"the number of runs per point must be at least 1, got {self.n_runs}")

    def parameters(self) -> dict[str, Any]:
        """What identifies the sweep besides the scenario (recorded in the store)."""
        return {
            "points": len(self.points),
            "runs_per_point": self.n_runs,
            "from": self.start,
            "until": format_month(self.until) if self.until is not None else None,
            "settings": dict(self.settings),
        }

    def key(self) -> str:
        """The sweep's identity: same scenario content, points, settings and code version, same key."""
        identity = {
            "kind": self.kind,
            "scenario": scenario_hash(self.scenario),
            "points": [dict(point) for point in self.points],
            "n_runs": self.n_runs,
            "seed": self.seed,
            "start": self.start,
            "until": self.until,
            "settings": dict(self.settings),
            "code": code_version(),
        }
        return hashlib.sha256(canonical_json(identity).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SweepResult:
    """Outcome counts of every point, in point order; ``computed`` says how many this call simulated."""

    record_id: str | None
    n_runs: int
    points: tuple[Mapping[str, Any], ...]
    counts: np.ndarray  # (points, outcomes) in ``outcomes`` order
    computed: int
    wall_time: float
    cpu_time: float = 0.0  # CPU seconds the points took on the workers (what an idle machine would spend)
    outcomes: tuple[str, ...] = OUTCOME_NAMES  # the columns of ``counts``: the scenario's outcomes (scenario_outcomes)

    def probability(self, outcome: str) -> np.ndarray:
        """The outcome's probability at every point."""
        return _column(self.counts, self.outcomes, outcome) / self.n_runs

    def to_frame(self) -> Any:
        """Tidy: one row per point and outcome (a pandas DataFrame; :func:`sweep_frame`)."""
        return sweep_frame(self.points, self.counts, self.outcomes, self.n_runs)


def sweep_frame(points: Sequence[Mapping[str, Any]], counts: np.ndarray, outcomes: Sequence[str], n_runs: int) -> Any:
    """Tidy: one row per point and outcome - the point's position, its values (one column per value path), the
    outcome, its probability over the point's runs and that share's Monte Carlo SE (a pandas DataFrame)."""
    pd = require("data", "pandas")

    paths = list(dict.fromkeys(path for point in points for path in point))
    rows = []
    for position, point in enumerate(points):
        for column, outcome in enumerate(outcomes):
            p = float(counts[position, column]) / n_runs
            rows.append({"point": position, **{path: point.get(path) for path in paths}, "outcome": outcome,
                         "probability": p, "se": float(standard_error(p, n_runs)), "runs": n_runs})
    return pd.DataFrame(rows, columns=["point", *paths, "outcome", "probability", "se", "runs"])


def _column(counts: np.ndarray, outcomes: tuple[str, ...], outcome: str) -> np.ndarray:
    """The counts of one outcome, by name; an unknown name gets the error naming the sweep's outcomes."""
    if outcome not in outcomes:
        raise unknown_outcome(outcome, outcomes, "the outcomes of this sweep's scenario")
    return counts[:, outcomes.index(outcome)]


UNSIMULATED_SECTIONS = ("experiments", "observations")
"""Scenario sections the engine never reads: emptied once per sweep so each point validates faster."""


def _runnable(scenario: Scenario) -> Scenario:
    empty: dict[str, list[Any]] = {name: [] for name in UNSIMULATED_SECTIONS if getattr(scenario, name, None)}
    return with_values(scenario, empty, reason="sweep") if empty else scenario


def evaluate_points(scenario: Scenario, block: Sequence[tuple[int, Mapping[str, Any]]], n_runs: int, seed: int,
                    start: str | None, until: int | None) -> list[Item]:
    """Simulate the scenario at each (position, point) of ``block``; one task of a sweep."""
    items = []
    for position, point in block:
        began, cpu = time.perf_counter(), time.process_time()
        changed = with_values(scenario, dict(point), reason="sweep") if point else scenario
        ensemble = simulate(compile_scenario(changed), n_runs, seed=seed, start=start, until=until, batch_size=n_runs)
        result = {"n_runs": n_runs, "counts": outcome_counts(ensemble), "possible": list(scenario_outcomes(ensemble)), "cpu_time": time.process_time() - cpu}
        items.append(Item(str(position), position, dict(point), result, time.perf_counter() - began))
    return items


def run_sweep(
    sweep: Sweep,
    store: RunStore | None = None,
    resume: bool = False,
    executor: Executor | Any = None,
    points_per_task: int = DEFAULT_POINTS_PER_TASK,
    progress: Callable[[int], None] | None = None,
    summarize: Callable[[SweepResult], Mapping[str, Any]] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SweepResult:
    """Simulate every point of ``sweep`` (only the missing ones with ``resume``) on ``executor`` (default: this
    process), storing each task's points as it ends.

    ``progress`` is called with the number of points done (stored ones included); ``cancel`` is asked between
    tasks. ``summarize`` builds the record's summary from the finished result.
    """
    if points_per_task < 1:
        raise ValueError(f"points per task must be at least 1, got {points_per_task}")
    began = time.perf_counter()
    base = _runnable(sweep.scenario)
    record_id, previous_wall, done = None, 0.0, set()
    if store is not None:
        existing = store.find(sweep.kind, sweep.key()) if resume else None
        if existing is not None:
            record_id, previous_wall = existing["id"], float(existing["wall_time"] or 0.0)
            done = store.item_keys(record_id)
        else:
            record_id = store.begin(
                sweep.kind, sweep.scenario, sweep.parameters(), seed=sweep.seed, n_runs=sweep.n_runs, start=sweep.start,
                until=format_month(sweep.until) if sweep.until is not None else None, name=sweep.name, key=sweep.key(),
            )
    missing = [position for position in range(len(sweep.points)) if str(position) not in done]
    blocks = [[(p, sweep.points[p]) for p in missing[i : i + points_per_task]] for i in range(0, len(missing), points_per_task)]
    computed: dict[int, Item] = {}
    finished = len(sweep.points) - len(missing)
    if progress is not None and finished:
        progress(finished)

    def keep(items: list[Item]) -> None:
        nonlocal finished
        if store is not None and record_id is not None:
            store.add_items(record_id, items)
        computed.update({item.position: item for item in items})
        finished += len(items)
        if progress is not None:
            progress(finished)

    options = (sweep.n_runs, sweep.seed, sweep.start, sweep.until)
    if blocks:
        executor = as_executor(executor)
        shared = executor.share(base)
        for _, items in executor.as_completed(evaluate_points, [(shared, block, *options) for block in blocks], cancel):
            keep(items)
    results = {item["position"]: item["result"] for item in store.items(record_id)} if store is not None and record_id is not None else {
        position: item.result for position, item in computed.items()
    }
    if sorted(results) != list(range(len(sweep.points))):
        raise RuntimeError(f"sweep {record_id} holds {len(results)} of {len(sweep.points)} points")
    # The outcomes some point can have: the base scenario's, and those a point brings (a plug-in switched on).
    possible = set(scenario_outcomes(base)) | {name for item in results.values() for name in item.get("possible", ())}
    outcomes = tuple(name for name in outcome_names(base) if name in possible)
    counts = np.array([[results[p]["counts"][name] for name in outcomes] for p in range(len(sweep.points))], dtype=np.int64)
    cpu_time = float(sum(results[p].get("cpu_time", 0.0) for p in results))
    result = SweepResult(
        record_id, sweep.n_runs, sweep.points, counts, len(computed), previous_wall + time.perf_counter() - began, cpu_time, outcomes
    )
    if store is not None and record_id is not None:
        summary = dict(summarize(result)) if summarize is not None else default_summary(result)
        store.finish(record_id, result.wall_time, summary)
    return result


def default_summary(result: SweepResult | PointSweepResult) -> dict[str, Any]:
    """Each outcome's probability averaged over the points, and its range."""
    p = result.counts / result.n_runs
    return {
        "points": int(result.counts.shape[0]),
        "outcomes": {
            name: {"mean": float(p[:, j].mean()), "min": float(p[:, j].min()), "max": float(p[:, j].max())}
            for j, name in enumerate(result.outcomes)
        },
    }


# --- points as per-run parameters: one simulate call per batch of points ---------------------------


@dataclass(frozen=True, eq=False)
class PointSweep:
    """A scenario simulated at the rows of ``X`` (one column per per-run parameter path in ``names``).

    Point i is simulated on runs ``i * n_runs .. (i + 1) * n_runs - 1`` of ``seed``: its own random
    streams, whatever batch it falls in.
    """

    scenario: Scenario
    names: tuple[str, ...]
    X: np.ndarray  # (points, len(names))
    n_runs: int
    seed: int = 0
    start: str | None = None
    until: int | None = None
    kind: str = "sweep"
    name: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)  # what the caller wants recorded (method, outcome, ...)

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.names):
            raise ValueError(f"the points must be a (points, {len(self.names)}) array, one column per parameter; got shape {X.shape}")
        if X.shape[0] < 1:
            raise ValueError("a sweep needs at least one point")
        if self.n_runs < 1:
            raise ValueError(f"the number of runs per point must be at least 1, got {self.n_runs}")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "names", tuple(self.names))

    @property
    def n_points(self) -> int:
        return int(self.X.shape[0])

    def parameters(self) -> dict[str, Any]:
        """What identifies the sweep besides the scenario (recorded in the store)."""
        return {
            "points": self.n_points,
            "runs_per_point": self.n_runs,
            "from": self.start,
            "until": format_month(self.until) if self.until is not None else None,
            "streams": "point i: runs i x runs_per_point .. (i + 1) x runs_per_point - 1",
            "parameters": list(self.names),
            "settings": dict(self.settings),
        }

    def key(self) -> str:
        """The sweep's identity: same scenario content, points, settings and code version, same key."""
        identity = {
            "kind": self.kind,
            "design": "per-run",
            "scenario": scenario_hash(self.scenario),
            "names": list(self.names),
            "points": hashlib.sha256(self.X.tobytes()).hexdigest(),
            "shape": list(self.X.shape),
            "n_runs": self.n_runs,
            "seed": self.seed,
            "start": self.start,
            "until": self.until,
            "settings": dict(self.settings),
            "code": code_version(),
        }
        return hashlib.sha256(canonical_json(identity).encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class PointSweepResult:
    """Outcome counts of every point, in point order; ``computed`` says how many points this call simulated."""

    record_id: str | None
    n_runs: int
    names: tuple[str, ...]
    X: np.ndarray
    counts: np.ndarray  # (points, outcomes) in ``outcomes`` order
    computed: int
    wall_time: float
    cpu_time: float = 0.0  # CPU seconds the batches took on the workers
    outcomes: tuple[str, ...] = OUTCOME_NAMES  # the columns of ``counts``: the scenario's outcomes (scenario_outcomes)

    def probability(self, outcome: str) -> np.ndarray:
        """The outcome's probability at every point."""
        return _column(self.counts, self.outcomes, outcome) / self.n_runs

    def to_frame(self) -> Any:
        """Tidy: one row per point and outcome (a pandas DataFrame; :func:`sweep_frame`)."""
        return sweep_frame([dict(zip(self.names, row)) for row in self.X.tolist()], self.counts, self.outcomes, self.n_runs)


_MALLOC_TUNED = False


def _keep_freed_memory() -> None:
    """Undo, in this process, the eager memory trimming Dask asks of its workers (``MALLOC_TRIM_THRESHOLD_``).

    Dask starts workers with glibc told to hand freed memory back to the system past 64 KiB; a batch
    allocates and frees arrays of ~10^4 runs every month, so each one page-faults afresh: a quarter
    more CPU time, most of it in the kernel. Keeping up to 256 MiB of freed memory (and ``mmap``-ing
    only blocks over 32 MiB) removes that. Only where that variable is set (a Dask worker), on glibc.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    import os
    import sys

    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 * 2**20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to undo
        pass


def evaluate_batch(scenario: Scenario, names: Sequence[str], X: np.ndarray, first_point: int, n_runs: int, seed: int,
                   start: str | None, until: int | None) -> dict[str, Any]:
    """Simulate points ``first_point ..`` (the rows of ``X``) in one call; their counts of the scenario's outcomes
    (``scenario_outcomes``), (points, outcomes)."""
    _keep_freed_memory()
    began, cpu = time.perf_counter(), time.process_time()
    points = int(X.shape[0])
    total = points * n_runs
    first_run = first_point * n_runs
    values = {name: np.repeat(X[:, j], n_runs) for j, name in enumerate(names)}
    ensemble = simulate(
        compile_scenario(scenario), total, seed=seed, start=start, until=until, first_run=first_run,
        batch_size=min(total, DEFAULT_BATCH_SIZE), keep_events=True, parameters=values,
    )
    every = outcome_names(ensemble)  # the matrix's columns; the counts keep those of the scenario's outcomes
    kept = [every.index(outcome) for outcome in scenario_outcomes(ensemble)]
    counts = outcome_matrix(ensemble, first_run, own=True)[:, kept].reshape(points, n_runs, len(kept)).sum(axis=1, dtype=np.int64)
    return {"first_point": first_point, "counts": counts, "cpu_time": time.process_time() - cpu, "wall_time": time.perf_counter() - began}


def point_batches(missing: np.ndarray, points_per_batch: int) -> list[tuple[int, int]]:
    """(first point, stop) of each batch: the runs of consecutive missing points, cut every ``points_per_batch``."""
    if points_per_batch < 1:
        raise ValueError(f"points per batch must be at least 1, got {points_per_batch}")
    missing = np.asarray(missing, dtype=bool)
    batches = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], missing.astype(np.int8), [0]])))
    for first, stop in zip(edges[::2], edges[1::2]):
        batches += [(int(i), int(min(i + points_per_batch, stop))) for i in range(first, stop, points_per_batch)]
    return batches


def default_points_per_batch(n_points: int, n_runs: int, workers: int = 1) -> int:
    """About :data:`DEFAULT_RUNS_PER_BATCH` runs a batch, and at least 4 batches per worker when the points allow."""
    return max(1, min(DEFAULT_RUNS_PER_BATCH // n_runs, -(-n_points // (4 * max(workers, 1)))))


def _batch_item(batch: Mapping[str, Any], n_runs: int, outcomes: tuple[str, ...]) -> Item:
    first, counts = int(batch["first_point"]), np.asarray(batch["counts"])
    stop = first + counts.shape[0]
    return Item(
        f"{first}-{stop - 1}", first,
        {"first_point": first, "points": stop - first, "first_run": first * n_runs, "runs": (stop - first) * n_runs},
        {"counts": {name: counts[:, j].tolist() for j, name in enumerate(outcomes)}, "cpu_time": float(batch["cpu_time"])},
        float(batch["wall_time"]),
    )


def _stored_counts(store: RunStore, record_id: str, n_points: int, outcomes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float]:
    """A record's stored batches put together: counts (points, ``outcomes``), which points they cover, their CPU time.

    Two resumes of one sweep running at once with different batch sizes may store overlapping batches;
    a point's runs do not depend on its batch, so they must agree, and are taken once.
    """
    counts = np.zeros((n_points, len(outcomes)), dtype=np.int64)
    covered = np.zeros(n_points, dtype=bool)
    cpu_time = 0.0
    for item in store.items(record_id):
        first, size = int(item["parameters"]["first_point"]), int(item["parameters"]["points"])
        block = np.array([item["result"]["counts"][name] for name in outcomes], dtype=np.int64).T
        if block.shape != (size, len(outcomes)) or first < 0 or first + size > n_points:
            raise RuntimeError(f"sweep {record_id}: stored batch {item['key']} does not fit its {n_points} points")
        rows = slice(first, first + size)
        seen = covered[rows]
        if not np.array_equal(counts[rows][seen], block[seen]):
            raise RuntimeError(f"sweep {record_id}: stored batch {item['key']} disagrees with another batch on the same points")
        counts[rows], covered[rows] = block, True
        cpu_time += float(item["result"].get("cpu_time", 0.0))
    return counts, covered, cpu_time


def run_point_sweep(
    sweep: PointSweep,
    store: RunStore | None = None,
    resume: bool = False,
    executor: Executor | Any = None,
    points_per_batch: int | None = None,
    progress: Callable[[int], None] | None = None,
    summarize: Callable[[PointSweepResult], Mapping[str, Any]] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PointSweepResult:
    """Simulate every point of ``sweep`` in batches (one ``simulate`` call each) on ``executor`` (default: this process).

    With a store, each finished batch is one item, committed within :data:`STORE_EVERY` seconds of its end
    (so an interrupted sweep loses at most those seconds of work), and ``resume=True`` computes only the
    points not in a stored batch; the finished record also gets a ``points`` Parquet file (each point's
    parameter values and outcome counts). ``progress`` is called with the number of points done
    (stored ones included), ``cancel`` asked between batches; ``summarize`` builds the record's summary. The
    results do not depend on ``points_per_batch``, the executor nor its number of workers.
    """
    began = time.perf_counter()
    n_points, n_runs = sweep.n_points, sweep.n_runs
    base = _runnable(sweep.scenario)
    run_parameters(compile_scenario(base), {name: sweep.X[:, j] for j, name in enumerate(sweep.names)}, n_points)  # refuse bad values now
    executor = as_executor(executor)
    if points_per_batch is None:
        points_per_batch = default_points_per_batch(n_points, n_runs, executor.workers)
    record_id, previous_wall = None, 0.0
    outcomes = scenario_outcomes(base)
    counts = np.zeros((n_points, len(outcomes)), dtype=np.int64)
    done = np.zeros(n_points, dtype=bool)
    cpu_time = 0.0
    if store is not None:
        existing = store.find(sweep.kind, sweep.key()) if resume else None
        if existing is not None:
            record_id, previous_wall = existing["id"], float(existing["wall_time"] or 0.0)
            counts, done, cpu_time = _stored_counts(store, record_id, n_points, outcomes)
        else:
            record_id = store.begin(
                sweep.kind, sweep.scenario, sweep.parameters(), seed=sweep.seed, n_runs=n_runs, start=sweep.start,
                until=format_month(sweep.until) if sweep.until is not None else None, name=sweep.name, key=sweep.key(),
            )
    batches = point_batches(~done, points_per_batch)
    finished = int(done.sum())
    computed = 0
    if progress is not None and finished:
        progress(finished)
    unstored: list[Item] = []
    last_commit = time.perf_counter()

    def commit() -> None:
        nonlocal last_commit
        if store is not None and record_id is not None and unstored:
            store.add_items(record_id, unstored)
            unstored.clear()
        last_commit = time.perf_counter()

    def keep(batch: Mapping[str, Any]) -> None:
        nonlocal finished, computed, cpu_time
        first, block = int(batch["first_point"]), np.asarray(batch["counts"])
        if store is not None:
            unstored.append(_batch_item(batch, n_runs, outcomes))
            if time.perf_counter() - last_commit >= STORE_EVERY:
                commit()
        counts[first : first + block.shape[0]] = block
        done[first : first + block.shape[0]] = True
        cpu_time += float(batch["cpu_time"])
        finished += block.shape[0]
        computed += block.shape[0]
        if progress is not None:
            progress(finished)

    options = (n_runs, sweep.seed, sweep.start, sweep.until)
    try:
        if batches:
            shared = executor.share(base)
            tasks = [(shared, sweep.names, sweep.X[first:stop], first, *options) for first, stop in batches]
            for _, batch in executor.as_completed(evaluate_batch, tasks, cancel):
                keep(batch)
    finally:  # keep what finished, also when a batch fails or the sweep is interrupted
        commit()
    if not done.all():
        raise RuntimeError(f"sweep {record_id} holds {int(done.sum())} of {n_points} points")
    if store is not None and record_id is not None:  # what the store holds is the result
        counts, covered, cpu_time = _stored_counts(store, record_id, n_points, outcomes)
        if not covered.all():
            raise RuntimeError(f"sweep {record_id} holds {int(covered.sum())} of {n_points} points")
    result = PointSweepResult(
        record_id, n_runs, sweep.names, sweep.X, counts, computed, previous_wall + time.perf_counter() - began, cpu_time, outcomes
    )
    if store is not None and record_id is not None:
        summary = dict(summarize(result)) if summarize is not None else default_summary(result)
        columns: dict[str, np.ndarray] = {"point": np.arange(n_points, dtype=np.int64)}
        columns.update({name: sweep.X[:, j] for j, name in enumerate(sweep.names)})
        columns.update({name: counts[:, j] for j, name in enumerate(outcomes)})
        store.finish(record_id, result.wall_time, summary, artifacts={"points": columns})
    return result
