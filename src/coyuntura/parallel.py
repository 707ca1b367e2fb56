"""Distributed simulation on Dask: a local cluster by default, or an existing scheduler.

Runs are split into chunks of consecutive run indices; each chunk is one task
that compiles the scenario on the worker and simulates its runs. Because a run's
random stream depends only on (seed, start month, run index) and the summaries
are integer counts, the merged result is identical for any number of workers
and any chunk size.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from .engine.model import compile_scenario
from .engine.parameters import RunParameters
from .engine.simulate import Ensemble, merge_ensembles, simulate
from .engine.state import State
from .scenario.schema import Scenario

DEFAULT_CHUNK_RUNS = 5_000


LOCAL_HOST = "127.0.0.1"
"""Where a local cluster's scheduler, workers and (if asked for) dashboard listen: this machine only."""


def _local_dashboard(dashboard: str | int | None) -> str | None:
    """A dashboard address on :data:`LOCAL_HOST` (``None``: no dashboard); a bare port or ``:port`` stays local."""
    if dashboard is None or dashboard is False:
        return None
    text = str(dashboard).strip()
    if text.isdigit() or text.startswith(":"):
        return f"{LOCAL_HOST}:{text.lstrip(':')}"
    return text


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None, dashboard: str | int | None = None) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` if given, else to a new LocalCluster of ``n_workers`` processes.

    A local cluster listens on 127.0.0.1 only and starts no dashboard unless ``dashboard`` gives
    an address (a bare port or ``:port`` binds to 127.0.0.1 too; ``0`` picks a free port).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    address = _local_dashboard(dashboard)
    # Without a dashboard the scheduler still serves /health and /metrics: on a free local port, not 8787.
    http = {"dashboard": address is not None, "dashboard_address": address or f"{LOCAL_HOST}:0"}
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, host=LOCAL_HOST, dashboard_address=address, scheduler_kwargs=http
    ) as cluster:
        with Client(cluster) as client:
            yield client


def _simulate_chunk(scenario: Scenario, n_runs: int, first_run: int, options: dict) -> Ensemble:
    return simulate(compile_scenario(scenario), n_runs, first_run=first_run, **options)


def chunks(n_runs: int, chunk_runs: int, first_run: int = 0) -> list[tuple[int, int]]:
    """(first run, number of runs) of each chunk covering ``first_run .. first_run + n_runs - 1``."""
    if chunk_runs < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_runs}")
    return [(start, min(chunk_runs, first_run + n_runs - start)) for start in range(first_run, first_run + n_runs, chunk_runs)]


def submit_chunks(
    client: Any,
    scenario: Any,
    n_runs: int,
    seed: int = 0,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    first_run: int = 0,
    resume: State | None = None,
    parameters: RunParameters | None = None,
    **options: Any,
) -> list[tuple[int, Any]]:
    """Submit ``simulate`` of runs ``first_run ..`` in chunks; return (first run, future) pairs for :func:`gather_chunks`.

    ``scenario`` may be a future from ``client.scatter``; ``resume`` (a state of these runs)
    and per-run ``parameters`` are split so that each chunk gets its own runs' columns.
    """
    options = dict(options, seed=seed)
    scenario_future = client.scatter(scenario, broadcast=True) if isinstance(scenario, Scenario) else scenario
    pending = []
    for start, size in chunks(n_runs, chunk_runs, first_run):
        chunk_options = options
        positions = (start - first_run, start - first_run + size)
        if resume is not None:
            chunk_options = dict(chunk_options, resume=resume.select(np.arange(*positions)))
        if parameters:
            chunk_options = dict(chunk_options, parameters=parameters.slice(*positions))
        pending.append((start, client.submit(_simulate_chunk, scenario_future, size, start, chunk_options, pure=False)))
    return pending


def gather_chunks(pending: list[tuple[int, Any]], progress: Callable[[int], None] | None = None) -> Ensemble:
    """Wait for submitted chunks and merge them in run order (exact: the same as one process)."""
    from distributed import as_completed

    first_of = {future: start for start, future in pending}
    parts: dict[int, Ensemble] = {}
    done = 0
    for future in as_completed(list(first_of)):
        part = future.result()
        parts[first_of[future]] = part
        done += part.n_runs
        if progress is not None:
            progress(done)
    return merge_ensembles([parts[start] for start in sorted(parts)])


def simulate_on_dask(
    client: Any,
    scenario: Scenario,
    n_runs: int,
    seed: int = 0,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> Ensemble:
    """``simulate`` spread over a Dask cluster in chunks of ``chunk_runs`` runs; same result as one process."""
    return gather_chunks(submit_chunks(client, scenario, n_runs, seed, chunk_runs, **options), progress)
