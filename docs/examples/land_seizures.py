"""Land seizures: organized, radical peasants take estates when the government will not stop them.

A mechanism written outside coyuntura's package, as a plug-in: the scenario
docs/examples/countryside-1971.yaml names this file in ``mechanism_modules:`` and
lists ``land_seizures`` under ``mechanisms:`` beside two built-in mechanisms. It
keeps the same contract as the built-in ones (coyuntura.scenario.plugins.MechanismContract).

The Countryside, L35-37: in the south, peasants and indigenous communities
seized land, often led by the far left's rural front, while landowners
organized and in places resisted by force. (Locators cite the Chile notes,
src/coyuntura/scenarios/chile-1970-notes.txt.)

Equations: a seizure wave is a monthly hazard log-linear in the peasants'
organization and radicalism and in the government's leftward policy (a
government of the left will not send the police); a wave mobilizes the peasants,
sharpens polarization and turns the landowners against the government. A wave is
logged as a kind of event of its own, ``land_seizure`` (declared in NEW_EVENTS), so
the scenario's tables, forecasts and chronicles count and tell it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from coyuntura.engine.events import actor_mask
from coyuntura.engine.formal import hazard_probability, log_linear_rate
from coyuntura.engine.mechanisms.base import MechanismParams, Month, actor_role, role
from coyuntura.engine.state import State
from coyuntura.scenario.quantities import Coefficient, NonNegative, Unit
from coyuntura.scenario.refs import ActorRef

NAME = "land_seizures"
TITLE = "Land seizures by organized peasants"
STAGE = 95  # after radicalization by contact (90), before the guerrilla foco (100)
COVERS = ()
SOURCE_TITLE = "Notes for a worked example: Chile under the Popular Unity government, 1970-1973"  # the analysis SOURCE cites
SOURCE = ("The Countryside, L35-37",)
READS = ("organization", "radicalism", "policy", "support")
WRITES = ("mobilization", "polarization", "support")
SLOTS = ("land_seizure",)
NEW_EVENTS = {"land_seizure": "Wave of land seizures"}  # a kind of event of its own: an outcome of the scenarios using it
EVENTS = ("land_seizure",)  # the kinds of event it records in the log
SUMMARY = (
    "Organized, radical peasants seize estates, likelier the further left the government leans (it will not "
    "send the police). A wave of seizures mobilizes them, sharpens polarization and turns the landowners "
    "against the government."
)
FORMS = ("hazard",)
EQUATIONS = (
    "P(seizure wave) = 1 − exp(−exp(intercept + organization_coef × mean organization of the peasants + "
    "radicalism_coef × mean max(radicalism, 0) of the peasants + policy_coef × max(policy, 0)))",
    "wave: mobilization_p ← max(mobilization_p, organization_p) for each peasant actor p;  polarization += "
    "polarization_jump;  support[landowners] −= support_loss × support[landowners]",
)


class Params(MechanismParams):
    peasants: tuple[ActorRef, ...] = role("Peasant actors who seize land: their organization and radicalism drive the waves.", kinds=("peasantry",))
    landowners: ActorRef = actor_role("The landowners, whose support for the government each wave erodes.", kinds=("capital",))

    OPPOSING_ROLES = (("peasants", "landowners"),)
    intercept: Coefficient
    organization_coef: NonNegative
    radicalism_coef: NonNegative
    policy_coef: NonNegative
    polarization_jump: Unit
    support_loss: Unit


def seizure_probability(state: State, p: SimpleNamespace) -> np.ndarray:
    """Monthly probability of a wave of land seizures."""
    organization = np.zeros(state.n_runs)
    radicalism = np.zeros(state.n_runs)
    for actor in p.peasants:
        organization += state.organization[actor] / len(p.peasants)
        radicalism += np.maximum(state.radicalism[actor], 0.0) / len(p.peasants)
    rate = log_linear_rate(
        p.intercept,
        (p.organization_coef, organization),
        (p.radicalism_coef, radicalism),
        (p.policy_coef, np.maximum(state.policy, 0.0)),
    )
    return hazard_probability(rate)


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    wave = month.draws.uniform("land_seizure") < seizure_probability(state, p)
    for actor in p.peasants:
        state.mobilization[actor] = np.where(wave, np.maximum(state.mobilization[actor], state.organization[actor]), state.mobilization[actor])
    state.polarization += wave * p.polarization_jump
    owners = p.landowners
    state.support[owners] -= wave * p.support_loss * state.support[owners]
    month.log.record(month.index, wave, month.event_code("land_seizure"), month.mechanism_code(NAME), actor_mask(list(p.peasants)))
