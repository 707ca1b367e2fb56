"""The run store: records, items, Parquet artifacts, concurrent writers, and a sweep killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.experiments.measures import OUTCOME_NAMES
from coyuntura.experiments.sweeps import Sweep, run_sweep
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario
from coyuntura.store import STORE_ENV, Item, RunStore, StoreError, default_store_path, scenario_hash
from coyuntura.store.records import compare_records, outcome_label, record_run

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

SWEEP_CODE = """
from coyuntura.experiments.sweeps import Sweep
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario

def make_sweep():
    points = tuple({"mechanisms.coup.decisiveness": 1.0 + 0.25 * i, "mechanisms.coup.army_coef": 1.5 * i} for i in range(12))
    return Sweep(load_scenario("bolivia-1952"), points, n_runs=100, seed=3, start="october_1970", until=parse_month("1971-06"))
"""


def make_sweep() -> Sweep:
    namespace: dict = {}
    exec(SWEEP_CODE, namespace)
    return namespace["make_sweep"]()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_default_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "x.duckdb"))
    assert default_store_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv(STORE_ENV)
    assert default_store_path().name == "runs.duckdb" and "coyuntura" in str(default_store_path())
    with pytest.raises(StoreError, match="is a folder"):
        RunStore(tmp_path)


def test_a_run_is_recorded_with_hash_seed_version_and_parquet(tmp_path):
    scenario = load_scenario("bolivia-1952")
    store = RunStore(tmp_path / "runs.duckdb")
    ensemble = simulate(compile_scenario(scenario), 200, seed=4, start="march_1971", until=parse_month("1972-03"))
    first = record_run(store, "run", scenario, ensemble, 1.25, {"from": "march_1971"})
    second = record_run(store, "forecast", scenario, simulate(compile_scenario(scenario), 200, seed=5, start="march_1971", until=parse_month("1972-03")), 1.0)
    shown = store.show(first[:5])
    assert shown["id"] == first and shown["scenario_hash"] == scenario_hash(scenario) and len(shown["scenario_hash"]) == 64
    assert shown["seed"] == 4 and shown["n_runs"] == 200 and shown["wall_time"] == 1.25 and shown["code_version"].startswith("0.")
    assert shown["parameters"] == {"from": "march_1971"} and shown["status"] == "complete"
    assert shown["summary"]["outcomes"]["coup_success"]["p"] == pytest.approx(ensemble.outcome_counts_total[1] / 200)
    regimes = store.read_artifact(first, "final_regime")
    assert np.array_equal(regimes["regime"], ensemble.final_regime)
    assert [r["id"] for r in store.records()] == [second, first] and [r["id"] for r in store.records(kind="run")] == [first]
    table = compare_records(store.show(first), store.show(second))
    assert table.row("coup_success")["difference"] == pytest.approx(
        store.show(second)["summary"]["outcomes"]["coup_success"]["p"] - shown["summary"]["outcomes"]["coup_success"]["p"]
    )
    assert not any("cover different months" in note for note in table.notes)
    shorter = record_run(store, "run", scenario, simulate(compile_scenario(scenario), 50, seed=4, start="march_1971", until=parse_month("1971-09")), 1.0)
    spans = compare_records(store.show(first), store.show(shorter)).notes
    assert any("cover different months (1971-03..1972-03 and 1971-03..1971-09)" in note for note in spans), spans
    with pytest.raises(StoreError, match="no record 'ffff'"):
        store.show("ffff")
    exported = store.export(first, tmp_path / "export")
    names = sorted(p.name for p in exported.iterdir())
    assert "final_regime.parquet" in names and "record.json" in names and "dataset-var-regime_runs.parquet" in names
    assert json.loads((exported / "record.json").read_text())["id"] == first
    with pytest.raises(StoreError, match="not empty"):
        store.export(first, tmp_path / "export")


def test_a_run_record_s_summary_keeps_a_plug_in_s_own_outcome(tmp_path):
    from coyuntura.experiments.measures import outcome_counts
    from plugin_example import countryside_copy

    countryside = load_scenario(countryside_copy(tmp_path))
    ensemble = simulate(compile_scenario(countryside), 100, seed=1)
    store = RunStore(tmp_path / "runs.duckdb")
    first = record_run(store, "run", countryside, ensemble, 1.0)
    summary = store.show(first)["summary"]["outcomes"]
    assert summary["land_seizure"]["p"] == outcome_counts(ensemble)["land_seizure"] / 100 > 0.5  # the plug-in fires in most runs
    assert summary["land_seizure"]["se"] > 0 and "general_strike" in summary and "end_civilian_nationalist" in summary
    second = record_run(store, "run", countryside, simulate(compile_scenario(countryside), 100, seed=2), 1.0)
    compared = compare_records(store.show(first), store.show(second))
    assert compared.row("land_seizure")["difference"] == pytest.approx(
        store.show(second)["summary"]["outcomes"]["land_seizure"]["p"] - summary["land_seizure"]["p"]
    )
    # Records keep the scenario's names: the plug-in's kind of event and its own regime labels, not the raw keys.
    assert compared.row("land_seizure")["label"] == "Wave of land seizures" == summary["land_seizure"]["label"]
    chile = load_scenario("chile-1970")
    record = store.show(record_run(store, "run", chile, simulate(compile_scenario(chile), 20, seed=1, until=chile.calendar.start + 2), 1.0))
    assert outcome_label(record, "end_right_military") == "At the end: Military junta"
    assert outcome_label({"summary": {"outcomes": {}}}, "coup_success") == "Successful coup"  # a record that kept no labels


def test_items_are_stored_once_whatever_is_written_twice(tmp_path):
    store = RunStore(tmp_path / "runs.duckdb")
    record = store.begin("sweep", key="k")
    assert store.add_items(record, [Item("0", 0, {"x": 1}, {"y": 2}), Item("1", 1, {"x": 2}, {"y": 3})]) == 2
    assert store.add_items(record, [Item("1", 1, {"x": 2}, {"y": 99}), Item("2", 2, {"x": 3}, {"y": 4})]) == 1
    assert [(i["key"], i["result"]["y"]) for i in store.items(record)] == [("0", 2), ("1", 3), ("2", 4)]
    with pytest.raises(StoreError, match="no record"):
        store.add_items("missing", [Item("0", 0, {}, {})])


@pytest.mark.integration
def test_two_processes_writing_at_once_do_not_corrupt_the_store(tmp_path):
    path = tmp_path / "runs.duckdb"
    script = textwrap.dedent(
        """
        import sys
        from coyuntura.store import Item, RunStore
        store = RunStore(sys.argv[1])
        for i in range(8):
            record = store.begin("sweep", name=sys.argv[2], key=f"{sys.argv[2]}-{i}")
            store.add_items(record, [Item(str(k), k, {"i": i}, {"k": k}) for k in range(3)])
            store.finish(record, 0.1, {"i": i})
        """
    )
    children = [subprocess.Popen([sys.executable, "-c", script, str(path), name], env=_child_env()) for name in ("a", "b")]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    store = RunStore(path)
    records = store.records(limit=100)
    assert len(records) == 16 and {r["name"] for r in records} == {"a", "b"}
    assert all(r["status"] == "complete" and r["items"] == 3 for r in records)
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("SELECT count(*), count(DISTINCT record_id || '/' || item_key) FROM items").fetchone() == (48, 48)


@pytest.mark.integration
def test_a_sweep_killed_midway_resumes_without_losing_or_repeating_a_point(tmp_path):
    path = tmp_path / "runs.duckdb"
    sweep = make_sweep()
    script = SWEEP_CODE + textwrap.dedent(
        """
        import sys
        from coyuntura.experiments.sweeps import run_sweep
        from coyuntura.store import RunStore
        run_sweep(make_sweep(), RunStore(sys.argv[1]), resume=True, points_per_task=1, progress=lambda done: print(done, flush=True))
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True, env=_child_env())
    try:
        reported = 0
        while reported < 4:  # let it finish four points, then kill it without warning
            line = child.stdout.readline()
            assert line, "the sweep ended before it could be killed"
            reported = int(line)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    store = RunStore(path)
    [record] = store.records()
    assert record["status"] == "running" and 4 <= record["items"] < len(sweep.points)
    kept = record["items"]

    resumed = run_sweep(sweep, store, resume=True, points_per_task=3)
    assert resumed.record_id == record["id"] and resumed.computed == len(sweep.points) - kept
    again = run_sweep(sweep, store, resume=True)
    assert again.computed == 0 and again.record_id == record["id"]

    uninterrupted = run_sweep(sweep, None)
    assert np.array_equal(resumed.counts, uninterrupted.counts)
    items = store.items(record["id"])
    assert [item["key"] for item in items] == [str(i) for i in range(len(sweep.points))]  # each point exactly once
    stored = np.array([[item["result"]["counts"][name] for name in OUTCOME_NAMES] for item in items])
    assert np.array_equal(stored, uninterrupted.counts)
    assert [item["parameters"] for item in items] == [dict(point) for point in sweep.points]
    assert len(store.records()) == 1 and store.show(record["id"])["status"] == "complete"
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("SELECT count(*), count(DISTINCT item_key) FROM items").fetchone() == (12, 12)
    fresh = run_sweep(sweep, store)  # without --resume a sweep starts a new record
    assert fresh.record_id != record["id"] and fresh.computed == len(sweep.points)


@pytest.mark.integration
def test_runs_commands_list_show_compare_and_export(tmp_path):
    store = str(tmp_path / "runs.duckdb")
    result = runner.invoke(app, ["run", "bolivia-1952", "--from", "march_1971", "--until", "1971-12", "--runs", "100", "--seed", "1",
                                 "--out", str(tmp_path / "rep"), "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    scenario = load_scenario("bolivia-1952")
    other = simulate(compile_scenario(scenario), 100, seed=2, start="march_1971", until=parse_month("1971-12"))
    ids = [json.loads(result.stdout)["record"], record_run(RunStore(store), "run", scenario, other, 0.5, {"from": "march_1971"})]
    listed = json.loads(runner.invoke(app, ["runs", "list", "--store", store, "--json"]).stdout)
    assert [r["id"] for r in listed["records"]] == ids[::-1]
    shown = json.loads(runner.invoke(app, ["runs", "show", ids[0][:6], "--store", store, "--json"]).stdout)
    assert shown["seed"] == 1 and shown["parameters"]["from"] == "march_1971"
    compared = json.loads(runner.invoke(app, ["runs", "compare", ids[0], ids[1], "--store", store, "--json"]).stdout)
    assert [row["outcome"] for row in compared["rows"]] == list(OUTCOME_NAMES)
    text = runner.invoke(app, ["runs", "show", ids[0], "--store", store], env={"COLUMNS": "100"}).stdout
    assert "Successful coup" in text and "final_regime" in text
    result = runner.invoke(app, ["runs", "export", ids[1], "--out", str(tmp_path / "out"), "--store", store, "--json"])
    files = json.loads(result.stdout)["files"]
    assert result.exit_code == 0 and "final_regime.parquet" in files and "record.json" in files
    bad = runner.invoke(app, ["runs", "show", "zzzz", "--store", store])
    assert bad.exit_code == 1 and bad.stderr.startswith("error: no record 'zzzz'")
