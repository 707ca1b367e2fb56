"""The web API: what it serves, what it refuses (4xx with a clear message), and that its numbers are the library's."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")
from fastapi.testclient import TestClient  # noqa: E402

from coyuntura.engine.model import compile_scenario  # noqa: E402
from coyuntura.engine.simulate import simulate  # noqa: E402
from coyuntura.engine.state import REGIME_KEYS  # noqa: E402
from coyuntura.experiments.whatif import Intervention, run_whatif, whatif_table  # noqa: E402
from coyuntura.report.chronicle import chronicle  # noqa: E402
from coyuntura.scenario.calendar import parse_month  # noqa: E402
from coyuntura.scenario.loader import load_scenario  # noqa: E402
from coyuntura.store import RunStore  # noqa: E402
from coyuntura.web import create_app  # noqa: E402
from coyuntura.web.models import MAX_BODY_BYTES, MAX_RUNS  # noqa: E402

pytestmark = pytest.mark.web

SCENARIO = "bolivia-1952"
SHORT = {"scenario": SCENARIO, "start": "october_1970", "until": "1971-09"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> RunStore:
    return RunStore(tmp_path_factory.mktemp("store") / "runs.duckdb")


@pytest.fixture(scope="module")
def client(store: RunStore):
    app = create_app(store=store, processes=False, workers=2)
    with TestClient(app) as test_client:
        yield test_client


def wait(client: TestClient, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def run(client: TestClient, **body) -> dict:
    response = client.post("/api/runs", json=body)
    assert response.status_code == 202, response.text
    job = wait(client, response.json()["id"])
    assert job["status"] == "done", job
    return job


# --- what it serves -------------------------------------------------------------------------------


def test_scenarios_and_their_description(client: TestClient) -> None:
    listed = client.get("/api/scenarios").json()
    assert [s["id"] for s in listed] == ["bolivia-1952", "chile-1970"]  # every bundled scenario, by name
    chile = client.get("/api/scenarios/chile-1970").json()
    assert len(chile["actors"]) == len(load_scenario("chile-1970").actors) and chile["experiments"] == []
    detail = client.get(f"/api/scenarios/{SCENARIO}").json()
    scenario = load_scenario(SCENARIO)
    assert [a["id"] for a in detail["actors"]] == [a.id for a in scenario.actors]
    miners = next(a for a in detail["actors"] if a["id"] == "miners")
    assert miners["attributes"]["arms"]["value"] == scenario.actor("miners").arms.value
    assert len(detail["relations"]) == len(scenario.relations)
    assert {e["id"] for e in detail["experiments"]} == {e.id for e in scenario.experiments}
    # free parameters carry their prior range, which the page's sliders span
    assert detail["parameters"] and all(p["low"] <= p["value"] <= p["high"] for p in detail["parameters"])
    assert {"october_1970", "march_1971"} <= {s["id"] for s in detail["snapshots"]}
    assert detail["limits"]["max_runs"] == MAX_RUNS


def test_the_page_and_its_assets_ship_in_the_package(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "coyuntura explorer" in page.text
    for asset in ("app.js", "charts.js", "style.css"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and len(response.content) > 1000
    for text in (page.text, client.get("/static/app.js").text, client.get("/static/style.css").text):
        assert "https://" not in text and "http://" not in text  # nothing fetched from the internet
    assert client.get("/openapi.json").json()["paths"]["/api/runs"]["post"]
    assert client.get("/docs").status_code == 404  # FastAPI's docs page would load scripts from a CDN


# --- what it refuses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"scenario": "nope"}, 404, "unknown scenario 'nope'; scenarios: bolivia-1952"),
        ({"scenario": "../../etc/passwd"}, 422, "String should match pattern"),
        ({"scenario": "/etc/passwd"}, 422, "String should match pattern"),
        ({"scenario": SCENARIO, "runs": MAX_RUNS + 1}, 422, "less than or equal to 50000"),
        ({"scenario": SCENARIO, "runs": 0}, 422, "greater than or equal to 1"),
        ({"scenario": SCENARIO, "until": "1999-01"}, 422, "until 1999-01 is past the scenario's horizon 1980-12"),
        ({"scenario": SCENARIO, "start": "march_1971", "until": "1970-01"}, 422, "until 1970-01 is before the start 1971-03"),
        ({"scenario": SCENARIO, "until": "1971-13"}, 422, "is not between 01 and 12"),
        ({"scenario": SCENARIO, "start": "june_1969"}, 422, "no snapshot 'june_1969'"),
        ({"scenario": SCENARIO, "experiment": "no-such"}, 422, "no experiment 'no-such'"),
        ({"scenario": SCENARIO, "cancel_events": ["no_such_event"]}, 422, "cannot cancel unknown event 'no_such_event'"),
        ({"scenario": SCENARIO, "changes": {"mechanisms.coup.decisivenes": 2.0}}, 422, "did you mean: mechanisms.coup.decisiveness"),
        ({"scenario": SCENARIO, "changes": {"actors.miners.arms": 1.5}}, 422, "outside the allowed range [0, 1]"),
        ({"scenario": SCENARIO, "changes": {"actors.miners.arms": {"x": 1}}}, 422, "changes.actors.miners.arms: must be a number, true/false"),
        ({"scenario": SCENARIO, "runs": 1, "changes": {"actors.miners.arms": 0.5}}, 422, "a what-if needs at least 2 runs"),
        ({"scenario": SCENARIO, "surprise": 1}, 422, "Extra inputs are not permitted"),
    ],
)
def test_bad_run_requests_get_a_clear_4xx(client: TestClient, body: dict, status: int, message: str) -> None:
    response = client.post("/api/runs", json=body)
    assert response.status_code == status, response.text
    assert message in response.text


def test_bodies_over_the_cap_are_refused_before_parsing(client: TestClient) -> None:
    big = b'{"scenario": "' + b"a" * MAX_BODY_BYTES + b'"}'
    response = client.post("/api/runs", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "over 65,536 bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(100):
            yield b" " * 1024

    response = client.post("/api/runs", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_unknown_jobs_and_records(client: TestClient) -> None:
    assert client.get("/api/jobs/abcdef").status_code == 404
    assert client.get("/api/jobs/not-hex!").status_code == 422
    assert client.post("/api/jobs/abcdef/cancel").status_code == 404
    assert client.get("/api/history/abcdef").status_code == 404
    assert client.post("/api/history/abcdef/open").status_code == 404


def test_a_localhost_server_refuses_other_host_headers() -> None:
    app = create_app(processes=False, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://localhost") as local:
        assert local.get("/api/health").status_code == 200
        assert local.get("/api/health", headers={"host": "attacker.example"}).status_code == 400


# --- its numbers are the library's ---------------------------------------------------------------


def test_a_run_returns_the_library_numbers_and_is_recorded(client: TestClient, store: RunStore) -> None:
    job = run(client, runs=500, seed=3, **SHORT)
    result = job["result"]
    scenario = load_scenario(SCENARIO)
    ensemble = simulate(compile_scenario(scenario), 500, seed=3, start="october_1970", until=parse_month("1971-09"))
    regimes = np.array(result["baseline"]["regimes"]["p"])
    assert np.allclose(regimes, (ensemble.regime_counts / 500).T, atol=1e-4)
    assert result["baseline"]["months"][0] == "1970-10" and result["baseline"]["months"][-1] == "1971-09"
    fan = np.array(result["baseline"]["strength"]["values"])  # (actors, months, quantiles)
    assert fan.shape == (22, 12, 5)
    assert np.all(np.diff(fan, axis=-1) >= 0)  # quantiles in order
    assert result["summary"]["outcomes"]["coup_attempt"]["p"] == ensemble.outcome_counts_total[0] / 500
    # recorded in the run store, and the same request again gives the same numbers
    assert job["record_id"]
    assert store.show(job["record_id"])["n_runs"] == 500
    again = run(client, runs=500, seed=3, **SHORT)["result"]
    assert again["baseline"] == result["baseline"] and again["summary"] == result["summary"]


def test_a_whatif_matches_the_whatif_library(client: TestClient) -> None:
    changes = {"mechanisms.coup.decisiveness": 3.0}
    job = run(client, runs=400, seed=7, changes=changes, **SHORT)
    assert job["kind"] == "whatif"
    result = job["result"]
    scenario = load_scenario(SCENARIO)
    library = run_whatif(
        scenario, Intervention(name="web", start="october_1970", until=parse_month("1971-09"), changes=changes), 400, seed=7
    )
    reference = library.summary()
    assert result["summary"]["outcomes"] == reference["outcomes"]
    rows = {row["key"]: row for row in result["comparison"]["rows"]}
    assert list(rows) == [row[0] for row in whatif_table(library).rows]  # the command's rows, no more
    for name, expected in reference["outcomes"].items():
        assert rows[name]["difference"] == pytest.approx(expected["difference"])
        assert rows[name]["low"] <= rows[name]["difference"] <= rows[name]["high"]
    assert result["intervention"]["months"] == result["baseline"]["months"]
    # examples: runs where an outcome happens only with the intervention really are such runs
    gained = {k: v["gained"] for k, v in result["examples"].items() if v["gained"]}
    assert gained, "a stronger coup contest should change some runs"


def test_a_named_experiment_and_a_cancelled_event(client: TestClient) -> None:
    job = run(client, runs=200, seed=1, scenario=SCENARIO, experiment="armed-workers", until="1971-06")
    result = job["result"]
    assert result["start"] == "1970-09" and result["until"] == "1971-06"  # the experiment's start, before October
    assert result["comparison"]["intervention"]["name"] == "armed-workers"
    assert result["comparison"]["intervention"]["set"]["snapshots.september_1970.actors.miners.arms"] == 0.7
    cancelled = run(client, runs=50, seed=1, scenario=SCENARIO, until="1970-12", cancel_events=["barrientos_dies"])
    assert cancelled["result"]["comparison"]["intervention"]["cancel_events"] == ["barrientos_dies"]


def test_the_chronicle_is_the_library_chronicle_with_mechanisms_and_locators(client: TestClient) -> None:
    response = client.post("/api/chronicle", json={**SHORT, "run": 3, "seed": 2})
    assert response.status_code == 200, response.text
    lines = response.json()["lines"]
    scenario = load_scenario(SCENARIO)
    expected = chronicle(compile_scenario(scenario), 3, seed=2, start="october_1970", until=parse_month("1971-09"))
    assert lines and [line["text"] for line in lines] == [line.text for line in expected]  # a run with events
    assert all(line["mechanism"] and line["mechanism_title"] for line in lines)
    assert any(line["locators"] for line in lines)
    for line in lines:
        for locator in line["locators"]:
            assert {"section", "start", "end", "text"} <= set(locator)
    refused = client.post("/api/chronicle", json={**SHORT, "run": 1, "arm": "intervention"})
    assert refused.status_code == 422 and "needs an intervention" in refused.json()["detail"]


def test_history_lists_records_and_reopening_reproduces_them(client: TestClient) -> None:
    job = run(client, runs=120, seed=9, changes={"mechanisms.coup.decisiveness": 2.5}, **SHORT)
    deadline = time.monotonic() + 30
    while job["record_id"] is None and time.monotonic() < deadline:  # a split what-if is recorded just after it is shown
        time.sleep(0.05)
        job = client.get(f"/api/jobs/{job['id']}").json()
    records = client.get("/api/history").json()
    record = next(r for r in records if r["id"] == job["record_id"])
    assert record["kind"] == "whatif" and record["reopenable"] and record["seed"] == 9
    response = client.post(f"/api/history/{record['id']}/open")
    assert response.status_code == 202, response.text
    reopened = wait(client, response.json()["id"])
    assert reopened["result"]["reopened"] == {"record": record["id"], "reproduced": True}
    assert reopened["result"]["summary"] == job["result"]["summary"]
    assert reopened["record_id"] is None  # a re-run is not recorded twice
    assert client.get(f"/api/history/{record['id']}").json()["id"] == record["id"]


def test_cancel_stops_a_job(client: TestClient) -> None:
    response = client.post("/api/runs", json={"scenario": SCENARIO, "runs": 20_000, "seed": 0})
    job_id = response.json()["id"]
    cancelled = client.post(f"/api/jobs/{job_id}/cancel").json()
    assert cancelled["id"] == job_id
    job = wait(client, job_id)
    assert job["status"] == "cancelled"
    assert job["progress"]["done"] < 20_000 and job["result"] is None


def test_serve_refuses_bad_options_before_starting(tmp_path) -> None:
    from typer.testing import CliRunner

    from coyuntura.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 2 and "--port must be between 1 and 65535" in result.output
    result = runner.invoke(app, ["serve", "--scenario", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1 and "missing.yaml" in result.output and "no such file" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Not An Id\n")
    result = runner.invoke(app, ["serve", "--scenario", str(bad)])
    assert result.exit_code == 1 and "bad.yaml" in result.output


def test_registered_scenarios_are_served_by_id_only(tmp_path) -> None:
    from coyuntura.scenario.loader import bundled_scenarios
    from coyuntura.web import Catalog

    text = bundled_scenarios()[SCENARIO].read_text(encoding="utf-8").replace("id: bolivia-1952", "id: bolivia-copy", 1)
    path = tmp_path / "copy.yaml"
    path.write_text(text, encoding="utf-8")
    with TestClient(create_app(Catalog([path]), processes=False)) as local:
        assert [s["id"] for s in local.get("/api/scenarios").json()] == ["bolivia-1952", "bolivia-copy", "chile-1970"]
        assert local.get("/api/scenarios/bolivia-copy").json()["title"]
        # the file's path is not a way in: only ids are accepted
        assert local.post("/api/runs", json={"scenario": str(path)}).status_code == 422
        assert local.get("/api/scenarios/copy").status_code == 404
    with pytest.raises(ValueError, match="already taken"):
        Catalog([path, path])


# --- a scenario's own vocabulary: its plug-ins' kinds of event, its names and colours of the regime types -------


def test_a_plug_in_s_own_outcome_is_offered_counted_and_compared(tmp_path) -> None:
    from coyuntura.web import Catalog
    from plugin_example import countryside_copy

    with TestClient(create_app(Catalog([countryside_copy(tmp_path)]), processes=False)) as local:
        outcomes = {o["key"]: o["label"] for o in local.get("/api/scenarios/countryside-1971").json()["outcomes"]}
        assert outcomes["land_seizure"] == "Wave of land seizures" and "coup_success" not in outcomes  # what it can have
        request = {"scenario": "countryside-1971", "runs": 200, "seed": 3, "until": "1972-06"}
        plain = run(local, **request)["result"]
        assert plain["summary"]["outcomes"]["land_seizure"]["p"] > 0.5 and plain["examples"]["land_seizure"]
        result = run(local, **request, changes={"mechanisms.land_seizures.intercept": -9.0})["result"]
    rows = {row["key"]: row for row in result["comparison"]["rows"]}
    assert rows["land_seizure"]["label"] == "Wave of land seizures" and "coup_success" not in rows  # as the command's table
    assert rows["land_seizure"]["difference"] < -0.3 and rows["land_seizure"]["high"] < 0  # far fewer waves on the same runs
    assert result["examples"]["land_seizure"]["lost"] and result["summary"]["outcomes"]["land_seizure"]["difference"] == rows["land_seizure"]["difference"]


def test_the_page_gets_a_scenario_s_names_and_colours_of_the_regime_types(tmp_path) -> None:
    from coyuntura.scenario.vocabulary import REGIME_LABELS
    from coyuntura.web import Catalog

    own = {"nationalist_military": ("Ovando's officers", "#112233"), "right_military": ("The junta", "#445566")}
    text = (Path(__file__).resolve().parent / "data" / "toy.yaml").read_text(encoding="utf-8")
    for key, (label, colour) in own.items():
        text = text.replace(f"\n  {key}:\n", f'\n  {key}:\n    label: "{label}"\n    colour: "{colour}"\n', 1)
    path = tmp_path / "toy.yaml"
    path.write_text(text, encoding="utf-8")
    with TestClient(create_app(Catalog([path]), processes=False)) as local:
        detail = local.get("/api/scenarios/toy").json()
        bolivia = local.get(f"/api/scenarios/{SCENARIO}").json()
        result = run(local, scenario="toy", runs=100, seed=1, changes={"mechanisms.coup.decisiveness": 3.0})["result"]
        plain = run(local, runs=50, seed=1, **SHORT)["result"]
    labels = dict(zip(REGIME_KEYS, [*REGIME_LABELS.values()]))
    labels.update({key: label for key, (label, _) in own.items()})
    colours = [own[key][1] if key in own else None for key in REGIME_KEYS]
    assert [r["label"] for r in detail["regimes"]] == [labels[key] for key in REGIME_KEYS]
    assert detail["government"]["label"] == "Ovando's officers"  # the toy starts under a nationalist military government
    for arm in ("baseline", "intervention"):
        assert result[arm]["regimes"]["labels"] == [labels[key] for key in REGIME_KEYS] and result[arm]["regimes"]["colours"] == colours
    rows = {row["key"]: row["label"] for row in result["comparison"]["rows"]}
    assert rows["end_right_military"] == "At the end: The junta" and rows["end_civilian_nationalist"] == f"At the end: {REGIME_LABELS['civilian_nationalist']}"
    # a scenario that names none keeps the engine's names and the page's colours
    assert [r["label"] for r in bolivia["regimes"]] == list(REGIME_LABELS.values())
    assert plain["baseline"]["regimes"]["labels"] == list(REGIME_LABELS.values()) and plain["baseline"]["regimes"]["colours"] == [None] * 5
