"""The run store: list, show, compare, export, verify and repair records."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any, Optional

import typer
from rich import box
from rich.table import Table as RichTable
from rich.text import Text

from ..extras import require
from .common import (
    EXIT_PROBLEMS,
    STORE_OPTION,
    _App,
    _bad_input,
    _bad_option,
    _fail,
    _plain_rich_table,
    _print_json,
    _print_notes,
    _stderr,
    _stdout,
    _usage,
    app,
)

# --- runs -----------------------------------------------------------------------------------------

runs_app = _App(help="The run store: list, show, compare and export recorded runs, what-ifs and sweeps; verify and repair the store.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


def _existing_store(store: Optional[Path], as_json: bool) -> None:
    """A store named with --store that is not there is a typo, not an empty store: refuse before creating one."""
    if store is not None and not store.expanduser().exists():
        _fail(f"--store: there is no run store at {store.expanduser().absolute()}", as_json)


@runs_app.command("list")
def runs_list_command(
    limit: int = typer.Option(30, "--limit", help="How many records, newest first."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only records of this kind (run, whatif, sensitivity, discovery, sweep, ...)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON only."),
) -> None:
    """The newest records in the run store."""
    from ..store.runstore import MAX_LIST, RunStore

    if not 1 <= limit <= MAX_LIST:
        _usage(f"--limit must be a whole number from 1 to {MAX_LIST:,}, got {limit}", as_json)
    _existing_store(store, as_json)
    with _bad_input(as_json):
        run_store = RunStore(store)
        records = run_store.records(limit=limit, kind=kind)
    if as_json:
        _print_json({"store": str(run_store.path), "records": records})
        return
    table = RichTable(title=f"Run store {run_store.path}", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for header in ("id", "kind", "name", "scenario", "created", "runs", "seed", "wall s"):
        table.add_column(header, overflow="fold", no_wrap=header in ("id", "created"), justify="right" if header in ("runs", "seed", "wall s") else "left")
    for r in records:
        points = r["parameters"].get("points") if isinstance(r.get("parameters"), dict) else None  # a sweep's points (its items may be batches)
        points = points if isinstance(points, int) and not isinstance(points, bool) else r["items"]
        runs = "" if r["n_runs"] is None else (f"{points}x{r['n_runs']}" if points else str(r["n_runs"]))
        kind = r["kind"] if r["status"] == "complete" else f"{r['kind']} ({r['status']})"
        row = (r["id"], kind, r["name"] or "", r["scenario_id"] or "", (r["created"] or "")[5:16], runs,
               "" if r["seed"] is None else r["seed"], "" if r["wall_time"] is None else f"{r['wall_time']:.1f}")
        table.add_row(*(Text(str(v)) for v in row))
    _stdout().print(table)
    if not records and kind:
        held = sorted({r["kind"] for r in run_store.records(limit=MAX_LIST)})
        _stdout().print(Text(f"No records of kind {kind!r}; this store holds {', '.join(held) or 'none yet'}.", style="dim"))
    elif not records:
        _stdout().print(Text("No records yet.", style="dim"))


@runs_app.command("show")
def runs_show_command(
    record: str = typer.Argument(..., help="Record id (or a unique prefix)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON only."),
) -> None:
    """One record: its scenario hash, parameters, seed, code version, wall time, summary and Parquet files."""
    from ..engine.tables import format_percent
    from ..store.records import outcome_label, outcome_probabilities
    from ..store.runstore import RunStore, StoreError

    _existing_store(store, as_json)
    with _bad_input(as_json):
        data = RunStore(store).show(record)
    if as_json:
        _print_json(data)
        return
    console = _stdout()
    for key in ("id", "kind", "name", "status", "scenario_id", "scenario_hash", "seed", "n_runs", "start_month", "until_month",
                "code_version", "created", "finished", "wall_time", "items"):
        if data.get(key) is not None:
            console.print(Text.assemble((f"{key:>14}  ", "bold"), str(data[key])), soft_wrap=True)
    console.print(Text.assemble(("    parameters  ", "bold"), json.dumps(data["parameters"], ensure_ascii=False)), soft_wrap=True)
    for artifact in data["artifacts"]:
        console.print(Text.assemble(("      artifact  ", "bold"), f"{artifact['name']} ({artifact['rows']} rows): {artifact['path']}"), soft_wrap=True)
    try:
        probabilities = outcome_probabilities(data)
    except StoreError:
        console.print(Text.assemble(("       summary  ", "bold"), json.dumps(data["summary"], ensure_ascii=False)[:4000]), soft_wrap=True)
        return
    table = RichTable(title="Outcomes, % ± SE", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    table.add_column("outcome")
    table.add_column("probability", justify="right")
    for key, (p, se) in probabilities.items():
        table.add_row(outcome_label(data, key), format_percent(p, se, compact=True))
    console.print(table)


@runs_app.command("compare")
def runs_compare_command(
    first: str = typer.Argument(..., help="First record id (or unique prefix)."),
    second: str = typer.Argument(..., help="Second record id (or unique prefix)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON only."),
) -> None:
    """Each outcome's probability in two records and their difference with its standard error."""
    from ..engine.tables import to_dict
    from ..store.records import compare_records
    from ..store.runstore import RunStore

    _existing_store(store, as_json)
    with _bad_input(as_json):
        run_store = RunStore(store)
        table = compare_records(run_store.show(first), run_store.show(second))
    if as_json:
        _print_json(to_dict(table))
        return
    console = _stdout()
    console.print(_plain_rich_table(table, ", % ± SE"))
    _print_notes(console, table)


@runs_app.command("export")
def runs_export_command(
    record: str = typer.Argument(..., help="Record id (or unique prefix)."),
    out: Path = typer.Option(..., "--out", "-o", help="A new or empty folder to write record.json, the tables and, for a sweep, its points (items.csv) to."),
    format: str = typer.Option("parquet", "--format", "-f", help="parquet or csv: the record's tables; netcdf: a run's labelled ensemble as ensemble.nc (xarray)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON only."),
) -> None:
    """Export a record to a folder: its metadata and summary as JSON, a sweep's points as CSV, and its tables
    (Parquet, CSV) or its labelled ensemble (netCDF, readable with xarray.open_dataset)."""
    from ..store.export import check_export_folder
    from ..store.runstore import EXPORT_FORMATS, RunStore

    if format not in EXPORT_FORMATS:
        _usage(f"unknown export format {format!r}; formats: {', '.join(EXPORT_FORMATS)}", as_json)
    if format == "netcdf":
        require("data", "xarray")  # before any work: netCDF export rebuilds the ensemble with xarray and writes it with scipy
        require("data", "scipy")
    _existing_store(store, as_json)
    with _bad_option(as_json, "--out"):
        out = check_export_folder(out)
    with _bad_input(as_json):
        folder = RunStore(store).export(record, out, format=format)
    if as_json:
        _print_json({"record": record, "folder": str(folder), "files": sorted(p.name for p in folder.iterdir())})
        return
    _stdout().print(Text.assemble("Exported to ", (str(folder), "bold green")), soft_wrap=True)


@runs_app.command("verify")
def runs_verify_command(
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON only."),
) -> None:
    """Check the run store: every row of its tables and every Parquet file it lists. Exit 1 if anything is wrong."""
    from ..store.check import verify_store
    from ..store.runstore import RunStore

    with _bad_input(as_json):
        check = verify_store(RunStore(store))
    if as_json:
        _print_json(check.to_dict())
    else:
        _print_store_check(check)
        if not check.ok:
            quoted = shlex.quote(str(check.path))
            remedy = (f"`coyuntura runs repair --store {quoted}` moves the file aside and keeps what can still be read."
                      if check.repairable else "Give --store a run store's file.")
            _stderr().print(Text(f"The run store has problems. {remedy}", style="bold red"), soft_wrap=True)
    if not check.ok:
        raise typer.Exit(EXIT_PROBLEMS)


@runs_app.command("repair")
def runs_repair_command(
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON only."),
) -> None:
    """Repair a damaged run store: move its file aside (never deleted) and rebuild it from what can still be read."""
    from ..store.check import repair_store
    from ..store.runstore import RunStore

    with _bad_input(as_json):
        repair = repair_store(RunStore(store))
    after = repair.after
    if as_json:
        _print_json(repair.to_dict())
    else:
        console = _stdout()
        if not repair.repaired:
            console.print(Text(f"Run store {repair.path}: no problems found, nothing to repair.", style="green"), soft_wrap=True)
        else:
            console.print(Text.assemble("Damaged file moved aside to ", (str(repair.moved_to), "bold"), "."), soft_wrap=True)
            if repair.unreadable:
                console.print(Text(f"  it cannot be read at all ({repair.unreadable}): nothing could be kept", style="yellow"), soft_wrap=True)
            for table in ("records", "items", "artifacts"):
                partly = f" ({repair.damaged:,} with some columns lost, now status 'damaged')" if table == "records" and repair.damaged else ""
                console.print(f"  {table}: {repair.kept.get(table, 0):,} kept{partly}, {repair.lost.get(table, 0):,} lost", markup=False)
            if repair.relinked:
                console.print(f"  {repair.relinked:,} Parquet file(s) found beside the store linked again to their records", markup=False)
            console.print(Text.assemble("New store written to ", (str(repair.path), "bold green"), "."), soft_wrap=True)
            if after is not None:
                _print_store_check(after)
    if after is not None and not after.ok:
        raise typer.Exit(EXIT_PROBLEMS)


def _print_store_check(check: Any) -> None:
    console = _stdout()
    counts = check.counts
    console.print(
        f"Run store {check.path}: {counts.get('records', 0):,} records, {counts.get('items', 0):,} sweep points, "
        f"{counts.get('artifacts', 0):,} artifacts ({counts.get('parquet_files_read', 0):,} Parquet files read).",
        markup=False, soft_wrap=True,
    )
    for problem in check.problems:
        console.print(Text.assemble(("problem: ", "bold red"), problem), soft_wrap=True)
    for note in check.notes:
        console.print(Text.assemble(("note: ", "dim"), note), soft_wrap=True)
    if check.ok:
        console.print(Text("OK: no problems found.", style="green"))
