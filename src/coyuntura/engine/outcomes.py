"""Outcomes people ask about, defined once over the event log.

Each outcome is a predicate over event-log rows; a run "has" the outcome in a
window when at least one of its rows in that window satisfies it. An outcome that
is a standing condition rather than a moment (the Left's united front) also says
how to read it off the state: a run has it in a window when it held at any time in
the window, including as the window opens (the state at the end of the month
before) - that is, when it began or ended in the window (its rows) or still holds
at the window's end (``standing``). This needs the condition to change only where
its mechanism logs the change (M11 logs every union and split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection

import numpy as np

from ..scenario.vocabulary import OUTCOME_EVENTS, OUTCOME_LABELS
from ..scenario.vocabulary import OUTCOME_KEYS as OUTCOME_KEYS  # re-exported: the engine's outcome list
from .events import EventType, Outcome, holding_outcome
from .state import State


@dataclass(frozen=True)
class OutcomeDefinition:
    key: str
    label: str
    rows: Callable[[dict[str, np.ndarray]], np.ndarray]
    event: str  # the kind of event it is a reading of (coyuntura.scenario.vocabulary.EVENT_KINDS)
    standing: Callable[[State], np.ndarray] | None = None  # per run: does the condition hold at the end of the state's month?


def _event(kind: EventType | int, *outcomes: Outcome) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    def rows(columns: dict[str, np.ndarray]) -> np.ndarray:
        mask: np.ndarray = columns["event"] == int(kind)
        if outcomes:
            mask &= np.isin(columns["outcome"], [int(o) for o in outcomes])
        return mask

    return rows


def _either(*kinds: EventType) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    def rows(columns: dict[str, np.ndarray]) -> np.ndarray:
        mask: np.ndarray = np.isin(columns["event"], [int(kind) for kind in kinds])
        return mask

    return rows


def _front_stands(state: State) -> np.ndarray:
    """The Left's united front stands (M11's ``left_united``; −1, M11 off, reads as no front)."""
    standing: np.ndarray = state.left_united == 1
    return standing


_READINGS: dict[str, tuple[EventType, tuple[Outcome, ...]]] = {
    "coup_attempt": (EventType.COUP_ATTEMPT, ()),
    "coup_success": (EventType.COUP_ATTEMPT, (Outcome.SUCCESS,)),
    "coup_failed": (EventType.COUP_ATTEMPT, (Outcome.FAILURE, Outcome.DEFEATED_BY_MOBILIZATION)),
    "coup_defeated_by_mobilization": (EventType.COUP_ATTEMPT, (Outcome.DEFEATED_BY_MOBILIZATION,)),
    "general_strike": (EventType.GENERAL_STRIKE, ()),
    "mass_mobilization": (EventType.MASS_MOBILIZATION, ()),
    "repression_wave": (EventType.REPRESSION_WAVE, ()),
    "nationalization": (EventType.NATIONALIZATION, ()),
    "austerity_package": (EventType.AUSTERITY_PACKAGE, ()),
    "foreign_concession": (EventType.FOREIGN_CONCESSION, ()),
    "party_split": (EventType.PARTY_SPLIT, ()),
    "army_split": (EventType.ARMY_SPLIT, ()),
    "plotters_purged": (EventType.PLOTTERS_PURGED, ()),
    "guerrilla_foco": (EventType.GUERRILLA_FOCO, ()),
    "guerrilla_defeated": (EventType.GUERRILLA_DEFEATED, ()),
    "left_unity": (EventType.LEFT_UNITY, ()),
    "left_split": (EventType.LEFT_SPLIT, ()),
    "left_front": (EventType.LEFT_UNITY, ()),  # rows and standing: _STANDING
    "cabinet_accepted": (EventType.CABINET_OFFER, (Outcome.ACCEPTED,)),
    "popular_assembly": (EventType.POPULAR_ASSEMBLY, ()),
    "workers_government": (EventType.WORKERS_GOVERNMENT, (Outcome.SUCCESS,)),
    "government_change": (EventType.GOVERNMENT_CHANGE, ()),
    "handover": (EventType.HANDOVER, ()),
}
"""Which rows of the event log each outcome of the vocabulary is: its kind of event, and the outcomes of it that count."""

if tuple(_READINGS) != OUTCOME_KEYS or any(kind.key != OUTCOME_EVENTS[key] for key, (kind, _) in _READINGS.items()):
    raise ImportError(f"engine outcomes {tuple(_READINGS)} differ from the vocabulary's {OUTCOME_KEYS} or their kinds of event")

_STANDING: dict[str, tuple[Callable[[dict[str, np.ndarray]], np.ndarray], Callable[[State], np.ndarray]]] = {
    "left_front": (_either(EventType.LEFT_UNITY, EventType.LEFT_SPLIT), _front_stands),
}
"""Outcomes that are standing conditions: the rows where the condition begins or ends, and how the state shows it holding.
The front stood at some time in a window (as it opened included) if and only if it formed or broke up in the window or
stands at its end."""


def _definition(key: str, kind: EventType, outcomes: tuple[Outcome, ...]) -> OutcomeDefinition:
    if key in _STANDING:
        rows, standing = _STANDING[key]
        return OutcomeDefinition(key, OUTCOME_LABELS[key], rows, kind.key, standing)
    return OutcomeDefinition(key, OUTCOME_LABELS[key], _event(kind, *outcomes), kind.key)


OUTCOMES: tuple[OutcomeDefinition, ...] = tuple(_definition(key, kind, outcomes) for key, (kind, outcomes) in _READINGS.items())


def new_outcome(kind: str, label: str, code: int) -> OutcomeDefinition:
    """The outcome of a plug-in's own kind of event (``NEW_EVENTS``): at least one event of that kind, logged with ``code``."""
    return OutcomeDefinition(kind, label, _event(code), kind)


def nationalization_of(index: int, name: str) -> OutcomeDefinition:
    """The nationalization of one named holding (at ``index`` in the scenario's ``holdings:``, called ``name``): M14 logs
    each holding it takes, the outcome naming it."""
    code = holding_outcome(index)

    def rows(columns: dict[str, np.ndarray]) -> np.ndarray:
        mask: np.ndarray = (columns["event"] == int(EventType.NATIONALIZATION)) & (columns["outcome"] == code)
        return mask

    return OutcomeDefinition("nationalization", f"{OUTCOME_LABELS['nationalization']}: {name}", rows, "nationalization")


def possible_outcomes(event_kinds: Collection[str] | None, own: tuple[OutcomeDefinition, ...] = ()) -> tuple[str, ...]:
    """The outcomes a scenario whose mechanisms record ``event_kinds`` can produce at all, in report order: the engine's,
    then its plug-ins' ``own`` (:func:`new_outcome`); all of them where the kinds are not known (None)."""
    return tuple(definition.key for definition in OUTCOMES + own if event_kinds is None or definition.event in event_kinds)


def outcome(key: str) -> OutcomeDefinition:
    for definition in OUTCOMES:
        if definition.key == key:
            return definition
    raise KeyError(f"unknown outcome {key!r}; outcomes: {', '.join(OUTCOME_KEYS)}")


def runs_with_outcome(
    columns: dict[str, np.ndarray],
    key: str | OutcomeDefinition,
    n_runs: int,
    first_run: int = 0,
    window: tuple[int, int] | None = None,
    state_at_end: State | None = None,
) -> np.ndarray:
    """Boolean per run: did the outcome (an engine outcome's key, or a plug-in's ``new_outcome``) happen (within ``window``,
    inclusive months)? For a standing condition, ``state_at_end`` (the runs' state at the window's end) adds the runs
    in which it still holds then: with it, the answer is whether the condition held at any time in the window; without
    it, only whether it began or ended there (what a segment of the particle filter adds before its cell's end)."""
    definition = outcome(key) if isinstance(key, str) else key
    rows = definition.rows(columns)
    if window is not None:
        rows &= (columns["month"] >= window[0]) & (columns["month"] <= window[1])
    happened = np.zeros(n_runs, dtype=bool)
    happened[columns["run"][rows] - first_run] = True
    if definition.standing is not None and state_at_end is not None:
        happened |= definition.standing(state_at_end)
    return happened
