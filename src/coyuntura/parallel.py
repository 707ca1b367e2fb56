"""Simulation spread over an executor (:mod:`coyuntura.executor`) in chunks of consecutive runs.

Runs are split into chunks of consecutive run indices; each chunk is one task that compiles the scenario
where it runs and simulates its runs. Because a run's random stream depends only on (seed, start month,
run index) and the summaries are integer counts, the merged result is identical for any executor, any
number of workers and any chunk size.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .engine.model import compile_scenario
from .engine.parameters import RunParameters
from .engine.simulate import Ensemble, merge_ensembles, simulate
from .engine.state import State
from .executor import Executor, as_executor
from .scenario.schema import Scenario

DEFAULT_CHUNK_RUNS = 5_000


def chunks(n_runs: int, chunk_runs: int, first_run: int = 0) -> list[tuple[int, int]]:
    """(first run, number of runs) of each chunk covering ``first_run .. first_run + n_runs - 1``."""
    if chunk_runs < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_runs}")
    return [(start, min(chunk_runs, first_run + n_runs - start)) for start in range(first_run, first_run + n_runs, chunk_runs)]


def chunk_runs_for(n_runs: int, workers: int, minimum: int = 64) -> int:
    """A chunk size giving about two chunks per worker (so a slow chunk does not hold the others up), at least ``minimum``."""
    return max(minimum, math.ceil(n_runs / (2 * max(1, workers))))


def simulate_chunk(scenario: Scenario, n_runs: int, first_run: int, options: dict[str, Any]) -> Ensemble:
    """One task: compile ``scenario`` here and simulate runs ``first_run .. first_run + n_runs - 1``."""
    return simulate(compile_scenario(scenario), n_runs, first_run=first_run, **options)


def chunk_tasks(
    scenario: Any,
    n_runs: int,
    chunk_runs: int,
    first_run: int = 0,
    resume: State | None = None,
    parameters: RunParameters | None = None,
    **options: Any,
) -> list[tuple[Any, int, int, dict[str, Any]]]:
    """The argument tuples of :func:`simulate_chunk` for runs ``first_run ..``, in run order.

    ``scenario`` may be a handle from :meth:`Executor.share`; ``resume`` (a state of these runs) and per-run
    ``parameters`` are split so that each chunk gets its own runs' columns.
    """
    tasks = []
    for start, size in chunks(n_runs, chunk_runs, first_run):
        chunk_options = dict(options)
        positions = (start - first_run, start - first_run + size)
        if resume is not None:
            chunk_options["resume"] = resume.select(np.arange(*positions))
        if parameters:
            chunk_options["parameters"] = parameters.slice(*positions)
        tasks.append((scenario, size, start, chunk_options))
    return tasks


def simulate_parallel(
    executor: Executor | Any,
    scenario: Scenario,
    n_runs: int,
    seed: int = 0,
    chunk_runs: int | None = None,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    **options: Any,
) -> Ensemble:
    """``simulate`` of ``scenario`` spread over ``executor`` in chunks (default: about two per worker); same result as one process.

    ``progress`` is called with the number of runs done; ``cancel`` is asked between chunks.
    """
    executor = as_executor(executor)
    size = chunk_runs if chunk_runs is not None else chunk_runs_for(n_runs, executor.workers)
    tasks = chunk_tasks(executor.share(scenario), n_runs, size, seed=seed, **options)
    parts: dict[int, Ensemble] = {}
    done = 0
    for index, part in executor.as_completed(simulate_chunk, tasks, cancel):
        parts[index] = part
        done += part.n_runs
        if progress is not None:
            progress(done)
    return merge_ensembles([parts[index] for index in sorted(parts)])
