"""What a scenario's observed timeline says did not happen, read with the meaning of its outcomes.

A record's quiet period (``observed: false``) says an outcome did not happen in any month of it. Some outcomes cannot
happen without others (``vocabulary.OUTCOME_NEEDS``: a coup the masses defeated is a failed coup) or are made of others
(``vocabulary.OUTCOME_PARTS``: an attempt succeeded or failed), so a quiet period also speaks of them. The checks use
this to refuse a record that contradicts itself and to warn of one that leaves open what it implies: a baseline fitted on
a record that notes a kind only where it happened gives it the rate of those months alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Sequence

from .calendar import format_span, month_runs
from .schema import Observation
from .vocabulary import OUTCOME_NEEDS, OUTCOME_PARTS


@dataclass(frozen=True)
class Implication:
    """Why the record implies an outcome did not happen in a month: the outcomes it ``needs`` are quiet there, or all
    the outcomes it is ``made_of`` are; ``sources`` are the ids of the stated quiet periods behind it."""

    needs: tuple[str, ...] = ()
    made_of: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def quiet(self) -> str:
        """What the record's quiet periods leave, in words: "no 'coup_failed'", "neither 'coup_success' nor 'coup_failed'"."""
        if self.made_of:
            return f"neither {' nor '.join(repr(part) for part in self.made_of)}"
        return f"no {' or '.join(repr(need) for need in self.needs)}"

    @property
    def reason(self) -> str:
        """Why that rules the outcome out: "no 'coup_failed', without which it cannot happen"."""
        return f"{self.quiet}, of which it is made" if self.made_of else f"{self.quiet}, without which it cannot happen"


@dataclass(frozen=True)
class QuietMonths:  # frozen once quiet_months has filled its dicts
    """The months the record says each outcome did not happen in: ``stated`` by its own quiet periods (for a
    nationalization, only those naming no holding), by the ids of those periods; ``implied`` by the quiet periods of the
    outcomes it needs or is made of, with why."""

    stated: dict[str, dict[int, tuple[str, ...]]]
    implied: dict[str, dict[int, Implication]]

    def quiet(self, outcome: str) -> set[int]:
        """Every month in which the record says ``outcome`` did not happen, stated or implied."""
        return set(self.stated.get(outcome, {})) | set(self.implied.get(outcome, {}))

    def sources(self, outcome: str, month: int) -> tuple[str, ...]:
        """The ids of the stated quiet periods that make ``outcome`` quiet in ``month``."""
        if month in self.stated.get(outcome, {}):
            return self.stated[outcome][month]
        return self.implied[outcome][month].sources


def quiet_months(observations: Sequence[Observation]) -> QuietMonths:
    """The months each outcome is quiet in, as the record states it and as its quiet periods imply."""
    stated: dict[str, dict[int, tuple[str, ...]]] = {}
    for item in observations:
        if item.outcome is not None and not item.observed and item.holding is None:
            months = stated.setdefault(item.outcome, {})
            for month in range(item.first, item.last + 1):
                months[month] = months.get(month, ()) + (item.id,)
    quiet = QuietMonths(stated, {})

    def imply(outcome: str, month: int, implication: Implication) -> bool:
        """Record that ``outcome`` is quiet in ``month`` for this reason, unless it already is; whether it was new."""
        if month in quiet.quiet(outcome):
            return False
        quiet.implied.setdefault(outcome, {})[month] = implication
        return True

    def sources(outcomes: Sequence[str], month: int) -> tuple[str, ...]:
        """The stated quiet periods behind ``outcomes`` being quiet in ``month``, each once, in order."""
        return tuple(dict.fromkeys(source for outcome in outcomes for source in quiet.sources(outcome, month)))

    changed = True
    while changed:  # to a fixed point: a whole made quiet by its parts makes quiet what needs it, and so on
        changed = False
        for whole, parts in OUTCOME_PARTS.items():
            for month in set.intersection(*(quiet.quiet(part) for part in parts)):
                changed |= imply(whole, month, Implication(made_of=parts, sources=sources(parts, month)))
        for outcome, needed in OUTCOME_NEEDS.items():
            for need in needed:
                for month in quiet.quiet(need):
                    changed |= imply(outcome, month, Implication(needs=(need,), sources=sources((need,), month)))
    return quiet


@dataclass(frozen=True)
class OpenPeriod:
    """A run of months in which the record's quiet periods imply an ``outcome`` did not happen, left open."""

    outcome: str
    first: int
    last: int
    implication: Implication

    @property
    def message(self) -> str:
        """The warning: which quiet periods imply what, where, and what to add."""
        sources = ", ".join(self.implication.sources)
        what = repr(self.outcome)
        return (
            f"the record's quiet periods ({sources}) leave {self.implication.quiet} in "
            f"{format_span(self.first, self.last)}, so no {what} either, but the record leaves {what} open there: a "
            f"baseline fitted on the record sees {what} only where it happened; add an observation of it with observed: false"
        )


def left_open(observations: Sequence[Observation]) -> list[OpenPeriod]:
    """The runs of months in which the record's quiet periods imply an outcome it observes happening elsewhere did not
    happen, but where the record says nothing of it: a baseline fitted on the record does not see them. Months a
    window observed true covers are left out (a quiet cell there would count them twice)."""
    quiet = quiet_months(observations)
    happened: dict[str, set[int]] = {}
    for item in observations:
        if item.outcome is not None and item.observed:
            happened.setdefault(item.outcome, set()).update(range(item.first, item.last + 1))
    periods = []
    for outcome, implied in quiet.implied.items():
        if outcome not in happened:
            continue
        for first, last in month_runs(set(implied) - happened[outcome]):
            months = range(first, last + 1)
            for implication, group in groupby(months, key=lambda month: implied[month]):
                run = list(group)
                periods.append(OpenPeriod(outcome, run[0], run[-1], implication))
    return periods
