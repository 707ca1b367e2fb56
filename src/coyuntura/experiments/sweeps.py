"""Sweeps: one scenario simulated at many parameter points, resumable, recorded point by point.

A :class:`Sweep` is a scenario, a list of points (each a mapping of value paths to
values) and how to simulate each point (runs, seed, start, until). Every point is
simulated with the same seed, so points differ only by their parameters and not by
their random streams (common random numbers across points). Points are grouped
into tasks of several points each; on a Dask client the tasks run on the cluster,
otherwise in this process. Each finished task's points are committed to the run
store at once, so a sweep killed at any moment keeps every point it finished, and
``resume=True`` finds the sweep by its identity (a hash of the scenario's content,
the points and the simulation settings) and computes only the missing points. The
store's primary key (record, point) makes a duplicate impossible.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..engine.model import compile_scenario
from ..engine.simulate import simulate
from ..scenario.calendar import format_month
from ..scenario.paths import with_values
from ..scenario.schema import Scenario
from ..store.runstore import Item, RunStore, canonical_json, code_version, scenario_hash
from .measures import OUTCOME_NAMES, check_outcome, outcome_counts

DEFAULT_POINTS_PER_TASK = 8


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
    counts: np.ndarray  # (points, outcomes) in OUTCOME_NAMES order
    computed: int
    wall_time: float
    cpu_time: float = 0.0  # CPU seconds the points took on the workers (what an idle machine would spend)

    def probability(self, outcome: str) -> np.ndarray:
        """The outcome's probability at every point."""
        return self.counts[:, OUTCOME_NAMES.index(check_outcome(outcome))] / self.n_runs


UNSIMULATED_SECTIONS = ("experiments", "observations")
"""Scenario sections the engine never reads: emptied once per sweep so each point validates faster."""


def _runnable(scenario: Scenario) -> Scenario:
    empty = {name: [] for name in UNSIMULATED_SECTIONS if getattr(scenario, name, None)}
    return with_values(scenario, empty, reason="sweep") if empty else scenario


def evaluate_points(scenario: Scenario, block: Sequence[tuple[int, Mapping[str, Any]]], n_runs: int, seed: int,
                    start: str | None, until: int | None) -> list[Item]:
    """Simulate the scenario at each (position, point) of ``block``; one task of a sweep."""
    items = []
    for position, point in block:
        began, cpu = time.perf_counter(), time.process_time()
        changed = with_values(scenario, dict(point), reason="sweep") if point else scenario
        ensemble = simulate(compile_scenario(changed), n_runs, seed=seed, start=start, until=until, batch_size=n_runs)
        result = {"n_runs": n_runs, "counts": outcome_counts(ensemble), "cpu_time": time.process_time() - cpu}
        items.append(Item(str(position), position, dict(point), result, time.perf_counter() - began))
    return items


def run_sweep(
    sweep: Sweep,
    store: RunStore | None = None,
    resume: bool = False,
    client: Any = None,
    points_per_task: int = DEFAULT_POINTS_PER_TASK,
    progress: Callable[[int], None] | None = None,
    summarize: Callable[[SweepResult], Mapping[str, Any]] | None = None,
) -> SweepResult:
    """Simulate every point of ``sweep`` (only the missing ones with ``resume``), storing each task's points as it ends.

    ``progress`` is called with the number of points done (stored ones included).
    ``summarize`` builds the record's summary from the finished result.
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
        if store is not None:
            store.add_items(record_id, items)
        computed.update({item.position: item for item in items})
        finished += len(items)
        if progress is not None:
            progress(finished)

    options = (sweep.n_runs, sweep.seed, sweep.start, sweep.until)
    if client is None:
        for block in blocks:
            keep(evaluate_points(base, block, *options))
    elif blocks:
        from distributed import as_completed

        shared = client.scatter(base, broadcast=True)
        futures = [client.submit(evaluate_points, shared, block, *options, pure=False) for block in blocks]
        for future in as_completed(futures):
            keep(future.result())
    results = {item["position"]: item["result"] for item in store.items(record_id)} if store is not None else {
        position: item.result for position, item in computed.items()
    }
    if sorted(results) != list(range(len(sweep.points))):
        raise RuntimeError(f"sweep {record_id} holds {len(results)} of {len(sweep.points)} points")
    counts = np.array([[results[p]["counts"][name] for name in OUTCOME_NAMES] for p in range(len(sweep.points))], dtype=np.int64)
    cpu_time = float(sum(results[p].get("cpu_time", 0.0) for p in results))
    result = SweepResult(record_id, sweep.n_runs, sweep.points, counts, len(computed), previous_wall + time.perf_counter() - began, cpu_time)
    if store is not None:
        summary = dict(summarize(result)) if summarize is not None else default_summary(result)
        store.finish(record_id, result.wall_time, summary)
    return result


def default_summary(result: SweepResult) -> dict[str, Any]:
    """Each outcome's probability averaged over the points, and its range."""
    p = result.counts / result.n_runs
    return {
        "points": len(result.points),
        "outcomes": {
            name: {"mean": float(p[:, j].mean()), "min": float(p[:, j].min()), "max": float(p[:, j].max())}
            for j, name in enumerate(OUTCOME_NAMES)
        },
    }
