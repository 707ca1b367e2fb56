"""Opening the store's file: where it lives, its file lock, and one short transaction at a time.

DuckDB lets one process at a time open a database file for writing. Every access
therefore takes an exclusive file lock (``<store>.lock``, an OS ``flock`` released by
the kernel even if the holder is killed), opens the database, does one short
transaction and closes it. Writers wait their turn (up to ``lock_timeout`` seconds)
instead of failing or corrupting the file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import StoreError, advice, first_line
from .schema import SCHEMA

STORE_ENV = "COYUNTURA_STORE"
"""Environment variable naming the store file (overridden by an explicit path)."""


def default_store_path() -> Path:
    """``$COYUNTURA_STORE`` if set, else ``runs.duckdb`` in the user's data directory (platformdirs)."""
    override = os.environ.get(STORE_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("coyuntura", appauthor=False)) / "runs.duckdb"


class StoreFile:
    """The DuckDB file at ``path`` (default: :func:`default_store_path`), opened under its lock for one transaction."""

    def __init__(self, path: str | Path | None = None, lock_timeout: float = 600.0):
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"run store {self.path} is a folder; give a file path such as {self.path / 'runs.duckdb'}")
        self.lock_timeout = lock_timeout
        self._ready = False  # whether this object has made sure the tables exist

    @property
    def data_dir(self) -> Path:
        """Folder of the Parquet files: ``<store stem>-data`` beside the database."""
        return self.path.with_name(self.path.stem + "-data")

    def advice(self, error: BaseException | str | None = None) -> str:
        """What to do about a store that failed with ``error``: one or two sentences naming the commands."""
        return advice(self.path, error)

    def failure(self, doing: str, error: BaseException) -> StoreError:
        """A :class:`StoreError` for ``error`` met while ``doing`` something: the file, the cause, what to do."""
        return StoreError(f"run store {self.path}: cannot {doing}: {first_line(error)}. {self.advice(error)}")

    @contextmanager
    def lock(self, write: bool = True) -> Iterator[bool]:
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
        with self.lock(write) as read_only:
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
