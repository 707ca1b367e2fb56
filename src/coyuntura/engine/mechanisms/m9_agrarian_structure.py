"""M9 Agrarian structure: fragmented plots make a passive, clientelist peasantry.

Introduction, L21-26: the land reform left small fragmented holdings with no
credit, technical help or organization. Introduction, L57-61: peasants were told
any change would cost them their plots. Introduction, L68-74: Barrientos
fostered agrarian capitalists and differentiation among the beneficiaries.
The Peasantry, L274-292: the peasantry follows whoever rules through clientelist
union leaders and the military-peasant pact; in Santa Cruz the bourgeoisie
organizes "middle" peasants for the Right. The Peasantry, L293-302: the Left
peasant currents are small; the colonos are largely ex-miners.

Equations: the peasantry's support relaxes toward ``clientelism`` whoever
governs; its organization is capped at ``organization_ceiling``;
``differentiation`` grows at ``right_differentiation_rate`` under a right
military government and ``differentiation_rate`` otherwise; the agrarian
bourgeoisie's organization relaxes toward ``base + middle_peasant_pull x
differentiation``; the left peasant currents radicalize toward the miners.
``left_outreach`` is the Left organizing peasants before taking power (The
Peasantry, L298-302: the Left holds this nearly impossible and plans to win them
after); it pulls peasant radicalism toward the miners' at ``left_outreach x
left_unity`` per month and loosens the clientelist hold.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..formal import relax
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role, role

NAME = "agrarian_structure"
TITLE = "Agrarian structure and clientelism"
COVERS = ("M9",)
STAGE = 80
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = (
    "Introduction, L21-26",
    "Introduction, L57-61",
    "Introduction, L68-74",
    "The Peasantry, L274-292",
    "The Peasantry, L293-302",
)
READS = ("regime", "differentiation", "radicalism", "organization", "left_unity")
WRITES = ("support", "organization", "differentiation", "radicalism")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "The peasantry's support is held by clientelism whoever governs and its organization stays capped; "
    "capitalist differentiation grows, faster under a right military government, and feeds the agrarian "
    "bourgeoisie's organization of middle peasants; the left peasant currents follow the vanguard workers "
    "(in Bolivia the miners). Left "
    "outreach before taking power loosens the clientelist hold."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "radicalism[peasantry] ← relax(radicalism[peasantry], radicalism[vanguard_workers], left_outreach × left_unity)",
    "hold = clientelism × (1 − left_outreach × max(radicalism[peasantry], 0));  support[peasantry] ← "
    "relax(support[peasantry], hold, adjustment_speed)",
    "organization[peasantry] ← min(organization[peasantry], organization_ceiling)",
    "differentiation += rate × (1 − differentiation), rate = right_differentiation_rate under a right "
    "military government, differentiation_rate otherwise",
    "organization[agrarian_bourgeoisie] ← relax(organization[agrarian_bourgeoisie], "
    "min(bourgeoisie_base_organization + middle_peasant_pull × differentiation, 1), adjustment_speed)",
    "radicalism_c ← relax(radicalism_c, radicalism[vanguard_workers], vanguard_influence_on_left_peasants), for every left"
    " peasant current c",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    peasantry: ActorRef = actor_role("The clientelist peasantry, whose support is held and whose organization stays capped.", kinds=("peasantry",))
    agrarian_bourgeoisie: ActorRef = actor_role("The agrarian bourgeoisie that organizes middle peasants as the countryside differentiates.", kinds=("capital",))
    vanguard_workers: ActorRef = actor_role("The actor whose position left peasant currents (and, with outreach, the peasantry) follow.")
    left_peasant_currents: tuple[ActorRef, ...] = role("Left peasant currents that follow the vanguard workers' position.", kinds=("peasantry",), min_actors=0)

    OPPOSING_ROLES = (("peasantry", "agrarian_bourgeoisie", "vanguard_workers", "left_peasant_currents"),)
    clientelism: Unit
    organization_ceiling: Unit
    adjustment_speed: Unit
    differentiation_rate: NonNegative
    right_differentiation_rate: NonNegative
    bourgeoisie_base_organization: Unit
    middle_peasant_pull: NonNegative
    vanguard_influence_on_left_peasants: Unit
    left_outreach: Unit


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    peasants = p.peasantry
    # The Left winning peasants before taking power: organizing pulls them toward the vanguard workers' position
    # and loosens the clientelist hold (the source's Left thinks this hard or impossible: outreach 0).
    state.radicalism[peasants] = relax(state.radicalism[peasants], state.radicalism[p.vanguard_workers], p.left_outreach * state.left_unity)
    hold = p.clientelism * (1.0 - p.left_outreach * np.maximum(state.radicalism[peasants], 0.0))
    state.support[peasants] = relax(state.support[peasants], hold, p.adjustment_speed)
    np.minimum(state.organization[peasants], p.organization_ceiling, out=state.organization[peasants])
    right = state.regime == RegimeType.RIGHT_MILITARY
    rate = np.where(right, p.right_differentiation_rate, p.differentiation_rate)
    state.differentiation += rate * (1.0 - state.differentiation)
    bourgeoisie_target = np.minimum(p.bourgeoisie_base_organization + p.middle_peasant_pull * state.differentiation, 1.0)
    state.organization[p.agrarian_bourgeoisie] = relax(state.organization[p.agrarian_bourgeoisie], bourgeoisie_target, p.adjustment_speed)
    for current in p.left_peasant_currents:
        state.radicalism[current] = relax(state.radicalism[current], state.radicalism[p.vanguard_workers], p.vanguard_influence_on_left_peasants)
