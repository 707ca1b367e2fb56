"""Outcomes people ask about, defined once over the event log.

Each outcome is a predicate over event-log rows; a run "has" the outcome in a
window when at least one of its rows in that window satisfies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

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


OUTCOMES: tuple[OutcomeDefinition, ...] = (
    OutcomeDefinition("coup_attempt", "Coup attempt", _event(EventType.COUP_ATTEMPT)),
    OutcomeDefinition("coup_success", "Successful coup", _event(EventType.COUP_ATTEMPT, Outcome.SUCCESS)),
    OutcomeDefinition(
        "coup_failed", "Failed coup", _event(EventType.COUP_ATTEMPT, Outcome.FAILURE, Outcome.DEFEATED_BY_MOBILIZATION)
    ),
    OutcomeDefinition(
        "coup_defeated_by_mobilization", "Coup defeated by mass mobilization", _event(EventType.COUP_ATTEMPT, Outcome.DEFEATED_BY_MOBILIZATION)
    ),
    OutcomeDefinition("general_strike", "General strike", _event(EventType.GENERAL_STRIKE)),
    OutcomeDefinition("mass_mobilization", "Mass mobilization", _event(EventType.MASS_MOBILIZATION)),
    OutcomeDefinition("repression_wave", "Repression wave", _event(EventType.REPRESSION_WAVE)),
    OutcomeDefinition("nationalization", "Nationalization", _event(EventType.NATIONALIZATION)),
    OutcomeDefinition("austerity_package", "Austerity package", _event(EventType.AUSTERITY_PACKAGE)),
    OutcomeDefinition("foreign_concession", "Concession to foreign capital", _event(EventType.FOREIGN_CONCESSION)),
    OutcomeDefinition("party_split", "Governing party splits", _event(EventType.PARTY_SPLIT)),
    OutcomeDefinition("army_split", "Army splits in a coup", _event(EventType.ARMY_SPLIT)),
    OutcomeDefinition("plotters_purged", "Plotters purged", _event(EventType.PLOTTERS_PURGED)),
    OutcomeDefinition("guerrilla_foco", "Guerrilla foco", _event(EventType.GUERRILLA_FOCO)),
    OutcomeDefinition("guerrilla_defeated", "Guerrilla defeated", _event(EventType.GUERRILLA_DEFEATED)),
    OutcomeDefinition("left_unity", "Left unites", _event(EventType.LEFT_UNITY)),
    OutcomeDefinition("left_split", "Left splits", _event(EventType.LEFT_SPLIT)),
    OutcomeDefinition("cabinet_accepted", "Left accepts cabinet posts", _event(EventType.CABINET_OFFER, Outcome.ACCEPTED)),
    OutcomeDefinition("popular_assembly", "Popular Assembly formed", _event(EventType.POPULAR_ASSEMBLY)),
    OutcomeDefinition("workers_government", "Workers' government", _event(EventType.WORKERS_GOVERNMENT, Outcome.SUCCESS)),
    OutcomeDefinition("government_change", "Change of government (any cause)", _event(EventType.GOVERNMENT_CHANGE)),
    OutcomeDefinition("handover", "Military hands power to civilians", _event(EventType.HANDOVER)),
)

OUTCOME_KEYS = tuple(outcome.key for outcome in OUTCOMES)


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
