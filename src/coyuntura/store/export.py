"""Export one record to a folder (``coyuntura runs export``): its metadata, its sweep points and its tables."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import check_destination
from .errors import StoreError

if TYPE_CHECKING:
    from .runstore import RunStore

EXPORT_FORMATS = ("parquet", "csv", "netcdf")
"""What ``runs export`` writes: the record's tables as Parquet or CSV, or its labelled ensemble as netCDF."""


def check_export_folder(out: str | Path) -> Path:
    """The absolute path of an export folder that can be written at ``out``: new or empty, in a folder where its
    temporary build can be made. Raises ``StoreError`` otherwise (before any work, from the command line)."""
    try:
        target = check_destination(out, folder=True, built_beside=True)
    except ValueError as error:
        raise StoreError(str(error)) from None
    if target.exists() and any(target.iterdir()):
        raise StoreError(f"export folder {target} exists and is not empty")
    return target


def export_record(store: "RunStore", record_id: str, out: str | Path, format: str = "parquet") -> Path:
    """Write a record to folder ``out``: ``record.json``, ``items.csv`` (sweeps) and its tables, as Parquet files
    (``parquet``), as CSV files (``csv``), or as one netCDF file ``ensemble.nc`` of its labelled ensemble (``netcdf``).

    The folder is built under a temporary name beside ``out`` and renamed into place, so it is whole or absent.
    """
    if format not in EXPORT_FORMATS:
        raise StoreError(f"unknown export format {format!r}; formats: {', '.join(EXPORT_FORMATS)}")
    out = check_export_folder(out)
    record = store.show(record_id)
    items = store.items(record["id"])
    dataset = store.dataset(record["id"]) if format == "netcdf" else None
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
                raise StoreError(f"run store {store.path}: record {record['id']}'s Parquet file {artifact['path']} is missing. {store.advice()}")
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
            (build / "items.csv").write_text(items_csv(items), encoding="utf-8")
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


def items_csv(items: list[dict[str, Any]]) -> str:
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
