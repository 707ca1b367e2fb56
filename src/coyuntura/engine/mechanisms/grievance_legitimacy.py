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

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..formal import logistic, relax
from ..state import RegimeType, State
from .base import MechanismParams, Month

NAME = "grievance_legitimacy"
TITLE = "Legitimacy and grievance"
COVERS = ("legitimacy",)
SOURCE = ("Introduction, L36-46", "Introduction, L47-67")
READS = ("policy", "radicalism", "corruption", "mystification_urban", "mystification_rural", "regime", "hardship")
WRITES = ("support", "hardship")
SLOTS: tuple[str, ...] = ()


class Params(MechanismParams):
    urban_actors: tuple[ActorRef, ...]
    rural_actors: tuple[ActorRef, ...]
    intercept: Coefficient
    distance_coef: NonNegative
    corruption_coef: NonNegative
    mystification_coef: NonNegative
    adjustment_speed: Unit
    hardship_baseline: Unit
    hardship_recovery: Unit


def apply(state: State, p, month: Month) -> None:
    speaks_nationalism = (state.regime == RegimeType.CIVILIAN_NATIONALIST) | (state.regime == RegimeType.NATIONALIST_MILITARY)
    for actor in month.model.domestic_actors:
        if actor in p.rural_actors:
            mystification = state.mystification_rural
        elif actor in p.urban_actors:
            mystification = state.mystification_urban
        else:
            mystification = 0.0
        distance = np.abs(state.radicalism[actor] - state.policy)
        target = logistic(
            p.intercept
            - p.distance_coef * distance
            - p.corruption_coef * state.corruption
            + p.mystification_coef * mystification * speaks_nationalism
        )
        state.support[actor] = relax(state.support[actor], target, p.adjustment_speed)
    state.hardship[:] = relax(state.hardship, p.hardship_baseline, p.hardship_recovery)
