"""M7 Each failed coup weakens the Right and raises working-class pressure.

Introduction, L151-153: each failed coup leaves the Right weaker and adds to
the working class's pressure to remake society from top to bottom. The Role
of the Military, L353-356: after major armed confrontations plotters were
retired or posted abroad as attachés (the purge itself is M16).

Equations, in the runs where a coup just failed: the plotting faction loses a
share ``right_weight_loss`` of its weight, the backers ``backer_organization_loss``
of their organization; the defenders' radicalism and mobilization rise by
``radicalization`` and ``mobilization_boost``, scaled by how much of the defence
was popular; polarization rises by ``polarization_gain``.

The loss is not for ever: the army's factions regroup. Every month each
faction's weight moves a share ``regroup_rate`` of the way back to the weight the
scenario gives it (its ``actors`` entry, also for runs started from a snapshot or
given other weights per run) - the beaten cabals recruit again, the purged return - since even a
left-nationalist president tolerates the conspiracy inside his own army
(Introduction, L147-151) and the Embassy keeps in touch with the cabals (U.S.
Imperialism, L366-370). A faction swollen by a purge gives back the same way.
Without it, a faction's losses would be final, and with the coup hazard scaled by
the plotters' chance (M5) a camp beaten a few times would never plot again.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Sequence

import numpy as np

from ...scenario.quantities import Unit
from ...scenario.refs import ActorRef
from ..state import State
from .base import PETRAS_1971, MechanismParams, Month, role

NAME = "failed_coup"
TITLE = "Aftermath of a failed coup"
COVERS = ("M7",)
STAGE = 150
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L151-153", "The Role of the Military, L353-356", "Introduction, L147-151", "U.S. Imperialism, L366-370")
READS = ("weight", "organization")
WRITES = ("weight", "organization", "radicalism", "mobilization", "polarization")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "In the month a coup fails, the plotters lose weight and their backers organization, the workers "
    "radicalize and mobilize in proportion to how much of the defence was popular, and polarization rises. "
    "Every month the army's factions regroup: each one's weight moves back toward the weight the scenario gives it."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS: tuple[str, ...] = ()
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "weight[plotter] ×= 1 − right_weight_loss;  organization_b ×= 1 − backer_organization_loss for every "
    "backer b",
    "pressure = popular share of the defence (M5)",
    "for every worker actor w: radicalism_w += radicalization × pressure;  mobilization_w += "
    "mobilization_boost × pressure × (1 − mobilization_w)",
    "polarization += polarization_gain",
    "every month, for every faction f: weight_f += regroup_rate × (the scenario's weight_f − weight_f)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    workers: tuple[ActorRef, ...] = role("Actors a failed coup radicalizes and mobilizes.")
    factions: tuple[ActorRef, ...] = role("The army's factions, which regroup toward the weight the scenario gives them after losses or gains.")
    right_weight_loss: Unit
    backer_organization_loss: Unit
    radicalization: Unit
    mobilization_boost: Unit
    polarization_gain: Unit
    regroup_rate: Unit


def after_failed_coup(
    state: State, month: Month, failed: np.ndarray, plotter: np.ndarray, backers: Sequence[int], popular_share: np.ndarray,
    right_camp: np.ndarray | bool = True,
) -> None:
    """Apply the aftermath to the runs in ``failed``; ``plotter`` is each run's plotting actor index.

    The backers lose organization only where they were behind the plot (``right_camp``)."""
    p = month.params(NAME)
    if not p.enabled:
        return
    for actor in np.unique(plotter[failed]):
        hit = failed & (plotter == actor)
        state.weight[actor] *= 1.0 - hit * p.right_weight_loss
    for actor in backers:
        state.organization[actor] *= 1.0 - (failed & right_camp) * p.backer_organization_loss
    pressure = failed * popular_share
    for actor in p.workers:
        state.radicalism[actor] += p.radicalization * pressure
        state.mobilization[actor] += p.mobilization_boost * pressure * (1.0 - state.mobilization[actor])
    state.polarization += failed * p.polarization_gain


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    """The factions regroup (the aftermath itself runs when the coup module reports a failure)."""
    start = month.model.initial_weight
    for faction in p.factions:
        state.weight[faction] += p.regroup_rate * (start[faction] - state.weight[faction])
