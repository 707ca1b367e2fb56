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

Failures: every error of DuckDB, of the lock or of the Parquet files becomes a
:class:`StoreError` that names the store's file and says what to do (make it
writable, give another file, or ``coyuntura runs verify`` / ``runs repair`` for a
damaged one). A record's id is returned only once the record is committed and has
been read back, with its Parquet files, from a fresh connection.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

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

MAX_LIST = 1_000_000
"""The most records one listing returns."""

DUCKDB_MAGIC = b"DUCK"
"""DuckDB files carry these bytes at offset 8."""


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
    """A store that cannot be opened, read or written (the message names the file and what to do), or a record that does not exist."""


def is_duckdb_file(path: Path) -> bool:
    """Whether ``path`` starts like a DuckDB database (its magic bytes), whatever its state further on."""
    try:
        with open(path, "rb") as handle:
            return handle.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


def is_foreign_file(path: Path) -> bool:
    """Whether ``path`` is a file with content that is not a DuckDB database (a text file, say)."""
    try:
        return path.is_file() and path.stat().st_size > 0 and not is_duckdb_file(path)
    except OSError:
        return False


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".!")


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

    def advice(self, error: BaseException | str | None = None) -> str:
        """What to do about a store that failed with ``error``: one or two sentences naming the commands."""
        text = str(error or "")
        store = shlex.quote(str(self.path))
        if (isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)) or any(
            words in text for words in ("Permission denied", "Read-only file system", "Operation not permitted")
        ):
            return f"Make {self.path} and its folder writable, or give --store a file in a folder you can write."
        if type(error).__name__ in ("ConversionException", "BinderException", "ConstraintException", "InvalidInputException"):
            return "The file is not at fault: a value could not be stored (a number out of range?); nothing was recorded."
        if is_foreign_file(self.path):
            return f"{self.path} is not a DuckDB file, so not a run store: give --store a new file name or a run store's file."
        return (
            f"If the file is damaged, `coyuntura runs verify --store {store}` lists what is wrong and "
            f"`coyuntura runs repair --store {store}` moves it aside and keeps what can still be read; or give --store another file."
        )

    def failure(self, doing: str, error: BaseException) -> StoreError:
        """A :class:`StoreError` for ``error`` met while ``doing`` something: the file, the cause, what to do."""
        return StoreError(f"run store {self.path}: cannot {doing}: {_first_line(error)}. {self.advice(error)}")

    @contextmanager
    def _lock(self, write: bool = True) -> Iterator[bool]:
        """Hold the store's file lock; yields whether the database must be opened read-only.

        Reading a store whose folder we may not write (so no lock file can be made) goes on
        without the lock, read-only; writing there is a :class:`StoreError`.
        """
        from filelock import FileLock, Timeout

        if self.path.is_dir():
            raise StoreError(f"run store {self.path} is a folder; give a file path such as {self.path / 'runs.duckdb'}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"run store {self.path}: cannot create its folder {self.path.parent}: {error.strerror or error}. {self.advice(error)}"
            ) from None
        lock = FileLock(str(self.path) + ".lock", timeout=self.lock_timeout)
        try:
            lock.acquire()
            locked = True
        except Timeout:
            raise StoreError(f"run store {self.path} stayed locked by another process for {self.lock_timeout:g} s") from None
        except OSError as error:
            if write or not self.path.is_file():
                raise self.failure(f"lock it ({self.path}.lock)", error) from None
            locked = False
        try:
            yield not locked
        finally:
            if locked:
                lock.release()

    @contextmanager
    def connect(self, write: bool = True) -> Iterator[Any]:
        """An open connection inside one transaction, holding the store's lock; committed on success.

        Any DuckDB error, on opening, in the transaction, on commit or on closing, becomes a
        :class:`StoreError` naming the file. ``write=False``: a store we may only read is opened
        read-only.
        """
        import duckdb

        doing = "write to it" if write else "read it"
        with self._lock(write) as read_only:
            try:
                connection = duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as error:
                raise self.failure("open it", error) from None
            try:
                if not self._ready and not read_only:
                    for statement in SCHEMA:
                        connection.execute(statement)
                    self._ready = True
                connection.execute("BEGIN TRANSACTION")
                try:
                    yield connection
                except BaseException:
                    try:
                        connection.execute("ROLLBACK")
                    except duckdb.Error:
                        pass
                    raise
                connection.execute("COMMIT")
            except duckdb.Error as error:
                try:
                    connection.close()
                except duckdb.Error:
                    pass
                raise self.failure(doing, error) from None
            except BaseException:
                try:
                    connection.close()
                except duckdb.Error:
                    pass
                raise
            try:
                connection.close()  # may checkpoint the write-ahead log into the file
            except duckdb.Error as error:
                raise self.failure(doing, error) from None

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
        written = [self._write_parquet(record_id, name, columns) for name, columns in (artifacts or {}).items()]
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
        written: list[tuple[str, str, int]] = []
        try:
            for name, columns in (artifacts or {}).items():
                written.append(self._write_parquet(record_id, name, columns))
            with self.connect() as connection:
                self._insert(connection, row)
                self._complete(connection, record_id, wall_time, summary, written)
        except BaseException:
            self._remove_files(record_id, written)
            raise
        self.confirm(record_id, [name for name, _, _ in written])
        return record_id

    def confirm(self, record_id: str, artifacts: Sequence[str] = ()) -> dict[str, Any]:
        """Read a committed record back from a fresh connection, with its Parquet files; :class:`StoreError` if it cannot be."""
        import pyarrow.parquet as pq

        lost = f"run store {self.path}: record {record_id} was written but cannot be read back"
        try:
            with self.connect(write=False) as connection:
                row = connection.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE id = ?", [record_id]).fetchone()
                stored = connection.execute("SELECT name, path, rows FROM artifacts WHERE record_id = ?", [record_id]).fetchall()
            record = _record(row) if row is not None else None
        except StoreError as error:
            raise StoreError(f"record {record_id} was written but cannot be read back: {error}") from None
        except (ValueError, AttributeError) as error:  # its JSON or timestamps read back damaged
            raise StoreError(f"{lost}: {_first_line(error)}. {self.advice()}") from None
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
                readable = pq.read_metadata(self.path.parent / relative).num_rows
            except Exception as error:  # noqa: BLE001 - a file that cannot be read back is not stored
                raise StoreError(f"{lost}: its Parquet file {relative}: {_first_line(error)}. {self.advice(error)}") from None
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
                  written: Sequence[tuple[str, str, int]]) -> None:
        for name, relative, rows in written:
            connection.execute(
                "INSERT INTO artifacts VALUES (?, ?, ?, ?) ON CONFLICT (record_id, name) DO UPDATE SET path = excluded.path, rows = excluded.rows",
                [record_id, name, relative, rows],
            )
        connection.execute(
            "UPDATE records SET status = 'complete', finished = ?, wall_time = ?, summary = ? WHERE id = ?",
            [_now(), float(wall_time), canonical_json(summary or {}), record_id],
        )

    def _remove_files(self, record_id: str, written: Sequence[tuple[str, str, int]]) -> None:
        """Remove the Parquet files of a record whose transaction failed, and the folders left empty."""
        for _, relative, _ in written:
            try:
                (self.path.parent / relative).unlink()
            except OSError:
                pass
        for folder in (self.data_dir / record_id, self.data_dir):
            try:
                folder.rmdir()
            except OSError:
                pass

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
        table = pa.table({key: np.asarray(value) for key, value in columns.items()})
        target = folder / f"{name}.parquet"
        temporary = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            os.close(handle)
            pq.write_table(table, temporary)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)
            os.replace(temporary, target)
        except (OSError, pa.ArrowException) as error:
            raise self.failure(f"write the Parquet file {target}", error) from None
        finally:
            if temporary is not None and os.path.exists(temporary):
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
        return _record(row) if row is not None else None

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
            record = _record(row[:-1])
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
                try:
                    table = pq.read_table(artifact["path"])
                except Exception as error:  # noqa: BLE001 - a missing or damaged Parquet file
                    raise self.failure(f"read record {record['id']}'s Parquet file {artifact['path']}", error) from None
                return {column: table.column(column).to_numpy() for column in table.column_names}
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
        """Write a record to folder ``out``: ``record.json``, ``items.csv`` (sweeps) and its tables, as Parquet files
        (``parquet``), as CSV files (``csv``), or as one netCDF file ``ensemble.nc`` of its labelled ensemble (``netcdf``)."""
        if format not in EXPORT_FORMATS:
            raise StoreError(f"unknown export format {format!r}; formats: {', '.join(EXPORT_FORMATS)}")
        record = self.show(record_id)
        items = self.items(record["id"])
        dataset = self.dataset(record["id"]) if format == "netcdf" else None
        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise StoreError(f"export folder {out} exists and is not empty")
        out.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            files = []
            exported = []
            if dataset is not None:
                dataset.to_netcdf(build / "ensemble.nc", engine="scipy")  # netCDF3 via scipy: no HDF5 library needed
                files.append("ensemble.nc")
            for artifact in record["artifacts"] if dataset is None else ():
                if not Path(artifact["path"]).is_file():
                    raise StoreError(f"run store {self.path}: record {record['id']}'s Parquet file {artifact['path']} is missing. {self.advice()}")
                target = build / f"{artifact['name']}.{format}"
                if format == "csv":
                    import pyarrow.csv as pacsv
                    import pyarrow.parquet as pq

                    pacsv.write_csv(pq.read_table(artifact["path"]), target)
                else:
                    shutil.copyfile(artifact["path"], target)
                files.append(target.name)
                exported.append(dict(artifact, path=target.name))
            if items:
                (build / "items.csv").write_text(_items_csv(items), encoding="utf-8")
                files.append("items.csv")
            meta = dict(record, artifacts=exported, files=files, format=format)
            (build / "record.json").write_text(json.dumps(meta, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
            if out.exists():
                out.rmdir()
            os.replace(build, out)
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)
        return out.absolute()


EXPORT_FORMATS = ("parquet", "csv", "netcdf")
"""What ``runs export`` writes: the record's tables as Parquet or CSV, or its labelled ensemble as netCDF."""


def check_limit(limit: Any) -> int:
    """A number of records to list: a whole number from 1 to :data:`MAX_LIST`, else ``ValueError``."""
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or not 1 <= limit <= MAX_LIST:
        raise ValueError(f"the number of records to list must be a whole number from 1 to {MAX_LIST:,}, got {limit!r}")
    return int(limit)


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

