"""Regression tests of issue 14's defect 11 (the web explorer): no absolute paths in responses, a what-if
is "done" only once recorded, finished jobs stay pollable, history in pages, cancel within a second,
unreadable bodies get a documented 400, and the schema states the id and value-path rules."""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")
from fastapi.testclient import TestClient  # noqa: E402

from coyuntura.engine.simulate import SimulationCancelled, simulate  # noqa: E402
from coyuntura.store import RunStore, StoreError  # noqa: E402
from coyuntura.store.records import record_run  # noqa: E402
from coyuntura.web import create_app  # noqa: E402
from coyuntura.web import jobs as jobs_module  # noqa: E402
from coyuntura.web.compute import prepare  # noqa: E402
from coyuntura.web.jobs import JobManager  # noqa: E402
from coyuntura.web.models import RunRequest  # noqa: E402

from helpers import bundled_model  # noqa: E402

pytestmark = pytest.mark.web

SCENARIO = "bolivia-1952"
WHATIF = {"scenario": SCENARIO, "start": "october_1970", "until": "1971-03", "runs": 20, "seed": 3, "changes": {"mechanisms.coup.decisiveness": 2.5}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reliability")


@pytest.fixture(scope="module")
def store(folder: Path) -> RunStore:
    """A store holding five small runs, each recorded with an absolute report folder (as `coyuntura run --out /abs` does)."""
    store = RunStore(folder / "store" / "runs.duckdb")
    model = bundled_model()
    ensemble = simulate(model, 2, until=model.scenario.calendar.start + 1)
    for index in range(5):
        record_run(store, "run", model.scenario, ensemble, 0.1, {"from": None, "report": str(folder / "reports" / f"run{index}")})
        time.sleep(0.002)  # distinct creation times: a stable newest-first order
    return store


@pytest.fixture(scope="module")
def client(store: RunStore) -> Any:
    with TestClient(create_app(store=store, processes=False, workers=2, warm=False)) as test_client:
        yield test_client


def _wait(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish")


def test_defect_11_no_absolute_paths_in_health_or_history(client: TestClient, store: RunStore, folder: Path) -> None:
    health = client.get("/api/health")
    assert health.json()["store"] == "runs.duckdb"
    listed = client.get("/api/history")
    record_id = listed.json()[0]["id"]
    one = client.get(f"/api/history/{record_id}")
    missing = client.get("/api/history/abcdef")
    assert missing.status_code == 404 and "runs.duckdb" in missing.json()["detail"]
    for response in (health, listed, one, missing):
        assert str(folder) not in response.text and str(folder.resolve()) not in response.text, response.text[:500]
    assert one.json()["parameters"]["report"] == f"run{4}"
    paths = [a["path"] for a in one.json()["artifacts"]]
    assert f"runs-data/{record_id}/final_regime.parquet" in paths
    assert all(path.startswith(f"runs-data/{record_id}/") and path.endswith(".parquet") for path in paths)


def test_defect_11_history_is_paginated(client: TestClient) -> None:
    everything = [r["id"] for r in client.get("/api/history", params={"limit": 500}).json()]
    assert len(everything) >= 5
    pages, offset = [], 0
    while True:
        response = client.get("/api/history", params={"limit": 2, "offset": offset})
        pages.append([r["id"] for r in response.json()])
        if "X-Next-Offset" not in response.headers:
            break
        offset = int(response.headers["X-Next-Offset"])
        assert offset == 2 * len(pages)
    assert [record for page in pages for record in page] == everything
    assert client.get("/api/history", params={"offset": -1}).status_code == 422


def test_defect_11_a_split_what_if_is_done_only_once_recorded(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    real = jobs_module.record

    def slow_record(*args: Any, **kwargs: Any) -> str:
        time.sleep(0.4)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "record", slow_record)
    job_id = client.post("/api/runs", json=WHATIF).json()["id"]
    job = client.get(f"/api/jobs/{job_id}").json()
    seen = set()
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed", "cancelled") and time.monotonic() < deadline:
        seen.add(job["status"])
        time.sleep(0.01)
        job = client.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "done" and job["kind"] == "whatif"
    assert job["record_id"] and job["result"]["record_id"] == job["record_id"]
    assert client.get(f"/api/history/{job['record_id']}").status_code == 200

    def failing_record(*args: Any, **kwargs: Any) -> str:
        raise StoreError("the disk is full")

    monkeypatch.setattr(jobs_module, "record", failing_record)
    job = _wait(client, client.post("/api/runs", json=dict(WHATIF, seed=4)).json()["id"])
    assert job["status"] == "done" and job["record_id"] is None
    assert "the disk is full" in job["result"]["store_error"]


def _tiny(manager: JobManager) -> str:
    scenario = bundled_model().scenario
    request = RunRequest(scenario=SCENARIO, start="march_1971", until="1971-04", runs=2)
    job = manager.submit(prepare(scenario, request), request)
    manager.wait(job.id)
    return job.id


def test_defect_11_finished_jobs_stay_pollable_for_the_documented_time() -> None:
    manager = JobManager(workers=1, processes=False)
    manager.start(warm=False)
    try:
        assert manager.keep_seconds == jobs_module.KEEP_FINISHED_SECONDS >= 300
        first = _tiny(manager)
        for _ in range(60):  # more than the 50 that used to be kept
            _tiny(manager)
        assert manager.get(first).status == "done"
    finally:
        manager.shutdown()
    brief = JobManager(workers=1, processes=False, keep_seconds=0.0)
    brief.start(warm=False)
    try:
        first = _tiny(brief)
        time.sleep(0.01)
        _tiny(brief)
        with pytest.raises(KeyError, match="kept for a while"):
            brief.get(first)
    finally:
        brief.shutdown()


def test_defect_11_simulate_stops_within_a_month_when_asked_and_is_unchanged_otherwise() -> None:
    model = bundled_model()
    start = model.scenario.calendar.start
    plain = simulate(model, 50, seed=5, until=start + 11, batch_size=16)
    asked = []
    hooked = simulate(model, 50, seed=5, until=start + 11, batch_size=16, should_stop=lambda: asked.append(1) is not None)
    assert len(asked) == 4 * 12  # once a month of each of the 4 batches
    assert np.array_equal(plain.regime_counts, hooked.regime_counts) and np.array_equal(plain.outcome_counts, hooked.outcome_counts)
    calls = []
    with pytest.raises(SimulationCancelled, match="cancelled"):
        simulate(model, 50, seed=5, until=start + 11, should_stop=lambda: len(calls) > 2 or calls.append(1) is not None)
    assert len(calls) == 3


def test_defect_11_cancel_takes_effect_within_a_second() -> None:
    """A 50,000-run arm runs as batches of ~20,000 runs x 24 months (seconds each): cancel must not wait for one to end."""
    manager = JobManager(workers=1, processes=False)
    manager.start(warm=False)
    try:
        scenario = bundled_model().scenario
        request = RunRequest(scenario=SCENARIO, start="october_1970", until="1972-09", runs=50_000)
        job = manager.submit(prepare(scenario, request), request)
        deadline = time.monotonic() + 30
        while manager.get(job.id).status != "running" and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        asked = time.monotonic()
        manager.cancel(job.id)
        while manager.get(job.id).status == "running" and time.monotonic() < asked + 30:
            time.sleep(0.01)
        took = time.monotonic() - asked
        assert manager.get(job.id).status == "cancelled"
        assert took < 1.0, f"cancel took {took:.2f} s"
        assert manager.get(job.id).done < 50_000
    finally:
        manager.shutdown()


def test_defect_11_unreadable_bodies_get_a_documented_400(client: TestClient) -> None:
    for body in (b'{"scenario": "\xff"}', b"[" * 50_000, b'{"runs": ' + b"9" * 5_000 + b"}"):
        response = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith("body: not readable as JSON")
    spec = client.get("/openapi.json").json()
    for path in ("/api/runs", "/api/chronicle"):
        assert "400" in spec["paths"][path]["post"]["responses"]


def test_defect_11_the_schema_states_the_experiment_id_and_value_path_rules(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for model in ("RunRequest", "ChronicleRequest"):
        properties = spec["components"]["schemas"][model]["properties"]
        experiment = next(branch for branch in properties["experiment"]["anyOf"] if branch.get("type") == "string")
        assert re.fullmatch(experiment["pattern"], "armed-workers") and not re.fullmatch(experiment["pattern"], "Armed workers")
        changes = properties["changes"]
        pattern = changes["propertyNames"]["pattern"]
        assert re.fullmatch(pattern, "mechanisms.coup.decisiveness") and not re.fullmatch(pattern, "a b") and not re.fullmatch(pattern, "a..b")
        assert changes["additionalProperties"] is False
    assert client.post("/api/runs", json={"scenario": SCENARIO, "changes": {"a b": 1}}).status_code == 422
