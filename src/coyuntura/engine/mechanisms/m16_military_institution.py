"""M16 Military institutional interest: even a left-nationalist president shields
the army and purges plotters only after armed clashes.

The Role of the Military, L342-358: the whole officer corps sees socialist
revolution as a threat to its institutional position; Torres shares that
loyalty and has been reluctant to sweep away centres of conspiracy, retiring or
posting abroad his military opponents only after major armed confrontations,
and relies on officers of his confidence. Introduction, L147-151: his
government tolerates and finances its own internal subversion. Popular
Assembly, L198-204: Torres resists an Assembly partly because the military
would react against it.

Equations: after a coup defeated with an armed popular clash (the best-armed
workers' arms above ``clash_arms_threshold``), a nationalist or elected civilian president
purges with probability ``purge_propensity``; a purge moves a share
``purge_share`` of the plotting faction's weight to the loyal faction. Without
such a clash there is no purge. ``assembly_resistance`` is how strongly the
president resists a Popular Assembly (read by M11).
"""

from __future__ import annotations

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..state import RegimeType, State
from .base import MechanismParams, Month, role

NAME = "military_institution"
TITLE = "The army's institutional interest and purges"
COVERS = ("M16",)
SOURCE = ("The Role of the Military, L342-358", "Introduction, L147-151", "Popular Assembly, L198-204")
READS = ("arms", "regime")
WRITES = ("weight",)
SLOTS = ("purge",)
SUMMARY = (
    "The army's institutional interest shields the plotters: a nationalist president purges them only after a"
    " coup defeated in an armed clash, moving part of the plotting faction's weight to the loyal faction; the"
    " same interest makes him resist a Popular Assembly."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("coup_proofing",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "armed clash: a coup defeated by the masses (M5) while the arms of the best-armed workers ≥ "
    "clash_arms_threshold",
    "P(purge) = purge_propensity after an armed clash under a nationalist (civilian or military) or elected "
    "civilian government",
    "purge: moved = purge_share × weight[right_faction];  weight[right_faction] −= moved;  "
    "weight[loyal_faction] += moved",
    "assembly_resistance is subtracted from the Popular Assembly's log-rate under a nationalist military "
    "president (M11)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    right_faction: ActorRef
    loyal_faction: ActorRef
    workers: tuple[ActorRef, ...] = role("Actors whose best arms make a defeat of the plotters an armed clash, and a purge possible.")
    purge_propensity: Unit
    purge_share: Unit
    clash_arms_threshold: Unit
    assembly_resistance: NonNegative


def purge_after_clash(state: State, month: Month, defeated_by_masses: np.ndarray) -> None:
    """Purge the plotters where a coup was defeated in an armed clash under a nationalist or elected civilian president."""
    p = month.params(NAME)
    if not p.enabled:
        return
    arms = np.zeros(state.n_runs)
    for actor in p.workers:  # the best-armed workers make the clash an armed one (the miners' guns and dynamite)
        arms = np.maximum(arms, state.arms[actor])
    clash = defeated_by_masses & (arms >= p.clash_arms_threshold)
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


def apply(state: State, p, month: Month) -> None:
    """Nothing happens monthly: purges follow armed clashes reported by the coup module."""
