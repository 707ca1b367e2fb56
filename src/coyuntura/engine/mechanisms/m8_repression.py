"""M8 Repression: militants killed and jailed, union radio and press seized;
the old party's hegemony shatters too, clearing ground for the Left later.

Introduction, L77-83: in 1965-66 the miners' unions were savagely attacked,
hundreds of militants killed and thousands arrested, their radio stations,
papers and political infrastructure taken over; the MNR apparatus, without
state funds, could not resist. Introduction, L84-94: the long night shattered
the MNR apparatus and its hegemony over the popular movement, laying ground for
socialist politics, while weakening the class organizations that could use it.
Introduction, L95-104: Ovando's recognition of the right to organize let the
workers' organizations recover.

Equations: a repression wave is a hazard ``1 - exp(-rate)``, rate log-linear in
the threat from below and the mobilized share, falling as policy moves left, with a regime term (a
right military government represses most). A wave cuts the targets' organization and
arms, raises the movement's memory of repression, shatters the old party's
apparatus and demystifies. Between waves, popular organizations recover toward
their pre-repression level at a rate that grows with how open the government's
policy is, and not at all under a police state (right military government:
Ovando's opening was the workers' first chance after Barrientos, L95-98); the
old party decays while out of power.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..forces import threat_from_below
from ..formal import hazard_probability, log_linear_rate
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role, at_runs, role
from .m6_mass_mobilization import mobilized_share

NAME = "repression"
TITLE = "Repression of the workers' movement"
COVERS = ("M8",)
STAGE = 130
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L77-83", "Introduction, L84-94", "Introduction, L95-104")
READS = ("regime", "organization", "radicalism", "mobilization", "arms", "policy", "weight", "coalition")
WRITES = ("organization", "arms", "repression_memory", "mystification_urban", "radicalism", "mobilization", "months_since_repression")
SLOTS = ("repression",)
EVENTS = ("repression_wave",)
"""The kinds of event it records in the log."""
SUMMARY = (
    "A repression wave comes as a hazard driven by the threat from below and the mobilized share, likelier "
    "the further right the government stands and highest under a right military government. A wave cuts the "
    "targets' organization and arms, leaves a memory of repression, shatters the old party's apparatus and "
    "demystifies; between waves popular organizations recover as far as the government lets them organize."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("hazard",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "threat_from_below = clip(Σ_t weight_t × organization_t × max(radicalism_t, 0) × (0.5 + 0.5 × mobilization_t + "
    "0.5 × arms_t) / Σ_t weight_t, 0, 1), over the targets t (M5: over the popular actors)",
    "P(repression wave) = 1 − exp(−exp(intercept + threat_coef × threat_from_below(targets) + "
    "mobilization_coef × mobilized_share − policy_coef × policy + right_military_coef × [right military] + "
    "nationalist_military_coef × [nationalist military] + civilian_coef × [civilian government] − "
    "coalition_coef × base_share)), never under a workers' government;  base_share = Σ weight_t over the "
    "targets in the governing coalition / Σ weight_t",
    "wave, for every target t outside the governing coalition: organization_t ×= 1 − organization_loss;  arms_t ×= 1 − arms_loss;  "
    "radicalism_t += radicalization;  mobilization_t ← 0",
    "wave: organization[party] ×= 1 − party_shattering;  repression_memory += memory_gain × (1 − "
    "repression_memory);  mystification_urban ×= 1 − demystification",
    "every month: repression_memory ×= 1 − memory_decay",
    "no wave and no police state (right military government): organization_t += recovery_rate × clip(0.5 + "
    "0.5 × policy, 0, 1) × max(initial organization_t − organization_t, 0)",
    "party out of power (no civilian nationalist government): organization[party] ×= 1 − "
    "party_decay_out_of_power",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    targets: tuple[ActorRef, ...] = role("Actors a repression wave strikes; their threat from below provokes it.")
    party: ActorRef = actor_role("The old governing party whose apparatus a repression wave shatters and which decays out of power.", kinds=("party",))
    intercept: Coefficient
    threat_coef: NonNegative
    mobilization_coef: NonNegative
    right_military_coef: Coefficient
    nationalist_military_coef: Coefficient
    civilian_coef: Coefficient
    policy_coef: NonNegative
    coalition_coef: NonNegative
    organization_loss: Unit
    arms_loss: Unit
    party_shattering: Unit
    memory_gain: Unit
    memory_decay: Unit
    demystification: Unit
    radicalization: Unit
    recovery_rate: NonNegative
    party_decay_out_of_power: Unit


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    threat = threat_from_below(state, p.targets)
    mobilized = month.scratch.get("mobilized")
    share = month.scratch.get("mobilized_share")  # M6's, this month: weights and organizations have not moved since
    if share is None:
        share = mobilized_share(state, mobilized) if mobilized is not None else np.zeros(state.n_runs)
    regime_term = (
        p.right_military_coef * (state.regime == RegimeType.RIGHT_MILITARY)
        + p.nationalist_military_coef * (state.regime == RegimeType.NATIONALIST_MILITARY)
        + p.civilian_coef * ((state.regime == RegimeType.CIVILIAN_NATIONALIST) | (state.regime == RegimeType.CIVILIAN_ELECTED))
    )
    # A government does not turn its repression on its own base (Introduction, L145-147: Torres freed prisoners).
    in_base = np.zeros(state.n_runs)
    all_weight = 0.0
    for actor in p.targets:
        in_base += state.weight[actor] * state.coalition[actor]
        all_weight = all_weight + state.weight[actor]
    base_share = in_base / np.maximum(all_weight, 1e-12)
    rate = log_linear_rate(
        p.intercept, (p.threat_coef, threat), (p.mobilization_coef, share), (-p.policy_coef, state.policy), (1.0, regime_term),
        (-p.coalition_coef, base_share),
    )
    wave = (state.regime != RegimeType.WORKERS_GOVERNMENT) & (month.draws.uniform("repression") < hazard_probability(rate))
    state.months_since_repression[wave] = 0
    for actor in p.targets:
        hit = wave & ~state.coalition[actor]
        struck = np.flatnonzero(hit)  # multiplying the other runs by 1 would leave them as they are
        state.organization[actor, struck] *= 1.0 - at_runs(p.organization_loss, struck)
        state.arms[actor, struck] *= 1.0 - at_runs(p.arms_loss, struck)
        state.radicalism[actor] += hit * p.radicalization
        state.mobilization[actor, struck] *= 0.0
    state.organization[p.party] *= 1.0 - wave * p.party_shattering
    state.repression_memory += wave * p.memory_gain * (1.0 - state.repression_memory)
    state.repression_memory *= 1.0 - p.memory_decay
    state.mystification_urban *= 1.0 - wave * p.demystification
    month.log.record(month.index, wave, EventType.REPRESSION_WAVE, month.mechanism_code(NAME), actor_mask(p.targets))

    # Organizations recover where the government lets them organize (the right to organize, 1969); a police state
    # lets nothing recover: Ovando's was the workers' first chance after Barrientos (Introduction, L95-98).
    police_state = state.regime == RegimeType.RIGHT_MILITARY
    openness = np.clip(0.5 + 0.5 * state.policy, 0.0, 1.0) * ~wave * ~police_state
    initial = month.model.initial_organization
    recovery = p.recovery_rate * openness
    for actor in p.targets:
        gap = np.maximum(initial[actor] - state.organization[actor], 0.0)
        gap *= recovery
        state.organization[actor] += gap
    out_of_power = state.regime != RegimeType.CIVILIAN_NATIONALIST
    state.organization[p.party] *= 1.0 - p.party_decay_out_of_power * out_of_power
