"""The scenario format's closed vocabularies: words a scenario may use, with their labels.

The engine gives each word its meaning (``coyuntura.engine.outcomes`` says which rows of the event log
an outcome is); the format only needs the words, so it does not import the engine.
"""

from __future__ import annotations

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
    "cabinet_accepted": "Left accepts cabinet posts",
    "popular_assembly": "Popular Assembly formed",
    "workers_government": "Workers' government",
    "government_change": "Change of government (any cause)",
    "handover": "Military hands power to civilians",
}
"""Every outcome key an observation or a question may name, with its label, in report order."""

OUTCOME_KEYS: tuple[str, ...] = tuple(OUTCOME_LABELS)
