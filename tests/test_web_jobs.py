"""Jobs on worker processes: two users' runs go side by side, the API keeps answering, cancel stops a run."""

from __future__ import annotations

import time
import warnings

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")
from fastapi.testclient import TestClient  # noqa: E402

from coyuntura.web import create_app  # noqa: E402

pytestmark = pytest.mark.web

LONG = {"scenario": "bolivia-1952", "runs": 3000, "until": "1966-12"}  # ~1-2 s of simulation each
STALL = 5.0
"""Seconds an answer may take while runs simulate. Generous on purpose: a busy machine (two worker processes on
two cores, other work beside them) delays an answer by a fraction of a second, but an API that waited for a
simulation would take about as long as the runs themselves; a 1 s bound failed by chance."""


@pytest.mark.slow
def test_two_runs_go_side_by_side_the_api_answers_and_cancel_stops_one() -> None:
    app = create_app(store=None, processes=True, workers=2, max_active=2)
    with TestClient(app) as client:
        first = client.post("/api/runs", json={**LONG, "seed": 1}).json()["id"]
        second = client.post("/api/runs", json={**LONG, "seed": 2}).json()["id"]
        full = client.post("/api/runs", json={**LONG, "seed": 3})
        assert full.status_code == 429 and "already queued or running" in full.json()["detail"]

        latencies, both_running, answered_while_running, progress = [], False, 0, {first: [], second: []}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            began = time.perf_counter()
            assert client.get("/api/health").status_code == 200
            latencies.append(time.perf_counter() - began)
            jobs = {job_id: client.get(f"/api/jobs/{job_id}").json() for job_id in (first, second)}
            for job_id, job in jobs.items():
                progress[job_id].append(job["progress"]["done"])
            both_running |= all(job["status"] == "running" for job in jobs.values())
            answered_while_running += any(job["status"] == "running" for job in jobs.values())
            if all(job["status"] == "done" for job in jobs.values()):
                break
            time.sleep(0.05)
        assert all(client.get(f"/api/jobs/{j}").json()["status"] == "done" for j in (first, second))
        assert both_running, "the second run waited for the first instead of running beside it"
        assert answered_while_running >= 2, "the API answered only before or after the runs, not while they simulated"
        assert max(latencies) < STALL, f"the API stalled {max(latencies):.2f} s while two runs were simulating"
        for values in progress.values():
            assert values == sorted(values) and values[-1] == 3000
        results = [client.get(f"/api/jobs/{j}").json()["result"] for j in (first, second)]
        assert results[0]["seed"] == 1 and results[1]["seed"] == 2
        assert results[0]["baseline"]["regimes"]["p"] != results[1]["baseline"]["regimes"]["p"]

        # cancel a running job: it stops at its next batch, and its worker takes the next job
        job_id = client.post("/api/runs", json={"scenario": "bolivia-1952", "runs": 40_000, "seed": 4}).json()["id"]
        while client.get(f"/api/jobs/{job_id}").json()["status"] == "queued":
            time.sleep(0.02)
        client.post(f"/api/jobs/{job_id}/cancel")
        deadline = time.monotonic() + 30
        while (job := client.get(f"/api/jobs/{job_id}").json())["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job["status"] == "cancelled" and job["progress"]["done"] < 40_000
        after = client.post("/api/runs", json={"scenario": "bolivia-1952", "runs": 50, "until": "1953-03"}).json()["id"]
        deadline = time.monotonic() + 30
        while (job := client.get(f"/api/jobs/{after}").json())["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job["status"] == "done"
