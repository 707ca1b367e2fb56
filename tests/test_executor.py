"""One executor: the same work gives the same numbers in this process, on a process pool and on a Dask LocalCluster;
tasks report progress and can be cancelled; a pool whose worker died is replaced; and no module but
``coyuntura.executor`` creates a process pool or a Dask client."""

from __future__ import annotations

import math
import os
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coyuntura.executor import (
    BrokenWorker,
    Cancelled,
    DaskExecutor,
    InlineExecutor,
    ProcessExecutor,
    ThreadExecutor,
    as_executor,
    check_scheduler_address,
    make_executor,
    open_executor,
)
from coyuntura.experiments.sweeps import PointSweep, Sweep, run_point_sweep, run_sweep
from coyuntura.experiments.whatif import experiment_intervention, extend, run_whatif
from coyuntura.history.calibration import CalibrationSettings, calibrate
from coyuntura.history.forecast import forecast
from coyuntura.history.particles import simulator_for
from coyuntura.parallel import simulate_parallel
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario

SRC = Path(__file__).resolve().parents[1] / "src" / "coyuntura"
UNTIL = parse_month("1971-07")


@lru_cache(maxsize=1)
def scenario() -> Any:
    return load_scenario("bolivia-1952")


def small_jobs(executor: Any, folder: Path) -> dict[str, Any]:
    """A what-if, a sweep, a point sweep, a plain run, a forecast and a calibration, each a few runs and months, on ``executor``."""
    s = scenario()
    experiment = experiment_intervention(s, "guerrillas-in-la-paz")
    intervention = extend(experiment, until=s.snapshot(experiment.start).month + 4)
    whatif = run_whatif(s, intervention, 60, seed=5, executor=executor, chunk_runs=20)
    points = tuple({"mechanisms.coup.decisiveness": 1.0 + 0.5 * i} for i in range(3))
    sweep = run_sweep(Sweep(s, points, n_runs=20, seed=7, start="march_1971", until=UNTIL), executor=executor, points_per_task=1)
    values = np.linspace(-16.0, -10.0, 4)[:, None]
    point_sweep = PointSweep(s, ("mechanisms.coup.plot_intercept",), values, 10, seed=3, start="march_1971", until=UNTIL)
    swept = run_point_sweep(point_sweep, executor=executor, points_per_batch=2)
    ensemble = simulate_parallel(executor, s, 90, seed=4, chunk_runs=30, start="march_1971", until=UNTIL)
    predicted = forecast(s, parse_month("1954-07"), 3, runs=40, seed=3, simulator=simulator_for(executor), replications=2)
    settings = CalibrationSettings(as_of="1954-01", population=4, generations=1, runs_per_particle=1, seed=7,
                                   parameters=("mechanisms.coup.plot_intercept",), batch_particles=3)
    posterior = calibrate(s, settings, folder / executor.kind, executor=executor)
    return {
        "whatif baseline": whatif.baseline, "whatif treated": whatif.treated,
        "sweep": sweep.counts, "point sweep": swept.counts,
        "run regimes": ensemble.regime_counts, "run outcomes": ensemble.outcome_counts,
        "forecast": predicted.table.rows,
        "posterior values": posterior.values, "posterior weights": posterior.weights,
    }


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return small_jobs(InlineExecutor(), tmp_path_factory.mktemp("inline"))


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_the_same_work_gives_the_same_numbers_on_every_executor(kind: str, in_process: dict[str, Any], tmp_path: Path) -> None:
    with open_executor(kind, workers=2) as executor:
        assert executor.kind == kind and executor.workers == 2 and executor.parallel
        elsewhere = small_jobs(executor, tmp_path)
    for name, expected in in_process.items():
        got = elsewhere[name]
        if isinstance(expected, np.ndarray):
            assert np.array_equal(got, expected), name
        else:
            assert got == expected, name


@pytest.mark.integration
def test_map_reports_progress_and_keeps_task_order_on_each_kind_of_pool() -> None:
    for executor in (InlineExecutor(), ThreadExecutor(2), ProcessExecutor(2)):
        with executor:
            seen: list[tuple[int, int]] = []
            assert executor.map(math.factorial, [(n,) for n in range(7)], progress=lambda *p: seen.append(p)) == [1, 1, 2, 6, 24, 120, 720]
            assert seen == [(done, 7) for done in range(1, 8)], executor
            with pytest.raises(ValueError):  # a task's error reaches the caller
                executor.map(math.factorial, [(3,), (-1,)])


@pytest.mark.integration
def test_cancel_stops_the_tasks_not_yet_finished() -> None:
    ran: list[int] = []
    with pytest.raises(Cancelled):
        for _ in InlineExecutor().as_completed(ran.append, [(n,) for n in range(10)], cancel=lambda: len(ran) >= 3):
            pass
    assert ran == [0, 1, 2]  # in this process, a cancelled task never starts

    with ProcessExecutor(1) as executor:
        began = time.monotonic()
        with pytest.raises(Cancelled):
            executor.map(time.sleep, [(0.2,)] * 20, cancel=lambda: time.monotonic() - began > 0.3)
        assert time.monotonic() - began < 3.0  # the queued tasks were cancelled, not run


@pytest.mark.integration
def test_a_pool_whose_worker_died_is_replaced_at_the_next_submit() -> None:
    with ProcessExecutor(1) as executor:
        with pytest.raises(BrokenWorker):
            executor.submit(os._exit, 3).result(timeout=60)
        assert executor.submit(math.factorial, 5).result(timeout=60) == 120


def test_choosing_an_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    inline = InlineExecutor()
    assert as_executor(None).kind == "inline" and as_executor(inline) is inline
    assert isinstance(as_executor(type("FakeClient", (), {"scatter": None, "submit": None})()), DaskExecutor)
    with pytest.raises(TypeError):
        as_executor(3)
    assert make_executor(workers=0).kind == "inline"
    with make_executor("threads", workers=2) as threads:
        assert threads.kind == "threads" and threads.workers == 2
    for bad in ({"kind": "cluster"}, {"workers": -1}, {"kind": "processes", "scheduler": "tcp://127.0.0.1:1"}):
        with pytest.raises(ValueError):
            make_executor(**bad)
    for malformed in ("", "http://host:8786", "tcp://:8786", "tcp://host:0", "host:99999", "tcp://host:80/path", "two words", "tcp://host", "notanaddress"):
        with pytest.raises(ValueError):
            make_executor(scheduler=malformed)  # refused by its shape, before any connection is tried
    for wellformed in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "tcp://[::1]:8786", "tls://scheduler.example:8786"):
        assert check_scheduler_address(wellformed) == wellformed
    monkeypatch.setitem(sys.modules, "distributed", None)  # without Dask, --workers N is a process pool
    with make_executor(workers=2) as pool:
        assert pool.kind == "processes" and pool.workers == 2


POOL = re.compile(r"ProcessPoolExecutor\(|LocalCluster\(|(?<![A-Za-z0-9_])Client\(|multiprocessing\.Pool\b|\bmp\.Pool\(")


def test_no_module_but_the_executor_creates_a_process_pool_or_a_dask_client() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py")) if path.name != "executor.py" or path.parent != SRC
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if POOL.search(line)
    ]
    assert not offenders, "create pools and Dask clients only in coyuntura/executor.py:\n" + "\n".join(offenders)
    assert POOL.search((SRC / "executor.py").read_text(encoding="utf-8"))  # the pattern does find them
