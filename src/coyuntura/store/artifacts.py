"""A record's Parquet files: written atomically beside the database, read back as numpy columns.

A file is written to a temporary name and renamed into place before the row that
lists it is committed, so a process killed at any moment leaves no half-written file
under a listed name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..atomic import write_via
from .connection import StoreFile
from .errors import StoreError

Written = tuple[str, str, int]
"""An artifact as written: its name, its path relative to the store's folder, and its number of rows."""


def write_parquet(store: StoreFile, record_id: str, name: str, columns: Mapping[str, np.ndarray]) -> Written:
    """Write ``columns`` to ``<data>/<record>/<name>.parquet`` atomically; :class:`StoreError` if it cannot be."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not name.replace("_", "").replace("-", "").isalnum():
        raise StoreError(f"artifact name {name!r} must be letters, digits, '_' or '-'")
    table = pa.table({key: np.asarray(value) for key, value in columns.items()})
    target = store.data_dir / record_id / f"{name}.parquet"
    try:
        write_via(target, lambda temporary: pq.write_table(table, temporary))
    except (OSError, pa.ArrowException) as error:
        raise store.failure(f"write the Parquet file {target}", error) from None
    return name, str(target.relative_to(store.path.parent)), table.num_rows


def remove_written(store: StoreFile, record_id: str, written: Sequence[Written]) -> None:
    """Remove the Parquet files of a record whose transaction failed, and the folders left empty."""
    for _, relative, _ in written:
        try:
            (store.path.parent / relative).unlink()
        except OSError:
            pass
    for folder in (store.data_dir / record_id, store.data_dir):
        try:
            folder.rmdir()
        except OSError:
            pass


def parquet_rows(path: Path) -> int:
    """The number of rows a Parquet file holds, from its footer (raises whatever pyarrow raises)."""
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def read_parquet(path: str | Path) -> dict[str, np.ndarray]:
    """A Parquet file as numpy columns (raises whatever pyarrow raises)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return {column: table.column(column).to_numpy() for column in table.column_names}
