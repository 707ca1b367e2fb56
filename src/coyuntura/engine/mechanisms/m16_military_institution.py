"""M16 Military institutional interest: even a left-nationalist president shields
the army and purges plotters only after a major confrontation.

The Role of the Military, L342-358: the whole officer corps sees socialist
revolution as a threat to its institutional position; Torres shares that
loyalty and has been reluctant to sweep away centres of conspiracy, retiring or
posting abroad his military opponents only after major armed confrontations,
and relies on officers of his confidence. Introduction, L147-151: his
government tolerates and finances its own internal subversion. Popular
Assembly, L198-204: Torres resists an Assembly partly because the military
would react against it.

Equations: after a major confrontation - a coup the mobilized, semi-armed
masses defeated (M5; the miners came with guns and dynamite, President Torres
and the Miners, L165-166) - a nationalist or elected civilian president purges
with probability ``purge_propensity``; a purge moves a share ``purge_share`` of
the plotting faction's weight to the loyal faction. Without such a clash there
is no purge. (The clash is not gated on the workers' arms: the model's arms
decay to nothing after the 1965-66 repression, so a gate on them made the
purges of 1970-71 unreachable from 1952.) ``assembly_resistance`` is how strongly the
president resists a Popular Assembly (read by M11).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role

NAME = "military_institution"
TITLE = "The army's institutional interest and purges"
COVERS = ("M16",)
STAGE = 160
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("The Role of the Military, L342-358", "Introduction, L147-151", "Popular Assembly, L198-204")
READS = ("regime",)
WRITES = ("weight",)
SLOTS = ("purge",)
EVENTS = ("plotters_purged",)
"""The kinds of event it records in the log."""
SUMMARY = (
    "The army's institutional interest shields the plotters: a nationalist president purges them only after a"
    " coup the masses defeated, moving part of the plotting faction's weight to the loyal faction; the"
    " same interest makes him resist a Popular Assembly."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("coup_proofing",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "major confrontation: a coup defeated by the masses (M5)",
    "P(purge) = purge_propensity after a major confrontation under a nationalist (civilian or military) or elected "
    "civilian government",
    "purge: moved = purge_share × weight[right_faction];  weight[right_faction] −= moved;  "
    "weight[loyal_faction] += moved",
    "assembly_resistance is subtracted from the Popular Assembly's log-rate under a nationalist military "
    "president (M11)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    right_faction: ActorRef = actor_role("The plotting army faction a purge weakens.", kinds=("army",))
    loyal_faction: ActorRef = actor_role("The army faction loyal to the president, to which a purge moves the plotters' weight.", kinds=("army",))

    OPPOSING_ROLES = (("right_faction", "loyal_faction"),)
    purge_propensity: Unit
    purge_share: Unit
    assembly_resistance: NonNegative


def purge_after_clash(state: State, month: Month, defeated_by_masses: np.ndarray) -> None:
    """Purge the plotters where the masses defeated a coup under a nationalist or elected civilian president."""
    p = month.params(NAME)
    if not p.enabled:
        return
    clash = defeated_by_masses
    nationalist = (
        (state.regime == RegimeType.NATIONALIST_MILITARY)
        | (state.regime == RegimeType.CIVILIAN_NATIONALIST)
        | (state.regime == RegimeType.CIVILIAN_ELECTED)
    )
    purge = clash & nationalist & (month.draws.uniform("purge") < p.purge_propensity)
    moved = purge * p.purge_share * state.weight[p.right_faction]
    state.weight[p.right_faction] -= moved
    state.weight[p.loyal_faction] += moved
    month.log.record(month.index, purge, EventType.PLOTTERS_PURGED, month.mechanism_code(NAME), actor_mask([p.right_faction]))


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    """Nothing happens monthly: purges follow the confrontations the coup module reports."""
