"""M10 Guerrilla foco: defeated militarily, but it radicalizes students and clergy
and pushes army sectors toward a "nationalist" program.

The Guerrilla Movement, L371-398: Che Guevara's 1967 foco and Teoponte in 1970
were both crushed, yet they shook the university and the Church and, less, the
army, where sectors sought a "nationalist" program to head off popular
pressure; the student nucleus of Teoponte came out of the 1967 shock; Teoponte
raised tensions and precipitated the October confrontation; a hundred armed
fighters in La Paz instead of the jungle might have changed October 1970; after
two defeats the rural foco lost all support. University and Church, L303-316:
Che's death set off the students' radicalization and the Christian Democratic
split that supplied Teoponte.

Equations: an active foco (organization > 0) is destroyed with monthly hazard
``1 - exp(-rate)``, rate log-linear in the army's capacity, scaled by the share
of fighters in the jungle; its defeat radicalizes students and clergy, raises
the army's nationalist pressure and polarization. A new foco forms from
radicalized students with a hazard that rises with their radicalism and falls
with each earlier defeat. ``urban_share`` of the fighters stand in the capital
and join the popular side of a coup contest.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..formal import hazard_probability, log_linear_rate
from ..state import State
from .base import PETRAS_1971, MechanismParams, Month, actor_role

NAME = "guerrilla_foco"
TITLE = "The guerrilla foco and its indirect effects"
COVERS = ("M10",)
STAGE = 100
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("The Guerrilla Movement, L371-398", "University and Church, L303-316")
READS = ("organization", "army_capacity", "radicalism", "guerrilla_defeats", "weight", "arms")
WRITES = ("organization", "arms", "radicalism", "nationalist_pressure", "polarization", "guerrilla_defeats")
SLOTS = ("foco_defeat", "foco_formation")
EVENTS = ("guerrilla_foco", "guerrilla_defeated")
"""The kinds of event it records in the log."""
SUMMARY = (
    "An active guerrilla foco is destroyed by the army as a hazard; its defeat radicalizes students and "
    "clergy, raises nationalist pressure inside the army and polarization. Radicalized students may form a "
    "new foco, less likely after each defeat. Fighters standing in the capital join the defence against a "
    "coup."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("hazard",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "active foco: organization[guerrillas] > 0.01",
    "P(foco defeated) = 1 − exp(−(1 − urban_share) × exp(defeat_intercept + defeat_army_coef × "
    "army_capacity))",
    "defeat: organization[guerrillas] ← 0;  arms[guerrillas] ← 0;  guerrilla_defeats += 1;  "
    "radicalism[students] += student_radicalization;  radicalism[religious_left] += clergy_radicalization;  "
    "nationalist_pressure += nationalist_push;  polarization += polarization_push",
    "P(new foco) = 1 − exp(−exp(formation_intercept + formation_radicalism_coef × max(radicalism[students], "
    "0) × organization[students] − formation_defeats_coef × max(guerrilla_defeats − 1, 0))), when no foco is "
    "active and at least one was defeated",
    "new foco: organization[guerrillas] ← new_foco_organization;  arms[guerrillas] ← new_foco_arms;  "
    "radicalism[guerrillas] ← 1",
    "urban guerrilla force = urban_share × weight × organization × arms of the guerrillas   (joins the "
    "defence in a coup contest, M5)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    guerrillas: ActorRef = actor_role("The guerrilla foco: active while its organization is above a threshold; the army may destroy it.", kinds=("guerrilla",))
    students: ActorRef = actor_role("Students, whom a foco's defeat radicalizes and who may form a new foco.", kinds=("students",))
    religious_left: ActorRef = actor_role("The religious left (radical clergy), whom a foco's defeat radicalizes.", kinds=("church",))
    defeat_intercept: Coefficient
    defeat_army_coef: NonNegative
    urban_share: Unit
    student_radicalization: Unit
    clergy_radicalization: Unit
    nationalist_push: Unit
    polarization_push: Unit
    formation_intercept: Coefficient
    formation_radicalism_coef: NonNegative
    formation_defeats_coef: NonNegative
    new_foco_organization: Unit
    new_foco_arms: Unit


ACTIVE_ORGANIZATION = 0.01
"""A foco is in the field while its organization is above this."""


def active_foco(state: State, p: SimpleNamespace) -> np.ndarray:
    """Runs with a guerrilla foco active (in the jungle or in the capital)."""
    active: np.ndarray = state.organization[p.guerrillas] > ACTIVE_ORGANIZATION
    return active


def foco_in_the_field(state: State, p: SimpleNamespace) -> np.ndarray:
    """How much of a guerrilla war is under way: an active foco, by the share of its fighters in the jungle.

    Teoponte's campaign in the jungle raised the tensions and precipitated the officers' clash with the
    popular forces (The Guerrilla Movement, L383-388); fighters standing in the capital join the defence
    instead (``urban_guerrilla_force``)."""
    in_the_field: np.ndarray = active_foco(state, p) * (1.0 - p.urban_share)
    return in_the_field


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    g = p.guerrillas
    active = active_foco(state, p)
    rate = log_linear_rate(p.defeat_intercept, (p.defeat_army_coef, state.army_capacity)) * (1.0 - p.urban_share)
    defeated = active & (month.draws.uniform("foco_defeat") < hazard_probability(rate))
    state.organization[g] = np.where(defeated, 0.0, state.organization[g])
    state.arms[g] = np.where(defeated, 0.0, state.arms[g])
    state.guerrilla_defeats += defeated
    state.radicalism[p.students] += defeated * p.student_radicalization
    state.radicalism[p.religious_left] += defeated * p.clergy_radicalization
    state.nationalist_pressure += defeated * p.nationalist_push
    state.polarization += defeated * p.polarization_push
    month.log.record(month.index, defeated, EventType.GUERRILLA_DEFEATED, month.mechanism_code(NAME), actor_mask([g]))

    students = p.students
    readiness = np.maximum(state.radicalism[students], 0.0) * state.organization[students]
    formation_rate = log_linear_rate(
        p.formation_intercept,
        (p.formation_radicalism_coef, readiness),
        (-p.formation_defeats_coef, np.maximum(state.guerrilla_defeats - 1.0, 0.0)),
    )
    forms = (~active) & (state.guerrilla_defeats >= 1.0) & (month.draws.uniform("foco_formation") < hazard_probability(formation_rate))
    state.organization[g] = np.where(forms, p.new_foco_organization, state.organization[g])
    state.arms[g] = np.where(forms, p.new_foco_arms, state.arms[g])
    state.radicalism[g] = np.where(forms, 1.0, state.radicalism[g])
    month.log.record(month.index, forms, EventType.GUERRILLA_FOCO, month.mechanism_code(NAME), actor_mask([g, students]))


def urban_guerrilla_force(state: State, p: SimpleNamespace) -> np.ndarray:
    """Armed force of the fighters who stand in the capital rather than the jungle."""
    g = p.guerrillas
    force: np.ndarray = p.urban_share * state.weight[g] * state.organization[g] * state.arms[g]
    return force
