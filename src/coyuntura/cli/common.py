"""Shared pieces of the command line: the Typer app, output helpers, input checks, progress bars and Dask clusters.

The command line imports the library where a command uses it, not at start: ``coyuntura --help`` loads Typer
and Rich only. A command that needs an optional library that is not installed says which extra to install.
"""

from __future__ import annotations

import json
import math
import os
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text
from typer.core import TyperCommand

from ..extras import missing_extra
from ..limits import check_count, check_seed, check_total
from ..scenario.calendar import parse_month
from ..scenario.errors import ScenarioError

if TYPE_CHECKING:
    from ..engine.model import Model
    from ..engine.tables import Table
    from ..scenario.schema import Scenario

# --- exit codes -----------------------------------------------------------------------------------
# Every error a command reports goes through _fail(), the one place that prints it and exits; _usage() and
# _bad_option() choose the usage code, _bad_input() the failure code. Click's own usage errors (an unknown
# option, a number that is not one) exit with 2 as well.

EXIT_FAILURE = 1
"""The command could not do its work: a scenario or file it reads is missing or invalid, a record does not exist, the
run store is damaged, an optional library is not installed, or the work itself failed."""
EXIT_USAGE = 2
"""The command line is wrong: an option's value is malformed, out of range or unknown to the scenario, or options
contradict each other. Found before any work starts."""
EXIT_NOT_RECORDED = 3
"""The work finished and its results were printed or written, but the run store could not record it."""
EXIT_PROBLEMS = EXIT_FAILURE
"""``runs verify`` / ``runs repair``: the run store has problems (listed)."""
EXIT_MISSING_EXTRA = EXIT_FAILURE
"""The command needs an optional library that is not installed; the message names the extra to install."""


class _Command(TyperCommand):
    """A command whose missing optional library is one message naming the extra to install, and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ImportError as error:
            missing = missing_extra(error)
            if missing is None:
                raise
            _fail(str(missing), bool(ctx.params.get("as_json")), EXIT_MISSING_EXTRA)


class _App(typer.Typer):
    """A Typer app whose commands are :class:`_Command` (the ``runs`` group is one too)."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


app = _App(
    name="coyuntura",
    help="Turn an analysis of a political conjuncture into a stochastic model: run it, read its runs, check its sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
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


PIPED_WIDTH = 160
"""Columns of the tables when standard output is not a terminal and ``COLUMNS`` is unset (a file, a pipe, CI):
wide enough that no table is squeezed to Rich's default of 80 and its labels cut into pieces."""


def _stdout() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(highlight=False, width=PIPED_WIDTH)
    return console


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, as_json: bool = False, code: int = EXIT_FAILURE) -> NoReturn:
    """One red error message on stderr (and a JSON error object on stdout with --json); exit 1 unless told.

    Every error a command reports ends here, so each exit code means one thing (:data:`EXIT_FAILURE`,
    :data:`EXIT_USAGE`, :data:`EXIT_NOT_RECORDED`)."""
    if as_json:
        typer.echo(json.dumps({"error": message}))
    _stderr().print(Text(f"error: {message}", style="bold red"), soft_wrap=True)
    raise typer.Exit(code)


def _usage(message: str, as_json: bool = False) -> NoReturn:
    """A usage error found by the command itself (a bad option value, options that contradict each other): exit 2."""
    _fail(message, as_json, EXIT_USAGE)


@contextmanager
def _bad_input(as_json: bool = False, what: str = "", code: int = EXIT_FAILURE) -> Iterator[None]:
    """Turn the library's errors (bad scenario, missing file or record, failed work) into one clear message and exit 1.

    ``what`` prefixes the message (the option the block reads); ``code`` is :data:`EXIT_USAGE` in :func:`_bad_option`."""
    prefix = f"{what}: " if what else ""
    try:
        yield
    except ScenarioError as error:
        _fail(str(error), as_json, code)
    except KeyError as error:
        _fail(prefix + str(error.args[0] if error.args else error), as_json, code)
    except (ValueError, OSError) as error:
        _fail(prefix + str(error), as_json, code)


def _bad_option(as_json: bool = False, what: str = "") -> AbstractContextManager[None]:
    """Like :func:`_bad_input`, for a block that only checks values given on the command line: exit 2 (usage)."""
    return _bad_input(as_json, what, EXIT_USAGE)


def _check_out(out: Optional[Path], as_json: bool, default: Optional[Path] = None, folder: bool = True, report: bool = False) -> Path:
    """Refuse, before any work, an ``--out`` (or, without one, the ``default``) that could not be written: a file where a
    folder goes (or the reverse), a place without permission, or - for a report folder - a folder holding something
    else. Returns the path checked (``~`` expanded, absolute), which the command then writes to."""
    target = out if out is not None else default
    if target is None:
        raise ValueError("_check_out needs --out or a default")
    with _bad_option(as_json, "--out" if out is not None else "--out (not given: its default)"):
        if report:
            from ..report.folder import check_report_folder

            return check_report_folder(target)
        from ..atomic import check_destination

        return check_destination(target, folder=folder)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def load_scenario(name: str) -> Scenario:
    """A scenario by bundled name or path (:func:`coyuntura.scenario.loader.load_scenario`, imported when first used)."""
    from ..scenario.loader import load_scenario as load

    return load(name)


def _load(scenario: str, as_json: bool) -> tuple[Scenario, Model]:
    from ..engine.model import compile_scenario

    with _bad_input(as_json):
        loaded = load_scenario(scenario)
        return loaded, compile_scenario(loaded)


def _until(text: Optional[str], as_json: bool) -> Optional[int]:
    if text is None:
        return None
    with _bad_option(as_json, "--until"):
        return parse_month(text)


def _check_span(scenario: Scenario, start: Optional[str], until: Optional[int], as_json: bool) -> None:
    """Refuse, before any work, a ``--from`` snapshot the scenario lacks and an ``--until`` before the start or past
    the horizon (usage errors; the library would find them only once it runs)."""
    with _bad_option(as_json):
        first = scenario.snapshot(start).month if start is not None else scenario.calendar.start
        if until is not None:
            scenario.check_until(first, until, "--until")


def _within_limits(as_json: bool, seed: int, *counts: tuple[str, Optional[int], int, Optional[int]], total: Optional[tuple[int, str]] = None) -> None:
    """Refuse, before any work, a seed outside 0 <= seed < 2**63 and counts outside their caps (``coyuntura.limits``):
    each count is (option, value or None, minimum, maximum or None for the cap on runs); ``total`` is (runs in all, what)."""
    with _bad_option(as_json):
        check_seed(seed)
        for option, value, minimum, maximum in counts:
            if value is not None:
                check_count(value, option, minimum, maximum)
        if total is not None:
            check_total(*total)


def _rich_table(table: Table, show_key: bool = False) -> RichTable:
    from ..engine.tables import formatted_cells

    headers, cells = formatted_cells(table, combine=True, compact=True)
    return _rich_from_cells(f"{table.title}, % ± SE", headers, cells, list(range(1, len(headers))))


def _frame(title: str) -> RichTable:
    """An empty table in the command line's style."""
    return RichTable(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, collapse_padding=True)


def _rich_from_cells(title: str, headers: list[str], cells: list[list[str]], shown: list[int]) -> RichTable:
    """A table of the label column and the columns ``shown`` of formatted ``cells``."""
    rich = _frame(title)
    rich.add_column(headers[0], overflow="fold", min_width=16)
    for index in shown:
        header = "whole\nrun" if "(whole run)" in headers[index] else headers[index]
        # A column is exactly as wide as its widest number or header word (its header wraps to fit): a wide table
        # then fits the console instead of losing its last columns, and the measure of whether it fits is exact.
        widest = max([len(row[index]) for row in cells] + [len(word) for word in header.split()])
        rich.add_column(header.replace("..", "\n.."), justify="right", overflow="fold", min_width=widest, max_width=widest)
    for row in cells:
        rich.add_row(row[0], *(row[index] for index in shown))
    return rich


# --- run ------------------------------------------------------------------------------------------


def _auto_batch(runs: int) -> int:
    """Batches big enough to stay fast, small enough for a moving progress bar (results do not depend on it)."""
    return min(25_000, max(5_000, math.ceil(runs / 10)))


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
        _fail(problem, code=EXIT_NOT_RECORDED)


@contextmanager
def _cluster(scheduler: Optional[str], workers: Optional[int], default_local: bool, as_json: bool) -> Iterator[Any]:
    """The executor a command spreads its work on (:mod:`coyuntura.executor`): the Dask scheduler ``--scheduler``, a local
    cluster of ``--workers`` processes (Dask when installed, else a process pool), or this process (``--workers 0``, or
    neither option where ``default_local`` is false)."""
    if workers is not None and workers < 0:
        _usage(f"--workers must be 0 (this process) or more, got {workers}", as_json)
    from ..executor import InlineExecutor, check_scheduler_address, open_executor

    if scheduler is not None:
        if workers is not None:
            _usage(f"give --workers or --scheduler, not both: the scheduler's cluster has its own workers (got --workers {workers})", as_json)
        with _bad_option(as_json, "--scheduler"):
            scheduler = check_scheduler_address(scheduler)

    if scheduler is None and (workers == 0 or (workers is None and not default_local)):
        yield InlineExecutor()
        return
    stack = ExitStack()
    try:
        executor = stack.enter_context(open_executor(workers=workers, scheduler=scheduler))
    except (OSError, ValueError, TimeoutError) as error:
        _fail(f"cannot reach the Dask scheduler {scheduler}: {error}" if scheduler else f"cannot start a local cluster: {error}", as_json)
    with stack:
        yield executor


def _rich_progress(label: str, unit: str, as_json: bool = False) -> Any:
    """The one Rich progress display of the CLI, on stderr: label, bar, done of total, unit, time elapsed.

    Shown only on a terminal and never with --json (rich.progress is imported here, not when --help runs)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = _stderr()
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True, disable=as_json or not console.is_terminal)


@contextmanager
def _progress_bar(label: str, unit: str, total: int, as_json: bool) -> Iterator[Any]:
    """A Rich progress bar on stderr (not with --json, nor off a terminal); yields ``update(done)``."""
    with _rich_progress(label, unit, as_json) as progress:
        task = progress.add_task(label, total=max(total, 1))
        yield lambda done, *_: progress.update(task, completed=done)


TURN_AT_MOST_ROWS = 8
"""A table too wide for the console is printed turned (one column per row) when it has at most this many rows."""


def _fitting_tables(console: Console, table: Table) -> list[RichTable]:
    """``table`` as it fits the console, so that a narrow terminal loses no column: whole if it fits; else, with few
    rows (the regime types), turned - one column per row, one line per measure; else in blocks of columns, each
    repeating the label column."""
    from rich.measure import Measurement

    from ..engine.tables import formatted_cells

    def fits(rich: RichTable) -> bool:
        narrowest = Measurement.get(console, console.options.update(max_width=10**6), rich).minimum  # not clamped
        return narrowest <= console.width

    headers, cells = formatted_cells(table, combine=True, compact=True)
    title = f"{table.title}, % ± SE"
    columns = list(range(1, len(headers)))
    whole = _rich_from_cells(title, headers, cells, columns)
    if fits(whole) or not columns:
        return [whole]
    if len(cells) <= TURN_AT_MOST_ROWS:
        turned = _frame(title)
        turned.add_column("", overflow="fold")
        for row in cells:
            turned.add_column(row[0], justify="right", overflow="fold")
        for index in columns:
            turned.add_row(headers[index], *(row[index] for row in cells))
        return [turned]
    blocks: list[list[int]] = [[]]
    for index in columns:
        if blocks[-1] and not fits(_rich_from_cells(title, headers, cells, blocks[-1] + [index])):
            blocks.append([])
        blocks[-1].append(index)
    return [_rich_from_cells(title if number == 0 else f"{title} (continued)", headers, cells, block) for number, block in enumerate(blocks)]


def _plain_rich_table(table: Table, title_suffix: str = "") -> RichTable:
    from ..engine.tables import formatted_cells

    headers, cells = formatted_cells(table, combine=True, compact=True)
    rich = _frame(table.title + title_suffix)
    labels = max((len(row[0]) for row in cells), default=0)
    for index, header in enumerate(headers):
        if index == 0:  # labels such as a period's 1952-04..1952-09 stay whole where they can
            rich.add_column(header, overflow="fold", justify="left", min_width=min(labels, 24))
        else:
            rich.add_column(header, overflow="fold", justify="right")
    for row in cells:
        rich.add_row(*(Text(cell) for cell in row))
    return rich


def _print_notes(console: Console, table: Table) -> None:
    for note in table.notes:
        style = "yellow" if note.startswith("warning:") else "dim"
        console.print(Text(note, style=style), soft_wrap=True)

def _patterns(params: Optional[list[str]], option: str = "--params", as_json: bool = False) -> Optional[list[str]]:
    """A repeatable, comma-separated option's items; None when it was not given. Given but empty (``--params ''``)
    is refused rather than read as "not given", which would widen the work to everything."""
    if not params:
        return None
    items = [p.strip() for text in params for p in text.split(",") if p.strip()]
    if not items:
        _usage(f"{option} is empty; give at least one item, or leave the option out", as_json)
    return items
