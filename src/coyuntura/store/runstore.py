"""The run store: every run, forecast, what-if, sweep and calibration in one embedded DuckDB file.

One row of ``records`` per recorded piece of work: its kind, the scenario's content
hash, parameters, seed, code version, wall time and outcome summaries (JSON). A
sweep's finished points are rows of ``items`` keyed by (record, item key), so a
resumed sweep finds what is done and never stores a point twice. Large per-run data
(event logs, outcome matrices, series) go to Parquet files beside the database,
listed in ``artifacts`` by a path relative to the store's folder.

Concurrency: every access takes the store's file lock, opens the database, does one
short transaction and closes it (:mod:`.connection`). We chose this over
per-process shard files because it keeps one file anyone can query with plain
DuckDB, and sweeps write in small batches so the lock is never held long.

Atomicity: a record's items and artifacts are committed in one DuckDB transaction,
and a Parquet file is written to a temporary name and renamed into place before
the row that references it is committed (:mod:`.artifacts`). A process killed at
any moment leaves every committed item intact and no half-written row.

Failures: every error of DuckDB, of the lock or of the Parquet files becomes a
:class:`StoreError` that names the store's file and says what to do (make it
writable, give another file, or ``coyuntura runs verify`` / ``runs repair`` for a
damaged one; :mod:`.errors`). A record's id is returned only once the record is
committed and has been read back, with its Parquet files, from a fresh connection.

This module holds :class:`RunStore`'s reading and writing; the rest of the store is
split by job: :mod:`.schema` (tables and rows), :mod:`.fingerprint` (hashes and
versions), :mod:`.connection` (file, lock, transaction), :mod:`.artifacts` (Parquet
files) and :mod:`.export`. Their public names are re-exported here, where callers
have always imported them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .artifacts import Written, parquet_rows, read_parquet, remove_written, write_parquet
from .connection import STORE_ENV, StoreFile, default_store_path
from .errors import StoreError, first_line
from .export import EXPORT_FORMATS, export_record
from .fingerprint import canonical_json, code_version, scenario_hash
from .schema import DUCKDB_MAGIC, MAX_LIST, RECORD_COLUMNS, SCHEMA, check_limit, is_duckdb_file, is_foreign_file, record_from_row

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "DUCKDB_MAGIC", "EXPORT_FORMATS", "MAX_LIST", "RECORD_COLUMNS", "SCHEMA", "STORE_ENV", "Item", "RunStore", "StoreError",
    "canonical_json", "check_limit", "code_version", "default_store_path", "is_duckdb_file", "is_foreign_file", "scenario_hash",
]


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Item:
    """One finished point of a sweep: its key, position, parameters and result (JSON-able)."""

    key: str
    position: int
    parameters: Mapping[str, Any]
    result: Mapping[str, Any]
    wall_time: float = 0.0


class RunStore(StoreFile):
    """The embedded run database at ``path`` (default: :func:`default_store_path`): records, sweep points, artifacts."""

    # --- writing ----------------------------------------------------------------------------

    def begin(
        self,
        kind: str,
        scenario: Any | None = None,
        parameters: Mapping[str, Any] | None = None,
        seed: int | None = None,
        n_runs: int | None = None,
        start: str | None = None,
        until: str | None = None,
        name: str | None = None,
        key: str | None = None,
    ) -> str:
        """Open a record (status ``running``) and return its id."""
        row = self._new_row(kind, scenario, parameters, seed, n_runs, start, until, name, key)
        with self.connect() as connection:
            self._insert(connection, row)
        return row["id"]

    def finish(
        self,
        record_id: str,
        wall_time: float,
        summary: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    ) -> None:
        """Close a record: its wall time, outcome summary and Parquet artifacts, in one transaction, then read it back."""
        written = [write_parquet(self, record_id, name, columns) for name, columns in (artifacts or {}).items()]
        with self.connect() as connection:
            self._require(connection, record_id)
            self._complete(connection, record_id, wall_time, summary, written)
        self.confirm(record_id, [name for name, _, _ in written])

    def record(self, kind: str, wall_time: float, summary: Mapping[str, Any] | None = None,
               artifacts: Mapping[str, Mapping[str, np.ndarray]] | None = None, **fields: Any) -> str:
        """Record one finished piece of work in one transaction; return its id once it has been read back.

        The Parquet files are written first; if the transaction then fails they are removed again,
        and a :class:`StoreError` says why: no id is ever returned for a record that is not stored.
        """
        row = self._new_row(kind, **fields)
        record_id = row["id"]
        written: list[Written] = []
        try:
            for name, columns in (artifacts or {}).items():
                written.append(write_parquet(self, record_id, name, columns))
            with self.connect() as connection:
                self._insert(connection, row)
                self._complete(connection, record_id, wall_time, summary, written)
        except BaseException:
            remove_written(self, record_id, written)
            raise
        self.confirm(record_id, [name for name, _, _ in written])
        return record_id

    def confirm(self, record_id: str, artifacts: Sequence[str] = ()) -> dict[str, Any]:
        """Read a committed record back from a fresh connection, with its Parquet files; :class:`StoreError` if it cannot be."""
        lost = f"run store {self.path}: record {record_id} was written but cannot be read back"
        try:
            with self.connect(write=False) as connection:
                row = connection.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id = ?", [record_id]).fetchone()
                stored = connection.execute("SELECT name, path, rows FROM artifacts WHERE record_id = ?", [record_id]).fetchall()
            record = record_from_row(row) if row is not None else None
        except StoreError as error:
            raise StoreError(f"record {record_id} was written but cannot be read back: {error}") from None
        except (ValueError, AttributeError) as error:  # its JSON or timestamps read back damaged
            raise StoreError(f"{lost}: {first_line(error)}. {self.advice()}") from None
        if record is None:
            raise StoreError(f"{lost}: it is not there. {self.advice()}")
        if record["status"] != "complete":
            raise StoreError(f"{lost}: it reads back as {record['status']!r}. {self.advice()}")
        found = {name: (relative, rows) for name, relative, rows in stored}
        for name in artifacts:
            if name not in found:
                raise StoreError(f"{lost}: its artifact {name!r} is not listed. {self.advice()}")
            relative, rows = found[name]
            try:
                readable = parquet_rows(self.path.parent / relative)
            except Exception as error:  # noqa: BLE001 - a file that cannot be read back is not stored
                raise StoreError(f"{lost}: its Parquet file {relative}: {first_line(error)}. {self.advice(error)}") from None
            if readable != rows:
                raise StoreError(f"{lost}: its Parquet file {relative} holds {readable} rows, not {rows}. {self.advice()}")
        return record

    @staticmethod
    def _new_row(
        kind: str,
        scenario: Any | None = None,
        parameters: Mapping[str, Any] | None = None,
        seed: int | None = None,
        n_runs: int | None = None,
        start: str | None = None,
        until: str | None = None,
        name: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        return {
            "id": uuid.uuid4().hex[:12],
            "kind": kind,
            "name": name,
            "key": key,
            "status": "running",
            "created": _now(),
            "scenario_id": getattr(scenario, "id", None),
            "scenario_hash": scenario_hash(scenario) if scenario is not None else None,
            "parameters": canonical_json(parameters or {}),
            "seed": seed,
            "n_runs": n_runs,
            "start_month": start,
            "until_month": until,
            "code_version": code_version(),
        }

    @staticmethod
    def _insert(connection: Any, row: Mapping[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        connection.execute(f"INSERT INTO records ({columns}) VALUES ({marks})", list(row.values()))

    @staticmethod
    def _complete(connection: Any, record_id: str, wall_time: float, summary: Mapping[str, Any] | None,
                  written: Sequence[Written]) -> None:
        for name, relative, rows in written:
            connection.execute(
                "INSERT INTO artifacts VALUES (?, ?, ?, ?) ON CONFLICT (record_id, name) DO UPDATE SET path = excluded.path, rows = excluded.rows",
                [record_id, name, relative, rows],
            )
        connection.execute(
            "UPDATE records SET status = 'complete', finished = ?, wall_time = ?, summary = ? WHERE id = ?",
            [_now(), float(wall_time), canonical_json(summary or {}), record_id],
        )

    def add_items(self, record_id: str, items: Sequence[Item]) -> int:
        """Store finished sweep points in one transaction; points already stored are skipped. Returns how many were new."""
        if not items:
            return 0
        now = _now()
        rows = [
            [record_id, item.key, int(item.position), canonical_json(item.parameters), canonical_json(item.result), float(item.wall_time), now]
            for item in items
        ]
        with self.connect() as connection:
            self._require(connection, record_id)
            before = connection.execute("SELECT count(*) FROM items WHERE record_id = ?", [record_id]).fetchone()[0]
            connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
            after = connection.execute("SELECT count(*) FROM items WHERE record_id = ?", [record_id]).fetchone()[0]
        return int(after - before)

    # --- reading ----------------------------------------------------------------------------

    def _require(self, connection: Any, record_id: str) -> None:
        if connection.execute("SELECT count(*) FROM records WHERE id = ?", [record_id]).fetchone()[0] != 1:
            raise StoreError(f"no record {record_id!r} in run store {self.path}")

    def resolve(self, prefix: str) -> str:
        """The full id of the one record whose id starts with ``prefix``."""
        if not prefix or not prefix.isalnum():
            raise StoreError(f"record id {prefix!r} must be letters and digits (see `coyuntura runs list`)")
        with self.connect(write=False) as connection:
            found = [row[0] for row in connection.execute("SELECT id FROM records WHERE id LIKE ? ORDER BY id", [prefix + "%"]).fetchall()]
        if not found:
            raise StoreError(f"no record {prefix!r} in run store {self.path} (see `coyuntura runs list`)")
        if len(found) > 1:
            raise StoreError(f"record id {prefix!r} is ambiguous: {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}")
        return found[0]

    def find(self, kind: str, key: str) -> dict[str, Any] | None:
        """The newest record of ``kind`` with ``key`` (the identity of a sweep), if any."""
        with self.connect(write=False) as connection:
            row = connection.execute(
                f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE kind = ? AND key = ? ORDER BY created DESC LIMIT 1", [kind, key]
            ).fetchone()
        return record_from_row(row) if row is not None else None

    def item_keys(self, record_id: str) -> set[str]:
        """Keys of the points of a sweep already stored."""
        with self.connect(write=False) as connection:
            return {row[0] for row in connection.execute("SELECT item_key FROM items WHERE record_id = ?", [record_id]).fetchall()}

    def items(self, record_id: str) -> list[dict[str, Any]]:
        """A sweep's stored points, in position order: key, position, parameters, result, wall time."""
        with self.connect(write=False) as connection:
            rows = connection.execute(
                "SELECT item_key, position, parameters, result, wall_time FROM items WHERE record_id = ? ORDER BY position, item_key", [record_id]
            ).fetchall()
        return [
            {"key": key, "position": position, "parameters": json.loads(parameters), "result": json.loads(result), "wall_time": wall}
            for key, position, parameters, result, wall in rows
        ]

    def records(self, limit: int = 50, kind: str | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """The newest records first (without items), optionally of one kind; ``offset`` skips that many (a page)."""
        check_limit(limit)
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or not 0 <= offset < 2**63:
            raise ValueError(f"the offset must be a whole number from 0, got {offset!r}")
        where, arguments = ("WHERE kind = ?", [kind]) if kind else ("", [])
        with self.connect(write=False) as connection:
            rows = connection.execute(
                f"SELECT {', '.join(RECORD_COLUMNS)}, (SELECT count(*) FROM items i WHERE i.record_id = r.id) "
                f"FROM records r {where} ORDER BY created DESC, id LIMIT ? OFFSET ?",
                arguments + [int(limit), int(offset)],
            ).fetchall()
        records = []
        for row in rows:
            record = record_from_row(row[:-1])
            record["items"] = int(row[-1])
            records.append(record)
        return records

    def show(self, record_id: str) -> dict[str, Any]:
        """One record with its artifacts (absolute paths) and the number of stored items."""
        record_id = self.resolve(record_id)
        with self.connect(write=False) as connection:
            row = connection.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id = ?", [record_id]).fetchone()
            artifacts = connection.execute("SELECT name, path, rows FROM artifacts WHERE record_id = ? ORDER BY name", [record_id]).fetchall()
            count = connection.execute("SELECT count(*) FROM items WHERE record_id = ?", [record_id]).fetchone()[0]
        record = record_from_row(row)
        record["artifacts"] = [{"name": n, "path": str(self.path.parent / p), "rows": r} for n, p, r in artifacts]
        record["items"] = int(count)
        return record

    def read_artifact(self, record_id: str, name: str) -> dict[str, np.ndarray]:
        """A record's Parquet artifact as numpy columns."""
        record = self.show(record_id)
        for artifact in record["artifacts"]:
            if artifact["name"] == name:
                try:
                    return read_parquet(artifact["path"])
                except Exception as error:  # noqa: BLE001 - a missing or damaged Parquet file
                    raise self.failure(f"read record {record['id']}'s Parquet file {artifact['path']}", error) from None
        names = ", ".join(a["name"] for a in record["artifacts"]) or "none"
        raise StoreError(f"record {record['id']} has no artifact {name!r}; artifacts: {names}")

    def dataset(self, record_id: str) -> "xr.Dataset":
        """A run record's labelled ensemble (what ``Ensemble.to_xarray`` gave when it was recorded, less per-run series)."""
        from ..engine.labelled import STORE_PREFIX, dataset_from_tables

        record = self.show(record_id)
        names = [a["name"] for a in record["artifacts"] if a["name"].startswith(STORE_PREFIX)]
        if not names:
            raise StoreError(f"record {record['id']} ({record['kind']}) holds no labelled ensemble; export it with --format parquet or csv")
        return dataset_from_tables({name[len(STORE_PREFIX):]: self.read_artifact(record["id"], name) for name in names})

    def export(self, record_id: str, out: str | Path, format: str = "parquet") -> Path:
        """Write a record to folder ``out`` as :func:`~coyuntura.store.export.export_record` does; return the folder."""
        return export_record(self, record_id, out, format)
