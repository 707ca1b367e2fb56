"""One executor for all work spread over processes: this process, a process pool, a Dask LocalCluster or a Dask scheduler.

Every place that spreads work (``run``, what-ifs, sweeps, sensitivity, discovery, calibration, the particle
filter, the web's jobs) takes an :class:`Executor` and hands it picklable module-level functions over chunks of
work; no other module creates a process pool or a Dask client. Results never depend on the executor: callers cut
work into chunks whose random streams depend only on the seed and the run (or point) indices, and put the
results back in task order.

- :class:`InlineExecutor`: this process, one task at a time, run lazily (so progress is reported after each task
  and a cancel is seen between tasks);
- :class:`ThreadExecutor`: threads of this process (the web server's jobs in tests and on small machines);
- :class:`ProcessExecutor`: a pool of ``spawn``ed processes (a worker never inherits the parent's threads or
  locks); a pool broken by a worker that died is replaced at the next :meth:`~Executor.submit`;
- :class:`DaskExecutor`: a Dask client, to a new LocalCluster listening on 127.0.0.1 only, or to an existing
  scheduler.

:func:`open_executor` opens one by kind and closes it afterwards. Dask is imported only when a Dask executor is made.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Iterable, Iterator, Literal, Sequence

from .engine.simulate import SimulationCancelled
from .extras import require

Kind = Literal["inline", "threads", "processes", "dask"]
KINDS: tuple[str, ...] = ("inline", "threads", "processes", "dask")

LOCAL_HOST = "127.0.0.1"
"""Where a local Dask cluster's scheduler, workers and (if asked for) dashboard listen: this machine only."""

START_METHOD = "spawn"
"""How a :class:`ProcessExecutor` starts its workers: a fresh interpreter, never a fork of a threaded parent."""

CANCEL_POLL_SECONDS = 0.2
"""How often :meth:`Executor.as_completed` asks its ``cancel`` callback while it waits for a task."""

BrokenWorker = BrokenProcessPool
"""What a task's future raises when the worker process running it died (killed, out of memory)."""


class Cancelled(SimulationCancelled):
    """The caller's ``cancel`` callback answered true: the tasks not yet finished were cancelled."""


def process_context() -> Any:
    """The multiprocessing context of every process pool (:data:`START_METHOD`), e.g. for shared memory its workers read."""
    return multiprocessing.get_context(START_METHOD)


class Executor:
    """Runs picklable functions over chunks of work; subclasses say where.

    ``submit`` returns a future (``result()``, ``done()``, ``cancel()``); :meth:`as_completed` and :meth:`map`
    run one function over many argument tuples, with a cancel callback (and progress for ``map``).
    """

    kind: ClassVar[str] = ""
    parallel: ClassVar[bool] = True
    """False for :class:`InlineExecutor`: callers may then take a cheaper in-process path (same results)."""

    @property
    def workers(self) -> int:
        """How many tasks run at once (callers size their chunks by it)."""
        return 1

    def share(self, value: Any) -> Any:
        """A handle to pass in many tasks' arguments instead of ``value`` (Dask sends it to each worker once)."""
        return value

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)``; its future."""
        raise NotImplementedError

    def wait_first(self, futures: Iterable[Any], timeout: float | None = None) -> set[Any]:
        """Block until at least one of ``futures`` is done (or ``timeout`` seconds pass); the done ones."""
        done, _ = concurrent.futures.wait(list(futures), timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED)
        return set(done)

    def wait_all(self, futures: Iterable[Any], timeout: float | None = None) -> None:
        """Block until every one of ``futures`` is done, or ``timeout`` seconds pass."""
        concurrent.futures.wait(list(futures), timeout=timeout)

    def as_completed(
        self, fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], cancel: Callable[[], bool] | None = None
    ) -> Iterator[tuple[int, Any]]:
        """Run ``fn(*args)`` for every argument tuple; yield (task index, result) as tasks finish.

        A task's error is raised here, and so is :class:`Cancelled` once ``cancel()`` answers true; either
        way, and when the caller stops iterating, the tasks not yet finished are cancelled.
        """
        index_of: dict[Any, int] = {}
        pending: set[Any] = set()
        try:
            for index, args in enumerate(tasks):
                future = self.submit(fn, *args)
                index_of[future] = index
                pending.add(future)
            while pending:
                if cancel is not None and cancel():
                    raise Cancelled()
                done = self.wait_first(pending, CANCEL_POLL_SECONDS if cancel is not None else None)
                for future in sorted(done, key=index_of.__getitem__):
                    pending.discard(future)
                    yield index_of[future], future.result()
        finally:
            for future in pending:
                future.cancel()

    def map(
        self, fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> list[Any]:
        """``fn(*args)`` for every argument tuple, results in task order; ``progress(tasks done, tasks)`` after each."""
        tasks = list(tasks)
        results: list[Any] = [None] * len(tasks)
        for done, (index, result) in enumerate(self.as_completed(fn, tasks, cancel), start=1):
            results[index] = result
            if progress is not None:
                progress(done, len(tasks))
        return results

    def close(self) -> None:
        """Stop the workers (tasks not started are cancelled); nothing for an executor that owns none."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind}, {self.workers} worker(s)>"


class InlineExecutor(Executor):
    """This process, one task at a time: :meth:`as_completed` runs each task only when the caller asks for it."""

    kind = "inline"
    parallel = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        """Run ``fn(*args)`` now; a finished future holding its result or its error."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except Exception as error:  # noqa: BLE001 - handed to the caller through the future, as a pool would
            future.set_exception(error)
        return future

    def as_completed(
        self, fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], cancel: Callable[[], bool] | None = None
    ) -> Iterator[tuple[int, Any]]:
        for index, args in enumerate(tasks):
            if cancel is not None and cancel():
                raise Cancelled()
            yield index, fn(*args)


class _PoolExecutor(Executor):
    """An executor over a :mod:`concurrent.futures` pool."""

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise ValueError(f"a pool needs at least 1 worker, got {workers}")
        self._workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._pool: concurrent.futures.Executor | None = self._new_pool()

    def _new_pool(self) -> concurrent.futures.Executor:
        raise NotImplementedError

    @property
    def workers(self) -> int:
        return self._workers

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        with self._lock:
            if self._pool is None:
                raise RuntimeError(f"{self!r} is closed")
            return self._pool.submit(fn, *args)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class ThreadExecutor(_PoolExecutor):
    """Threads of this process (results as from processes; the work shares this process's CPU)."""

    kind = "threads"

    def __init__(self, workers: int | None = None, name: str = "coyuntura-worker"):
        self._name = name
        super().__init__(workers)

    def _new_pool(self) -> concurrent.futures.Executor:
        return concurrent.futures.ThreadPoolExecutor(self._workers, thread_name_prefix=self._name)


class ProcessExecutor(_PoolExecutor):
    """A pool of ``workers`` ``spawn``ed processes, each set up once by ``initializer(*initargs)``.

    When a worker dies its pool breaks: the futures it held raise :data:`BrokenWorker`, and the next
    :meth:`submit` starts a fresh pool.
    """

    kind = "processes"

    def __init__(self, workers: int | None = None, initializer: Callable[..., Any] | None = None, initargs: tuple = ()):
        self._initializer, self._initargs = initializer, initargs
        super().__init__(workers)

    def _new_pool(self) -> concurrent.futures.Executor:
        return concurrent.futures.ProcessPoolExecutor(
            self._workers, mp_context=process_context(), initializer=self._initializer, initargs=self._initargs
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        with self._lock:
            if self._pool is None:
                raise RuntimeError(f"{self!r} is closed")
            try:
                return self._pool.submit(fn, *args)
            except BrokenProcessPool:  # a worker died (e.g. out of memory): start a fresh pool
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args)


def _local_dashboard(dashboard: str | int | None) -> str | None:
    """A dashboard address on :data:`LOCAL_HOST` (``None``: no dashboard); a bare port or ``:port`` stays local."""
    if dashboard is None or dashboard is False:
        return None
    text = str(dashboard).strip()
    if text.isdigit() or text.startswith(":"):
        return f"{LOCAL_HOST}:{text.lstrip(':')}"
    return text


class DaskExecutor(Executor):
    """A Dask client: made by :meth:`local` or :meth:`connect` (closed with the executor), or one the caller owns."""

    kind = "dask"

    def __init__(self, client: Any, closing: Callable[[], None] | None = None):
        self.client = client
        self._closing = closing

    @classmethod
    def local(cls, workers: int | None = None, dashboard: str | int | None = None) -> DaskExecutor:
        """A new LocalCluster of ``workers`` single-threaded processes (default: Dask's choice for this machine).

        It listens on 127.0.0.1 only and starts no dashboard unless ``dashboard`` gives an address (a bare
        port or ``:port`` binds to 127.0.0.1 too; ``0`` picks a free port).
        """
        distributed = require("dask", "distributed")
        address = _local_dashboard(dashboard)
        # Without a dashboard the scheduler still serves /health and /metrics: on a free local port, not 8787.
        http = {"dashboard": address is not None, "dashboard_address": address or f"{LOCAL_HOST}:0"}
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host=LOCAL_HOST, dashboard_address=address, scheduler_kwargs=http
        )
        try:
            client = distributed.Client(cluster)
        except BaseException:
            cluster.close()
            raise

        def closing() -> None:
            try:
                client.close()
            finally:
                cluster.close()

        return cls(client, closing)

    @classmethod
    def connect(cls, scheduler: str) -> DaskExecutor:
        """A client of the running Dask scheduler at ``scheduler`` (``tcp://host:port``)."""
        client = require("dask", "distributed").Client(scheduler)
        return cls(client, client.close)

    @property
    def workers(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def share(self, value: Any) -> Any:
        return self.client.scatter(value, broadcast=True, hash=False)  # unique keys: a re-share never races a release

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, futures: Iterable[Any], timeout: float | None = None) -> set[Any]:
        wait = require("dask", "distributed").wait
        try:
            return set(wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            return set()

    def wait_all(self, futures: Iterable[Any], timeout: float | None = None) -> None:
        wait = require("dask", "distributed").wait
        try:
            wait(list(futures), timeout=timeout)
        except TimeoutError:
            pass

    def close(self) -> None:
        closing, self._closing = self._closing, None
        if closing is not None:
            closing()


def _dask_installed() -> bool:
    try:
        require("dask", "distributed")
    except ImportError:
        return False
    return True


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
"""The transports a Dask scheduler address may name (``scheme://``); without one Dask reads ``tcp``."""


def _dask_transport(scheme: str) -> bool:
    """Whether an installed Dask knows the transport ``scheme`` (its own, or one a package registers, such as ucxx)."""
    try:
        from distributed.comm.registry import get_backend
    except ImportError:
        return False
    try:
        get_backend(scheme)
    except (ValueError, ImportError):
        return False
    return True


def check_scheduler_address(address: str) -> str:
    """``address`` if it has the shape of a Dask scheduler address, ``[scheme://]host:port``; else ``ValueError``
    saying what is wrong, so that a mistyped address is a usage error before any work, not a failed connection."""
    text = address.strip()
    shape = "a Dask scheduler address looks like tcp://host:port"
    if not text:
        raise ValueError(f"the scheduler address is empty; {shape}")
    scheme, separator, location = text.rpartition("://")
    if separator and scheme not in SCHEDULER_SCHEMES and not _dask_transport(scheme):
        raise ValueError(f"unknown transport {scheme!r} in {address!r}; one of {', '.join(SCHEDULER_SCHEMES)} ({shape})")
    if separator and scheme not in ("tcp", "tls"):
        return text  # another transport (websockets, UCX, in-process, a plug-in's): its own rules, checked on connecting
    if location.startswith("["):  # an IPv6 host: [::1]:8786
        host, _, rest = location[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None if not rest else "?"
    else:
        host, colon, port_text = location.partition(":")
        port = port_text if colon else None
    if not location.startswith("[") and port is not None and ":" in port:
        raise ValueError(f"an IPv6 host goes in brackets, e.g. tcp://[::1]:8786, got {address!r}")
    if not host or any(character.isspace() or character in "/?#@" for character in host):
        raise ValueError(f"no host in {address!r}; {shape}")
    if port is None:
        raise ValueError(f"no port in {address!r}; {shape}")
    if not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"the port in {address!r} should be a number from 1 to 65535; {shape}")
    return text


def make_executor(
    kind: Kind | None = None, workers: int | None = None, scheduler: str | None = None, dashboard: str | int | None = None
) -> Executor:
    """A new executor; close it when done (or use :func:`open_executor`).

    ``kind`` None chooses: the Dask scheduler at ``scheduler`` if given; this process for ``workers == 0``;
    else a local Dask cluster of ``workers`` processes when Dask is installed, a process pool when not.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown executor {kind!r}; one of {', '.join(KINDS)}")
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be 0 (this process) or more, got {workers}")
    if scheduler is not None and kind not in (None, "dask"):
        raise ValueError(f"a scheduler address needs the dask executor, not {kind!r}")
    if scheduler is not None:
        scheduler = check_scheduler_address(scheduler)
    if kind is None:
        kind = "dask" if scheduler else "inline" if workers == 0 else "dask" if _dask_installed() else "processes"
    if kind == "inline":
        return InlineExecutor()
    if kind == "threads":
        return ThreadExecutor(workers or None)
    if kind == "processes":
        return ProcessExecutor(workers or None)
    return DaskExecutor.connect(scheduler) if scheduler else DaskExecutor.local(workers or None, dashboard)


@contextmanager
def open_executor(
    kind: Kind | None = None, workers: int | None = None, scheduler: str | None = None, dashboard: str | int | None = None
) -> Iterator[Executor]:
    """:func:`make_executor`, closed on leaving the block."""
    executor = make_executor(kind, workers, scheduler, dashboard)
    try:
        yield executor
    finally:
        executor.close()


def as_executor(value: Any = None) -> Executor:
    """``value`` as an executor: None is this process, an :class:`Executor` itself, a Dask client wrapped (not closed by us)."""
    if value is None:
        return InlineExecutor()
    if isinstance(value, Executor):
        return value
    if hasattr(value, "scatter") and hasattr(value, "submit"):
        return DaskExecutor(value)
    raise TypeError(f"not an executor or a Dask client: {type(value).__name__}")
