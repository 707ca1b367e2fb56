"""Checking a run store (``coyuntura runs verify``) and repairing a damaged one (``coyuntura runs repair``).

:func:`verify_store` opens the store read-only, reads every row of every table (so a
truncated or damaged file shows up), checks each record's JSON, the links between
records, items and artifacts, and reads every Parquet file the store lists. It reports
problems (the store is not what it should be) and notes (harmless leftovers, such as a
Parquet file a failed write left behind) and changes nothing.

:func:`repair_store` moves a store with problems aside (``<file>.damaged-<time>``,
never deleted) and writes a new one at the same path from what can still be read:
every record whose id is readable (columns that cannot be read are left empty and the
record's status becomes ``damaged``), the sweep points with readable results, the
artifacts whose Parquet files read back, and the Parquet files on disk of salvaged
records that the damaged file no longer lists.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import StoreError, first_line
from .runstore import RunStore
from .schema import SCHEMA, is_duckdb_file

TABLES = ("records", "items", "artifacts")
JSON_COLUMNS = {"records": ("parameters", "summary"), "items": ("parameters", "result")}
STATUSES = ("running", "complete", "damaged")
MAX_LISTED = 10
"""Artifact problems listed one by one; the rest are counted."""


@dataclass
class StoreCheck:
    """What :func:`verify_store` found: problems (the store is damaged), notes (harmless) and what it read."""

    path: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    repairable: bool = False
    """Whether :func:`repair_store` can work on it (a DuckDB file with problems)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"store": str(self.path), "ok": self.ok, "repairable": self.repairable, "problems": list(self.problems),
                "notes": list(self.notes), "counts": dict(self.counts)}


@dataclass
class Repair:
    """What :func:`repair_store` did: where the damaged file went, what was kept and lost, and the new store's check."""

    path: Path
    repaired: bool
    moved_to: Path | None = None
    kept: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    relinked: int = 0
    damaged: int = 0
    """Records kept with some columns lost (their status is now ``damaged``)."""
    unreadable: str | None = None
    """Why nothing could be read from the damaged file, if so."""
    before: StoreCheck | None = None
    after: StoreCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": str(self.path), "repaired": self.repaired, "moved_to": str(self.moved_to) if self.moved_to else None,
            "kept": dict(self.kept), "lost": dict(self.lost), "relinked": self.relinked, "damaged": self.damaged, "unreadable": self.unreadable,
            "before": self.before.to_dict() if self.before else None, "after": self.after.to_dict() if self.after else None,
        }


def expected_columns() -> dict[str, list[str]]:
    """Each table's columns as :data:`~coyuntura.store.schema.SCHEMA` creates them."""
    import duckdb

    with duckdb.connect(":memory:") as connection:
        for statement in SCHEMA:
            connection.execute(statement)
        rows = connection.execute("SELECT table_name, column_name FROM duckdb_columns() ORDER BY table_name, column_index").fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


def read_table(connection: Any, table: str, columns: list[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every row of ``table`` as a dict, and the columns that could not be read (with the error).

    A damaged column is missing from the rows' dicts; the others are still read, column by
    column, aligned by DuckDB's ``rowid``.
    """
    import duckdb

    try:
        rows = connection.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        return [dict(zip(columns, row)) for row in rows], {}
    except duckdb.Error:
        pass
    try:
        rowids = [row[0] for row in connection.execute(f"SELECT rowid FROM {table} ORDER BY rowid").fetchall()]
    except duckdb.Error as error:
        return [], {column: first_line(error) for column in columns}
    rows = {rowid: {} for rowid in rowids}
    damaged = {}
    for column in columns:
        try:
            values = connection.execute(f"SELECT rowid, {column} FROM {table} ORDER BY rowid").fetchall()
        except duckdb.Error as error:
            damaged[column] = first_line(error)
            continue
        for rowid, value in values:
            if rowid in rows:
                rows[rowid][column] = value
    return list(rows.values()), damaged


def _parquet_rows(path: Path) -> int:
    """Read a whole Parquet file (so damage anywhere in it shows); its number of rows."""
    import pyarrow.parquet as pq

    return pq.read_table(path).num_rows


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def verify_store(store: RunStore) -> StoreCheck:
    """Check the store's file, every row of its tables and every Parquet file it lists; change nothing."""
    import duckdb

    check = StoreCheck(store.path)
    path = store.path
    if path.is_dir():
        check.problems.append(f"{path} is a folder, not a run store file")
        return check
    if not path.exists():
        check.problems.append(f"there is no run store at {path} (nothing has been recorded there)")
        return check
    if not is_duckdb_file(path):
        size = path.stat().st_size
        check.problems.append(f"{path} is not a DuckDB database ({size:,} bytes{', empty' if size == 0 else ''})")
        return check
    check.repairable = True  # if any problem is found below
    with store.lock(write=False):
        try:
            connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            check.problems.append(f"the database cannot be opened: {first_line(error)}")
            return check
        try:
            tables = _verify_tables(connection, check)
        finally:
            try:
                connection.close()
            except duckdb.Error:
                pass
    _verify_links(store, tables, check)
    return check


def _verify_tables(connection: Any, check: StoreCheck) -> dict[str, list[dict[str, Any]]]:
    import duckdb

    expected = expected_columns()
    try:
        present: dict[str, list[str]] = {}
        for table, column in connection.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' ORDER BY table_name, column_index"
        ).fetchall():
            present.setdefault(table, []).append(column)
    except duckdb.Error as error:
        check.problems.append(f"the list of tables cannot be read: {first_line(error)}")
        return {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        if table not in present:
            check.problems.append(f"table {table} is missing")
            continue
        missing = [c for c in expected[table] if c not in present[table]]
        if missing:
            check.problems.append(f"table {table} lacks the columns {', '.join(missing)}")
        rows, damaged = read_table(connection, table, [c for c in expected[table] if c in present[table]])
        if damaged:
            first = next(iter(damaged.values()))
            check.problems.append(f"table {table}: {len(rows):,} rows, but the columns {', '.join(damaged)} cannot be read ({first})")
        check.counts[table] = len(rows)
        tables[table] = rows
        for column in JSON_COLUMNS.get(table, ()):
            bad = 0
            for row in rows:
                if row.get(column) is not None:
                    try:
                        json.loads(row[column])
                    except (TypeError, ValueError):
                        bad += 1
            if bad:
                check.problems.append(f"table {table}: {bad} rows hold damaged JSON in {column}")
    statuses: dict[str, int] = {}
    for row in tables.get("records", []):
        if "status" in row:
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    for status, count in sorted(statuses.items()):
        if status == "running":
            check.notes.append(f"{count} record(s) never finished (an interrupted sweep resumes with --resume; a run that failed stays so)")
        elif status == "damaged":
            check.notes.append(f"{count} record(s) were partly lost in an earlier repair (status 'damaged')")
        elif status not in STATUSES:
            check.problems.append(f"{count} record(s) have the unknown status {status!r}")
    return tables


def _verify_links(store: RunStore, tables: dict[str, list[dict[str, Any]]], check: StoreCheck) -> None:
    records = tables.get("records")
    ids = {row["id"] for row in records if row.get("id") is not None} if records is not None else None
    if ids is not None:
        for table in ("items", "artifacts"):
            orphans = {row["record_id"] for row in tables.get(table, []) if row.get("record_id") is not None and row["record_id"] not in ids}
            if orphans:
                check.problems.append(f"table {table} has rows of {len(orphans)} record(s) that are not in records: {', '.join(sorted(orphans)[:5])}")
    listed: set[Path] = set()
    artifact_problems: list[str] = []
    read = 0
    for row in tables.get("artifacts", []):
        if row.get("path") is None:
            continue
        where = store.path.parent / row["path"]
        label = f"record {row.get('record_id')}'s artifact {row.get('name')!r} ({row['path']})"
        if Path(row["path"]).is_absolute() or not _inside(store.path.parent, where):
            artifact_problems.append(f"{label} lies outside the store's folder {store.path.parent}")
            continue
        listed.add(where.resolve())
        if not where.is_file():
            artifact_problems.append(f"{label}: the Parquet file is missing")
            continue
        try:
            rows = _parquet_rows(where)
        except Exception as error:  # noqa: BLE001 - any failure to read the file is the problem reported
            artifact_problems.append(f"{label}: the Parquet file cannot be read: {first_line(error)}")
            continue
        read += 1
        if row.get("rows") is not None and rows != row["rows"]:
            artifact_problems.append(f"{label}: the Parquet file holds {rows:,} rows, the store says {row['rows']:,}")
    check.problems += artifact_problems[:MAX_LISTED]
    if len(artifact_problems) > MAX_LISTED:
        check.problems.append(f"... and {len(artifact_problems) - MAX_LISTED:,} more artifacts with problems ({len(artifact_problems):,} in all)")
    check.counts["parquet_files_read"] = read
    if "artifacts" in tables and not any("table artifacts" in problem for problem in check.problems) and store.data_dir.is_dir():
        stray = [p for p in store.data_dir.rglob("*.parquet") if p.resolve() not in listed]
        temporary = list(store.data_dir.rglob("*.tmp"))
        if stray:
            check.notes.append(f"{len(stray)} Parquet file(s) in {store.data_dir} belong to no record (left by a write that failed); they can be deleted")
        if temporary:
            check.notes.append(f"{len(temporary)} temporary file(s) in {store.data_dir} (left by a write that was killed); they can be deleted")


def repair_store(store: RunStore) -> Repair:
    """Move a store with problems aside and rebuild it at the same path from what can still be read."""
    import duckdb

    before = verify_store(store)
    repair = Repair(store.path, repaired=False, before=before)
    if before.ok:
        repair.after = before
        return repair
    path = store.path
    if path.is_dir():
        raise StoreError(f"run store {path} is a folder: nothing to repair; give --store a file")
    if not path.exists():
        raise StoreError(f"there is no run store at {path}: nothing to repair")
    if path.stat().st_size > 0 and not is_duckdb_file(path):
        raise StoreError(f"{path} is not a DuckDB file, so not a run store; it is left as it is: give --store another file")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    serial = 1
    while aside.exists():
        serial += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{serial}")
    expected = expected_columns()
    with store.lock(write=True):
        try:
            os.replace(path, aside)
            wal = Path(str(path) + ".wal")
            if wal.exists():
                os.replace(wal, Path(str(aside) + ".wal"))
        except OSError as error:
            raise store.failure(f"move it aside to {aside}", error) from None
        repair.moved_to = aside
        salvaged: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
        totals: dict[str, int] = {}
        try:
            old = duckdb.connect(str(aside), read_only=True)
        except duckdb.Error as error:
            old = None
            repair.unreadable = first_line(error)
        if old is not None:
            try:
                present = {table for (table,) in old.execute("SELECT DISTINCT table_name FROM duckdb_columns() WHERE schema_name = 'main'").fetchall()}
                for table in TABLES:
                    if table in present:
                        salvaged[table], _ = read_table(old, table, expected[table])
            except duckdb.Error as error:
                repair.unreadable = first_line(error)
            finally:
                try:
                    old.close()
                except duckdb.Error:
                    pass
        for table in TABLES:
            totals[table] = len(salvaged[table])
        rows = _salvage(store, salvaged, expected, repair)
        try:
            with duckdb.connect(str(path)) as new:
                for statement in SCHEMA:
                    new.execute(statement)
                new.execute("BEGIN TRANSACTION")
                for table in TABLES:
                    if rows[table]:
                        columns = expected[table]
                        new.executemany(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                            [[row.get(c) for c in columns] for row in rows[table]],
                        )
                new.execute("COMMIT")
        except duckdb.Error as error:
            raise store.failure("write the repaired store", error) from None
        for table in TABLES:
            repair.kept[table] = len(rows[table]) - (repair.relinked if table == "artifacts" else 0)
            repair.lost[table] = max(0, totals[table] - repair.kept[table])
    store._ready = False
    repair.repaired = True
    repair.after = verify_store(store)
    return repair


def _salvage(store: RunStore, salvaged: dict[str, list[dict[str, Any]]], expected: dict[str, list[str]], repair: Repair) -> dict[str, list[dict[str, Any]]]:
    """The rows worth keeping, filled so that they satisfy the schema; Parquet files of kept records relinked."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    records: dict[str, dict[str, Any]] = {}
    for row in salvaged["records"]:
        if row.get("id") is None or row["id"] in records:
            continue
        lost = [c for c in expected["records"] if c not in row]
        for column in JSON_COLUMNS["records"]:
            if row.get(column) is not None:
                try:
                    json.loads(row[column])
                except (TypeError, ValueError):
                    row[column] = None
                    lost.append(column)
        if row.get("status") not in STATUSES:
            lost.append("status")
        row = dict(row)
        row.setdefault("kind", "unknown")
        row.setdefault("created", now)
        if lost:
            row["status"] = "damaged"
            repair.damaged += 1
        records[row["id"]] = row
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for row in salvaged["items"]:
        key: tuple[Any, Any] = (row.get("record_id"), row.get("item_key"))
        if None in key or key[0] not in records or key in items:
            continue
        try:
            json.loads(row["parameters"])
            json.loads(row["result"])
        except (KeyError, TypeError, ValueError):
            continue  # a sweep point without its result: a resumed sweep computes it again
        row = dict(row)
        row.setdefault("created", now)
        items[key] = row
    artifacts: dict[tuple[str, str], dict[str, Any]] = {}
    for row in salvaged["artifacts"]:
        key = (row.get("record_id"), row.get("name"))
        if None in key or key[0] not in records or key in artifacts or row.get("path") is None:
            continue
        where = store.path.parent / row["path"]
        if Path(row["path"]).is_absolute() or not _inside(store.path.parent, where):
            continue
        try:
            artifacts[key] = dict(row, rows=_parquet_rows(where))
        except Exception:  # noqa: BLE001 - a missing or damaged file is dropped
            continue
    for record_id in records:
        folder = store.data_dir / record_id
        if not folder.is_dir():
            continue
        for file in sorted(folder.glob("*.parquet")):
            key = (record_id, file.stem)
            if key in artifacts or not file.stem.replace("_", "").replace("-", "").isalnum():
                continue
            try:
                artifacts[key] = {"record_id": record_id, "name": file.stem, "path": str(file.relative_to(store.path.parent)), "rows": _parquet_rows(file)}
            except Exception:  # noqa: BLE001 - an unreadable file is left where it is
                continue
            repair.relinked += 1
    return {"records": list(records.values()), "items": list(items.values()), "artifacts": list(artifacts.values())}
