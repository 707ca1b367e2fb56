"""Exits from military rule, and who governs with whom after any change of government.

Introduction, L95-100: Barrientos's death (or assassination) put Ovando in power
and opened the first chance for the workers to recover - a military ruler's end
that came from neither a coup nor a rising. Introduction, L107-117: Ovando's
government was a transition, a bridge, whose course the officers tied to the
Barrientos leadership decided. The Role of the Military, L346-351: the officer
corps puts the army's institutional position first. Introduction, L158-162: the
crisis deepens, with new plots and confrontations, so no government is final.

Forms (Geddes 1999; Svolik 2012; Bueno de Mesquita et al. 2003): a military ruler
may die or be incapacitated (``leader_death_rate`` a month), and the officer corps
then picks his successor - nationalist when the army's nationalist current is
strong, otherwise from the right - as with Barrientos in 1969. And the officers
may hand power to civilians and call elections when pressure from below is high,
the government has lost legitimacy and recent coups have split the corps: the
institution's interest in its own unity outweighs ruling. Every change of
government, whatever its cause, installs the coalition and the anchor policy the
scenario declares for the new type (its ``regimes`` block: coyuntura.engine.government.install).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ..events import EventType, Outcome
from ..forces import government_legitimacy, threat_from_below
from ..formal import hazard_probability, log_linear_rate, logistic
from ..government import install
from ..state import MILITARY_REGIMES, RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month

NAME = "regime_exit"
TITLE = "Exits from military rule and successor governments"
COVERS = ("M16", "M17")
STAGE = 170
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
REQUIRES = ("mass_mobilization", "military_institution")
"""Mechanisms it cannot run without: it reads their parameters or hands them its results."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L95-100", "Introduction, L107-117", "The Role of the Military, L346-351", "Introduction, L158-162")
READS = ("regime", "nationalist_pressure", "coup_memory", "support", "weight", "organization", "radicalism", "mobilization", "arms")
WRITES = ("regime", "policy", "months_in_power", "progressive_room", "assembly", "coalition", "support", "months_since_ruler_death")
SLOTS = ("ruler_death", "palace_succession", "handover")
EVENTS = ("leader_death", "succession", "handover", "government_change")
"""The kinds of event it records in the log."""
SUMMARY = (
    "A military ruler may die in office; the officer corps then picks a nationalist successor when the army's "
    "nationalist current is strong, otherwise one from the right. Officers hand power to an elected civilian "
    "government as a hazard driven by pressure from below, lost legitimacy and the split that recent coups "
    "leave in the corps. Every new government governs with the coalition, and starts from the policy, that "
    "the scenario declares for its type."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("military_exit", "leader_tenure", "hazard", "logistic_choice")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "P(military ruler dies) = leader_death_rate a month;  P(nationalist successor) = "
    "logistic(succession_intercept + succession_pressure_coef × nationalist_pressure), else a right military "
    "successor",
    "P(handover) = 1 − exp(−exp(handover_intercept + handover_pressure_coef × threat_from_below + "
    "handover_legitimacy_coef × (1 − legitimacy) + handover_split_coef × coup_memory)), under a military "
    "government: an elected civilian government takes office",
    "any new government of type T: policy ← regimes.T.policy (unless its founders bring theirs), coalition ← "
    "regimes.T.coalition (the scenario's regimes block)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    leader_death_rate: Unit
    succession_intercept: Coefficient
    succession_pressure_coef: NonNegative
    handover_intercept: Coefficient
    handover_pressure_coef: NonNegative
    handover_legitimacy_coef: NonNegative
    handover_split_coef: NonNegative


def palace_succession(
    state: State, month: Month, dies: np.ndarray, mechanism: int, intercept: float, pressure_coef: float, slot: str,
    nationalist_policy: float | None = None,
) -> None:
    """The officer corps picks the dead ruler's successor: nationalist if the army's nationalist current carries it."""
    month.log.record(month.index, dies, EventType.LEADER_DEATH, mechanism)
    nationalist_probability = logistic(intercept + pressure_coef * state.nationalist_pressure)
    to_nationalist = dies & (month.draws.uniform(slot) < nationalist_probability)
    to_right = dies & ~to_nationalist
    outcome = np.where(to_nationalist, int(Outcome.TO_NATIONALIST), int(Outcome.TO_RIGHT))
    month.log.record(month.index, dies, EventType.SUCCESSION, mechanism, 0, outcome)
    install(state, to_nationalist, RegimeType.NATIONALIST_MILITARY, month, mechanism, policy=nationalist_policy)
    install(state, to_right, RegimeType.RIGHT_MILITARY, month, mechanism)
    state.months_since_ruler_death[dies] = 0  # a trigger of strikes (M6) this month and the next


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    code = month.mechanism_code(NAME)
    military = np.isin(state.regime, [int(r) for r in MILITARY_REGIMES])
    dies = military & (state.months_in_power > 0) & (month.draws.uniform("ruler_death") < p.leader_death_rate)
    if np.any(dies):
        palace_succession(state, month, dies, code, p.succession_intercept, p.succession_pressure_coef, "palace_succession")
    military &= ~dies
    popular = month.params("mass_mobilization").popular_actors
    rate = log_linear_rate(
        p.handover_intercept,
        (p.handover_pressure_coef, threat_from_below(state, popular)),
        (p.handover_legitimacy_coef, 1.0 - government_legitimacy(state, month.model)),
        (p.handover_split_coef, state.coup_memory),
    )
    handover = military & (state.months_in_power > 0) & (month.draws.uniform("handover") < hazard_probability(rate))
    month.log.record(month.index, handover, EventType.HANDOVER, code)
    install(state, handover, RegimeType.CIVILIAN_ELECTED, month, code)
