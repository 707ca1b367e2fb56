"""M12 Arms: the working class's lack of arms caps what its mobilization can win.

Introduction, L6-9: the 1952 revolution formed a workers' militia. Introduction,
L128-133: the absence of arms kept the working class from taking total power in
October 1970, January and March 1971; lacking arms and a party, the semi-armed
movement backed a left-nationalist officer. President Torres and the Miners,
L163-180: twenty thousand miners came armed with guns and dynamite and demanded
arms from Torres, who promised them "with time".

Equations: a mobilized actor's force in a contest is ``weight x organization x
(arms_floor + (1 - arms_floor) x arms)``: unarmed masses count for a fraction
``arms_floor``. Mobilized workers seize arms at ``seizure_rate x mobilization``;
arms decay at ``militia_decay`` outside a workers' government; a left
government hands out arms at ``distribution_rate x max(policy - 0.5, 0)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, role

NAME = "arms"
TITLE = "Arms of the working class"
COVERS = ("M12",)
STAGE = 180
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L6-9", "Introduction, L128-133", "President Torres and the Miners, L163-180")
READS = ("arms", "mobilization", "policy", "regime", "weight", "organization")
WRITES = ("arms",)
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "A mobilized actor's force in a contest is its weight times its organization times an arms factor, so "
    "unarmed masses count for only a fraction; workers gain arms by seizing them while mobilized and from a "
    "left government, and lose them outside a workers' state."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS: tuple[str, ...] = ()
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "force_a = weight_a × organization_a × (arms_floor + (1 − arms_floor) × arms_a), for every mobilized "
    "actor a",
    "arms_w += (seizure_rate × mobilization_w + distribution_rate × max(policy − 0.5, 0)) × (1 − arms_w) − "
    "militia_decay × arms_w, for every worker actor w (no decay under a workers' government)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    workers: tuple[ActorRef, ...] = role("Actors who arm themselves by seizure and handouts; their mean arms and loyalty decide a takeover after a defeated coup (M5).")
    arms_floor: Unit
    seizure_rate: NonNegative
    militia_decay: Unit
    distribution_rate: NonNegative


def mobilized_force(state: State, month: Month, mobilized: dict[int, np.ndarray]) -> np.ndarray:
    """Committed force of the mobilized popular actors, arms-weighted."""
    p = month.params(NAME)
    force = np.zeros(state.n_runs)
    for actor, flag in mobilized.items():
        armed = p.arms_floor + (1.0 - p.arms_floor) * state.arms[actor]
        force += flag * state.weight[actor] * state.organization[actor] * armed
    return force


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    not_workers_government = state.regime != RegimeType.WORKERS_GOVERNMENT
    handout = p.distribution_rate * np.maximum(state.policy - 0.5, 0.0)
    for actor in p.workers:
        gain = (p.seizure_rate * state.mobilization[actor] + handout) * (1.0 - state.arms[actor])
        state.arms[actor] += gain - p.militia_decay * state.arms[actor] * not_workers_government
