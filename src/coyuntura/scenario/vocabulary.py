"""The scenario format's closed vocabularies: words a scenario may use, with their labels.

The engine gives each word its meaning (``coyuntura.engine.outcomes`` says which rows of the event log
an outcome is); the format only needs the words, so it does not import the engine.
"""

from __future__ import annotations

import difflib
from typing import Sequence

OUTCOME_LABELS: dict[str, str] = {
    "coup_attempt": "Coup attempt",
    "coup_success": "Successful coup",
    "coup_failed": "Failed coup",
    "coup_defeated_by_mobilization": "Coup defeated by mass mobilization",
    "general_strike": "General strike",
    "mass_mobilization": "Mass mobilization",
    "repression_wave": "Repression wave",
    "nationalization": "Nationalization",
    "austerity_package": "Austerity package",
    "foreign_concession": "Concession to foreign capital",
    "party_split": "Governing party splits",
    "army_split": "Army splits in a coup",
    "plotters_purged": "Plotters purged",
    "guerrilla_foco": "Guerrilla foco",
    "guerrilla_defeated": "Guerrilla defeated",
    "left_unity": "Left unites",
    "left_split": "Left splits",
    "left_front": "The Left's united front stands",
    "cabinet_accepted": "Left accepts cabinet posts",
    "popular_assembly": "Popular Assembly formed",
    "workers_government": "Workers' government",
    "government_change": "Change of government (any cause)",
    "handover": "Military hands power to civilians",
}
"""Every outcome key an observation or a question may name, with its label, in report order."""

OUTCOME_KEYS: tuple[str, ...] = tuple(OUTCOME_LABELS)

OUTCOME_NEEDS: dict[str, tuple[str, ...]] = {
    "coup_success": ("coup_attempt",),
    "coup_failed": ("coup_attempt",),
    "coup_defeated_by_mobilization": ("coup_failed",),
    "army_split": ("coup_attempt",),
}
"""Outcomes that by their meaning cannot happen in a month without these others in it: a coup that succeeded or failed
was attempted, one the masses defeated failed, and the army splits in a coup. Where the record says none of the
latter happened, none of the former did either (``coyuntura.scenario.record``); the engine keeps to it (the coup
mechanism logs the army's split in the month of the attempt), and so must a plug-in that logs these kinds. Only
outcomes that are moments belong here: a standing condition (``left_front``) may hold in a month with no event."""

OUTCOME_PARTS: dict[str, tuple[str, ...]] = {"coup_attempt": ("coup_success", "coup_failed")}
"""Outcomes made of others: every coup attempt either succeeded or failed, so a month with neither had no attempt."""

REGIME_LABELS: dict[str, str] = {
    "civilian_nationalist": "Civilian revolutionary-nationalist government",
    "right_military": "Right military government / police state",
    "nationalist_military": "Nationalist military government",
    "workers_government": "Workers' government",
    "civilian_elected": "Elected civilian government",
}
"""The engine's names of the regime types (``coyuntura.engine.state.REGIME_KEYS``); a scenario may name them its own way
(``regimes.<type>.label``)."""

OUTCOME_EVENTS: dict[str, str] = {
    "coup_attempt": "coup_attempt", "coup_success": "coup_attempt", "coup_failed": "coup_attempt",
    "coup_defeated_by_mobilization": "coup_attempt", "general_strike": "general_strike", "mass_mobilization": "mass_mobilization",
    "repression_wave": "repression_wave", "nationalization": "nationalization", "austerity_package": "austerity_package",
    "foreign_concession": "foreign_concession", "party_split": "party_split", "army_split": "army_split",
    "plotters_purged": "plotters_purged", "guerrilla_foco": "guerrilla_foco", "guerrilla_defeated": "guerrilla_defeated",
    "left_unity": "left_unity", "left_split": "left_split", "left_front": "left_unity", "cabinet_accepted": "cabinet_offer", "popular_assembly": "popular_assembly",
    "workers_government": "workers_government", "government_change": "government_change", "handover": "handover",
}
"""The kind of event each outcome is a reading of: an outcome can happen only in a scenario that records its kind."""

EVENT_KINDS: tuple[str, ...] = (
    "coup_attempt", "general_strike", "mass_mobilization", "repression_wave", "nationalization", "austerity_package",
    "foreign_concession", "left_unity", "left_split", "popular_assembly", "workers_government", "guerrilla_foco",
    "guerrilla_defeated", "plotters_purged", "leader_death", "succession", "cabinet_offer", "party_split", "army_split",
    "government_change", "handover", "shock", "foreign_intervention",
)
"""The kinds of event the engine's log records, in code order: a mechanism declares those it records (``EVENTS``)."""

MAX_HOLDINGS = 96
"""How many holdings a scenario may name: the event log codes a nationalization by the holding taken, in one byte."""


def unknown_outcome(name: str, known: Sequence[str], whose: str = "outcomes") -> str:
    """What to say of an outcome not among ``known``: the closest ones as a hint, then all of them (``whose`` names them)."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"unknown outcome {name!r}{hint}; {whose}: {', '.join(known)}"
