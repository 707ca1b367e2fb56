"""The run store never lies (issue 14, items 3, 6 and 8): a damaged, unreadable or unwritable store is a
clear error naming the file and what to do, never a traceback; a command whose record was lost prints its
results and exits non-zero; a record id is given only once the record reads back; `runs verify` finds
what is wrong and `runs repair` keeps what can still be read."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import filelock
import numpy as np
import pytest
from typer.testing import CliRunner

import coyuntura.cli as cli
from coyuntura.cli import app
from coyuntura.scenario.loader import load_scenario
from coyuntura.store import Item, RunStore, StoreError

runner = CliRunner()
EXIT_NOT_RECORDED = 3  # documented: the results are out, the record is not
SCENARIO = "bolivia-1952"
WHATIF = ["whatif", SCENARIO, "--from", "march_1971", "--until", "1971-04", "--runs", "20", "--set", "mechanisms.coup.decisiveness=3", "--json"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture
def fast_load(monkeypatch, scenario):
    """The bundled scenario parsed once for this module (the commands under test are about the store, not the YAML)."""
    monkeypatch.setattr(cli.common, "load_scenario", lambda name: scenario if name == SCENARIO else load_scenario(name))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> RunStore:
    """A store with two finished runs (each with a Parquet artifact) and a sweep with five points."""
    store = RunStore(tmp_path_factory.mktemp("template") / "runs.duckdb")
    for i in range(2):
        store.record("run", 0.5, {"outcomes": {"coup_success": {"p": 0.25, "se": 0.01}}, "pad": "x" * 500},
                     {"final_regime": {"run": np.arange(8), "regime": np.full(8, i, dtype=np.int8)}}, seed=i, n_runs=8, name=f"r{i}")
    sweep = store.begin("sweep", key="k", seed=9, n_runs=4)
    store.add_items(sweep, [Item(str(k), k, {"x": k}, {"y": k * k}) for k in range(5)])
    store.finish(sweep, 1.0, {"points": 5})
    return store


@pytest.fixture
def healthy(template, tmp_path) -> RunStore:
    """A copy of the template store (file and Parquet folder) in this test's folder."""
    shutil.copyfile(template.path, tmp_path / "runs.duckdb")
    shutil.copytree(template.data_dir, tmp_path / "runs-data")
    return RunStore(tmp_path / "runs.duckdb")


def truncate(path: Path, fraction: float = 0.5) -> None:
    os.truncate(path, int(path.stat().st_size * fraction))


class LosesCommits:
    """A DuckDB connection whose COMMIT silently rolls back: the write looks done and is not there."""

    def __init__(self, connection):
        self._connection = connection

    def execute(self, sql, *args):
        return self._connection.execute("ROLLBACK" if sql.strip().upper() == "COMMIT" else sql, *args)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def lose_commits(monkeypatch) -> None:
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *args, **kwargs: LosesCommits(real(*args, **kwargs)))


def unwritable(kind: str, folder: Path, monkeypatch, healthy: RunStore) -> Path:
    """A --store that cannot be written: a folder, a text file, a file in a read-only folder, a truncated DuckDB file."""
    if kind == "folder":
        (folder / "a-folder").mkdir()
        return folder / "a-folder"
    if kind == "text file":
        (folder / "notes.txt").write_text("not a database\n")
        return folder / "notes.txt"
    if kind == "truncated file":
        truncate(healthy.path)
        return healthy.path
    readonly = folder / "readonly"
    readonly.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: make the lock fail as it does in a read-only folder
        def refuse(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied", self.lock_file)

        monkeypatch.setattr(filelock.FileLock, "acquire", refuse)
    else:
        readonly.chmod(0o555)
    return readonly / "runs.duckdb"


# --- item 3: a truncated store -------------------------------------------------------------------


@pytest.mark.integration
def test_defect3_truncated_store_is_a_store_error_naming_the_file_and_the_repair(healthy):
    store = healthy
    truncate(store.path)
    with pytest.raises(StoreError, match="runs repair"):
        RunStore(store.path).records()
    listed = runner.invoke(app, ["runs", "list", "--store", str(store.path)])
    assert listed.exit_code == 1, listed.output  # a failure, not a usage error
    assert listed.exception is None or isinstance(listed.exception, SystemExit)
    assert str(store.path) in listed.stderr and "coyuntura runs repair --store" in listed.stderr and "Traceback" not in listed.output


@pytest.mark.integration
def test_defect3_run_on_a_truncated_store_prints_its_tables_and_exits_non_zero_without_an_id(tmp_path, monkeypatch, fast_load, healthy):
    store = healthy
    monkeypatch.setattr("coyuntura.report.folder.write_report", lambda ensemble, folder, *args, **kwargs: Path(folder))  # charts are not under test
    truncate(store.path)
    result = runner.invoke(app, ["run", SCENARIO, "--from", "march_1971", "--until", "1971-04", "--runs", "20",
                                 "--out", str(tmp_path / "report"), "--store", str(store.path), "--json"])
    assert result.exit_code == EXIT_NOT_RECORDED, result.output
    printed = json.loads(result.stdout)
    assert printed["regime_table"]["rows"] and printed["record"] is None and str(store.path) in printed["record_error"]
    assert "not recorded" in result.stderr and str(store.path) in result.stderr


@pytest.mark.integration
def test_defect3_a_record_id_is_given_only_once_the_record_reads_back(tmp_path, monkeypatch, fast_load):
    store = RunStore(tmp_path / "runs.duckdb")
    store.records()  # the file and its tables exist
    lose_commits(monkeypatch)
    with pytest.raises(StoreError, match="cannot be read back"):
        store.record("run", 0.1, {"outcomes": {}}, seed=1, n_runs=1)
    result = runner.invoke(app, [*WHATIF, "--store", str(store.path)])
    assert result.exit_code == EXIT_NOT_RECORDED, result.output
    assert json.loads(result.stdout)["record"] is None
    monkeypatch.undo()
    assert RunStore(store.path).records() == []


# --- item 6: runs list --limit --------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("limit", ["-1", "0", str(2**63)])
def test_defect6_runs_list_refuses_a_negative_or_huge_limit(tmp_path, limit):
    result = runner.invoke(app, ["runs", "list", "--limit", limit, "--store", str(tmp_path / "runs.duckdb")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --limit must be a whole number from 1 to") and "Traceback" not in result.output
    with pytest.raises(ValueError, match="whole number from 1"):
        RunStore(tmp_path / "runs.duckdb").records(limit=int(limit))


# --- item 8: a store that cannot be written -------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["folder", "text file", "read-only folder", "truncated file"])
def test_defect8_an_unwritable_store_prints_the_results_then_exits_non_zero(tmp_path, monkeypatch, fast_load, healthy, kind):
    path = unwritable(kind, tmp_path, monkeypatch, healthy)
    result = runner.invoke(app, [*WHATIF, "--store", str(path)])
    assert result.exit_code == EXIT_NOT_RECORDED, result.output
    printed = json.loads(result.stdout)
    assert printed["table"]["rows"] and printed["record"] is None
    assert result.stderr.startswith("error: the what-if was not recorded in the run store: ") and str(path) in result.stderr
    assert not (tmp_path / "notes-data").exists()  # no Parquet left beside a file that is not a store


def test_defect8_a_store_in_a_read_only_folder_can_still_be_listed(tmp_path, monkeypatch, healthy):
    store = healthy
    unwritable("read-only folder", tmp_path, monkeypatch, healthy)  # the lock can no longer be taken
    assert [r["name"] for r in RunStore(store.path).records()] == [None, "r1", "r0"]
    with pytest.raises(StoreError, match="writable"):
        RunStore(store.path).begin("run")


@pytest.mark.web
def test_defect8_web_a_record_that_fails_is_not_reported_as_saved(tmp_path, monkeypatch, scenario):
    from coyuntura.web.compute import prepare, run_request
    from coyuntura.web.models import RunRequest

    request = RunRequest(scenario=SCENARIO, start="march_1971", until="1971-04", runs=10, seed=1)
    prepared = prepare(scenario, request)
    saved = run_request(prepared, request, store=RunStore(tmp_path / "runs.duckdb"))
    assert saved["record_id"] and RunStore(tmp_path / "runs.duckdb").show(saved["record_id"])["n_runs"] == 10
    lose_commits(monkeypatch)
    lost = run_request(prepared, request, store=RunStore(tmp_path / "runs.duckdb"))
    assert lost["record_id"] is None and "cannot be read back" in lost["store_error"]
    assert lost["summary"] == saved["summary"]


# --- runs verify and runs repair ------------------------------------------------------------------


@pytest.mark.integration
def test_runs_verify_checks_the_tables_and_the_parquet_files(tmp_path, healthy):
    store = healthy
    ok = runner.invoke(app, ["runs", "verify", "--store", str(store.path)])
    assert ok.exit_code == 0 and "OK: no problems found" in ok.stdout and "3 records" in ok.stdout and "2 Parquet files read" in ok.stdout
    first = store.show(store.records(kind="run")[0]["id"])["artifacts"][0]["path"]
    Path(first).write_bytes(b"PAR1 damaged")
    (store.data_dir / "stray").mkdir()
    (store.data_dir / "stray" / "left.parquet").write_bytes(b"")
    found = json.loads(runner.invoke(app, ["runs", "verify", "--store", str(store.path), "--json"]).stdout)
    assert not found["ok"] and len(found["problems"]) == 1 and "cannot be read" in found["problems"][0]
    assert any("belong to no record" in note for note in found["notes"])
    truncate(store.path)
    damaged = runner.invoke(app, ["runs", "verify", "--store", str(store.path)])
    assert damaged.exit_code == 1 and "problem: table records" in damaged.stdout and "runs repair" in damaged.stderr
    missing = runner.invoke(app, ["runs", "verify", "--store", str(tmp_path / "nothing.duckdb")])
    assert missing.exit_code == 1 and "no run store" in missing.stdout


@pytest.mark.integration
def test_runs_repair_moves_a_damaged_store_aside_and_keeps_what_can_be_read(tmp_path, healthy):
    from coyuntura.store.check import repair_store, verify_store

    store = healthy
    assert not repair_store(store).repaired  # nothing to repair
    size = store.path.stat().st_size
    truncate(store.path)
    assert not verify_store(store).ok
    result = runner.invoke(app, ["runs", "repair", "--store", str(store.path), "--json"])
    assert result.exit_code == 0, result.output
    repair = json.loads(result.stdout)
    moved = Path(repair["moved_to"])
    assert moved.name.startswith("runs.duckdb.damaged-") and moved.stat().st_size == size // 2  # kept, never deleted
    assert repair["after"]["ok"] and repair["kept"]["records"] == 3
    records = RunStore(store.path).records()
    assert {r["id"] for r in records} == {r["id"] for r in healthy_records(tmp_path)}
    listed = runner.invoke(app, ["runs", "list", "--store", str(store.path)])
    assert listed.exit_code == 0
    text = tmp_path / "notes.txt"
    text.write_text("mine\n")
    refused = runner.invoke(app, ["runs", "repair", "--store", str(text)])
    assert refused.exit_code == 1 and "not a DuckDB file" in refused.stderr and text.read_text() == "mine\n"


def healthy_records(folder: Path) -> list[dict]:
    """The ids the damaged store held, read from the copy moved aside (its id column survives a cut in half)."""
    [moved] = folder.glob("runs.duckdb.damaged-*")
    with duckdb.connect(str(moved), read_only=True) as connection:
        return [{"id": row[0]} for row in connection.execute("SELECT id FROM records").fetchall()]
