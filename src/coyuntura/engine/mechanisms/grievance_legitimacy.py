"""Legitimacy and grievance (Gurr 1970; Epstein 2002).

Each actor's support for the incumbent relaxes toward a legitimacy target that
falls with the distance between the government's policy and the actor's own
position and with corruption (Introduction, L36-46), and rises with the
mystification of nationalist rhetoric while a revolutionary-nationalist
government speaks it (Introduction, L47-67). Hardship relaxes back toward its
baseline; M2 and M14 move it. Grievance, ``hardship x (1 - support)``, drives
mobilization (M6).

Equation: ``target_a = logistic(intercept - distance_coef |radicalism_a - policy|
- corruption_coef corruption + mystification_coef mystification_a)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..formal import logistic, relax
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month

NAME = "grievance_legitimacy"
TITLE = "Legitimacy and grievance"
COVERS = ("legitimacy",)
STAGE = 20
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L36-46", "Introduction, L47-67")
READS = ("policy", "radicalism", "corruption", "mystification_urban", "mystification_rural", "regime", "hardship", "coalition")
WRITES = ("support", "hardship")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "Each domestic actor's support for the government moves toward a legitimacy target that falls with the "
    "distance between the government's policy and the actor's position and with corruption, and rises with "
    "nationalist mystification while a revolutionary-nationalist government rules; hardship recovers toward "
    "its baseline. Grievance, hardship × (1 − support), drives mobilization (M6)."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("grievance", "relaxation")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "m_a = mystification_rural for rural_actors, mystification_urban for urban_actors, 0 otherwise; counted "
    "only under a revolutionary-nationalist government (civilian or military)",
    "target_a = logistic(intercept − distance_coef × |radicalism_a − policy| − corruption_coef × corruption +"
    " mystification_coef × m_a + coalition_coef × [a in the governing coalition])",
    "support_a ← relax(support_a, target_a, adjustment_speed), for every domestic actor a",
    "hardship ← relax(hardship, hardship_baseline, hardship_recovery)",
    "grievance_a = hardship × (1 − support_a)   (read by the M6 cascade)",
    "legitimacy = Σ_c weight_c × organization_c × support_c / Σ_c weight_c × organization_c, over civil actors c "
    "(not foreign, army or guerrilla; read by M5)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    urban_actors: tuple[ActorRef, ...]
    rural_actors: tuple[ActorRef, ...]
    intercept: Coefficient
    distance_coef: NonNegative
    corruption_coef: NonNegative
    mystification_coef: NonNegative
    coalition_coef: NonNegative
    adjustment_speed: Unit
    hardship_baseline: Unit
    hardship_recovery: Unit


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    speaks_nationalism = (state.regime == RegimeType.CIVILIAN_NATIONALIST) | (state.regime == RegimeType.NATIONALIST_MILITARY)
    # The terms every actor shares are computed once (the same numbers, not recomputed per actor).
    corruption_term = p.corruption_coef * state.corruption
    mystification_terms: dict[str, np.ndarray] = {}
    mystification: np.ndarray | float
    for actor in month.model.domestic_actors:
        if actor in p.rural_actors:
            kind, mystification = "rural", state.mystification_rural
        elif actor in p.urban_actors:
            kind, mystification = "urban", state.mystification_urban
        else:
            kind, mystification = "none", 0.0
        if kind not in mystification_terms:
            mystification_terms[kind] = p.mystification_coef * mystification * speaks_nationalism
        distance = np.abs(state.radicalism[actor] - state.policy)
        propensity = p.intercept - p.distance_coef * distance
        propensity -= corruption_term
        propensity += mystification_terms[kind]
        propensity += p.coalition_coef * state.coalition[actor]
        target = logistic(propensity)
        state.support[actor] = relax(state.support[actor], target, p.adjustment_speed)
    state.hardship[:] = relax(state.hardship, p.hardship_baseline, p.hardship_recovery)
