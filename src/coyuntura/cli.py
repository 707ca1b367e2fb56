"""The ``coyuntura`` command line: thin - parse, call the library, print.

Commands: ``run`` (simulate and write a report), ``chronicle`` (one run as
dated sentences), ``check`` (validate and summarize a scenario file),
``sources`` (where every number and mechanism comes from). Every bad input
prints one red error message and exits with code 2; ``--json`` prints only
JSON on standard output. Work the run store could not record still prints its
results, then the reason in red, and exits with code 3 (``runs verify`` and
``runs repair`` exit with 1 when the store has problems).
"""

from __future__ import annotations

import json
import math
import shlex
import sys
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
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
from .experiments.discovery import discovery_table, run_discovery, tradeoff_chart, tradeoff_table
from .experiments.files import write_table
from .experiments.measures import OUTCOME_LABELS, OUTCOME_NAMES, check_outcome
from .experiments.sensitivity import DEFAULT_RUNS_PER_POINT, METHODS, run_sensitivity, sample, sensitivity_chart, sensitivity_table
from .experiments.sensitivity import free_parameters as sensitivity_parameters
from .experiments.whatif import DEFAULT_HORIZON_MONTHS, Intervention, apply_intervention, default_until, experiment_intervention, extend, parse_assignment, parse_event, record_whatif, run_whatif, whatif_table
from .history.backtest import DEFAULT_HORIZON, DEFAULT_ORIGINS, backtest
from .history.calibration import DATABASE, DEFAULT_BATCH_PARTICLES, DEFAULT_EPSILON_QUANTILE, CalibrationSettings, Posterior, bundled_posterior, calibrate, default_as_of, free_parameters, generations_table, load_posterior, parameters_table
from .history.charts import epsilon_chart, posterior_chart, reliability_chart
from .history.checks import DEFAULT_CHECK_RUNS, checks_chart, posterior_checks
from .history.filtered import BASELINE_TRAINING, DEFAULT_FILTERED_RUNS, filtered_score
from .history.forecast import DEFAULT_FORECAST_REPLICATIONS, check_window, forecast, write_forecast_report
from .history.observations import record_end, require_observations
from .history.particles import DaskSimulator
from .limits import MAX_POINTS, MAX_SEED, check_count, check_seed, check_total
from .history.scores import DEFAULT_REPLICATES, score_scenario
from .parallel import dask_client, simulate_on_dask
from .report.chronicle import chronicle
from .report.folder import write_report
from .report.sources import CHECKLIST, sources
from .report.tables import Table, event_table, format_percent, formatted_cells, regime_dynamics_table, regime_table, to_dict
from .scenario.calendar import format_month, parse_month
from .scenario.checks import quantities
from .scenario.errors import ScenarioError
from .scenario.loader import bundled_scenarios, load_scenario
from .scenario.schema import Scenario
from .store.records import compare_records, outcome_probabilities, record_run
from .store.runstore import MAX_LIST, RunStore, StoreError

EXIT_BAD_INPUT = 2
EXIT_PROBLEMS = 1
"""``runs verify`` / ``runs repair``: the run store has problems (listed)."""
EXIT_NOT_RECORDED = 3
"""The work finished and its results were printed or written, but the run store could not record it."""

app = typer.Typer(
    name="coyuntura",
    help="Turn an analysis of a political conjuncture into a stochastic model: run it, read its runs, check its sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"coyuntura {version('coyuntura')}")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
            typer.echo("coyuntura (not installed)")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(False, "--version", help="Print the version and exit.", callback=_show_version, is_eager=True),
) -> None:
    """Turn an analysis of a political conjuncture into a stochastic model: run it, read its runs, check its sources."""


SCENARIO_ARGUMENT = typer.Argument(..., help="A bundled scenario's name (e.g. bolivia-1952) or a path to a scenario file.")
STORE_OPTION_HELP = "Run store file (DuckDB; default: $COYUNTURA_STORE, else runs.duckdb in the user's data directory)."
STORE_OPTION = typer.Option(None, "--store", help=STORE_OPTION_HELP)
SCHEDULER_OPTION = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:port).")


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


def _within_limits(as_json: bool, seed: int, *counts: tuple[str, Optional[int], int, Optional[int]], total: Optional[tuple[int, str]] = None) -> None:
    """Refuse, before any work, a seed outside 0 <= seed < 2**63 and counts outside their caps (``coyuntura.limits``):
    each count is (option, value or None, minimum, maximum or None for the cap on runs); ``total`` is (runs in all, what)."""
    with _bad_input(as_json):
        check_seed(seed)
        for option, value, minimum, maximum in counts:
            if value is not None:
                check_count(value, option, minimum, maximum)
        if total is not None:
            check_total(*total)


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
    until: Optional[str] = typer.Option(None, "--until", help="Last month to simulate, YYYY-MM (default: two years after a snapshot start, else the calendar's end)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Report folder (default: reports/<scenario id>)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Runs simulated together (default: automatic; results do not depend on it)."),
    store: Optional[Path] = STORE_OPTION,
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:port); same numbers as in-process."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Simulate on a local Dask cluster of this many processes (default: this process)."),
) -> None:
    """Simulate RUNS runs, print the regime and event tables, and write a report folder."""
    _within_limits(as_json, seed, ("--runs", runs, 1, None), ("--batch-size", batch_size if batch_size and batch_size > 0 else None, 1, None))
    loaded, model = _load(scenario, as_json)
    until_month = _until(until, as_json)
    if until_month is None and start is not None:  # from a snapshot, the calendar's end may be its own month
        with _bad_input(as_json, "--from"):
            until_month = default_until(loaded, start)
        if not as_json:
            _stderr().print(Text(f"--until not given: simulating {DEFAULT_HORIZON_MONTHS} months past the snapshot, to {format_month(until_month)}.", style="dim"))
    batch = _auto_batch(runs) if batch_size is None else batch_size
    began = time.perf_counter()
    with _cluster(scheduler, workers, default_local=False, as_json=as_json) as client:
        with _bad_input(as_json):
            if client is not None:
                with _progress_bar("simulating", "runs", runs, as_json) as update:
                    chunk = max(64, math.ceil(runs / (2 * max(1, len(client.scheduler_info().get("workers", {}))))))
                    ensemble = simulate_on_dask(
                        client, loaded, runs, seed=seed, chunk_runs=chunk, progress=update, start=start, until=until_month, batch_size=batch
                    )
            elif as_json:
                ensemble = simulate(model, runs, seed=seed, start=start, until=until_month, batch_size=batch)
            else:
                ensemble = _simulate_with_progress(model, runs, seed, start, until_month, batch)
    with _bad_input(as_json):
        regimes, events, dynamics = regime_table(ensemble), event_table(ensemble), regime_dynamics_table(ensemble)
        folder = write_report(ensemble, out if out is not None else Path("reports") / loaded.id, loaded, start=start)
    record, not_recorded = _record_or_report(
        lambda: record_run(RunStore(store), "run", loaded, ensemble, time.perf_counter() - began, {"from": start, "report": str(folder)}),
        "the run",
    )
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
                "regime_dynamics": to_dict(dynamics),
                "record": record,
                "record_error": not_recorded,
            }
        )
        _exit_if_not_recorded(not_recorded)
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
    console.print(_rich_table(dynamics))
    console.print(Text("± is the Monte Carlo standard error in percentage points.", style="dim"))
    console.print(Text.assemble("Report written to ", (str(folder), "bold green")), soft_wrap=True)
    if record:
        console.print(Text(f"Recorded as {record} in the run store (coyuntura runs show {record}).", style="dim"), soft_wrap=True)
    _exit_if_not_recorded(not_recorded)


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
    _within_limits(as_json, seed, ("--run", run if run > 0 else None, 0, MAX_SEED))  # a negative index: the library says why
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
            "observations": len(scenario.observations),
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
        ("Observed timeline", f"{counts['observations']} observations"),
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


# --- run store, Dask and progress helpers ----------------------------------------------------------


def _record_or_report(action: Any, what: str) -> tuple[Optional[str], Optional[str]]:
    """Record finished work in the run store: (record id, None) once it is committed and read back, else
    (None, why not). The caller prints its results either way, then calls :func:`_exit_if_not_recorded`."""
    try:
        return action(), None
    except Exception as error:  # noqa: BLE001 - the store is a side record; its failure must not lose the printed result
        return None, f"{what} was not recorded in the run store: {error}"


def _exit_if_not_recorded(problem: Optional[str]) -> None:
    """After the results are out: a record that failed is an error message and exit code 3, never a silent 0."""
    if problem:
        _stderr().print(Text(f"error: {problem}", style="bold red"), soft_wrap=True)
        raise typer.Exit(EXIT_NOT_RECORDED)


@contextmanager
def _cluster(scheduler: Optional[str], workers: Optional[int], default_local: bool, as_json: bool) -> Iterator[Any]:
    """A Dask client (``--scheduler``, or a LocalCluster of ``--workers`` processes), or None to work in this process."""
    if workers is not None and workers < 0:
        _fail(f"--workers must be 0 (this process) or more, got {workers}", as_json)
    if scheduler is None and (workers == 0 or (workers is None and not default_local)):
        yield None
        return
    stack = ExitStack()
    try:
        client = stack.enter_context(dask_client(scheduler, n_workers=workers))
    except (OSError, ValueError, TimeoutError) as error:
        _fail(f"cannot reach the Dask scheduler {scheduler}: {error}" if scheduler else f"cannot start a local Dask cluster: {error}", as_json)
    with stack:
        yield client


@contextmanager
def _progress_bar(label: str, unit: str, total: int, as_json: bool) -> Iterator[Any]:
    """A Rich progress bar on stderr (not with --json, nor off a terminal); yields ``update(done)``."""
    console = _stderr()
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=as_json or not console.is_terminal) as progress:
        task = progress.add_task(label, total=max(total, 1))
        yield lambda done, *_: progress.update(task, completed=done)


def _plain_rich_table(table: Table, title_suffix: str = "") -> RichTable:
    headers, cells = formatted_cells(table, combine=True, compact=True)
    rich = RichTable(title=table.title + title_suffix, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, collapse_padding=True)
    for index, header in enumerate(headers):
        rich.add_column(header, overflow="fold", justify="left" if index == 0 else "right")
    for row in cells:
        rich.add_row(*(Text(cell) for cell in row))
    return rich


def _print_notes(console: Console, table: Table) -> None:
    for note in table.notes:
        style = "yellow" if note.startswith("warning:") else "dim"
        console.print(Text(note, style=style), soft_wrap=True)


def _patterns(params: Optional[list[str]]) -> Optional[list[str]]:
    return [p for text in params for p in text.split(",") if p.strip()] if params else None


# --- whatif ---------------------------------------------------------------------------------------


def _experiment_rows(scenario: Scenario) -> list[dict[str, Any]]:
    return [
        {
            "scenario": scenario.id,
            "id": e.id,
            "title": e.title,
            "from": e.start,
            "until": format_month(e.until) if e.until is not None else None,
            "set": dict(e.changes),
            "add_events": [event.id for event in e.add_events],
            "cancel_events": list(e.cancel_events),
            "source": e.provenance.source or f"assumption: {e.provenance.assumption}",
        }
        for e in scenario.experiments
    ]


def _list_experiments(scenario: Optional[str], as_json: bool) -> None:
    with _bad_input(as_json):
        scenarios = [load_scenario(scenario)] if scenario else [load_scenario(name) for name in sorted(bundled_scenarios())]
    rows = [row for loaded in scenarios for row in _experiment_rows(loaded)]
    if as_json:
        _print_json({"experiments": rows})
        return
    table = RichTable(title="Named experiments (coyuntura whatif SCENARIO --experiment ID)", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for header in ("scenario", "id", "title", "from", "source"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(Text(str(row[k] or "")) for k in ("scenario", "id", "title", "from", "source")))
    _stdout().print(table)
    if not rows:
        _stdout().print(Text("No named experiments.", style="dim"))


@app.command("whatif")
def whatif_command(
    scenario: Optional[str] = typer.Argument(None, help="A bundled scenario's name (e.g. bolivia-1952) or a path to a scenario file."),
    experiment: Optional[str] = typer.Option(None, "--experiment", "-e", help="Run the scenario's named experiment ID (see --list)."),
    list_experiments: bool = typer.Option(False, "--list", help="List the named experiments and exit."),
    start: Optional[str] = typer.Option(None, "--from", help="Start from a snapshot (its id or month YYYY-MM)."),
    until: Optional[str] = typer.Option(None, "--until", help="Last month, YYYY-MM (default: two years after a snapshot start, else the calendar's end)."),
    sets: Optional[list[str]] = typer.Option(None, "--set", help="PATH=VALUE: change the value at a value path (repeatable), e.g. mechanisms.coup.decisiveness=3."),
    add_events: Optional[list[str]] = typer.Option(None, "--add-event", help="Add an event: ID:YYYY-MM:ACTOR.ATTRIBUTE=VALUE, or a YAML mapping in the scenario's event format (repeatable)."),
    cancel_events: Optional[list[str]] = typer.Option(None, "--cancel-event", help="Cancel a scheduled event by id (repeatable)."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of this what-if (in the table and the run store)."),
    runs: int = typer.Option(10_000, "--runs", "-n", help="Number of paired runs."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams (shared by baseline and intervention)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON only."),
    store: Optional[Path] = STORE_OPTION,
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (0: this process; default: this process below 50,000 runs)."),
) -> None:
    """Run baseline and intervention on common random numbers; print each outcome's paired difference with a 95% interval."""
    if list_experiments:
        _list_experiments(scenario, as_json)
        return
    if scenario is None:
        _fail("give a SCENARIO (e.g. bolivia-1952), or --list to see the named experiments", as_json)
    _within_limits(as_json, seed, ("--runs", runs, 2, None))
    loaded, _ = _load(scenario, as_json)
    until_month = _until(until, as_json)
    with _bad_input(as_json):
        base = experiment_intervention(loaded, experiment) if experiment else Intervention(name=name or "what-if")
        changes = dict(parse_assignment(text) for text in sets or [])
        events = [parse_event(text) for text in add_events or []]
        intervention = extend(base, changes, events, cancel_events or [], start=start, until=until_month, name=name)
        if not (intervention.changes or intervention.add_events or intervention.cancel_events):
            raise ValueError("nothing to change: give --experiment, --set PATH=VALUE, --add-event or --cancel-event")
        apply_intervention(loaded, intervention)  # refuse a bad path or value before any simulation
        if intervention.start is not None:
            loaded.snapshot(intervention.start)
    began = time.perf_counter()
    with _cluster(scheduler, workers, default_local=runs >= 50_000, as_json=as_json) as client:
        with _bad_input(as_json), _progress_bar("what-if", "paired runs", runs, as_json) as update:
            result = run_whatif(loaded, intervention, runs, seed=seed, client=client, progress=update)
    table = whatif_table(result)
    record, not_recorded = _record_or_report(lambda: record_whatif(RunStore(store), loaded, result, time.perf_counter() - began), "the what-if")
    if as_json:
        _print_json(
            {
                "scenario": loaded.id,
                "intervention": result.intervention.to_dict(),
                "seed": seed,
                "runs": runs,
                "start": format_month(result.start),
                "until": format_month(result.until),
                "table": to_dict(table),
                "record": record,
                "record_error": not_recorded,
            }
        )
        _exit_if_not_recorded(not_recorded)
        return
    console = _stdout()
    console.print(Text(f"{loaded.title}", style="bold"))
    title = intervention.title or intervention.name
    console.print(Text(f"What-if: {title}", style="bold"), soft_wrap=True)
    if intervention.provenance:
        console.print(Text(intervention.provenance, style="italic"), soft_wrap=True)
    rich = RichTable(title=f"{table.title}, % ± SE", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, collapse_padding=True)
    for header, justify in (("Outcome", "left"), ("Baseline", "right"), ("Intervention", "right"), ("Difference", "right"), ("95% interval", "right")):
        rich.add_column(header, justify=justify, overflow="fold")
    for row in table.rows:
        values = dict(zip((c.key for c in table.columns), row))
        significant = values["low"] > 0 or values["high"] < 0
        rich.add_row(
            Text(values["label"]),
            format_percent(values["p baseline"], values["se baseline"], compact=True),
            format_percent(values["p intervention"], values["se intervention"], compact=True),
            Text(f"{100 * values['difference']:+.1f} ±{100 * values['se difference']:.1f}", style="bold" if significant else ""),
            f"[{100 * values['low']:+.1f}, {100 * values['high']:+.1f}]",
        )
    console.print(rich)
    _print_notes(console, table)
    if record:
        console.print(Text.assemble("Recorded as ", (record, "bold green"), f" in {RunStore(store).path}"), soft_wrap=True)
    _exit_if_not_recorded(not_recorded)


# --- sensitivity and discovery --------------------------------------------------------------------


@app.command("sensitivity")
def sensitivity_command(
    scenario: str = SCENARIO_ARGUMENT,
    outcome: str = typer.Option(..., "--outcome", "-o", help=f"Outcome whose probability is analysed: {', '.join(OUTCOME_NAMES)}."),
    method: str = typer.Option("sobol", "--method", "-m", help="sobol (first-order and total indices) or morris (elementary effects)."),
    samples: int = typer.Option(64, "--samples", help="Sobol: base samples N, a power of two (N (D+2) points); Morris: trajectories (N (D+1) points)."),
    runs: int = typer.Option(DEFAULT_RUNS_PER_POINT, "--runs", "-n", help="Runs simulated at each sample point (each point has its own runs)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the sample and of every point's random streams."),
    start: Optional[str] = typer.Option(None, "--from", help="Start from a snapshot (its id or month YYYY-MM)."),
    until: Optional[str] = typer.Option(None, "--until", help="Last month, YYYY-MM (default: two years after a snapshot start, else the calendar's end)."),
    params: Optional[list[str]] = typer.Option(None, "--params", help="Only free parameters whose path matches these glob patterns (repeatable or comma-separated), e.g. 'mechanisms.coup.*'."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the chart and tables (default: reports/<scenario>/sensitivity)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON only."),
    store: Optional[Path] = STORE_OPTION,
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted identical analysis: compute only the batches of points not yet stored."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (0: this process; default: one per core)."),
) -> None:
    """Global sensitivity (SALib) of an outcome's probability to the free parameters: indices with 95% intervals and a bar chart."""
    _within_limits(as_json, seed, ("--samples", samples, 2, MAX_POINTS), ("--runs", runs, 1, None))
    loaded, _ = _load(scenario, as_json)
    until_month = _until(until, as_json)
    if method not in METHODS:
        _fail(f"--method must be one of {', '.join(METHODS)}, got {method!r}", as_json)
    with _bad_input(as_json):
        check_outcome(outcome)
        run_store = RunStore(store)
        dimensions = len(sensitivity_parameters(loaded, _patterns(params)))
        points = samples * (dimensions + (2 if method == "sobol" else 1))  # N (D + 2) or N (D + 1), before the sample is drawn
        check_count(points, f"the sample's points ({method}: {samples:,} x {dimensions + (2 if method == 'sobol' else 1)})", 1, MAX_POINTS)
        check_total(points * runs, f"{points:,} points x {runs:,} runs")
        total = len(sample(sensitivity_parameters(loaded, _patterns(params)), method, samples, seed))  # validates --samples too
    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as client:
        with _bad_input(as_json), _progress_bar("sensitivity", "points", total, as_json) as update:
            result = run_sensitivity(
                loaded, outcome, method, samples, runs, seed, start, until_month, _patterns(params), store=run_store,
                resume=resume, client=client, progress=update,
            )
    table = sensitivity_table(result)
    with _bad_input(as_json, "--out"):
        folder = out if out is not None else Path("reports") / loaded.id / "sensitivity"
        stem = f"{outcome}-{method}"
        chart = sensitivity_chart(result, str(folder / f"{stem}.png"))
        files = [chart, *write_table(folder, stem, table, {"summary": result.summary(), "record": result.record_id})]
    if as_json:
        _print_json({"scenario": loaded.id, "record": result.record_id, "wall_time": result.wall_time, "files": files,
                     "warnings": list(result.warnings), "table": to_dict(table)})
        return
    console = _stdout()
    console.print(_plain_rich_table(table))
    _print_notes(console, table)
    console.print(Text.assemble("Chart and tables in ", (str(Path(chart).parent), "bold green"), f"; recorded as {result.record_id} ({result.wall_time:.0f} s)"), soft_wrap=True)


@app.command("discover")
def discover_command(
    scenario: str = SCENARIO_ARGUMENT,
    outcome: str = typer.Option(..., "--outcome", "-o", help=f"Outcome to find the conditions of: {', '.join(OUTCOME_NAMES)}."),
    samples: int = typer.Option(200, "--samples", help="Latin hypercube sample points over the free parameters' prior ranges."),
    runs: int = typer.Option(200, "--runs", "-n", help="Runs simulated at each sample point."),
    threshold: float = typer.Option(0.5, "--threshold", help="A point is a case of interest when the outcome's probability there reaches this."),
    min_density: float = typer.Option(0.8, "--min-density", help="The chosen box is the widest whose density reaches this."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the sample and of every point's random streams."),
    start: Optional[str] = typer.Option(None, "--from", help="Start from a snapshot (its id or month YYYY-MM)."),
    until: Optional[str] = typer.Option(None, "--until", help="Last month, YYYY-MM (default: two years after a snapshot start, else the calendar's end)."),
    params: Optional[list[str]] = typer.Option(None, "--params", help="Only free parameters whose path matches these glob patterns (repeatable or comma-separated)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the trade-off chart and tables (default: reports/<scenario>/discovery)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    store: Optional[Path] = STORE_OPTION,
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted identical analysis: compute only the points not yet stored."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (0: this process; default: one per core)."),
) -> None:
    """Scenario discovery with PRIM: the box of parameter ranges where the outcome is likely, its coverage and density, the trade-off curve."""
    _within_limits(as_json, seed, ("--samples", samples, 1, MAX_POINTS), ("--runs", runs, 1, None), total=(samples * runs, f"{samples:,} points x {runs:,} runs"))
    loaded, _ = _load(scenario, as_json)
    until_month = _until(until, as_json)
    with _bad_input(as_json):
        check_outcome(outcome)
        run_store = RunStore(store)
        sensitivity_parameters(loaded, _patterns(params))
    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as client:
        with _bad_input(as_json), _progress_bar("discovery", "points", samples, as_json) as update:
            result = run_discovery(
                loaded, outcome, samples, runs, threshold, min_density, seed, start, until_month, _patterns(params),
                store=run_store, resume=resume, client=client, progress=update,
            )
    box_table, curve = discovery_table(result), tradeoff_table(result)
    with _bad_input(as_json, "--out"):
        folder = out if out is not None else Path("reports") / loaded.id / "discovery"
        chart = tradeoff_chart(result, str(folder / f"{outcome}-tradeoff.png"))
        files = [chart, *write_table(folder, f"{outcome}-box", box_table, {"summary": result.summary(), "record": result.record_id}),
                 *write_table(folder, f"{outcome}-tradeoff", curve)]
    if as_json:
        _print_json({"scenario": loaded.id, "record": result.record_id, "box": result.box, "files": files,
                     "warnings": list(result.warnings), "table": to_dict(box_table), "tradeoff": to_dict(curve)})
        return
    console = _stdout()
    console.print(_plain_rich_table(box_table))
    _print_notes(console, box_table)
    console.print(Text.assemble("Trade-off chart and tables in ", (str(Path(chart).parent), "bold green"), f"; recorded as {result.record_id}"), soft_wrap=True)


# --- runs -----------------------------------------------------------------------------------------

runs_app = typer.Typer(help="The run store: list, show, compare and export recorded runs, what-ifs and sweeps; verify and repair the store.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


@runs_app.command("list")
def runs_list_command(
    limit: int = typer.Option(30, "--limit", help="How many records, newest first."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only records of this kind (run, whatif, sensitivity, discovery, sweep, ...)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON only."),
) -> None:
    """The newest records in the run store."""
    if not 1 <= limit <= MAX_LIST:
        _fail(f"--limit must be a whole number from 1 to {MAX_LIST:,}, got {limit}", as_json)
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
        runs = "" if r["n_runs"] is None else (f"{r['items']}x{r['n_runs']}" if r["items"] else str(r["n_runs"]))
        kind = r["kind"] if r["status"] == "complete" else f"{r['kind']} ({r['status']})"
        row = (r["id"], kind, r["name"] or "", r["scenario_id"] or "", (r["created"] or "")[5:16], runs,
               "" if r["seed"] is None else r["seed"], "" if r["wall_time"] is None else f"{r['wall_time']:.1f}")
        table.add_row(*(Text(str(v)) for v in row))
    _stdout().print(table)
    if not records:
        _stdout().print(Text("No records yet.", style="dim"))


@runs_app.command("show")
def runs_show_command(
    record: str = typer.Argument(..., help="Record id (or a unique prefix)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON only."),
) -> None:
    """One record: its scenario hash, parameters, seed, code version, wall time, summary and Parquet files."""
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
        table.add_row(OUTCOME_LABELS.get(key, key), format_percent(p, se, compact=True))
    console.print(table)


@runs_app.command("compare")
def runs_compare_command(
    first: str = typer.Argument(..., help="First record id (or unique prefix)."),
    second: str = typer.Argument(..., help="Second record id (or unique prefix)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON only."),
) -> None:
    """Each outcome's probability in two records and their difference with its standard error."""
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
    out: Path = typer.Option(..., "--out", "-o", help="New folder to write record.json, items.csv and the tables to."),
    format: str = typer.Option("parquet", "--format", "-f", help="parquet or csv: the record's tables; netcdf: a run's labelled ensemble as ensemble.nc (xarray)."),
    store: Optional[Path] = STORE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON only."),
) -> None:
    """Export a record to a folder: its metadata and summary as JSON, a sweep's points as CSV, and its tables
    (Parquet, CSV) or its labelled ensemble (netCDF, readable with xarray.open_dataset)."""
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
    from .store.check import verify_store

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
    from .store.check import repair_store

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


# --- describe -------------------------------------------------------------------------------------


@app.command("describe")
def describe_command(
    scenario: str = SCENARIO_ARGUMENT,
    fmt: str = typer.Option("md", "--format", "-f", help="md (Markdown; with --out its figures are PNG files beside it) or html (one self-contained page)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default: print the document to standard output)."),
) -> None:
    """Write the model description (ODD+D) of a scenario, generated from the scenario file and the mechanisms' code."""
    from .report.describe import describe_scenario, render_html, render_markdown, write_description

    if fmt not in ("md", "html"):
        _fail(f"--format must be md or html, got {fmt!r}")
    with _bad_input():
        description = describe_scenario(load_scenario(scenario))
        if out is None:
            typer.echo(render_html(description) if fmt == "html" else render_markdown(description), nl=False)
            return
        written = write_description(description, out, fmt)  # type: ignore[arg-type]
    sections = len(description.all_sections())
    size = written[-1].stat().st_size
    _stdout().print(
        Text.assemble("Wrote ", (str(written[-1]), "bold green"), f" ({size:,} bytes, {sections} sections, {len(description.figures)} figures)"),
        soft_wrap=True,
    )
    for path in written[:-1]:
        _stdout().print(Text.assemble("  figure ", (str(path), "green")), soft_wrap=True)


# --- serve ----------------------------------------------------------------------------------------


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this machine only)."),
    port: int = typer.Option(8000, "--port", "-p", help="Port to listen on."),
    workers: int = typer.Option(2, "--workers", "-w", help="Worker processes that run simulations (jobs beyond them queue)."),
    store: Optional[Path] = STORE_OPTION,
    scenario_files: Optional[list[Path]] = typer.Option(None, "--scenario", help="Register a scenario file besides the bundled ones (repeatable); validated now."),
) -> None:
    """Serve the web explorer: one page and a JSON API (its OpenAPI schema at /openapi.json), at http://HOST:PORT/."""
    from .web import LOOPBACK_HOSTS, serve

    if not 0 < port < 65536:
        _fail(f"--port must be between 1 and 65535, got {port}")
    if workers < 1:
        _fail(f"--workers must be at least 1, got {workers}")
    with _bad_input():
        from .store import RunStore
        from .web import Catalog

        Catalog(scenario_files or ())  # every registered file validated before the server starts
        RunStore(store)
    _stderr().print(Text.assemble("coyuntura explorer on ", (f"http://{host}:{port}/", "bold green"), " (Ctrl-C to stop)"), soft_wrap=True)
    if host not in LOOPBACK_HOSTS:
        _stderr().print(Text(f"warning: bound to {host}, the explorer is reachable from other machines and has no authentication", style="yellow"), soft_wrap=True)
    serve(host=host, port=port, workers=workers, store=store, scenarios=scenario_files or ())


# --- observed timeline: score, calibrate, forecast, backtest -----------------------------------------


def _month(text: str, option: str, as_json: bool) -> int:
    with _bad_input(as_json, option):
        return parse_month(text)


def _parameter_draws(
    scenario: Scenario, posterior_file: Optional[Path], draws: Optional[int], seed: int, runs: int, as_json: bool, blocks: int = 1,
    shipped: Optional[Posterior] = None,
) -> tuple[Optional[dict[str, Any]], str]:
    """The scenario's values (``None``), or per-run values drawn from a posterior (a file, else ``shipped``), and how to say which.

    Every run gets its own draw, or with ``--draws K`` each of ``blocks`` groups of runs shares K vectors."""
    if posterior_file is None and shipped is None:
        return None, "the scenario's values"
    with _bad_input(as_json, "--posterior"):
        if draws is not None and draws < 1:
            raise ValueError(f"--draws must be at least 1, got {draws}")
        posterior = load_posterior(posterior_file) if posterior_file is not None else shipped
        assert posterior is not None
        runs -= runs % blocks
        values = posterior.run_values(scenario, runs, seed, draws, blocks)
    how = f"{draws} draws" if draws is not None else "one draw per run"
    where = f"the posterior {posterior_file}" if posterior_file is not None else "the posterior shipped with the scenario"
    return values, f"{how} from {where}, calibrated on the record before {posterior.as_of}"


def _histories_simulator(client: Any) -> Any:
    return DaskSimulator(client) if client is not None else None


@contextmanager
def _generation_bar(as_json: bool) -> Iterator[Any]:
    """A progress bar of accepted particles, one generation at a time; yields ``update(t, accepted, population)``."""
    console = _stderr()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("accepted"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=as_json or not console.is_terminal) as progress:
        task = progress.add_task("calibrating", total=1)

        def update(t: int, accepted: int, population: int) -> None:
            name = "prior sample" if t < 0 else f"generation {t}"
            progress.update(task, description=name, completed=accepted, total=max(population, 1))

        yield update


def _write_posterior_outputs(posterior: Posterior, folder: Path) -> list[str]:
    return [
        str(posterior_chart(posterior, folder / "posterior.png")),
        str(epsilon_chart(posterior, folder / "epsilon.png")),
        *write_table(folder, "generations", generations_table(posterior)),
        *write_table(folder, "parameters", parameters_table(posterior)),
    ]


@app.command("score")
def score_command(
    scenario: str = SCENARIO_ARGUMENT,
    filtered: bool = typer.Option(
        False, "--filtered", help="One step ahead: forecast each 6-month period's cells from one particle filter's cloud at its start."
    ),
    posterior: Optional[Path] = typer.Option(None, "--posterior", help="Score parameters drawn from this posterior (from `coyuntura calibrate`)."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Parameter vectors drawn from the posterior (default: one per run)."),
    runs: Optional[int] = typer.Option(
        None, "--runs", "-n", help=f"Simulated histories (default: 4,000; with --filtered {DEFAULT_FILTERED_RUNS:,} in all, split among the filters)."
    ),
    replications: int = typer.Option(
        DEFAULT_REPLICATES, "--replications", "-k",
        help="Independent replicates for the Monte Carlo error (jackknife): filters with --filtered, else blocks of runs.",
    ),
    baselines: str = typer.Option(
        "in-sample", "--baselines", help="With --filtered: baselines fitted on the whole record (in-sample) or on the cells before each period (past)."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams (and of the posterior draws)."),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Folder for the tables and the reliability diagram (default: reports/<scenario>/score, or score-filtered)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (default: this process)."),
) -> None:
    """Score the model and two baselines (constant hazard, persistence) on every cell of the observed timeline: in-sample,
    or one step ahead with --filtered."""
    _within_limits(as_json, seed, ("--runs", runs, 1, None), ("--draws", draws, 1, MAX_POINTS), ("--replications", replications, 2, MAX_POINTS))
    loaded, _ = _load(scenario, as_json)
    if baselines not in BASELINE_TRAINING:
        _fail(f"--baselines must be one of {', '.join(BASELINE_TRAINING)}, got {baselines!r}", as_json)
    if baselines != "in-sample" and not filtered:
        _fail("--baselines past needs --filtered (the in-sample score fits the baselines on the whole record)", as_json)
    if replications < 2:
        _fail(f"--replications must be at least 2 (the Monte Carlo error comes from their spread), got {replications}", as_json)
    runs = runs if runs is not None else (DEFAULT_FILTERED_RUNS if filtered else 4_000)
    per_run, parameters = _parameter_draws(loaded, posterior, draws, seed, runs, as_json, replications if filtered else 1)
    with _bad_input(as_json):
        require_observations(loaded)
        months = record_end(loaded) - loaded.calendar.start + 1
    with _cluster(scheduler, workers, default_local=False, as_json=as_json) as client:
        with _bad_input(as_json), _progress_bar("filtering" if filtered else "scoring", "months", months, as_json) as update:
            simulator = _histories_simulator(client)
            if filtered:
                result: Any = filtered_score(
                    loaded, runs, seed, per_run, parameters, simulator=simulator, replications=replications,
                    baselines=baselines, progress=update,  # type: ignore[arg-type]
                )
            else:
                result = score_scenario(loaded, runs, seed, per_run, parameters, simulator=simulator, progress=update, replicates=replications)
    with _bad_input(as_json, "--out"):
        folder = out if out is not None else Path("reports") / loaded.id / ("score-filtered" if filtered else "score")
        what = "one step ahead (filtered)" if filtered else "in-sample"
        chart = reliability_chart(result.forecasts, folder / "reliability.png", f"{loaded.id}: {what} reliability")
        files = [str(chart)]
        for stem in ("cells", "totals", "kinds"):
            files += write_table(folder, stem, getattr(result, stem))
    if as_json:
        if filtered:
            data = {**result.to_dict(), "files": files}
        else:
            data = {"scenario": loaded.id, "mode": "in-sample", "runs": result.runs, "seed": seed, "parameters": parameters,
                    "mc_error": result.mc_error, "files": files,
                    "cells": to_dict(result.cells), "totals": to_dict(result.totals), "kinds": to_dict(result.kinds)}
        _print_json(data)
        return
    console = _stdout()
    for table in (result.cells, result.totals, result.kinds):
        console.print(_plain_rich_table(table))
        _print_notes(console, table)
    console.print(Text.assemble("Reliability diagram and tables in ", (str(folder), "bold green")), soft_wrap=True)


@app.command("calibrate")
def calibrate_command(
    scenario: str = SCENARIO_ARGUMENT,
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Calibrate on the observations that end before this month, YYYY-MM (default: all of them)."),
    population: int = typer.Option(2000, "--population", help="ABC-SMC population size (accepted particles per generation)."),
    generations: int = typer.Option(8, "--generations", help="ABC-SMC generations in all (with --resume: the total to reach)."),
    runs_per_particle: int = typer.Option(2, "--runs-per-particle", help="Histories simulated for each particle."),
    batch_particles: int = typer.Option(
        DEFAULT_BATCH_PARTICLES, "--batch-particles", help="Particles simulated together in one vectorized call (one Dask task)."
    ),
    epsilon_quantile: float = typer.Option(
        DEFAULT_EPSILON_QUANTILE, "--epsilon-quantile", help="Each generation's epsilon: this quantile of the last generation's distances."
    ),
    check_runs: int = typer.Option(
        DEFAULT_CHECK_RUNS, "--check-runs", help="Runs for the prior and posterior predictive checks of every calibration cell (0: skip them)."
    ),
    params: Optional[list[str]] = typer.Option(None, "--parameters", help="Only free parameters whose path matches these glob patterns (repeatable or comma-separated)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed: the posterior depends on it only, not on the number of workers."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the pyabc history, posterior.json and charts (default: reports/<scenario>/calibration)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted calibration in --out from its last finished generation."),
    as_json: bool = typer.Option(False, "--json", help="Print the posterior summary as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (0: this process; default: one per core)."),
) -> None:
    """ABC-SMC (pyabc) of the free parameters (numbers with a prior) on the observed timeline; writes the posterior and its diagnostics."""
    _within_limits(
        as_json, seed, ("--population", population, 2, MAX_POINTS), ("--generations", generations, 1, None), ("--runs-per-particle", runs_per_particle, 1, None),
        ("--batch-particles", batch_particles, 1, MAX_POINTS),
        total=(population * runs_per_particle * generations, f"--population x --runs-per-particle x --generations ({population:,} x {runs_per_particle:,} x {generations:,})"),
    )
    _within_limits(as_json, seed, ("--check-runs", check_runs if check_runs > 0 else None, 1, None))
    loaded, _ = _load(scenario, as_json)
    with _bad_input(as_json):
        settings = CalibrationSettings(
            as_of or default_as_of(loaded), population, generations, runs_per_particle, seed, tuple(_patterns(params) or ()),
            batch_particles=batch_particles, epsilon_quantile=epsilon_quantile,
        )
        settings.check()
        free_parameters(loaded, settings.parameters)
    folder = out if out is not None else Path("reports") / loaded.id / "calibration"
    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as client:
        with _bad_input(as_json), _generation_bar(as_json) as update:
            try:
                posterior = calibrate(loaded, settings, folder, client=client, resume=resume, progress=update)
            except KeyboardInterrupt:
                _stderr().print(
                    Text(f"interrupted: finished generations are kept in {folder / DATABASE}; run the same command with --resume to continue", style="bold yellow"),
                    soft_wrap=True,
                )
                raise typer.Exit(130) from None
    checks = None
    if check_runs > 0:
        with _bad_input(as_json), _progress_bar("predictive checks", "steps", 1, as_json) as update:
            checks = posterior_checks(loaded, posterior, check_runs, seed)
            update(1)
    with _bad_input(as_json, "--out"):
        files = [str(posterior.path), *_write_posterior_outputs(posterior, folder)]
        if checks is not None:
            files += write_table(folder, "checks", checks.table)
            files.append(str(checks_chart(checks, folder / "checks.png", f"{loaded.id}: predictive checks before {posterior.as_of}")))
    generations_rows, parameter_rows = generations_table(posterior), parameters_table(posterior)
    if as_json:
        _print_json({"scenario": loaded.id, "as_of": posterior.as_of, "posterior": str(posterior.path), "files": files,
                     "generations": to_dict(generations_rows), "parameters": to_dict(parameter_rows)})
        return
    console = _stdout()
    console.print(_plain_rich_table(generations_rows))
    _print_notes(console, generations_rows)
    console.print(_plain_rich_table(parameter_rows))
    _print_notes(console, parameter_rows)
    if checks is not None:
        console.print(
            f"Predictive checks ({len(checks.cells)} cells, {checks.runs:,} runs each): mean log score of the record "
            f"{checks.mean_log_score('prior'):.3f} with prior draws, {checks.mean_log_score('posterior'):.3f} with posterior draws "
            "(checks.csv, checks.png)", markup=False, soft_wrap=True,
        )
    console.print(Text.assemble("Posterior written to ", (str(posterior.path), "bold green"), " (charts and tables beside it)"), soft_wrap=True)


@app.command("forecast")
def forecast_command(
    scenario: str = SCENARIO_ARGUMENT,
    as_of: str = typer.Option(..., "--as-of", help="Vantage month YYYY-MM: condition on the observations ending before it, forecast from it."),
    horizon: int = typer.Option(..., "--horizon", help="Months forecast, the vantage month included."),
    posterior: Optional[Path] = typer.Option(
        None, "--posterior",
        help="Draw parameters from this posterior (from `coyuntura calibrate`). Default: the posterior shipped with a bundled scenario, "
        "when it was calibrated on the record before --as-of.",
    ),
    scenario_values: bool = typer.Option(False, "--scenario-values", help="Use the scenario file's own parameter values, not a posterior."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Parameter vectors drawn from the posterior (default: one per run)."),
    runs: int = typer.Option(10_000, "--runs", "-n", help="Simulated histories (particles), split among the independent filters."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the forecast's report here: tables (CSV, Markdown, JSON) and a chart."),
    replications: int = typer.Option(
        DEFAULT_FORECAST_REPLICATIONS, "--replications", "-k",
        help="Independent particle filters; the Monte Carlo errors come from their spread (1: from the effective sample size).",
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams (and of the posterior draws)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (default: this process)."),
) -> None:
    """Forecast each outcome over the horizon from any month, conditioned on the observed timeline before it."""
    _within_limits(as_json, seed, ("--runs", runs, 1, None), ("--draws", draws, 1, MAX_POINTS), ("--replications", replications, 1, MAX_POINTS))
    loaded, _ = _load(scenario, as_json)
    vantage = _month(as_of, "--as-of", as_json)
    if runs < replications:
        _fail(f"--runs ({runs}) must be at least --replications ({replications}): each filter needs runs", as_json)
    with _bad_input(as_json):
        until = check_window(loaded, vantage, horizon)
    if scenario_values and posterior is not None:
        _fail("give either --posterior or --scenario-values, not both", as_json)
    shipped, why_not = None, ""
    if posterior is None and not scenario_values:
        with _bad_input(as_json):
            shipped = bundled_posterior(loaded)
        if shipped is not None and parse_month(shipped.as_of) > vantage:
            why_not = f" (its shipped posterior was calibrated on the record before {shipped.as_of}, after --as-of {format_month(vantage)})"
            shipped = None
    per_run, parameters = _parameter_draws(loaded, posterior, draws, seed, runs, as_json, replications, shipped)
    parameters += why_not
    with _cluster(scheduler, workers, default_local=False, as_json=as_json) as client:
        with _bad_input(as_json), _progress_bar("filtering", "months", until - loaded.calendar.start + 1, as_json) as update:
            result = forecast(
                loaded, vantage, horizon, runs, seed, per_run, parameters, simulator=_histories_simulator(client), progress=update,
                replications=replications,
            )
    if out is not None:
        with _bad_input(as_json, "--out"):
            write_forecast_report(result, out)
    if as_json:
        _print_json(result.to_dict())
        return
    console = _stdout()
    console.print(Text(f"{loaded.title}", style="bold"))
    console.print(f"Parameters: {parameters}", markup=False, soft_wrap=True)
    console.print(f"Conditioning: {result.conditioning}", markup=False, soft_wrap=True)
    console.print(_rich_table(result.table))
    console.print(Text(f"± is the Monte Carlo standard error in percentage points: {result.histories.se_method}.", style="dim"))
    if out is not None:
        console.print(Text.assemble("Report written to ", (str(out), "bold green")), soft_wrap=True)


@app.command("backtest")
def backtest_command(
    scenario: str = SCENARIO_ARGUMENT,
    origins: Optional[list[str]] = typer.Option(None, "--origins", help="Vantage months YYYY-MM (repeatable or comma-separated; default: 1963-06,1969-06,1970-09)."),
    horizon: int = typer.Option(DEFAULT_HORIZON, "--horizon", help="Months scored after each origin (cut at the end of the record)."),
    runs: int = typer.Option(4_000, "--runs", "-n", help="Simulated histories per forecast, split among the independent filters."),
    replications: int = typer.Option(
        DEFAULT_FORECAST_REPLICATIONS, "--replications", "-k", help="Independent particle filters per forecast; the totals' Monte Carlo errors come from their spread.",
    ),
    draws: Optional[int] = typer.Option(None, "--draws", help="Parameter vectors drawn from each origin's posterior (default: one per run)."),
    population: int = typer.Option(2000, "--population", help="ABC-SMC population size at each origin."),
    generations: int = typer.Option(8, "--generations", help="ABC-SMC generations at each origin."),
    runs_per_particle: int = typer.Option(2, "--runs-per-particle", help="Histories simulated for each ABC particle."),
    params: Optional[list[str]] = typer.Option(None, "--parameters", help="Only free parameters whose path matches these glob patterns."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the calibrations and the forecasts."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the calibrations, tables and the reliability diagram (default: reports/<scenario>/backtest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local Dask worker processes (0: this process; default: one per core)."),
) -> None:
    """Rolling-origin backtest: at each origin calibrate on the record before it, forecast what followed, score against the baselines."""
    _within_limits(
        as_json, seed, ("--runs", runs, 1, None), ("--draws", draws, 1, MAX_POINTS), ("--replications", replications, 2, MAX_POINTS), ("--population", population, 2, MAX_POINTS),
        ("--generations", generations, 1, None), ("--runs-per-particle", runs_per_particle, 1, None),
        total=(population * runs_per_particle * generations, f"--population x --runs-per-particle x --generations ({population:,} x {runs_per_particle:,} x {generations:,})"),
    )
    loaded, _ = _load(scenario, as_json)
    chosen = _patterns(origins) or list(DEFAULT_ORIGINS)
    for origin in chosen:
        _month(origin, "--origins", as_json)
    with _bad_input(as_json):
        settings = CalibrationSettings(chosen[0], population, generations, runs_per_particle, seed, tuple(_patterns(params) or ()))
        settings.check()
        free_parameters(loaded, settings.parameters)
    folder = out if out is not None else Path("reports") / loaded.id / "backtest"
    console = _stderr()

    def stage(origin: str, what: str) -> None:
        if not as_json:
            console.print(Text(f"{origin}: {what}", style="dim"))

    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as client:
        with _bad_input(as_json), _generation_bar(as_json) as update:
            try:
                result = backtest(
                    loaded, chosen, horizon, runs, draws, settings, folder, client=client, simulator=_histories_simulator(client),
                    replications=replications, on_origin=stage, calibration_progress=update,
                )
            except KeyboardInterrupt:
                _stderr().print(Text(f"interrupted: finished calibrations are kept in {folder}; run the same command again to resume", style="bold yellow"), soft_wrap=True)
                raise typer.Exit(130) from None
    with _bad_input(as_json, "--out"):
        files = [str(reliability_chart(result.forecasts, folder / "reliability.png", f"{loaded.id}: backtest reliability (all origins)"))]
        files += write_table(folder, "summary", result.summary) + write_table(folder, "cells", result.cells)
        for origin in result.origins:
            files += _write_posterior_outputs(origin.posterior, folder / format_month(origin.origin))
    verdict = "the calibrated model has the best total log score" if result.model_beats_baselines() else "the calibrated model does NOT beat both baselines in total log score"
    generations = {format_month(origin.origin): generations_table(origin.posterior) for origin in result.origins}
    if as_json:
        _print_json({"scenario": loaded.id, "verdict": verdict, "files": files, "summary": to_dict(result.summary), "cells": to_dict(result.cells),
                     "generations": {origin: to_dict(table) for origin, table in generations.items()}})
        return
    console = _stdout()
    for table in generations.values():
        console.print(_plain_rich_table(table))
    console.print(_plain_rich_table(result.summary))
    _print_notes(console, result.summary)
    console.print(Text(f"Verdict: {verdict}.", style="bold"))
    console.print(Text.assemble("Per-cell table, reliability diagram and calibrations in ", (str(folder), "bold green")), soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point alternative
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
