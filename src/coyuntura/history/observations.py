"""The observed timeline as scoring cells: one binary fact each, on a grid of periods.

A scenario's ``observations:`` say, in the record's own dates, whether an outcome
happened at least once in a month or window, or which regime governed throughout
a window. Calibration, scores, forecasts and backtests all work on the same
*cells* derived from them:

- an observed event keeps its window as given (the record does not say when in
  the window it happened), so its cell is ``(outcome, window, happened)``; a
  nationalization may name the holding taken (``holding``), and its cell then
  asks whether that holding was nationalized, not any;
- quiet periods of one outcome are merged, then cut at the boundaries of a grid of
  ``period`` months anchored at a chosen month (a vantage), so that no quiet cell
  straddles the vantage: a part of a quiet period is itself quiet;
- a regime observation gives one cell per grid period it spans - "regime r at the
  end of this month" - at each period's last month and at the window's last month.

Every cell is binary: the outcome happened in its window, or the regime held at
its month (``observed`` true) or not. A cell is *before* a vantage month ``v`` when
it ends before ``v`` and *after* it when it starts at ``v`` or later; cells that
straddle ``v`` are neither (nothing in them may be used or scored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from ..engine.outcomes import nationalization_of, outcome
from ..engine.state import REGIME_KEYS
from ..engine.tables import REGIME_LABELS
from ..scenario.calendar import format_span, month_runs
from ..scenario.checks import own_event_kinds
from ..scenario.schema import Scenario

DEFAULT_PERIOD = 6
"""Months per grid period: quiet spans are cut into cells of at most this length."""


@dataclass(frozen=True)
class Cell:
    """One binary fact of the observed timeline: an outcome in a window, or a regime at a month."""

    kind: Literal["event", "regime"]
    key: str  # an outcome key (events) or a regime key (regimes)
    first: int
    last: int  # regimes: first == last, the month at whose end the regime is read
    observed: bool
    observations: tuple[str, ...]  # ids of the observations it comes from
    subject: str = field(default="", compare=False)  # what it is about in the scenario's words (e.g. its name of the regime type)
    holding: str = ""  # a nationalization of this holding (its id) only; "": of any

    @property
    def months(self) -> int:
        return self.last - self.first + 1

    @property
    def window(self) -> str:
        """``YYYY-MM`` or ``YYYY-MM..YYYY-MM``."""
        return format_span(self.first, self.last)

    @property
    def label(self) -> str:
        """What the cell asks, in words: in the scenario's (its regime names, its plug-ins' kinds of event) where the
        cell was cut from one, else in the engine's."""
        if self.kind == "regime":
            return f"Regime: {self.subject or REGIME_LABELS.get(self.key, self.key)}"
        return self.subject or outcome(self.key).label

    @property
    def name(self) -> str:
        """A stable identifier: ``kind:key:window`` (``kind:key[holding]:window`` for a named holding's nationalization)."""
        key = f"{self.key}[{self.holding}]" if self.holding else self.key
        return f"{self.kind}:{key}:{self.window}"


def grid_boundaries(anchor: int, first: int, last: int, period: int) -> list[int]:
    """Months in ``first..last`` that start a grid period (``anchor + k * period``)."""
    if period < 1:
        raise ValueError(f"the grid period must be at least 1 month, got {period}")
    offset = (anchor - first) % period
    return list(range(first + offset, last + 1, period))


def _cut(first: int, last: int, anchor: int, period: int) -> list[tuple[int, int]]:
    """``first..last`` cut at the grid boundaries."""
    starts = [first] + [b for b in grid_boundaries(anchor, first, last, period) if b > first]
    return [(start, (starts[i + 1] - 1) if i + 1 < len(starts) else last) for i, start in enumerate(starts)]


def timeline_cells(scenario: Scenario, anchor: int | None = None, period: int = DEFAULT_PERIOD) -> tuple[Cell, ...]:
    """The cells of the scenario's observed timeline on a grid anchored at ``anchor`` (default: the calendar's start)."""
    anchor = scenario.calendar.start if anchor is None else anchor
    subjects = {**dict(zip(REGIME_KEYS, scenario.regime_labels())), **own_event_kinds(scenario)}
    holdings = {holding.id: (index, holding.name) for index, holding in enumerate(scenario.holdings)}

    def subject(key: str, holding: str) -> str:
        return nationalization_of(*holdings[holding]).label if holding else subjects.get(key, "")

    cells: list[Cell] = []
    quiet: dict[tuple[str, str], dict[int, str]] = {}
    for item in scenario.observations:
        holding = item.holding or ""
        if item.outcome is not None and item.observed:
            cells.append(Cell("event", item.outcome, item.first, item.last, True, (item.id,), subject(item.outcome, holding), holding))
        elif item.outcome is not None:
            months = quiet.setdefault((item.outcome, holding), {})
            for month in range(item.first, item.last + 1):
                months.setdefault(month, item.id)
        else:
            ends = {last for _, last in _cut(item.first, item.last, anchor, period)}
            for month in sorted(ends):
                cells.append(Cell("regime", item.regime, month, month, item.observed, (item.id,), subjects[item.regime]))  # type: ignore[arg-type,index]
    for (key, holding), months in quiet.items():
        for first, last in month_runs(months):
            for start, end in _cut(first, last, anchor, period):
                ids = tuple(dict.fromkeys(months[m] for m in range(start, end + 1)))
                cells.append(Cell("event", key, start, end, False, ids, subject(key, holding), holding))
    return tuple(sorted(cells, key=lambda c: (c.last, c.first, c.kind, c.key, c.holding)))


def cells_before(cells: Sequence[Cell], vantage: int) -> tuple[Cell, ...]:
    """Cells that end before the vantage month (what is known at its start)."""
    return tuple(c for c in cells if c.last < vantage)


def cells_within(cells: Sequence[Cell], first: int, last: int) -> tuple[Cell, ...]:
    """Cells lying wholly in ``first..last`` (what a forecast from ``first`` to ``last`` is scored on)."""
    return tuple(c for c in cells if first <= c.first and c.last <= last)


def record_end(scenario: Scenario) -> int:
    """The last month the observed timeline covers (the calendar's end if there are no observations)."""
    if not scenario.observations:
        return scenario.calendar.end
    return max(item.last for item in scenario.observations)


def require_observations(scenario: Scenario) -> None:
    """Raise a clear error when the scenario ships no observed timeline."""
    if not scenario.observations:
        raise ValueError(f"scenario {scenario.id!r} has no 'observations:' section: there is no observed timeline to use")


def smoothed_probability(share: np.ndarray | float, runs: np.ndarray | float) -> np.ndarray:
    """A Monte Carlo share of ``runs`` histories read as ``(share runs + 0.5) / (runs + 1)``: half a run either way,
    so that an outcome no history reproduced still gets a finite log score (at most ``log(2 (runs + 1))`` lost)."""
    return (np.asarray(share, dtype=float) * runs + 0.5) / (np.asarray(runs, dtype=float) + 1.0)


def record_log_probability(share: np.ndarray, observed: np.ndarray, runs: np.ndarray | float) -> np.ndarray:
    """Per cell, the log of the (smoothed) probability that simulated shares give to what the record observed."""
    p = smoothed_probability(share, runs)
    return np.where(np.asarray(observed, dtype=bool), np.log(p), np.log1p(-p))
