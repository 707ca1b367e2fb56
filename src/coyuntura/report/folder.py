"""Write a report folder: charts (PNG), tables (CSV and Markdown), ``report.json`` and a README index.

The charts need matplotlib (the ``charts`` extra); without it the folder holds the tables and says why
there are no charts.

The folder is built in a temporary sibling directory and moved into place only
when every file is written, so a crash never leaves a half-written report: the
destination holds either the previous report or the new one. An existing
destination is replaced only if it is empty or is itself a coyuntura report
(it holds a ``report.json`` written by this module), never an arbitrary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from ..atomic import check_destination
from ..engine.simulate import Ensemble
from ..engine.tables import Table, coup_count_table, event_table, regime_dynamics_table, regime_table, to_csv, to_dict, to_markdown
from ..extras import MissingExtra
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario

REPORT_MARKER = "coyuntura_report"
"""Key in ``report.json`` that marks a folder as a coyuntura report (safe to replace)."""

FILES = {
    "regimes.png": "Stacked-area chart: share of runs in each regime type, month by month.",
    "strength.png": "Fan charts: each actor's strength (median, 50% and 90% bands over the runs).",
    "regime_probabilities.csv": "Regime probabilities at the end of each reporting period, with standard errors (numbers).",
    "regime_probabilities.md": "The same table in Markdown.",
    "event_probabilities.csv": "Probability of at least one occurrence of each outcome per period and overall, with standard errors.",
    "event_probabilities.md": "The same table in Markdown.",
    "regime_dynamics.csv": "For each regime type: monthly hazards of a successful coup and of any exit, shares of runs with "
    "an attempt against it and with its end, general strikes and repression waves per run-year.",
    "regime_dynamics.md": "The same table in Markdown.",
    "coup_counts.csv": "Share of runs by number of successful and of failed coups, up to the calendar's end and after.",
    "coup_counts.md": "The same table in Markdown.",
    "report.json": "Run metadata and every table as JSON.",
}


REPORT_FILES = frozenset({*FILES, "README.md"})
"""The files a report writes (the charts when it can): the only files a new report replaces in its folder."""


def _is_report_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    if all(entry.is_dir() for entry in path.iterdir()):
        return True  # empty, or holding only other analyses' folders (score, calibration, ...), which are kept
    try:
        data = json.loads((path / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and REPORT_MARKER in data


def check_report_folder(out_dir: str | Path) -> Path:
    """The absolute path of a report folder that can be written at ``out_dir``: new, empty or an earlier report (which
    it replaces). Raises ``ValueError`` for anything else there, before any work is done."""
    out = check_destination(out_dir, folder=True, built_beside=True)
    if out.exists() and not _is_report_folder(out):
        raise ValueError(f"{out} exists and is not a coyuntura report folder; refusing to replace it")
    return out


def _metadata(ensemble: Ensemble, scenario: Scenario | None, start: str | None) -> dict[str, Any]:
    return {
        REPORT_MARKER: 1,
        "coyuntura_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenario": ensemble.scenario_id,
        "scenario_title": scenario.title if scenario is not None else None,
        "seed": ensemble.seed,
        "runs": ensemble.n_runs,
        "start": format_month(ensemble.start),
        "start_snapshot": start,
        "until": format_month(ensemble.until),
        "periods": [[format_month(a), format_month(b)] for a, b in ensemble.periods],
    }


def charts_missing() -> str | None:
    """Why a report's charts cannot be drawn (matplotlib, the ``charts`` extra, is missing), or None when they can."""
    try:
        from . import charts  # noqa: F401
    except MissingExtra as missing:
        return str(missing)
    return None


def _readme(meta: dict[str, Any], tables: Sequence[Table], missing: str | None = None) -> str:
    title = meta["scenario_title"] or meta["scenario"]
    lines = [
        f"# Report: {title}",
        "",
        f"- Scenario: `{meta['scenario']}`" + (f" (from snapshot `{meta['start_snapshot']}`)" if meta["start_snapshot"] else ""),
        f"- Runs: {meta['runs']:,}, seed {meta['seed']}",
        f"- Months simulated: {meta['start']} to {meta['until']}",
        f"- Written by coyuntura {meta['coyuntura_version']} on {meta['created']}",
        "",
        "## Files",
        "",
    ]
    lines += [f"- [`{name}`]({name}): {description}" for name, description in FILES.items() if not (missing and name.endswith(".png"))]
    if missing:
        lines += ["", f"Charts not drawn: {missing}", ""]
    else:
        lines += ["", "## Regime type over time", "", "![Regime type over time](regimes.png)", ""]
        lines += ["## Strength of each actor", "", "![Strength of each actor](strength.png)", ""]
    for table in tables:
        lines += [to_markdown(table).replace("### ", "## ", 1), ""]
    lines += [
        "Probabilities are shares of independent runs; ± gives the Monte Carlo standard error "
        "sqrt(p(1-p)/N) in percentage points. They describe the model, not the world.",
        "",
    ]
    return "\n".join(lines)


def write_report(
    ensemble: Ensemble,
    out_dir: str | Path,
    scenario: Scenario | None = None,
    months: Sequence[int] | None = None,
    start: str | None = None,
) -> Path:
    """Write the report folder for ``ensemble`` to ``out_dir`` atomically and return its path.

    ``scenario`` (optional) supplies the title; ``months`` the months of the
    regime table (default: end of each period and ``until``); ``start`` the
    snapshot the runs started from, for the record. Raises ``ValueError`` if
    ``out_dir`` exists and is neither empty nor a coyuntura report, ``OSError``
    if it cannot be written.
    """
    out = check_report_folder(out_dir)
    regimes, events = regime_table(ensemble, months), event_table(ensemble)
    tallied = ensemble.regime_tally is not None  # ensembles built by hand may carry no tally
    dynamics = regime_dynamics_table(ensemble) if tallied else None
    counts = coup_count_table(ensemble) if tallied else None
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        missing = charts_missing()
        if missing is None:
            from .charts import regime_chart, strength_fan_chart  # matplotlib only when a report is written

            regime_chart(ensemble, build / "regimes.png")
            strength_fan_chart(ensemble, build / "strength.png")
        meta = _metadata(ensemble, scenario, start)
        named = {"regime_probabilities": regimes, "event_probabilities": events, "regime_dynamics": dynamics, "coup_counts": counts}
        for stem, table in ((stem, table) for stem, table in named.items() if table is not None):
            (build / f"{stem}.csv").write_text(to_csv(table), encoding="utf-8")
            (build / f"{stem}.md").write_text(to_markdown(table), encoding="utf-8")
        document = {
            **meta,
            "regime_table": to_dict(regimes),
            "event_table": to_dict(events),
            **({"regime_dynamics": to_dict(dynamics), "coup_counts": to_dict(counts)} if dynamics is not None and counts is not None else {}),
        }
        (build / "report.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        tables = tuple(table for table in (regimes, events, dynamics, counts) if table is not None)
        (build / "README.md").write_text(_readme(meta, tables, missing), encoding="utf-8")
        os.chmod(build, 0o755)
        _swap_into_place(build, out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return out


def _swap_into_place(build: Path, out: Path) -> None:
    """Move the finished ``build`` folder to ``out``, replacing an old report there.

    Only the report's own files are replaced: folders inside ``out`` belong to other analyses written beside it
    (``score``, ``calibration``, ...), and any other file is the user's (notes kept with the report); both move
    over to the new report untouched."""
    if not out.exists():
        os.rename(build, out)
        return
    carried = [entry.name for entry in out.iterdir()
               if not (build / entry.name).exists() and (entry.is_dir() or entry.name not in REPORT_FILES)]
    for name in carried:
        os.rename(out / name, build / name)

    def carry_back() -> None:  # a failed swap leaves the user's files where they were, not in the build removed next
        for name in carried:
            os.rename(build / name, out / name)

    try:
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
    except BaseException:
        carry_back()
        raise
    try:
        os.rename(build, out)
    except BaseException:
        os.rename(old, out)
        carry_back()
        raise
    shutil.rmtree(old, ignore_errors=True)
