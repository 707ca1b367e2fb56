"""The store's tables, the columns of a record, and how a DuckDB file is recognised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

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


def record_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """A ``records`` row (in :data:`RECORD_COLUMNS` order) as a dict: JSON columns parsed, timestamps as text."""
    record = dict(zip(RECORD_COLUMNS, row))
    for name in ("parameters", "summary"):
        record[name] = json.loads(record[name]) if record[name] else {}
    for name in ("created", "finished"):
        if record[name] is not None:
            record[name] = record[name].isoformat(sep=" ", timespec="seconds")
    return record


def check_limit(limit: Any) -> int:
    """A number of records to list: a whole number from 1 to :data:`MAX_LIST`, else ``ValueError``."""
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or not 1 <= limit <= MAX_LIST:
        raise ValueError(f"the number of records to list must be a whole number from 1 to {MAX_LIST:,}, got {limit!r}")
    return int(limit)


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
