"""Two simple forecasters fitted on the same observed timeline, to score the model against.

Both are fitted on training cells (those before a vantage, or the whole timeline
in-sample) and give each cell a probability that its outcome happens (or its
regime holds):

- :class:`ConstantHazard` (base rate): each event kind has one monthly hazard
  ``h``, so an ``L``-month window sees it with probability ``1 - (1 - h)^L``;
  ``h = (events + 0.5) / (months + 1)`` over the training cells of that kind (an
  observed event counts as one in its window's months). A regime's probability
  is the share of training regime readings it had, with half a reading added to
  each type. A kind with no training cells gets the hazard pooled over all kinds.
  A cell naming the holding of a nationalization counts as one of its kind (the
  baselines know kinds of event, not holdings).
- :class:`Persistence`: what was true recently stays true. An event kind has
  one hazard for the months within ``memory`` months after such an event was
  observed, another for other months (each shrunk toward the constant hazard with
  the weight of ``prior_months`` months); the regime last observed stays with
  probability ``q^d`` after ``d`` months (``q`` fitted on the training readings'
  changes of regime), the rest spread evenly over the other types.

A forecaster standing at month ``t`` knows only cells that end before ``t``:
in-sample, ``t`` is each cell's first month; in a backtest, the vantage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..engine.state import REGIME_KEYS
from .observations import Cell

PSEUDO_EVENTS = 0.5
PSEUDO_MONTHS = 1.0


def _hazard_probability(h: float, months: int) -> float:
    return 1.0 - (1.0 - h) ** months


@dataclass
class ConstantHazard:
    """Base rates: a constant monthly hazard per event kind, regime shares."""

    hazards: dict[str, float] = field(default_factory=dict)
    regime_shares: dict[str, float] = field(default_factory=dict)
    default_hazard: float = PSEUDO_EVENTS / PSEUDO_MONTHS  # for kinds without training cells: the pooled rate

    name = "constant hazard"

    @classmethod
    def fit(cls, cells: Sequence[Cell]) -> "ConstantHazard":
        events: dict[str, float] = {}
        months: dict[str, float] = {}
        for cell in cells:
            if cell.kind == "event":
                events[cell.key] = events.get(cell.key, 0.0) + float(cell.observed)
                months[cell.key] = months.get(cell.key, 0.0) + cell.months
        hazards = {key: (events[key] + PSEUDO_EVENTS) / (months[key] + PSEUDO_MONTHS) for key in events}
        pooled = (sum(events.values()) + PSEUDO_EVENTS) / (sum(months.values()) + PSEUDO_MONTHS)
        readings = _regime_readings(cells)
        counts = {key: 0.0 for key in REGIME_KEYS}
        for _, regime in readings:
            counts[regime] += 1.0
        total = len(readings) + PSEUDO_EVENTS * len(REGIME_KEYS)
        shares = {key: (counts[key] + PSEUDO_EVENTS) / total for key in REGIME_KEYS}
        return cls(hazards, shares, pooled)

    def probability(self, cell: Cell, as_of: int | None = None) -> float:
        """Probability that the cell's outcome happens / its regime holds (``as_of`` is not needed)."""
        if cell.kind == "regime":
            return self.regime_shares[cell.key]
        return _hazard_probability(self.hazards.get(cell.key, self.default_hazard), cell.months)


def _regime_readings(cells: Sequence[Cell]) -> list[tuple[int, str]]:
    """(month, regime in power) from the regime cells observed true, in month order."""
    return sorted({(c.last, c.key) for c in cells if c.kind == "regime" and c.observed})


@dataclass
class Persistence:
    """The recent past persists: recent events raise the hazard, the last regime stays."""

    training: tuple[Cell, ...]
    recent: dict[str, float]
    calm: dict[str, float]
    stay: float
    constant: ConstantHazard
    memory: int

    name = "persistence"

    @classmethod
    def fit(cls, cells: Sequence[Cell], memory: int = 6, prior_months: float = 12.0) -> "Persistence":
        constant = ConstantHazard.fit(cells)
        counts: dict[tuple[str, bool], list[float]] = {}
        for cell in cells:
            if cell.kind != "event":
                continue
            state = _recent(cells, cell.key, cell.first, memory)
            tally = counts.setdefault((cell.key, state), [0.0, 0.0])
            tally[0] += float(cell.observed)
            tally[1] += cell.months
        recent: dict[str, float] = {}
        calm: dict[str, float] = {}
        for key, base in constant.hazards.items():
            for state, target in ((True, recent), (False, calm)):
                events, months = counts.get((key, state), [0.0, 0.0])
                target[key] = (events + base * prior_months) / (months + prior_months)
        readings = _regime_readings(cells)
        changes = sum(1 for (_, a), (_, b) in zip(readings, readings[1:]) if a != b)
        span = sum(m2 - m1 for (m1, _), (m2, _) in zip(readings, readings[1:]))
        stay = 1.0 - (changes + PSEUDO_EVENTS) / (span + PSEUDO_MONTHS)
        return cls(tuple(cells), recent, calm, stay, constant, memory)

    def probability(self, cell: Cell, as_of: int | None = None) -> float:
        """Probability for the cell, standing at month ``as_of`` (default: the cell's first month)."""
        as_of = cell.first if as_of is None else as_of
        if cell.kind == "regime":
            readings = [(m, r) for m, r in _regime_readings(self.training) if m < as_of]
            if not readings:
                return self.constant.probability(cell)
            month, regime = readings[-1]
            keep = self.stay ** max(cell.last - month, 0)
            return keep if regime == cell.key else (1.0 - keep) / (len(REGIME_KEYS) - 1)
        hazards = self.recent if _recent(self.training, cell.key, as_of, self.memory) else self.calm
        h = hazards.get(cell.key, self.constant.hazards.get(cell.key, self.constant.default_hazard))
        return _hazard_probability(h, cell.months)


def _recent(cells: Sequence[Cell], key: str, month: int, memory: int) -> bool:
    """Was an event of this kind observed in a cell ending within ``memory`` months before ``month``?"""
    return any(c.kind == "event" and c.key == key and c.observed and month - memory <= c.last < month for c in cells)
