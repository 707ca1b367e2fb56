"""Tables of an ensemble: regime probabilities and event probabilities, with Monte Carlo errors.

A :class:`Table` keeps its numbers as numbers (probabilities in [0, 1] and their
standard errors); only the writers (:func:`to_csv`, :func:`to_markdown`,
:func:`to_dict`) and the CLI format them. Every probability is a share of
``N`` independent runs, so its Monte Carlo standard error is the binomial one,
``sqrt(p (1 - p) / N)`` (:func:`standard_error`).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Literal, Sequence

import numpy as np

from ..extras import require
from ..scenario.calendar import format_month
from .outcomes import OUTCOMES, possible_outcomes
from .simulate import Ensemble
from .state import REGIME_KEYS

if TYPE_CHECKING:
    import pandas as pd

from ..scenario.vocabulary import REGIME_LABELS as REGIME_LABELS  # re-exported: the engine's names of the regime types

ColumnKind = Literal["key", "label", "probability", "se", "number"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``kind`` says how to format it: ``key`` and ``label`` are text,
    ``probability`` a share in [0, 1], ``se`` the standard error of the
    probability column with the same ``group`` (a month or a period),
    ``number`` any other number (a sensitivity index, a parameter's value).
    """

    key: str
    label: str
    kind: ColumnKind
    group: str | None = None


@dataclass(frozen=True)
class Table:
    """A small table: a title, typed columns and rows of plain Python values."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def column(self, key: str) -> list[Any]:
        """The values of one column, by key."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def row(self, key: str) -> dict[str, Any]:
        """The row whose first (``key``) column is ``key``, as a dict."""
        for row in self.rows:
            if row[0] == key:
                return dict(zip((c.key for c in self.columns), row))
        raise KeyError(key)

    def to_frame(self) -> "pd.DataFrame":
        """The table as a pandas DataFrame: one column per column key; the title and notes in ``DataFrame.attrs``."""
        pd = require("data", "pandas")

        frame = pd.DataFrame(list(self.rows), columns=[c.key for c in self.columns])
        frame.attrs.update(title=self.title, notes=list(self.notes), labels={c.key: c.label for c in self.columns})
        return frame

    @property
    def groups(self) -> list[str]:
        """The groups (months or periods) that have a probability column, in order."""
        return [c.group for c in self.columns if c.kind == "probability" and c.group is not None]


def standard_error(p: float | np.ndarray, n: int) -> float | np.ndarray:
    """Monte Carlo standard error of a share ``p`` of ``n`` independent runs: ``sqrt(p (1 - p) / n)``."""
    if n < 1:
        raise ValueError(f"the number of runs must be at least 1, got {n}")
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    se = np.sqrt(p * (1.0 - p) / n)
    return float(se) if se.ndim == 0 else se


def default_months(ensemble: Ensemble) -> tuple[int, ...]:
    """The end of each reporting period, and ``ensemble.until``, in order and without repeats."""
    months = sorted({last for _, last in ensemble.periods} | {ensemble.until})
    return tuple(m for m in months if ensemble.start <= m <= ensemble.until)


def period_label(period: tuple[int, int]) -> str:
    """``YYYY-MM..YYYY-MM`` for an inclusive pair of months."""
    return f"{format_month(period[0])}..{format_month(period[1])}"


def _probability_columns(groups: Iterable[str]) -> list[Column]:
    columns = []
    for group in groups:
        columns.append(Column(f"p {group}", group, "probability", group))
        columns.append(Column(f"se {group}", f"SE {group}", "se", group))
    return columns


def regime_table(ensemble: Ensemble, months: Sequence[int] | None = None) -> Table:
    """Probability of each regime type at the end of the given months (month indices).

    By default the months are the end of each reporting period and
    ``ensemble.until``. One row per regime type; per month a probability and its
    standard error.
    """
    months = tuple(default_months(ensemble) if months is None else months)
    if not months:
        raise ValueError("give at least one month for the regime table")
    for month in months:
        if not ensemble.start <= month <= ensemble.until:
            raise ValueError(
                f"month {format_month(month)} is outside the simulated span "
                f"{format_month(ensemble.start)}..{format_month(ensemble.until)}"
            )
    n = ensemble.n_runs
    labels = [format_month(m) for m in months]
    columns = (Column("regime", "Regime key", "key"), Column("label", "Regime", "label"), *_probability_columns(labels))
    probabilities = np.stack([ensemble.regime_probability(m) for m in months])  # (months, regimes)
    rows = []
    for r, key in enumerate(REGIME_KEYS):
        row: list[Any] = [key, ensemble.regime_labels[r]]
        for k in range(len(months)):
            p = float(probabilities[k, r])
            row += [p, standard_error(p, n)]
        rows.append(tuple(row))
    return Table(
        title=f"Regime type at the end of each month shown ({n:,} runs, seed {ensemble.seed})",
        columns=columns,
        rows=tuple(rows),
        notes=(f"SE: Monte Carlo standard error sqrt(p(1-p)/N), N = {n:,} runs.",),
    )


def event_table(ensemble: Ensemble) -> Table:
    """Probability that each outcome happens at least once in each reporting period and over the whole run."""
    n = ensemble.n_runs
    counts = np.asarray(ensemble.outcome_counts)  # (periods, outcomes)
    totals = np.asarray(ensemble.outcome_counts_total)  # (outcomes,)
    keys, labels = ensemble.outcome_keys, ensemble.outcome_labels
    if counts.shape != (len(ensemble.periods), len(keys)) or totals.shape != (len(keys),):
        raise ValueError(
            f"outcome counts of shape {counts.shape} and {totals.shape} do not match "
            f"{len(ensemble.periods)} periods x {len(keys)} outcomes"
        )
    whole = f"{format_month(ensemble.start)}..{format_month(ensemble.until)} (whole run)"
    groups = [period_label(p) for p in ensemble.periods] + [whole]
    columns = (Column("outcome", "Outcome key", "key"), Column("label", "Outcome", "label"), *_probability_columns(groups))
    rows = []
    # A plug-in's own kinds of event are outcomes of the scenarios that use it (and have it switched on).
    possible = possible_outcomes(ensemble.event_kinds, ensemble.own_outcomes)
    for j, (key, label) in enumerate(zip(keys, labels)):
        if key not in possible:
            continue
        row: list[Any] = [key, label]
        for value in list(counts[:, j]) + [totals[j]]:
            p = float(value) / n
            row += [p, standard_error(p, n)]
        rows.append(tuple(row))
    return Table(
        title=f"Probability of at least one occurrence ({n:,} runs, seed {ensemble.seed})",
        columns=columns,
        rows=tuple(rows),
        notes=(f"SE: Monte Carlo standard error sqrt(p(1-p)/N), N = {n:,} runs.",) + standing_note(rows) + _left_out_note(possible),
    )


def standing_note(rows: Sequence[tuple[Any, ...]]) -> tuple[str, ...]:
    """A note saying how the table reads its standing conditions (the Left's united front), where it has one."""
    keys = {definition.key for definition in OUTCOMES if definition.standing is not None}
    standing = [row[1] for row in rows if row[0] in keys]
    if not standing:
        return ()
    return (f"{', '.join(standing)}: a standing condition, counted in every period in which it held in at least one month, the state as the period opened included.",)


def _left_out_note(possible: tuple[str, ...]) -> tuple[str, ...]:
    """A note naming the outcomes no mechanism of the scenario can produce, which the table leaves out."""
    left_out = [definition.label for definition in OUTCOMES if definition.key not in possible]
    if not left_out:
        return ()
    return (f"Left out, as no mechanism of this scenario records them: {', '.join(left_out)}.",)


def regime_dynamics_table(ensemble: Ensemble) -> Table:
    """For each regime type: how often it is plotted against, overthrown or ended, how often strikes and repression come.

    Hazards are per month of exposure (run-months under the regime at the start of the month), with a Poisson
    standard error sqrt(k) / exposure; shares are of the runs that spent at least one month under it.
    """
    tally = ensemble.regime_tally
    if tally is None:
        raise ValueError("this ensemble carries no regime tally")
    columns = (
        Column("regime", "Regime key", "key"),
        Column("label", "Regime", "label"),
        Column("runs_in", "Runs under it", "probability"),
        Column("run_years", "Run-years under it", "number"),
        Column("coup_hazard", "Successful coups per 1,000 months", "number"),
        Column("coup_hazard_se", "SE", "number"),
        Column("exit_hazard", "Exits per 1,000 months", "number"),
        Column("exit_hazard_se", "SE", "number"),
        Column("with_attempt", "Of runs under it: a coup attempt against it", "probability"),
        Column("ended", "Of runs under it: it ended", "probability"),
        Column("with_attempt_all", "Of all runs: a coup attempt against it", "probability"),
        Column("ended_all", "Of all runs: it ended", "probability"),
        Column("strikes_per_year", "General strikes per run-year", "number"),
        Column("repression_per_year", "Repression waves per run-year", "number"),
    )
    rows = []
    for r, key in enumerate(REGIME_KEYS):
        exposure = int(tally.exposure_months[r])
        runs_in = int(tally.runs_in[r])
        per_month = (lambda k: (1e3 * k / exposure, 1e3 * np.sqrt(k) / exposure)) if exposure else (lambda k: (float("nan"), float("nan")))
        coup, coup_se = per_month(int(tally.coup_success_months[r]))
        exit_, exit_se = per_month(int(tally.exit_months[r]))
        rows.append((
            key,
            ensemble.regime_labels[REGIME_KEYS.index(key)],
            runs_in / ensemble.n_runs,
            int(round(exposure / 12.0)),
            round(coup, 3),
            round(coup_se, 3),
            round(exit_, 3),
            round(exit_se, 3),
            tally.runs_with_attempt[r] / runs_in if runs_in else float("nan"),
            tally.runs_ended[r] / runs_in if runs_in else float("nan"),
            tally.runs_with_attempt[r] / ensemble.n_runs,
            tally.runs_ended[r] / ensemble.n_runs,
            round(12.0 * tally.general_strikes[r] / exposure, 3) if exposure else float("nan"),
            round(12.0 * tally.repression_waves[r] / exposure, 3) if exposure else float("nan"),
        ))
    failed = int(tally.failed_coups[0])
    by_masses = int(tally.defeated_by_masses[0])
    notes = (
        "Monthly hazards, per 1,000 run-months under the regime in power at the start of the month (6.8 means "
        "0.68% a month); SE: Poisson sqrt(k)/exposure.",
        f"Runs with 3 or more successful coups: {tally.runs_with_at_least(3) / ensemble.n_runs:.1%}.",
        f"Failed coups defeated by mass mobilization: {by_masses:,} of {failed:,}"
        + (f" ({by_masses / failed:.1%})." if failed else "."),
    )
    return Table(
        title=f"What happens under each regime type ({ensemble.n_runs:,} runs, {format_month(ensemble.start)}..{format_month(ensemble.until)})",
        columns=columns,
        rows=tuple(rows),
        notes=notes,
    )


def coup_count_table(ensemble: Ensemble) -> Table:
    """Share of runs by number of successful and of failed coups, up to the calendar's end and after it."""
    tally = ensemble.regime_tally
    if tally is None:
        raise ValueError("this ensemble carries no regime tally")
    split = ensemble.split
    parts = []
    if ensemble.start <= split:
        parts.append((0, f"{format_month(ensemble.start)}..{format_month(min(split, ensemble.until))}"))
    if ensemble.until > split:
        parts.append((1, f"{format_month(max(split, ensemble.start))}..{format_month(ensemble.until)}"))
    columns = [Column("count", "Coups per run", "label")]
    for _, label in parts:
        columns += [Column(f"success {label}", f"Successful {label}", "probability"), Column(f"failed {label}", f"Failed {label}", "probability")]
    rows = []
    n = ensemble.n_runs
    for count in range(6):
        label = f"{count}" if count < 5 else "5 or more"
        row: list[Any] = [label]
        for part, _ in parts:
            if count < 5:
                row += [tally.success_histogram[part, count] / n, tally.failed_histogram[part, count] / n]
            else:
                row += [tally.success_histogram[part, 5:].sum() / n, tally.failed_histogram[part, 5:].sum() / n]
        rows.append(tuple(row))
    return Table(
        title=f"Coups per run ({n:,} runs)", columns=tuple(columns), rows=tuple(rows),
        notes=("Each run counted once per column by its number of coups in that span.",),
    )


# --- writers -------------------------------------------------------------------------------------


def format_percent(p: float, se: float | None = None, digits: int = 1, compact: bool = False) -> str:
    """``45.2% ± 1.1`` (the standard error in percentage points); ``compact``: ``45.2 ±1.1``; ``n/a`` for a share of
    nothing (a regime no run entered)."""
    if not math.isfinite(p):
        return "n/a"
    text = f"{100.0 * p:.{digits}f}" + ("" if compact else "%")
    if se is not None and math.isfinite(se):
        text += (" ±" if compact else " ± ") + f"{100.0 * se:.{digits}f}"
    return text


def formatted_cells(table: Table, combine: bool = True, compact: bool = False) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells; with ``combine`` each probability and its SE share one ``p% ± se`` cell
    (``compact``: ``p ±se``, no percent sign)."""
    se_of = {c.group: i for i, c in enumerate(table.columns) if c.kind == "se"}
    keep = [
        i for i, c in enumerate(table.columns) if c.kind != "key" and not (combine and c.kind == "se" and c.group is not None)
    ]
    headers = [table.columns[i].label for i in keep]
    cells = []
    for row in table.rows:
        line = []
        for i in keep:
            column, value = table.columns[i], row[i]
            if column.kind == "probability":
                se = row[se_of[column.group]] if combine and column.group in se_of else None
                line.append(format_percent(value, se, compact=compact))
            elif column.kind == "se":
                line.append(f"{100.0 * value:.1f}" if math.isfinite(value) else "n/a")
            elif column.kind == "number" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                line.append(f"{int(value):,}")
            elif column.kind == "number" and isinstance(value, (int, float)):
                line.append("n/a" if isinstance(value, float) and not math.isfinite(value) else f"{value:.3g}")
            else:
                line.append(str(value))
        cells.append(line)
    return headers, cells


def to_csv(table: Table) -> str:
    """The table as CSV: one header row of column keys, numbers unformatted (full precision)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    """A cell as CSV reads it back: numbers (numpy's included) plain, floats at full precision, a missing one (a
    share of nothing) empty."""
    plain = _plain(value)
    if plain is None:
        return ""
    return repr(plain) if isinstance(plain, float) else plain


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(table: Table, combine: bool = True) -> str:
    """The table as GitHub Markdown, probabilities as ``p% ± se`` (percentage points)."""
    headers, cells = formatted_cells(table, combine)
    lines = [f"### {_md_escape(table.title)}", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in headers) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
    for line in cells:
        lines.append("| " + " | ".join(_md_escape(c) for c in line) + " |")
    if table.notes:
        lines.append("")
        lines += [_md_escape(note) for note in table.notes]
    return "\n".join(lines) + "\n"


def to_dict(table: Table) -> dict[str, Any]:
    """The table as JSON-able data: title, notes, columns and rows (keyed by column key)."""
    return {
        "title": table.title,
        "notes": list(table.notes),
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind, "group": c.group} for c in table.columns],
        "rows": [{c.key: _plain(v) for c, v in zip(table.columns, row)} for row in table.rows],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
