"""Jobs: simulations run off the request thread, with progress and cancellation.

Jobs run in a pool of worker processes from :mod:`coyuntura.executor` (``spawn``ed, so a
worker never inherits the server's threads or locks; a pool broken by a dead worker is
replaced at the next submit): while workers simulate, the server's event loop keeps
answering, and a second user's job runs on another worker instead of waiting behind
the first. An interactive what-if (at most :data:`SPLIT_WORK` trajectory-months per
arm) runs its baseline and its intervention as two tasks side by side, which halves
the wait for its charts; a bigger one runs as one task, leaving the other workers
free for other users. Both arms read the same random streams run for run wherever
they run, so the result does not depend on how the job was split.

Progress and cancel flags live in shared memory, one slot per active job (one
counter per arm), handed to each worker when it starts: a worker writes runs done
after every batch, and the engine reads the job's cancel flag once every simulated
month, so a cancelled job stops within about a second (a queued one never starts).
A job is "done" only once its result is complete and, with a run store, its record is
written (``record_id``) or has failed (``store_error`` in the result). Finished jobs stay
pollable for at least :data:`KEEP_FINISHED_SECONDS` after they finish (at most
:data:`MAX_KEPT_FINISHED` of them, oldest dropped first); results are pure functions of
their request, so a job that is gone can be run again with the same numbers.

``processes=False`` runs jobs on threads of the server's own process instead (for
tests and small machines): same interface, same results.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Optional

from ..engine.simulate import SimulationCancelled
from ..executor import BrokenWorker, Executor, ProcessExecutor, ThreadExecutor, process_context
from ..store.runstore import RunStore
from .compute import Arm, JobCancelled, Prepared, arm_names, assemble, record, run_request, simulate_arm
from .models import RunRequest

Status = Literal["queued", "running", "done", "failed", "cancelled"]

SPLIT_WORK = 2_000_000
"""A what-if whose arms are at most this many trajectory-months each runs its two arms in parallel."""
KEEP_FINISHED_SECONDS = 600.0
"""A finished job (done, failed or cancelled) stays pollable at ``/api/jobs/{id}`` for at least this long."""
MAX_KEPT_FINISHED = 1_000
"""Most finished jobs kept in memory however recent (a bound on memory under heavy load); oldest go first."""


class JobsFull(RuntimeError):
    """Every job slot is taken: the caller should retry when one finishes."""


@dataclass
class Job:
    """One submitted simulation and what is known about it so far."""

    id: str
    kind: Literal["run", "whatif"]
    request: RunRequest
    prepared: Prepared
    slot: int
    split: bool = False
    closing: bool = False
    submitted: float = field(default_factory=time.monotonic)
    finished: Optional[float] = None
    status: Status = "queued"
    done: int = 0
    total: int = 0
    error: Optional[str] = None
    result: Optional[dict[str, Any]] = None
    record_id: Optional[str] = None
    futures: list[Future] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    """What the submitter wants to find again when the job is done (e.g. the record it reopens)."""

    @property
    def elapsed(self) -> float:
        return (self.finished if self.finished is not None else time.monotonic()) - self.submitted


# --- what a worker runs --------------------------------------------------------------------------

_SHARED: tuple[Any, Any, Any] | None = None
"""(runs done per arm, started flags per arm, cancel flags per job) in shared memory; set in each worker process."""


def _init_worker(done: Any, started: Any, cancel: Any) -> None:
    global _SHARED
    _SHARED = (done, started, cancel)


def _warm_up() -> int:
    """Import and exercise the engine once, so the first real job does not pay for it."""
    import os

    import duckdb  # noqa: F401 - recording in the run store needs them: import them now, not in the first job
    import pyarrow.parquet  # noqa: F401

    from ..engine.model import compile_scenario
    from ..engine.simulate import simulate
    from ..scenario.loader import bundled_scenarios, load_scenario

    for name in sorted(bundled_scenarios())[:1]:
        try:
            scenario = load_scenario(name)
            simulate(compile_scenario(scenario), 4, until=scenario.calendar.start + 2, batch_size=4, keep_events=True)
        except Exception:  # a broken bundled scenario shows up in the API, not here
            pass
    return os.getpid()


def _reporter(shared: tuple[Any, Any, Any] | None, slot: int, counter: int) -> Callable[[int], None]:
    done, started, cancel = shared if shared is not None else _SHARED  # type: ignore[misc]
    if cancel[slot]:
        raise JobCancelled()
    started[counter] = 1

    def progress(runs_done: int) -> None:
        done[counter] = runs_done
        if cancel[slot]:
            raise JobCancelled()

    return progress


def _stopper(shared: tuple[Any, Any, Any] | None, slot: int) -> Callable[[], bool]:
    """Whether the job in ``slot`` has been cancelled: the engine asks once a simulated month."""
    cancel = (shared if shared is not None else _SHARED)[2]  # type: ignore[index]
    return lambda: bool(cancel[slot])


def _execute(shared: Any, slot: int, prepared: Prepared, request: RunRequest, store: RunStore | None) -> dict[str, Any]:
    """A whole job in one task: every arm in turn, then the page's JSON (recorded in ``store``)."""
    progress = _reporter(shared, slot, 2 * slot)
    return run_request(prepared, request, lambda done, total: progress(done), store, _stopper(shared, slot))


def _execute_arm(shared: Any, slot: int, position: int, prepared: Prepared, request: RunRequest) -> Arm:
    """One arm of a split what-if."""
    progress = _reporter(shared, slot, 2 * slot + position)
    return simulate_arm(prepared, request, arm_names(prepared)[position], progress, _stopper(shared, slot))


# --- the manager ---------------------------------------------------------------------------------


class JobManager:
    """Submit, watch and cancel simulation jobs on a pool of ``workers`` processes (or threads)."""

    def __init__(
        self,
        workers: int = 2,
        max_active: int = 8,
        processes: bool = True,
        keep_finished: int = MAX_KEPT_FINISHED,
        keep_seconds: float = KEEP_FINISHED_SECONDS,
        on_done: Callable[[Job], None] | None = None,
        split_work: int = SPLIT_WORK,
    ):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if max_active < 1:
            raise ValueError(f"max_active must be at least 1, got {max_active}")
        self.workers = workers
        self.max_active = max_active
        self.processes = processes
        self.keep_finished = keep_finished
        self.keep_seconds = keep_seconds
        self.on_done = on_done
        self.split_work = split_work
        self._context = process_context()
        self._done = self._context.RawArray("q", 2 * max_active)
        self._started = self._context.RawArray("b", 2 * max_active)
        self._cancel = self._context.RawArray("b", max_active)
        self._free = list(range(max_active))
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._executor: Executor | None = None
        self._assembler = ThreadPoolExecutor(2, thread_name_prefix="coyuntura-assemble")

    # --- pool ---

    def _new_executor(self) -> Executor:
        if self.processes:
            return ProcessExecutor(self.workers, initializer=_init_worker, initargs=(self._done, self._started, self._cancel))
        return ThreadExecutor(self.workers, name="coyuntura-job")

    def start(self, warm: bool = True) -> None:
        """Start the pool; with ``warm``, start every worker now and wait until each has run the engine once."""
        with self._lock:
            if self._executor is None:
                self._executor = self._new_executor()
            executor = self._executor
        if warm and self.processes:
            for future in [executor.submit(_warm_up) for _ in range(self.workers)]:
                future.result()

    def shutdown(self) -> None:
        """Cancel every job and stop the workers."""
        with self._lock:
            for job in self._jobs.values():
                if job.status in ("queued", "running"):
                    self._cancel[job.slot] = 1
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.close()  # waits for the workers; jobs not started are cancelled
        self._assembler.shutdown(wait=True)

    # --- jobs ---

    def submit(self, prepared: Prepared, request: RunRequest, store: RunStore | None = None, context: dict[str, Any] | None = None) -> Job:
        """Queue a job (recorded in ``store`` once done, if given); raise :class:`JobsFull` when ``max_active`` jobs are queued or running."""
        months = prepared.until - prepared.start_month + 1
        arms = len(arm_names(prepared))
        with self._lock:
            if not self._free:
                raise JobsFull(f"{self.max_active} jobs are already queued or running; wait for one to finish or cancel one")
            slot = self._free.pop(0)
            self._cancel[slot] = 0
            for counter in (2 * slot, 2 * slot + 1):
                self._done[counter], self._started[counter] = 0, 0
            job = Job(
                id=uuid.uuid4().hex[:16], kind="whatif" if arms == 2 else "run", request=request, prepared=prepared, slot=slot,
                split=arms == 2 and self.workers > 1 and request.runs * months <= self.split_work, context=dict(context or {}),
            )
            job.total = request.runs * arms
            shared = None if self.processes else (self._done, self._started, self._cancel)
            tasks: list[tuple[Any, ...]]
            if job.split:
                tasks = [(_execute_arm, shared, slot, position, prepared, request) for position in range(arms)]
            else:
                tasks = [(_execute, shared, slot, prepared, request, store)]
            job.futures = self._submit_all(tasks)
            self._jobs[job.id] = job
            self._evict()
        for future in job.futures:
            future.add_done_callback(lambda _: self._part_finished(job, store))
        return job

    def _submit_all(self, tasks: list[tuple]) -> list[Future]:
        if self._executor is None:
            self._executor = self._new_executor()
        return [self._executor.submit(*task) for task in tasks]  # a pool broken by a dead worker is replaced here

    def get(self, job_id: str) -> Job:
        """The job, its status and progress brought up to date; ``KeyError`` if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise KeyError(f"no job {job_id!r} (finished jobs are kept for a while, then dropped; run it again)")
            if job.status in ("queued", "running"):
                counters = (2 * job.slot, 2 * job.slot + 1)
                if any(self._started[c] for c in counters):
                    job.status = "running"
                job.done = sum(int(self._done[c]) for c in counters)
            return job

    def jobs(self) -> list[Job]:
        """Every job kept, newest first."""
        with self._lock:
            ids = list(self._jobs)
        return [self.get(job_id) for job_id in reversed(ids)]

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one never starts, a running one stops within a simulated month."""
        with self._lock:
            job = self.get(job_id)
            if job.status in ("queued", "running"):
                self._cancel[job.slot] = 1
                for future in job.futures:
                    future.cancel()
            return job

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job has finished (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job.status in ("done", "failed", "cancelled"):
                return job
            time.sleep(0.02)
        raise TimeoutError(f"job {job_id} did not finish within {timeout:g} s")

    # --- finishing ---

    def _part_finished(self, job: Job, store: RunStore | None) -> None:
        with self._lock:
            if job.closing or not all(f.done() for f in job.futures):
                return
            job.closing = True
            failure = self._failure(job.futures)
            if failure is not None:
                self._close(job, *failure)
                return
            if not job.split:
                self._close(job, "done", result=job.futures[0].result())
                return
        self._assembler.submit(self._assemble, job, store)

    def _assemble(self, job: Job, store: RunStore | None) -> None:
        """Join a split job's arms into its result and record it; the job is "done" once both are (a
        record that fails is said in ``store_error``, and the result still reaches the page)."""
        try:
            arms = [future.result() for future in job.futures]
            seconds = max(arm.seconds for arm in arms)
            result = assemble(job.prepared, job.request, arms, seconds)
        except Exception as error:  # noqa: BLE001 - reported to the page
            with self._lock:
                self._close(job, "failed", error=f"{type(error).__name__}: {error}")
            return
        if store is not None:
            try:
                result = dict(result, record_id=record(job.prepared, job.request, arms, seconds, store))
            except Exception as error:  # noqa: BLE001 - any failure to record is said, never lost
                result = dict(result, record_id=None, store_error=f"the run store did not record this job: {error}")
        with self._lock:
            self._close(job, "done", result=result)

    @staticmethod
    def _failure(futures: list[Future]) -> tuple[Status, Optional[str]] | None:
        for future in futures:
            if future.cancelled():
                return "cancelled", None
            error = future.exception()
            if isinstance(error, SimulationCancelled):  # JobCancelled too
                return "cancelled", None
            if isinstance(error, BrokenWorker):
                return "failed", "the worker process running this job died (out of memory?); try fewer runs or a shorter span"
            if error is not None:
                return "failed", f"{type(error).__name__}: {error}"
        return None

    def _close(self, job: Job, status: Status, error: Optional[str] = None, result: Optional[dict[str, Any]] = None) -> None:
        """Record a job's end (called with the lock held) and free its slot."""
        job.finished = time.monotonic()
        job.status = status
        job.error = error
        if result is not None:
            job.result = result
            job.record_id = result.get("record_id")
            job.done = job.total
        else:
            job.done = sum(int(self._done[c]) for c in (2 * job.slot, 2 * job.slot + 1))
        if status == "done" and self.on_done is not None:
            self.on_done(job)
        self._free.append(job.slot)

    def _evict(self) -> None:
        """Drop finished jobs older than ``keep_seconds``, and the oldest beyond ``keep_finished``."""
        now = time.monotonic()
        finished = [job_id for job_id, job in self._jobs.items() if job.status in ("done", "failed", "cancelled")]
        finished.sort(key=lambda job_id: self._jobs[job_id].finished or now)
        excess = max(0, len(finished) - self.keep_finished)
        for position, job_id in enumerate(finished):
            job = self._jobs[job_id]
            if position < excess or now - (job.finished or now) > self.keep_seconds:
                del self._jobs[job_id]
