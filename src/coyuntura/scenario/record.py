"""What a scenario's observed timeline says did not happen, read with the meaning of its outcomes.

A record's quiet period (``observed: false``) says an outcome did not happen in any month of it. Some outcomes cannot
happen without others (``vocabulary.OUTCOME_NEEDS``: a coup the masses defeated is a failed coup) or are made of others
(``vocabulary.OUTCOME_PARTS``: an attempt succeeded or failed), so a quiet period also speaks of them. The checks use
this to refuse a record that contradicts itself and to warn of one that leaves open what it implies: a baseline fitted on
a record that notes a kind only where it happened gives it the rate of those months alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from .schema import Observation
from .vocabulary import OUTCOME_NEEDS, OUTCOME_PARTS


@dataclass(frozen=True)
class QuietMonths:
    """The months the record says each outcome did not happen in: ``stated`` by its own quiet periods (of any holding,
    for a nationalization), ``implied`` by those of the outcomes it needs or is made of, with ``because`` naming, for
    each implied outcome, the outcomes whose quiet periods implied it."""

    stated: dict[str, set[int]]
    implied: dict[str, set[int]]
    because: dict[str, tuple[str, ...]]

    def quiet(self, outcome: str) -> set[int]:
        """Every month in which the record says ``outcome`` did not happen, stated or implied."""
        return self.stated.get(outcome, set()) | self.implied.get(outcome, set())


def quiet_months(observations: Iterable[Observation]) -> QuietMonths:
    """The months each outcome is quiet in, as the record states it and as its quiet periods imply."""
    stated: dict[str, set[int]] = {}
    for item in observations:
        if item.outcome is not None and not item.observed and item.holding is None:
            stated.setdefault(item.outcome, set()).update(range(item.first, item.last + 1))
    quiet = {outcome: set(months) for outcome, months in stated.items()}
    because: dict[str, set[str]] = {}
    changed = True
    while changed:  # to a fixed point: a whole made quiet by its parts makes quiet what needs it
        changed = False
        for whole, parts in OUTCOME_PARTS.items():
            months = set.intersection(*(quiet.get(part, set()) for part in parts)) - quiet.get(whole, set())
            if months:
                quiet.setdefault(whole, set()).update(months)
                because.setdefault(whole, set()).update(parts)
                changed = True
        for outcome, needed in OUTCOME_NEEDS.items():
            for need in needed:
                months = quiet.get(need, set()) - quiet.get(outcome, set())
                if months:
                    quiet.setdefault(outcome, set()).update(months)
                    because.setdefault(outcome, set()).add(need)
                    changed = True
    implied = {outcome: months - stated.get(outcome, set()) for outcome, months in quiet.items()}
    implied = {outcome: months for outcome, months in implied.items() if months}
    return QuietMonths(stated, implied, {outcome: tuple(sorted(why)) for outcome, why in because.items() if outcome in implied})


def month_runs(months: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Consecutive months as ``(first, last)`` runs, in order."""
    ordered = sorted(set(months))
    start = previous = None
    for month in ordered:
        if previous is not None and month == previous + 1:
            previous = month
            continue
        if start is not None and previous is not None:
            yield start, previous
        start = previous = month
    if start is not None and previous is not None:
        yield start, previous


def left_open(observations: Sequence[Observation]) -> dict[str, list[tuple[int, int]]]:
    """For each outcome the record observes somewhere, the runs of months its quiet periods imply it did not happen in
    but where the record does not say so: a baseline fitted on the record does not see them."""
    recorded = {item.outcome for item in observations if item.outcome is not None}
    quiet = quiet_months(observations)
    return {outcome: list(month_runs(months)) for outcome, months in quiet.implied.items() if outcome in recorded}
