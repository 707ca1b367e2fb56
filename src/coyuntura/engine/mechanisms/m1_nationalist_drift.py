"""M1 Revolutionary nationalism balances, then drifts Right, with fewer options each round.

Introduction, L11-17: the MNR first balanced between social forces, then relied
on the army to impose regressive policies. Introduction, L107-117: Ovando's
"progressive" phase lacked a social base; his turn Right was structural; each
round of balancing between capital and imperialism on one side and the workers
on the other ended on the Right, each time with fewer progressive options.
Torres: National Capitalism, L420-430: the same path leads Torres toward "law and
order" and foreign loans.

Equations, for governments of revolutionary nationalism (civilian or military):
``d policy = - drift_rate * (dependence_coef * dependence + squeeze_coef * squeeze
+ army_coef * right_army_force) + left_pull * room * left_mobilization``; the
policy cannot exceed ``progressive_room`` (the options still open), and every
rightward step uses up room. A right military government holds a right policy;
a workers' government holds a left one.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..forces import actors_mean, army_faction_force
from ..formal import relax
from ..government import REGIMES
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role, role

NAME = "nationalist_drift"
TITLE = "Drift of revolutionary nationalism to the Right"
COVERS = ("M1",)
STAGE = 50
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
REQUIRES = ("coup",)
"""Mechanisms it cannot run without: it reads their parameters or hands them its results."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L11-17", "Introduction, L107-117", "Torres: National Capitalism, L420-430")
READS = ("policy", "dependence", "squeeze", "progressive_room", "mobilization", "regime", "weight", "organization", "army_capacity")
WRITES = ("policy", "progressive_room")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "Under a revolutionary-nationalist government (civilian or military) policy drifts right under "
    "dependence, the squeeze and the right army faction's force, and is pulled left by labour's mobilization "
    "only as far as the progressive room still open; every step right uses up room. Right military and "
    "workers' governments hold their own anchor policies."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "army_force(f) = army_force_scale × weight_f × organization_f × army_capacity   (army_force_scale: coup "
    "parameter)",
    "left_mobilization = mean of mobilization over labor",
    "Δpolicy = left_pull × progressive_room × left_mobilization − drift_rate × (dependence_coef × dependence "
    "+ squeeze_coef × squeeze + army_coef × army_force(right_faction)), under a revolutionary-nationalist "
    "government",
    "policy += Δpolicy;  progressive_room −= room_use × max(−Δpolicy, 0);  policy ≤ progressive_room",
    "right military government: policy ← relax(policy, regimes.right_military.policy, anchor_speed)",
    "workers' government: policy ← relax(policy, regimes.workers_government.policy, anchor_speed)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    right_faction: ActorRef = actor_role("The army faction whose force drags a nationalist government's policy to the right.", kinds=("army",))
    labor: tuple[ActorRef, ...] = role("Labor actors whose mean mobilization pulls the policy to the left.", kinds=("labor",))

    OPPOSING_ROLES = (("right_faction", "labor"),)
    drift_rate: NonNegative
    dependence_coef: NonNegative
    squeeze_coef: NonNegative
    army_coef: NonNegative
    left_pull: NonNegative
    room_use: NonNegative
    anchor_speed: Unit


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    nationalist = (state.regime == RegimeType.CIVILIAN_NATIONALIST) | (state.regime == RegimeType.NATIONALIST_MILITARY)
    left_mobilization = actors_mean(state.mobilization, p.labor)
    rightward = p.drift_rate * (
        p.dependence_coef * state.dependence
        + p.squeeze_coef * state.squeeze
        + p.army_coef * army_faction_force(state, p.right_faction, month.params("coup").army_force_scale)
    )
    leftward = p.left_pull * state.progressive_room * left_mobilization
    change = (leftward - rightward) * nationalist
    state.policy += change
    state.progressive_room -= p.room_use * np.maximum(-change, 0.0)
    ceiling = np.where(nationalist, state.progressive_room, 1.0)
    np.minimum(state.policy, ceiling, out=state.policy)

    right = state.regime == RegimeType.RIGHT_MILITARY
    workers = state.regime == RegimeType.WORKERS_GOVERNMENT
    anchors = month.params(REGIMES)
    state.policy[:] = np.where(right, relax(state.policy, anchors.policy_right_military, p.anchor_speed), state.policy)
    state.policy[:] = np.where(workers, relax(state.policy, anchors.policy_workers_government, p.anchor_speed), state.policy)
