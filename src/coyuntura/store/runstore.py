"""The run store: every run, forecast, what-if, sweep and calibration in one embedded DuckDB file.

One row of ``records`` per recorded piece of work: its kind, the scenario's content
hash, parameters, seed, code version, wall time and outcome summaries (JSON). A
sweep's finished points are rows of ``items`` keyed by (record, item key), so a
resumed sweep finds what is done and never stores a point twice. Large per-run data
(event logs, outcome matrices, series) go to Parquet files beside the database,
listed in ``artifacts`` by a path relative to the store's folder.

Concurrency: DuckDB lets one process at a time open a database file for writing.
Every access here therefore takes an exclusive file lock (``<store>.lock``, an OS
``flock`` released by the kernel even if the holder is killed), opens the database,
does one short transaction and closes it. Writers wait their turn (up to
``lock_timeout`` seconds) instead of failing or corrupting the file; since each
transaction is one small insert, the wait is milliseconds. We chose this over
per-process shard files because it keeps one file anyone can query with plain
DuckDB, and sweeps write in small batches so the lock is never held long.

Atomicity: a record's items and artifacts are committed in one DuckDB transaction,
and a Parquet file is written to a temporary name and renamed into place before
the row that references it is committed. A process killed at any moment leaves
every committed item intact and no half-written row.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

STORE_ENV = "COYUNTURA_STORE"
"""Environment variable naming the store file (overridden by an explicit path)."""

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS records (
        id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        name VARCHAR,
        key VARCHAR,
        status VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL,
        finished TIMESTAMP,
        scenario_id VARCHAR,
        scenario_hash VARCHAR,
        parameters VARCHAR,
        seed BIGINT,
        n_runs BIGINT,
        start_month VARCHAR,
        until_month VARCHAR,
        code_version VARCHAR,
        wall_time DOUBLE,
        summary VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS items (
        record_id VARCHAR NOT NULL,
        item_key VARCHAR NOT NULL,
        position BIGINT,
        parameters VARCHAR,
        result VARCHAR,
        wall_time DOUBLE,
        created TIMESTAMP NOT NULL,
        PRIMARY KEY (record_id, item_key)
    )""",
    """CREATE TABLE IF NOT EXISTS artifacts (
        record_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        rows BIGINT,
        PRIMARY KEY (record_id, name)
    )""",
)

RECORD_COLUMNS = (
    "id", "kind", "name", "key", "status", "created", "finished", "scenario_id", "scenario_hash", "parameters",
    "seed", "n_runs", "start_month", "until_month", "code_version", "wall_time", "summary",
)


def default_store_path() -> Path:
    """``$COYUNTURA_STORE`` if set, else ``runs.duckdb`` in the user's data directory (platformdirs)."""
    override = os.environ.get(STORE_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("coyuntura", appauthor=False)) / "runs.duckdb"


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package version, plus the git commit (and ``.dirty``) when run from a git work tree."""
    from .. import __version__

    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return __version__
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True, text=True, timeout=10)
        suffix = ".dirty" if dirty.returncode == 0 and dirty.stdout.strip() else ""
        return f"{__version__}+g{commit.stdout.strip()}{suffix}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def scenario_hash(scenario: Any) -> str:
    """SHA-256 of the validated scenario's content (canonical JSON): equal content, equal hash."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(_jsonable(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


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


class StoreError(ValueError):
    """A store that cannot be opened, or a record that does not exist."""


class RunStore:
    """The embedded run database at ``path`` (default: :func:`default_store_path`)."""

    def __init__(self, path: str | Path | None = None, lock_timeout: float = 600.0):
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"run store {self.path} is a folder; give a file path such as {self.path / 'runs.duckdb'}")
        self.lock_timeout = lock_timeout
        self._ready = False

    @property
    def data_dir(self) -> Path:
        """Folder of the Parquet files: ``<store stem>-data`` beside the database."""
        return self.path.with_name(self.path.stem + "-data")

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """An open connection inside one transaction, holding the store's lock; committed on success."""
        import duckdb
        from filelock import FileLock, Timeout

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the run store's folder {self.path.parent}: {error.strerror or error}") from None
        lock = FileLock(str(self.path) + ".lock", timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(f"run store {self.path} stayed locked by another process for {self.lock_timeout:g} s") from None
        try:
            try:
                connection = duckdb.connect(str(self.path))
            except duckdb.Error as error:
                raise StoreError(f"cannot open run store {self.path}: {error}") from None
            try:
                if not self._ready:
                    for statement in SCHEMA:
                        connection.execute(statement)
                    self._ready = True
                connection.execute("BEGIN TRANSACTION")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            finally:
                connection.close()
        finally:
            lock.release()

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
        record_id = uuid.uuid4().hex[:12]
        row = {
            "id": record_id,
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
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.connect() as connection:
            connection.execute(f"INSERT INTO records ({columns}) VALUES ({marks})", list(row.values()))
        return record_id

    def finish(
        self,
        record_id: str,
        wall_time: float,
        summary: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    ) -> None:
        """Close a record: its wall time, outcome summary and Parquet artifacts, in one transaction."""
        written = [self._write_parquet(record_id, name, columns) for name, columns in (artifacts or {}).items()]
        with self.connect() as connection:
            self._require(connection, record_id)
            for name, relative, rows in written:
                connection.execute(
                    "INSERT INTO artifacts VALUES (?, ?, ?, ?) ON CONFLICT (record_id, name) DO UPDATE SET path = excluded.path, rows = excluded.rows",
                    [record_id, name, relative, rows],
                )
            connection.execute(
                "UPDATE records SET status = 'complete', finished = ?, wall_time = ?, summary = ? WHERE id = ?",
                [_now(), float(wall_time), canonical_json(summary or {}), record_id],
            )

    def record(self, kind: str, wall_time: float, summary: Mapping[str, Any] | None = None,
               artifacts: Mapping[str, Mapping[str, np.ndarray]] | None = None, **fields: Any) -> str:
        """Record one finished piece of work (``begin`` + ``finish``); return its id."""
        record_id = self.begin(kind, **fields)
        self.finish(record_id, wall_time, summary, artifacts)
        return record_id

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

    def _write_parquet(self, record_id: str, name: str, columns: Mapping[str, np.ndarray]) -> tuple[str, str, int]:
        """Write ``columns`` to ``<data>/<record>/<name>.parquet`` atomically; return (name, relative path, rows)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not name.replace("_", "").replace("-", "").isalnum():
            raise StoreError(f"artifact name {name!r} must be letters, digits, '_' or '-'")
        folder = self.data_dir / record_id
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.table({key: np.asarray(value) for key, value in columns.items()})
        target = folder / f"{name}.parquet"
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        os.close(handle)
        try:
            pq.write_table(table, temporary)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return name, str(target.relative_to(self.path.parent)), table.num_rows

    # --- reading ----------------------------------------------------------------------------

    def _require(self, connection: Any, record_id: str) -> None:
        if connection.execute("SELECT count(*) FROM records WHERE id = ?", [record_id]).fetchone()[0] != 1:
            raise StoreError(f"no record {record_id!r} in run store {self.path}")

    def resolve(self, prefix: str) -> str:
        """The full id of the one record whose id starts with ``prefix``."""
        if not prefix or not prefix.isalnum():
            raise StoreError(f"record id {prefix!r} must be letters and digits (see `coyuntura runs list`)")
        with self.connect() as connection:
            found = [row[0] for row in connection.execute("SELECT id FROM records WHERE id LIKE ? ORDER BY id", [prefix + "%"]).fetchall()]
        if not found:
            raise StoreError(f"no record {prefix!r} in run store {self.path} (see `coyuntura runs list`)")
        if len(found) > 1:
            raise StoreError(f"record id {prefix!r} is ambiguous: {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}")
        return found[0]

    def find(self, kind: str, key: str) -> dict[str, Any] | None:
        """The newest record of ``kind`` with ``key`` (the identity of a sweep), if any."""
        with self.connect() as connection:
            row = connection.execute(
                f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE kind = ? AND key = ? ORDER BY created DESC LIMIT 1", [kind, key]
            ).fetchone()
        return _record(row) if row is not None else None

    def item_keys(self, record_id: str) -> set[str]:
        """Keys of the points of a sweep already stored."""
        with self.connect() as connection:
            return {row[0] for row in connection.execute("SELECT item_key FROM items WHERE record_id = ?", [record_id]).fetchall()}

    def items(self, record_id: str) -> list[dict[str, Any]]:
        """A sweep's stored points, in position order: key, position, parameters, result, wall time."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT item_key, position, parameters, result, wall_time FROM items WHERE record_id = ? ORDER BY position, item_key", [record_id]
            ).fetchall()
        return [
            {"key": key, "position": position, "parameters": json.loads(parameters), "result": json.loads(result), "wall_time": wall}
            for key, position, parameters, result, wall in rows
        ]

    def records(self, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        """The newest records first (without items), optionally of one kind."""
        where, arguments = ("WHERE kind = ?", [kind]) if kind else ("", [])
        with self.connect() as connection:
            rows = connection.execute(
                f"SELECT {', '.join(RECORD_COLUMNS)}, (SELECT count(*) FROM items i WHERE i.record_id = r.id) "
                f"FROM records r {where} ORDER BY created DESC, id LIMIT ?",
                arguments + [int(limit)],
            ).fetchall()
        records = []
        for row in rows:
            record = _record(row[:-1])
            record["items"] = int(row[-1])
            records.append(record)
        return records

    def show(self, record_id: str) -> dict[str, Any]:
        """One record with its artifacts (absolute paths) and the number of stored items."""
        record_id = self.resolve(record_id)
        with self.connect() as connection:
            row = connection.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id = ?", [record_id]).fetchone()
            artifacts = connection.execute("SELECT name, path, rows FROM artifacts WHERE record_id = ? ORDER BY name", [record_id]).fetchall()
            count = connection.execute("SELECT count(*) FROM items WHERE record_id = ?", [record_id]).fetchone()[0]
        record = _record(row)
        record["artifacts"] = [{"name": n, "path": str(self.path.parent / p), "rows": r} for n, p, r in artifacts]
        record["items"] = int(count)
        return record

    def read_artifact(self, record_id: str, name: str) -> dict[str, np.ndarray]:
        """A record's Parquet artifact as numpy columns."""
        import pyarrow.parquet as pq

        record = self.show(record_id)
        for artifact in record["artifacts"]:
            if artifact["name"] == name:
                table = pq.read_table(artifact["path"])
                return {column: table.column(column).to_numpy() for column in table.column_names}
        names = ", ".join(a["name"] for a in record["artifacts"]) or "none"
        raise StoreError(f"record {record['id']} has no artifact {name!r}; artifacts: {names}")

    def export(self, record_id: str, out: str | Path) -> Path:
        """Write a record to folder ``out``: ``record.json``, ``items.csv`` (sweeps) and its Parquet files."""
        record = self.show(record_id)
        items = self.items(record["id"])
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise StoreError(f"export folder {out} exists and is not empty")
        out.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            files = []
            for artifact in record["artifacts"]:
                target = build / f"{artifact['name']}.parquet"
                shutil.copyfile(artifact["path"], target)
                files.append(target.name)
            if items:
                (build / "items.csv").write_text(_items_csv(items), encoding="utf-8")
                files.append("items.csv")
            meta = dict(record, artifacts=[dict(a, path=f"{a['name']}.parquet") for a in record["artifacts"]], files=files)
            (build / "record.json").write_text(json.dumps(meta, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
            if out.exists():
                out.rmdir()
            os.replace(build, out)
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)
        return out.absolute()


def _record(row: Sequence[Any]) -> dict[str, Any]:
    record = dict(zip(RECORD_COLUMNS, row))
    for name in ("parameters", "summary"):
        record[name] = json.loads(record[name]) if record[name] else {}
    for name in ("created", "finished"):
        if record[name] is not None:
            record[name] = record[name].isoformat(sep=" ", timespec="seconds")
    return record


def _items_csv(items: list[dict[str, Any]]) -> str:
    """Items as CSV: key, position, each parameter, each scalar result (nested results as JSON)."""
    import csv
    import io

    parameter_names = sorted({name for item in items for name in item["parameters"]})
    result_names = sorted({name for item in items for name in item["result"]})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", "position", *parameter_names, *result_names, "wall_time"])
    for item in items:
        values = [item["parameters"].get(n) for n in parameter_names]
        results = [item["result"].get(n) for n in result_names]
        results = [json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in results]
        writer.writerow([item["key"], item["position"], *values, *results, item["wall_time"]])
    return buffer.getvalue()

