"""M3 Party-state fusion breeds a "new class": factions, spoils, corruption.

Introduction, L36-46: party officials merged with the state's, and the
bureaucratized unions, made a careerist "new class"; the party split into
factions immersed in spoils politics and corruption, which cost it legitimacy
and gave the Right its "moral" pretext for a coup.

Equations: while the party governs, ``corruption`` grows at ``growth_rate x
party organization x (1 - corruption)``; out of power it decays. The party's
cohesion relaxes toward ``1 - corruption``; a factional split is a hazard
log-linear in corruption. Corruption lowers legitimacy (grievance module) and
raises the coup hazard (coup module).
"""

from __future__ import annotations

from types import SimpleNamespace

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..formal import hazard_probability, log_linear_rate, relax
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role

NAME = "new_class"
TITLE = "The party-state 'new class' and corruption"
COVERS = ("M3",)
STAGE = 60
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L36-46",)
READS = ("corruption", "organization", "regime")
WRITES = ("corruption", "cohesion")
SLOTS = ("party_split",)
EVENTS = ("party_split",)
"""The kinds of event it records in the log."""
SUMMARY = (
    "While the civilian nationalist party governs, corruption grows with the party apparatus's organization "
    "and erodes its cohesion; factional splits come as a hazard that corruption raises. Out of power, "
    "corruption decays."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation", "hazard")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "party governing (civilian nationalist): corruption += growth_rate × organization[party] × (1 − "
    "corruption);  otherwise corruption −= decay_out_of_power × corruption",
    "cohesion[party] ← relax(cohesion[party], 1 − corruption, cohesion_speed)",
    "P(party split) = 1 − exp(−exp(split_intercept + split_corruption_coef × corruption)), while the party "
    "governs",
    "party split: cohesion[party] −= split_cohesion_loss",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    party: ActorRef = actor_role("The governing party whose apparatus breeds the 'new class': its organization feeds corruption, and it splits.", kinds=("party",))
    growth_rate: NonNegative
    decay_out_of_power: Unit
    cohesion_speed: Unit
    split_intercept: Coefficient
    split_corruption_coef: NonNegative
    split_cohesion_loss: Unit


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    governing = state.regime == RegimeType.CIVILIAN_NATIONALIST
    party = p.party
    growth = p.growth_rate * state.organization[party] * (1.0 - state.corruption)
    state.corruption += governing * growth - (~governing) * p.decay_out_of_power * state.corruption
    state.cohesion[party] = relax(state.cohesion[party], 1.0 - state.corruption, p.cohesion_speed)
    rate = log_linear_rate(p.split_intercept, (p.split_corruption_coef, state.corruption))
    split = governing & (month.draws.uniform("party_split") < hazard_probability(rate))
    state.cohesion[party] -= split * p.split_cohesion_loss
    month.log.record(month.index, split, EventType.PARTY_SPLIT, month.mechanism_code(NAME), actor_mask([party]))
