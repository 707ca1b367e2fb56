"""Commands that simulate and describe a scenario: run, chronicle, check, sources, describe."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich import box
from rich.table import Table as RichTable
from rich.text import Text

from ..limits import MAX_SEED
from ..scenario.calendar import format_month
from .common import (
    SCENARIO_ARGUMENT,
    STORE_OPTION,
    _auto_batch,
    _bad_input,
    _bad_option,
    _check_out,
    _check_span,
    _cluster,
    _exit_if_not_recorded,
    _fitting_tables,
    _load,
    _print_json,
    _print_notes,
    _progress_bar,
    _record_or_report,
    _rich_progress,
    _stderr,
    _stdout,
    _until,
    _usage,
    _within_limits,
    app,
    load_scenario,
)

if TYPE_CHECKING:
    from ..engine.model import Model
    from ..engine.simulate import Ensemble
    from ..scenario.schema import Scenario


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
    workers: Optional[int] = typer.Option(None, "--workers", help="Simulate on this many local worker processes, on Dask if installed (default: this process)."),
) -> None:
    """Simulate RUNS runs, print the regime and event tables, and write a report folder."""
    from ..engine.simulate import simulate
    from ..engine.tables import event_table, regime_dynamics_table, regime_table, to_dict
    from ..parallel import simulate_parallel
    from ..report.folder import charts_missing, write_report
    from ..store.records import record_run
    from ..store.runstore import RunStore

    _within_limits(as_json, seed, ("--runs", runs, 1, None), ("--batch-size", batch_size, 1, None))
    loaded, model = _load(scenario, as_json)
    out = _check_out(out, as_json, Path("reports") / loaded.id, report=True)
    until_month = _until(until, as_json)
    _check_span(loaded, start, until_month, as_json)
    until_month = _past_the_snapshot(loaded, start, until_month, as_json)
    batch = _auto_batch(runs) if batch_size is None else batch_size
    began = time.perf_counter()
    with _cluster(scheduler, workers, default_local=False, as_json=as_json) as executor:
        with _bad_input(as_json):
            if executor.parallel:
                with _progress_bar("simulating", "runs", runs, as_json) as update:
                    ensemble = simulate_parallel(
                        executor, loaded, runs, seed=seed, progress=update, start=start, until=until_month, batch_size=batch
                    )
            elif as_json:
                ensemble = simulate(model, runs, seed=seed, start=start, until=until_month, batch_size=batch)
            else:
                ensemble = _simulate_with_progress(model, runs, seed, start, until_month, batch)
    with _bad_input(as_json):
        regimes, events, dynamics = regime_table(ensemble), event_table(ensemble), regime_dynamics_table(ensemble)
        folder = write_report(ensemble, out, loaded, start=start)
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
    for table in (regimes, events, dynamics):
        for part in _fitting_tables(console, table):
            console.print(part)
        _print_notes(console, table)  # what the table leaves out, its errors, the shares it gives in words
    console.print(Text.assemble("Report written to ", (str(folder), "bold green")), soft_wrap=True)
    missing = charts_missing()
    if missing:
        console.print(Text(f"Its charts were not drawn: {missing}", style="dim"), soft_wrap=True)
    if record:
        console.print(Text(f"Recorded as {record} in the run store (coyuntura runs show {record}).", style="dim"), soft_wrap=True)
    _exit_if_not_recorded(not_recorded)


def _simulate_with_progress(model: Model, runs: int, seed: int, start: Optional[str], until: Optional[int], batch: int) -> Ensemble:
    from ..engine.simulate import simulate

    with _rich_progress("simulating", "runs") as progress:
        task = progress.add_task("runs", total=max(runs, 1))
        return simulate(
            model, runs, seed=seed, start=start, until=until, batch_size=batch,
            progress=lambda done: progress.update(task, completed=done),
        )


# --- chronicle ------------------------------------------------------------------------------------


def _past_the_snapshot(loaded: Any, start: Optional[str], until_month: Optional[int], as_json: bool) -> Optional[int]:
    """``--until`` as given; from a snapshot without it, two years past the snapshot (the calendar's end may be the
    snapshot's own month), saying so - the same span for ``run`` and ``chronicle``, so that ``--run K`` tells run K."""
    from ..scenario.schema import DEFAULT_HORIZON_MONTHS

    if until_month is not None or start is None:
        return until_month
    with _bad_option(as_json, "--from"):
        until_month = loaded.default_until(start)
    if not as_json:
        _stderr().print(Text(f"--until not given: simulating {DEFAULT_HORIZON_MONTHS} months past the snapshot, to {format_month(until_month)}.", style="dim"))
    return until_month


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
    from ..report.chronicle import chronicle

    _within_limits(as_json, seed, ("--run", run, 0, MAX_SEED))
    loaded, model = _load(scenario, as_json)
    until_month = _until(until, as_json)
    _check_span(loaded, start, until_month, as_json)
    until_month = _past_the_snapshot(loaded, start, until_month, as_json)
    with _bad_input(as_json):
        lines = chronicle(model, run, seed=seed, start=start, until=until_month)
        first, last = loaded.span(start, until_month)
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
    from ..scenario.checks import quantities

    all_quantities = [q for _, q in quantities(scenario)]
    relations = Counter(r.kind for r in scenario.relations)
    mechanisms = [(name, scenario.mechanisms.get(name)) for name in scenario.mechanisms.names()]
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
    """Validate a scenario file and summarize it; problems are reported with file and line, and warnings (what a
    valid file will not do as written: a value the engine caps or overwrites, an event that never fires, a change
    a snapshot overrides) after the summary, without failing. A few runs of two months from the start and from each
    snapshot then show that every mechanism runs (a mechanism file's mistake is named here, not in the first real run)."""
    from ..engine.model import compile_scenario
    from ..engine.simulate import trial_run
    from ..report.mechanism_metadata import check_mechanisms
    from ..scenario.loader import load_with_warnings, resolve_scenario
    from ..scenario.plugins import BUILTIN_PACKAGE

    with _bad_input(as_json):
        scenario, warnings = load_with_warnings(file)
        where = str(resolve_scenario(file))
        # The scenario's own mechanisms keep what the model description needs too (FORMS, SOURCE, EQUATIONS, ...), so
        # `describe` never refuses a file `check` accepted; the built-in ones are held to it by the tests.
        check_mechanisms(module for module in scenario.mechanism_schedule() if not module.__name__.startswith(BUILTIN_PACKAGE + "."))
        trial_run(compile_scenario(scenario))
    summary = _summary(scenario, file)
    summary["warnings"] = [{"path": w.path, "line": w.line, "message": w.message} for w in warnings]
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
    for warning in warnings:
        _stderr().print(Text.assemble(("warning: ", "bold yellow"), warning.render(where)), soft_wrap=True)


# --- sources --------------------------------------------------------------------------------------


@app.command("sources")
def sources_command(
    scenario: str = SCENARIO_ARGUMENT,
    as_json: bool = typer.Option(False, "--json", help="Print everything as JSON only."),
) -> None:
    """Where every number and mechanism comes from, and which checklist items are covered."""
    from ..report.sources import sources

    with _bad_input(as_json):
        loaded = load_scenario(scenario)
    report = sources(loaded)
    if as_json:
        _print_json(report.to_dict())
        return
    console = _stdout()
    console.print(Text(f"{report.title}", style="bold"))
    for index, cited in enumerate(report.cited):
        console.print(Text(("Sources: " if len(report.cited) > 1 else "Source: ") * (index == 0) + cited, style="dim"))

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
    if not coverage.declared:
        console.print(Text("Checklist coverage: no checklist is declared for this scenario's analysis.", style="bold"))
    else:
        covered = sum(1 for item in coverage.checklist if item in coverage.covered)
        span = "the scenario's own" if coverage.labels else "A1-A17, M1-M17"
        console.print(Text(f"Checklist coverage: {covered}/{len(coverage.checklist)} items ({span})", style="bold"))
        if coverage.labels:  # a checklist of the scenario's own: say what each item asks for and what covers it
            for item, who in coverage.covered.items():
                console.print(Text(f"  {item} {coverage.labels[item]}: {', '.join(who)}"), soft_wrap=True)
        if coverage.missing:
            missing = Text("Not covered: ", style="bold red")
            for index, item in enumerate(coverage.missing):
                reason = coverage.not_represented.get(item)
                label = f" {coverage.labels[item]}" if item in coverage.labels else ""
                missing.append(("" if index == 0 else ", ") + item + label + (f" ({reason})" if reason else ""))
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


# --- describe -------------------------------------------------------------------------------------


@app.command("describe")
def describe_command(
    scenario: str = SCENARIO_ARGUMENT,
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f",
        help="md (Markdown; with --out its figures are PNG files beside it) or html (one self-contained page); default: as --out's "
        "suffix says (.html, .htm), else md.",
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default: print the document to standard output)."),
) -> None:
    """Write the model description (ODD+D) of a scenario, generated from the scenario file and the mechanisms' code."""
    from ..report.describe import (
        describe_scenario,
        render_html,
        render_markdown,
        write_description,
    )

    if fmt is not None and fmt not in ("md", "html"):
        _usage(f"--format must be md or html, got {fmt!r}")
    written_as = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}.get(out.suffix.lower()) if out is not None else None
    if fmt is not None and written_as is not None and written_as != fmt and out is not None:
        kinds = {"md": "a Markdown", "html": "an HTML"}
        _usage(f"--out {out.name} names {kinds[written_as]} file but --format is {fmt}; give --format {written_as} or another file name")
    fmt = fmt or written_as or "md"
    out = _check_out(out, False, folder=False) if out is not None else None
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
