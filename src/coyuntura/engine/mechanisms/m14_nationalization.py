"""M14 Nationalizations and concessions, and what they cost.

Introduction, L6-9 and L27-30: tin was nationalized in 1952 without US
intervention because no US interest was involved. Introduction, L101-107: the
Ovando government nationalized Gulf Oil on the initiative of its left
nationalists. Introduction, L140-147: Torres nationalized part of the sugar
industry and tin by-product processing, and restored the miners' conditions.
U.S. Imperialism, L359-363: the US answered with compensation demands.
Introduction, L68-77: Barrientos extended concessions to foreign capital.

Equations: while foreign-owned assets remain, a government of revolutionary
nationalism nationalizes one with hazard ``1 - exp(-rate)``, rate log-linear in
policy, progressive room and left mobilization. A nationalization raises US
hostility (compensation), the squeeze on national capital and the
beneficiaries' support, lowers hardship (restored conditions) and uses up room.
A right-leaning government grants concessions to foreign capital with a hazard
log-linear in how far right it stands and how dependent it is; each concession
brings in foreign-owned assets (Gulf's oil concession was one) that a later
nationalist government may take over.
"""

from __future__ import annotations

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..formal import hazard_probability, log_linear_rate
from ..state import RegimeType, State
from .base import MechanismParams, Month

NAME = "nationalization"
TITLE = "Nationalizations and concessions"
COVERS = ("M14",)
SOURCE = (
    "Introduction, L6-9",
    "Introduction, L27-30",
    "Introduction, L101-107",
    "Introduction, L140-147",
    "U.S. Imperialism, L359-363",
    "Introduction, L68-77",
)
READS = ("assets_remaining", "policy", "progressive_room", "mobilization", "regime", "dependence")
WRITES = ("assets_remaining", "us_hostility", "squeeze", "hardship", "support", "progressive_room", "dependence")
SLOTS = ("nationalization", "concession")
SUMMARY = (
    "While foreign-owned assets remain, a nationalist or workers' government nationalizes one as a hazard "
    "driven by policy, progressive room and the beneficiaries' mobilization, at the cost of US hostility and "
    "a squeeze on national capital; a right-leaning government grants concessions to foreign capital, which "
    "bring in new assets a later government may take over."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("hazard",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "left_mobilization = mean of mobilization over the beneficiaries",
    "P(nationalization) = 1 − exp(−exp(nationalization_intercept + policy_coef × policy + room_coef × "
    "progressive_room + mobilization_coef × left_mobilization)), under a civilian-nationalist, "
    "nationalist-military or workers' government while assets_remaining ≥ 1",
    "nationalization: assets_remaining −= 1;  us_hostility += hostility_jump;  squeeze += squeeze_jump;  "
    "hardship −= hardship_relief;  progressive_room −= room_cost;  support_b += support_gain for every "
    "beneficiary b",
    "P(concession) = 1 − exp(−exp(concession_intercept + concession_right_coef × max(−policy, 0) + "
    "concession_dependence_coef × dependence)), when policy < 0 and no workers' government rules",
    "concession: dependence += concession_dependence_gain × (1 − dependence);  us_hostility −= "
    "concession_hostility_relief;  assets_remaining ← min(assets_remaining + concession_asset_gain, "
    "max_foreign_assets)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    beneficiaries: tuple[ActorRef, ...]
    united_states: ActorRef
    nationalization_intercept: Coefficient
    policy_coef: NonNegative
    room_coef: NonNegative
    mobilization_coef: NonNegative
    hostility_jump: Unit
    squeeze_jump: Unit
    hardship_relief: Unit
    support_gain: Unit
    room_cost: Unit
    concession_intercept: Coefficient
    concession_right_coef: NonNegative
    concession_dependence_coef: NonNegative
    concession_dependence_gain: Unit
    concession_hostility_relief: Unit
    concession_asset_gain: NonNegative
    max_foreign_assets: NonNegative


def apply(state: State, p, month: Month) -> None:
    nationalist = (state.regime == RegimeType.CIVILIAN_NATIONALIST) | (state.regime == RegimeType.NATIONALIST_MILITARY) | (
        state.regime == RegimeType.WORKERS_GOVERNMENT
    )
    left_mobilization = np.zeros(state.n_runs)
    for actor in p.beneficiaries:
        left_mobilization += state.mobilization[actor] / len(p.beneficiaries)
    rate = log_linear_rate(
        p.nationalization_intercept,
        (p.policy_coef, state.policy),
        (p.room_coef, state.progressive_room),
        (p.mobilization_coef, left_mobilization),
    )
    nationalize = nationalist & (state.assets_remaining >= 1.0) & (month.draws.uniform("nationalization") < hazard_probability(rate))
    state.assets_remaining -= nationalize
    state.us_hostility += nationalize * p.hostility_jump
    state.squeeze += nationalize * p.squeeze_jump
    state.hardship -= nationalize * p.hardship_relief
    state.progressive_room -= nationalize * p.room_cost
    for actor in p.beneficiaries:
        state.support[actor] += nationalize * p.support_gain
    month.log.record(month.index, nationalize, EventType.NATIONALIZATION, month.mechanism_code(NAME), actor_mask(p.beneficiaries))

    right_lean = np.maximum(-state.policy, 0.0)
    concession_rate = log_linear_rate(
        p.concession_intercept,
        (p.concession_right_coef, right_lean),
        (p.concession_dependence_coef, state.dependence),
    )
    concede = (state.regime != RegimeType.WORKERS_GOVERNMENT) & (state.policy < 0.0) & (
        month.draws.uniform("concession") < hazard_probability(concession_rate)
    )
    state.dependence += concede * p.concession_dependence_gain * (1.0 - state.dependence)
    state.us_hostility -= concede * p.concession_hostility_relief
    state.assets_remaining[:] = np.minimum(state.assets_remaining + concede * p.concession_asset_gain, p.max_foreign_assets)
    month.log.record(month.index, concede, EventType.FOREIGN_CONCESSION, month.mechanism_code(NAME), actor_mask([p.united_states]))
