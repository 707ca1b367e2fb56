"""What-ifs, sensitivity analysis and scenario discovery."""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, cast

import typer
from rich import box
from rich.table import Table as RichTable
from rich.text import Text

from ..defaults import DEFAULT_RUNS_PER_POINT
from ..extras import require
from ..limits import MAX_POINTS, check_count, check_total
from ..scenario.calendar import format_month
from .common import (
    SCENARIO_ARGUMENT,
    SCHEDULER_OPTION,
    STORE_OPTION,
    _bad_input,
    _bad_option,
    _check_out,
    _check_span,
    _cluster,
    _exit_if_not_recorded,
    _load,
    _patterns,
    _plain_rich_table,
    _print_json,
    _print_notes,
    _progress_bar,
    _record_or_report,
    _stdout,
    _until,
    _usage,
    _within_limits,
    app,
    load_scenario,
)

if TYPE_CHECKING:
    from rich.console import JustifyMethod

    from ..experiments.sensitivity import Method
    from ..scenario.schema import Scenario

OUTCOME_HELP = (
    "an event outcome such as coup_success or general_strike, a plug-in mechanism's own kind of event, or end_<regime> such as "
    "end_right_military (a wrong name lists the scenario's)"
)

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
    from ..scenario.loader import bundled_scenarios

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
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the effects chart and the table (CSV, Markdown, JSON) to this folder."),
    store: Optional[Path] = STORE_OPTION,
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (0: this process; default: this process below 50,000 runs)."),
) -> None:
    """Run baseline and intervention on common random numbers; print each outcome's paired difference with a 95% interval."""
    from ..engine.tables import format_percent
    from ..experiments.files import write_table
    from ..experiments.whatif import (
        Intervention,
        apply_intervention,
        experiment_intervention,
        extend,
        parse_assignments,
        parse_event,
        record_whatif,
        run_whatif,
        whatif_table,
    )
    from ..store.runstore import RunStore

    if list_experiments:
        _list_experiments(scenario, as_json)
        return
    if scenario is None:
        _usage("give a SCENARIO (e.g. bolivia-1952), or --list to see the named experiments", as_json)
    _within_limits(as_json, seed, ("--runs", runs, 2, None))
    loaded, _ = _load(scenario, as_json)
    folder = None
    if out is not None:
        require("charts", "matplotlib")  # before any work: the chart
        folder = _check_out(out, as_json)
    until_month = _until(until, as_json)
    with _bad_option(as_json):
        base = experiment_intervention(loaded, experiment) if experiment is not None else Intervention(name=name or "what-if")
        changes = parse_assignments(sets or [], loaded)
        events = [parse_event(text) for text in add_events or []]
        intervention = extend(base, changes, events, cancel_events or [], start=start, until=until_month, name=name)
        if not (intervention.changes or intervention.add_events or intervention.cancel_events):
            raise ValueError("nothing to change: give --experiment, --set PATH=VALUE, --add-event or --cancel-event")
        apply_intervention(loaded, intervention)  # refuse a bad path or value before any simulation
    _check_span(loaded, intervention.start, intervention.until, as_json)
    began = time.perf_counter()
    with _cluster(scheduler, workers, default_local=runs >= 50_000, as_json=as_json) as executor:
        with _bad_input(as_json), _progress_bar("what-if", "paired runs", runs, as_json) as update:
            result = run_whatif(loaded, intervention, runs, seed=seed, executor=executor, progress=update)
    table = whatif_table(result)
    record, not_recorded = _record_or_report(lambda: record_whatif(RunStore(store), loaded, result, time.perf_counter() - began), "the what-if")
    data = result.to_dict()
    files: list[str] = []
    if folder is not None:
        with _bad_input(as_json, "--out"):
            stem = _file_stem(intervention.name)
            about = {key: value for key, value in data.items() if key != "table"}
            files = [str(result.plot(folder / f"{stem}.png")), *write_table(folder, stem, table, {**about, "record": record})]
    if as_json:
        _print_json({**data, "record": record, "record_error": not_recorded, **({"files": files} if folder is not None else {})})
        _exit_if_not_recorded(not_recorded)
        return
    console = _stdout()
    console.print(Text(f"{loaded.title}", style="bold"))
    title = intervention.title or intervention.name
    console.print(Text(f"What-if: {title}", style="bold"), soft_wrap=True)
    if intervention.provenance:
        console.print(Text(intervention.provenance, style="italic"), soft_wrap=True)
    rich = RichTable(title=f"{table.title}, % ± SE", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, collapse_padding=True)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("Outcome", "left"), ("Baseline", "right"), ("Intervention", "right"), ("Difference", "right"), ("95% interval", "right")
    )
    for header, justify in columns:
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
    if files:
        console.print(Text.assemble("Chart and tables in ", (str(folder), "bold green")), soft_wrap=True)
    if record:
        console.print(Text.assemble("Recorded as ", (record, "bold green"), f" in {RunStore(store).path}"), soft_wrap=True)
    _exit_if_not_recorded(not_recorded)


FILE_STEM_CHARACTERS = 80
"""The most characters of a what-if's name its files are named by: far below any file system's limit."""


def _file_stem(name: str) -> str:
    """A what-if's name as a file name: accents folded (ñandú: nandu), letters, digits, '-', '_' and '.' kept, runs of
    anything else as one '-', at most FILE_STEM_CHARACTERS; "what-if" when nothing is left."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", folded).strip("-.")[:FILE_STEM_CHARACTERS].rstrip("-.")
    return stem or "what-if"


# --- sensitivity and discovery --------------------------------------------------------------------


@app.command("sensitivity")
def sensitivity_command(
    scenario: str = SCENARIO_ARGUMENT,
    outcome: str = typer.Option(..., "--outcome", "-o", help=f"Outcome whose probability is analysed: {OUTCOME_HELP}."),
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
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (0: this process; default: one per core)."),
) -> None:
    """Global sensitivity (SALib) of an outcome's probability to the free parameters: indices with 95% intervals and a bar chart."""
    require("explore", "SALib")  # before any work: the sample, the indices and the chart
    require("charts", "matplotlib")
    from ..experiments.files import write_table
    from ..experiments.measures import check_outcome
    from ..experiments.sensitivity import METHODS, analysed_parameters, run_sensitivity, sample, sensitivity_chart, sensitivity_table
    from ..store.runstore import RunStore

    _within_limits(as_json, seed, ("--samples", samples, 2, MAX_POINTS), ("--runs", runs, 1, None))
    loaded, _ = _load(scenario, as_json)
    folder = _check_out(out, as_json, Path("reports") / loaded.id / "sensitivity")
    until_month = _until(until, as_json)
    if method not in METHODS:
        _usage(f"--method must be one of {', '.join(METHODS)}, got {method!r}", as_json)
    _check_span(loaded, start, until_month, as_json)
    patterns = _patterns(params, "--params", as_json)
    with _bad_option(as_json):
        check_outcome(outcome, loaded)
        dimensions = len(analysed_parameters(loaded, patterns))
        points = samples * (dimensions + (2 if method == "sobol" else 1))  # N (D + 2) or N (D + 1), before the sample is drawn
        check_count(points, f"the sample's points ({method}: {samples:,} x {dimensions + (2 if method == 'sobol' else 1)})", 1, MAX_POINTS)
        check_total(points * runs, f"{points:,} points x {runs:,} runs")
        total = len(sample(analysed_parameters(loaded, patterns), cast("Method", method), samples, seed))  # validates --samples too
    with _bad_input(as_json):
        run_store = RunStore(store)
    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as executor:
        with _bad_input(as_json), _progress_bar("sensitivity", "points", total, as_json) as update:
            result = run_sensitivity(
                loaded, outcome, cast("Method", method), samples, runs, seed, start, until_month, patterns, store=run_store,
                resume=resume, executor=executor, progress=update,
            )
    table = sensitivity_table(result)
    with _bad_input(as_json, "--out"):
        stem = f"{outcome}-{method}"
        chart = sensitivity_chart(result, str(folder / f"{stem}.png"))
        files = [chart, *write_table(folder, stem, table, {"summary": result.summary(), "record": result.record_id})]
    if as_json:
        _print_json({**result.to_dict(), "files": files})
        return
    console = _stdout()
    console.print(_plain_rich_table(table))
    _print_notes(console, table)
    console.print(Text.assemble("Chart and tables in ", (str(Path(chart).parent), "bold green"), f"; recorded as {result.record_id} ({result.wall_time:.0f} s)"), soft_wrap=True)


@app.command("discover")
def discover_command(
    scenario: str = SCENARIO_ARGUMENT,
    outcome: str = typer.Option(..., "--outcome", "-o", help=f"Outcome to find the conditions of: {OUTCOME_HELP}."),
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
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (0: this process; default: one per core)."),
) -> None:
    """Scenario discovery with PRIM: the box of parameter ranges where the outcome is likely, its coverage and density, the trade-off curve."""
    require("explore", "SALib")  # before any work: the sample, PRIM and the chart
    require("explore", "ema_workbench")
    require("charts", "matplotlib")
    from ..experiments.discovery import MIN_SAMPLES, check_discovery_settings, discovery_table, run_discovery, tradeoff_chart, tradeoff_table
    from ..experiments.files import write_table
    from ..experiments.measures import check_outcome
    from ..experiments.sensitivity import free_parameters as sensitivity_parameters
    from ..store.runstore import RunStore

    _within_limits(as_json, seed, ("--samples", samples, MIN_SAMPLES, MAX_POINTS), ("--runs", runs, 1, None), total=(samples * runs, f"{samples:,} points x {runs:,} runs"))
    patterns = _patterns(params, "--params", as_json)
    loaded, _ = _load(scenario, as_json)
    folder = _check_out(out, as_json, Path("reports") / loaded.id / "discovery")
    until_month = _until(until, as_json)
    _check_span(loaded, start, until_month, as_json)
    with _bad_option(as_json):
        check_outcome(outcome, loaded)
        check_discovery_settings(threshold, min_density)
        sensitivity_parameters(loaded, patterns)
    with _bad_input(as_json):
        run_store = RunStore(store)
    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as executor:
        with _bad_input(as_json), _progress_bar("discovery", "points", samples, as_json) as update:
            result = run_discovery(
                loaded, outcome, samples, runs, threshold, min_density, seed, start, until_month, patterns,
                store=run_store, resume=resume, executor=executor, progress=update,
            )
    box_table, curve = discovery_table(result), tradeoff_table(result)
    with _bad_input(as_json, "--out"):
        chart = tradeoff_chart(result, str(folder / f"{outcome}-tradeoff.png"))
        files = [chart, *write_table(folder, f"{outcome}-box", box_table, {"summary": result.summary(), "record": result.record_id}),
                 *write_table(folder, f"{outcome}-tradeoff", curve)]
    if as_json:
        _print_json({**result.to_dict(), "files": files})
        return
    console = _stdout()
    console.print(_plain_rich_table(box_table))
    _print_notes(console, box_table)
    console.print(Text.assemble("Trade-off chart and tables in ", (str(Path(chart).parent), "bold green"), f"; recorded as {result.record_id}"), soft_wrap=True)
