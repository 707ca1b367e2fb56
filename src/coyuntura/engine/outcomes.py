"""Outcomes people ask about, defined once over the event log.

Each outcome is a predicate over event-log rows; a run "has" the outcome in a
window when at least one of its rows in that window satisfies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..scenario.vocabulary import OUTCOME_KEYS as OUTCOME_KEYS  # re-exported: the engine's outcome list
from ..scenario.vocabulary import OUTCOME_LABELS
from .events import EventType, Outcome


@dataclass(frozen=True)
class OutcomeDefinition:
    key: str
    label: str
    rows: Callable[[dict[str, np.ndarray]], np.ndarray]


def _event(kind: EventType, *outcomes: Outcome) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    def rows(columns: dict[str, np.ndarray]) -> np.ndarray:
        mask: np.ndarray = columns["event"] == int(kind)
        if outcomes:
            mask &= np.isin(columns["outcome"], [int(o) for o in outcomes])
        return mask

    return rows


_ROWS: dict[str, Callable[[dict[str, np.ndarray]], np.ndarray]] = {
    "coup_attempt": _event(EventType.COUP_ATTEMPT),
    "coup_success": _event(EventType.COUP_ATTEMPT, Outcome.SUCCESS),
    "coup_failed": _event(EventType.COUP_ATTEMPT, Outcome.FAILURE, Outcome.DEFEATED_BY_MOBILIZATION),
    "coup_defeated_by_mobilization": _event(EventType.COUP_ATTEMPT, Outcome.DEFEATED_BY_MOBILIZATION),
    "general_strike": _event(EventType.GENERAL_STRIKE),
    "mass_mobilization": _event(EventType.MASS_MOBILIZATION),
    "repression_wave": _event(EventType.REPRESSION_WAVE),
    "nationalization": _event(EventType.NATIONALIZATION),
    "austerity_package": _event(EventType.AUSTERITY_PACKAGE),
    "foreign_concession": _event(EventType.FOREIGN_CONCESSION),
    "party_split": _event(EventType.PARTY_SPLIT),
    "army_split": _event(EventType.ARMY_SPLIT),
    "plotters_purged": _event(EventType.PLOTTERS_PURGED),
    "guerrilla_foco": _event(EventType.GUERRILLA_FOCO),
    "guerrilla_defeated": _event(EventType.GUERRILLA_DEFEATED),
    "left_unity": _event(EventType.LEFT_UNITY),
    "left_split": _event(EventType.LEFT_SPLIT),
    "cabinet_accepted": _event(EventType.CABINET_OFFER, Outcome.ACCEPTED),
    "popular_assembly": _event(EventType.POPULAR_ASSEMBLY),
    "workers_government": _event(EventType.WORKERS_GOVERNMENT, Outcome.SUCCESS),
    "government_change": _event(EventType.GOVERNMENT_CHANGE),
    "handover": _event(EventType.HANDOVER),
}
"""Which rows of the event log each outcome of the vocabulary is."""

if tuple(_ROWS) != OUTCOME_KEYS:  # the format's words and the engine's meanings are one list
    raise ImportError(f"engine outcomes {tuple(_ROWS)} differ from the vocabulary's {OUTCOME_KEYS}")

OUTCOMES: tuple[OutcomeDefinition, ...] = tuple(OutcomeDefinition(key, OUTCOME_LABELS[key], rows) for key, rows in _ROWS.items())


def outcome(key: str) -> OutcomeDefinition:
    for definition in OUTCOMES:
        if definition.key == key:
            return definition
    raise KeyError(f"unknown outcome {key!r}; outcomes: {', '.join(OUTCOME_KEYS)}")


def runs_with_outcome(columns: dict[str, np.ndarray], key: str, n_runs: int, first_run: int = 0, window: tuple[int, int] | None = None) -> np.ndarray:
    """Boolean per run: did the outcome happen (within ``window``, inclusive months)?"""
    rows = outcome(key).rows(columns)
    if window is not None:
        rows &= (columns["month"] >= window[0]) & (columns["month"] <= window[1])
    happened = np.zeros(n_runs, dtype=bool)
    happened[columns["run"][rows] - first_run] = True
    return happened
