"""M2 A foreign patron's leverage (in the source, the US): aid and training to the army, conditions on policy, backing for right plots.

Introduction, L11-17: US aid, assistance and training rebuilt the army after
1952, recruiting officers who saw the armed miners as a threat. Introduction,
L27-35: under US pressure the MNR accepted the international agencies' terms:
devaluations, wage freezes, concessions. U.S. Imperialism, L359-370: after the
Gulf nationalization the US went on the defensive, demanded compensation and
backed the October 1970 coup: an expropriation the US has not accepted keeps it
hostile whatever the government's policy does afterwards. The Miners, L250-253: Soviet and Eastern-bloc aid
now props up Torres.

Equations: ``patron_hostility`` relaxes toward ``logistic(hostility_intercept +
hostility_policy_coef * policy + expropriation_coef * expropriated)``, where
``expropriated`` is the share of the patron's holdings that a government has
taken, among those that have come into being (nationalizations also add jumps in M14); the patron's aid
raises ``army_capacity`` and ``dependence`` in proportion to ``1 - patron_hostility``;
an austerity package is a hazard ``1 - exp(-rate)``, rate log-linear in
dependence and squeeze; it moves policy right, raises hardship and uses up
progressive room. A rival patron's aid (in the source, the Eastern bloc's) eases the squeeze of a
left-leaning government.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..formal import hazard_probability, log_linear_rate, logistic, relax
from ..state import RegimeType, State
from . import m14_nationalization as m14
from .base import PETRAS_1971, MechanismParams, Month, actor_role

NAME = "patron_leverage"
TITLE = "A foreign patron's leverage over army and policy"
COVERS = ("M2",)
STAGE = 30
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L11-17", "Introduction, L27-35", "U.S. Imperialism, L359-370", "The Miners, L250-253")
READS = ("policy", "patron_hostility", "dependence", "squeeze", "army_capacity", "regime", "organization", "holdings", "holdings_taken")
WRITES = ("patron_hostility", "army_capacity", "dependence", "policy", "hardship", "progressive_room", "squeeze", "support")
SLOTS = ("austerity",)
EVENTS = ("austerity_package",)
"""The kinds of event it records in the log."""
SUMMARY = (
    "The foreign patron's hostility follows the government's policy and stays up while one of its holdings remains expropriated; while it "
    "cooperates, its aid rebuilds the army and deepens dependence. Austerity packages (devaluation, wage freeze) arrive as a hazard "
    "driven by dependence and the squeeze and push policy right. A rival patron's aid eases the squeeze of a left-leaning government "
    "the patron turns against."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation", "hazard")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "patron_hostility ← relax(patron_hostility, logistic(hostility_intercept + hostility_policy_coef × policy + "
    "expropriation_coef × expropriated), hostility_speed);  expropriated = share of the patron's holdings a "
    "government has taken, among those that have come into being (M14)",
    "cooperation = 1 − patron_hostility;  support[foreign_patron] = cooperation",
    "army_capacity += army_aid_rate × cooperation × (1 − army_capacity)",
    "dependence += aid_dependence_rate × cooperation × (1 − dependence)",
    "P(austerity package) = 1 − exp(−exp(austerity_intercept + austerity_dependence_coef × dependence + "
    "austerity_squeeze_coef × squeeze)), except under a workers' government",
    "austerity package: policy −= austerity_policy_shift;  hardship += austerity_hardship;  progressive_room "
    "−= austerity_room_cost",
    "left_lean = max(policy, 0) (0 under a workers' government);  support[rival_patron] = left_lean",
    "squeeze −= rival_aid_relief × organization[rival_patron] × left_lean × patron_hostility",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    foreign_patron: ActorRef = actor_role("The foreign power whose hostility and leverage (aid, conditions, austerity) the mechanism tracks.", kinds=("foreign",))
    rival_patron: ActorRef = actor_role("The rival foreign power whose aid to a left-leaning government eases the squeeze.", kinds=("foreign",))

    OPPOSING_ROLES = (("foreign_patron", "rival_patron"),)
    hostility_intercept: Coefficient
    hostility_policy_coef: NonNegative
    expropriation_coef: NonNegative
    hostility_speed: Unit
    army_aid_rate: NonNegative
    aid_dependence_rate: NonNegative
    austerity_intercept: Coefficient
    austerity_dependence_coef: NonNegative
    austerity_squeeze_coef: NonNegative
    austerity_policy_shift: Unit
    austerity_hardship: Unit
    austerity_room_cost: Unit
    rival_aid_relief: NonNegative


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    expropriated = m14.patron_holdings_expropriated(state, month.model)
    target = logistic(p.hostility_intercept + p.hostility_policy_coef * state.policy + p.expropriation_coef * expropriated)
    state.patron_hostility[:] = relax(state.patron_hostility, target, p.hostility_speed)
    cooperation = 1.0 - state.patron_hostility
    state.army_capacity += p.army_aid_rate * cooperation * (1.0 - state.army_capacity)
    state.dependence += p.aid_dependence_rate * cooperation * (1.0 - state.dependence)
    state.support[p.foreign_patron] = cooperation

    not_workers = state.regime != RegimeType.WORKERS_GOVERNMENT
    rate = log_linear_rate(
        p.austerity_intercept,
        (p.austerity_dependence_coef, state.dependence),
        (p.austerity_squeeze_coef, state.squeeze),
    )
    package = not_workers & (month.draws.uniform("austerity") < hazard_probability(rate))
    state.policy -= package * p.austerity_policy_shift
    state.hardship += package * p.austerity_hardship
    state.progressive_room -= package * p.austerity_room_cost
    month.scratch["austerity"] = package  # a trigger of strikes this month (M6)
    month.log.record(month.index, package, EventType.AUSTERITY_PACKAGE, month.mechanism_code(NAME), actor_mask([p.foreign_patron]))

    # The rival patron's aid props up a left-leaning government the patron turns against.
    left_lean = np.maximum(state.policy, 0.0) * not_workers
    rival = p.rival_patron
    state.support[rival] = left_lean
    state.squeeze -= p.rival_aid_relief * state.organization[rival] * left_lean * state.patron_hostility
