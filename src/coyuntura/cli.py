"""The ``coyuntura`` command line: thin - parse, call the library, print.

Commands: ``run`` (simulate and write a report), ``chronicle`` (one run as
dated sentences), ``check`` (validate and summarize a scenario file),
``sources`` (where every number and mechanism comes from). Every bad input
prints one red error message and exits with code 2; ``--json`` prints only
JSON on standard output.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NoReturn, Optional

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from rich.text import Text

from .engine.model import Model, compile_scenario
from .engine.simulate import Ensemble, simulate
from .report.chronicle import chronicle
from .report.folder import write_report
from .report.sources import CHECKLIST, sources
from .report.tables import Table, event_table, formatted_cells, regime_table, to_dict
from .scenario.calendar import format_month, parse_month
from .scenario.checks import quantities
from .scenario.errors import ScenarioError
from .scenario.loader import load_scenario
from .scenario.schema import Scenario

EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="coyuntura",
    help="Turn an analysis of a political conjuncture into a stochastic model: run it, read its runs, check its sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SCENARIO_ARGUMENT = typer.Argument(..., help="A bundled scenario's name (e.g. bolivia-1952) or a path to a scenario file.")


# --- output helpers ------------------------------------------------------------------------------


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, as_json: bool = False) -> NoReturn:
    """One red error message on stderr (and a JSON error object on stdout with --json); exit 2."""
    if as_json:
        typer.echo(json.dumps({"error": message}))
    _stderr().print(Text(f"error: {message}", style="bold red"), soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def _bad_input(as_json: bool = False, what: str = "") -> Iterator[None]:
    """Turn the library's errors about bad input into one clear message and exit code 2."""
    prefix = f"{what}: " if what else ""
    try:
        yield
    except ScenarioError as error:
        _fail(str(error), as_json)
    except KeyError as error:
        _fail(prefix + str(error.args[0] if error.args else error), as_json)
    except (ValueError, OSError) as error:
        _fail(prefix + str(error), as_json)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _load(scenario: str, as_json: bool) -> tuple[Scenario, Model]:
    with _bad_input(as_json):
        loaded = load_scenario(scenario)
        return loaded, compile_scenario(loaded)


def _until(text: Optional[str], as_json: bool) -> Optional[int]:
    if text is None:
        return None
    with _bad_input(as_json, "--until"):
        return parse_month(text)


def _rich_table(table: Table, show_key: bool = False) -> RichTable:
    headers, cells = formatted_cells(table, combine=True, compact=True)
    rich = RichTable(title=f"{table.title}, % ± SE", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, collapse_padding=True)
    for index, header in enumerate(headers):
        if index == 0:
            rich.add_column(header, overflow="fold", min_width=16)
        else:
            if "(whole run)" in header:
                header = "whole\nrun"
            rich.add_column(header.replace("..", "\n.."), justify="right", overflow="fold")
    for row in cells:
        rich.add_row(*row)
    return rich


# --- run ------------------------------------------------------------------------------------------


def _auto_batch(runs: int) -> int:
    """Batches big enough to stay fast, small enough for a moving progress bar (results do not depend on it)."""
    return min(25_000, max(5_000, math.ceil(runs / 10)))


@app.command("run")
def run_command(
    scenario: str = SCENARIO_ARGUMENT,
    runs: int = typer.Option(10_000, "--runs", "-n", help="Number of runs."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams."),
    start: Optional[str] = typer.Option(None, "--from", help="Start from a snapshot (its id or month YYYY-MM)."),
    until: Optional[str] = typer.Option(None, "--until", help="Last month to simulate, YYYY-MM (default: the calendar's end)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Report folder (default: reports/<scenario id>)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Runs simulated together (default: automatic; results do not depend on it)."),
) -> None:
    """Simulate RUNS runs, print the regime and event tables, and write a report folder."""
    loaded, model = _load(scenario, as_json)
    until_month = _until(until, as_json)
    batch = _auto_batch(runs) if batch_size is None else batch_size
    with _bad_input(as_json):
        if as_json:
            ensemble = simulate(model, runs, seed=seed, start=start, until=until_month, batch_size=batch)
        else:
            ensemble = _simulate_with_progress(model, runs, seed, start, until_month, batch)
        regimes, events = regime_table(ensemble), event_table(ensemble)
        folder = write_report(ensemble, out if out is not None else Path("reports") / loaded.id, loaded, start=start)
    if as_json:
        _print_json(
            {
                "scenario": loaded.id,
                "seed": seed,
                "runs": ensemble.n_runs,
                "start": format_month(ensemble.start),
                "until": format_month(ensemble.until),
                "report": str(folder),
                "regime_table": to_dict(regimes),
                "event_table": to_dict(events),
            }
        )
        return
    console = _stdout()
    console.print(Text(f"{loaded.title}", style="bold"))
    console.print(
        f"{ensemble.n_runs:,} runs, seed {seed}, {format_month(ensemble.start)} to {format_month(ensemble.until)}"
        + (f" (from snapshot {start})" if start else ""),
        markup=False,
    )
    console.print(_rich_table(regimes))
    console.print(_rich_table(events))
    console.print(Text("± is the Monte Carlo standard error in percentage points.", style="dim"))
    console.print(Text.assemble("Report written to ", (str(folder), "bold green")), soft_wrap=True)


def _simulate_with_progress(model: Model, runs: int, seed: int, start: Optional[str], until: Optional[int], batch: int) -> Ensemble:
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"), TimeElapsedColumn())
    console = _stderr()
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("runs", total=max(runs, 1))
        return simulate(
            model, runs, seed=seed, start=start, until=until, batch_size=batch,
            progress=lambda done: progress.update(task, completed=done),
        )


# --- chronicle ------------------------------------------------------------------------------------


@app.command("chronicle")
def chronicle_command(
    scenario: str = SCENARIO_ARGUMENT,
    run: int = typer.Option(..., "--run", "-r", help="Index of the run to tell (0 = the first run)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams (as given to `run`)."),
    start: Optional[str] = typer.Option(None, "--from", help="Start from a snapshot (its id or month YYYY-MM)."),
    until: Optional[str] = typer.Option(None, "--until", help="Last month to simulate, YYYY-MM."),
    as_json: bool = typer.Option(False, "--json", help="Print the lines as JSON only."),
) -> None:
    """Tell one run as dated sentences, each naming the mechanism that produced it."""
    loaded, model = _load(scenario, as_json)
    until_month = _until(until, as_json)
    with _bad_input(as_json):
        lines = chronicle(model, run, seed=seed, start=start, until=until_month)
        first = loaded.snapshot(start).month if start else loaded.calendar.start
    last = until_month if until_month is not None else loaded.calendar.end
    if as_json:
        _print_json(
            {
                "scenario": loaded.id,
                "run": run,
                "seed": seed,
                "start": format_month(first),
                "until": format_month(last),
                "lines": [line.to_dict() for line in lines],
            }
        )
        return
    console = _stdout()
    console.print(
        Text(f"Run {run} of {loaded.id} (seed {seed}), {format_month(first)} to {format_month(last)}: {len(lines)} events", style="bold")
    )
    for line in lines:
        console.print(Text.assemble((line.date, "bold"), "  ", line.text, "  ", (line.tag, "cyan")), soft_wrap=True)
    if not lines:
        console.print(Text("Nothing the event log records happened in this run.", style="dim"))


# --- check ----------------------------------------------------------------------------------------


def _summary(scenario: Scenario, file: str) -> dict[str, Any]:
    all_quantities = [q for _, q in quantities(scenario)]
    relations = Counter(r.kind for r in scenario.relations)
    mechanisms = [(name, getattr(scenario.mechanisms, name)) for name in type(scenario.mechanisms).model_fields]
    return {
        "file": file,
        "valid": True,
        "id": scenario.id,
        "title": scenario.title,
        "calendar": {
            "start": format_month(scenario.calendar.start),
            "end": format_month(scenario.calendar.end),
            "horizon": format_month(scenario.calendar.horizon),
        },
        "counts": {
            "actors": len(scenario.actors),
            "relations": len(scenario.relations),
            "influence_relations": relations.get("influence", 0),
            "alliance_relations": relations.get("alliance", 0),
            "mechanisms": len(mechanisms),
            "mechanisms_enabled": sum(1 for _, p in mechanisms if p.enabled),
            "events": len(scenario.events),
            "snapshots": len(scenario.snapshots),
            "quantities": len(all_quantities),
            "quantities_sourced": sum(1 for q in all_quantities if q.source is not None),
            "quantities_assumed": sum(1 for q in all_quantities if q.assumption is not None),
            "free_parameters_with_priors": sum(1 for q in all_quantities if q.prior is not None),
        },
        "events": [{"id": e.id, "kind": e.kind, "month": format_month(e.month)} for e in scenario.events],
        "snapshots": [{"id": s.id, "month": format_month(s.month)} for s in scenario.snapshots],
        "disabled_mechanisms": [name for name, p in mechanisms if not p.enabled],
    }


@app.command("check")
def check_command(
    file: str = typer.Argument(..., help="Scenario file to validate (or a bundled scenario's name)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON only."),
) -> None:
    """Validate a scenario file and summarize it; problems are reported with file and line."""
    with _bad_input(as_json):
        scenario = load_scenario(file)
    summary = _summary(scenario, file)
    if as_json:
        _print_json(summary)
        return
    console = _stdout()
    console.print(Text.assemble(("valid ", "bold green"), (f"{file}", "bold"), f"  {scenario.id}: {scenario.title}"))
    counts, calendar = summary["counts"], summary["calendar"]
    table = RichTable(box=box.SIMPLE, show_header=False, pad_edge=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("count")
    rows = [
        ("Calendar", f"{calendar['start']} .. {calendar['end']} (horizon {calendar['horizon']})"),
        ("Actors", str(counts["actors"])),
        ("Relations", f"{counts['relations']} ({counts['influence_relations']} influence, {counts['alliance_relations']} alliance)"),
        ("Mechanisms", f"{counts['mechanisms']} ({counts['mechanisms_enabled']} enabled)"),
        ("Scheduled events", str(counts["events"])),
        ("Snapshots", ", ".join(f"{s['id']} ({s['month']})" for s in summary["snapshots"]) or "0"),
        ("Quantities", f"{counts['quantities']} ({counts['quantities_sourced']} sourced, {counts['quantities_assumed']} assumed)"),
        ("Free parameters with priors", str(counts["free_parameters_with_priors"])),
    ]
    for what, value in rows:
        table.add_row(what, Text(value))
    console.print(table)


# --- sources --------------------------------------------------------------------------------------


@app.command("sources")
def sources_command(
    scenario: str = SCENARIO_ARGUMENT,
    as_json: bool = typer.Option(False, "--json", help="Print everything as JSON only."),
) -> None:
    """Where every number and mechanism comes from, and which checklist items are covered."""
    with _bad_input(as_json):
        loaded = load_scenario(scenario)
    report = sources(loaded)
    if as_json:
        _print_json(report.to_dict())
        return
    console = _stdout()
    console.print(Text(f"{report.title}", style="bold"))
    console.print(Text(f"Source: {report.document}", style="dim"))

    mechanisms = RichTable(title="Mechanisms", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    mechanisms.add_column("name", no_wrap=True)
    mechanisms.add_column("title", overflow="fold")
    mechanisms.add_column("covers", no_wrap=True)
    mechanisms.add_column("source", overflow="fold")
    for m in report.mechanisms:
        name = Text(m.name) if m.enabled else Text(f"{m.name} (off)", style="dim")
        mechanisms.add_row(name, Text(m.title), Text(", ".join(m.covers)), Text("\n".join(m.source)))
    console.print(mechanisms)

    actors = RichTable(title="Actors", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for header in ("id", "name", "checklist"):
        actors.add_column(header, overflow="fold")
    for a in report.actors:
        actors.add_row(Text(a.id), Text(a.name), Text(", ".join(a.checklist)))
    console.print(actors)

    coverage = report.coverage
    covered = sum(1 for item in CHECKLIST if item in coverage.covered)
    console.print(Text(f"Checklist coverage: {covered}/{len(CHECKLIST)} items (A1-A17, M1-M17)", style="bold"))
    if coverage.missing:
        missing = Text("Not covered: ", style="bold red")
        for index, item in enumerate(coverage.missing):
            reason = coverage.not_represented.get(item)
            missing.append(("" if index == 0 else ", ") + item + (f" ({reason})" if reason else ""))
        console.print(missing)
    else:
        console.print(Text("Every checklist item is covered.", style="green"))

    numbers = RichTable(title=f"Quantities ({len(report.quantities)})", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    numbers.add_column("path", overflow="fold")
    numbers.add_column("value", justify="right")
    numbers.add_column("prior")
    numbers.add_column("provenance", overflow="fold")
    for q in report.quantities:
        prior = f"{q.prior['dist']} [{q.prior['low']:g}, {q.prior['high']:g}]" if q.prior else ""
        numbers.add_row(Text(q.path), f"{q.value:g}", Text(prior), Text(q.provenance, style="" if q.source else "italic"))
    console.print(numbers)


def main() -> None:  # pragma: no cover - console entry point alternative
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
