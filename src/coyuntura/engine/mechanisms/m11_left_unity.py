"""M11 Left fragmentation: without unity there is no Popular Assembly and no
revolutionary party, and the workers end up backing a left-nationalist officer.

Introduction, L118-133: the October 1970 movement lacked a leadership able to
take power; Torres offered half the cabinet to the Marxist Left, too divided to
take it; lacking a party, the workers backed the left-nationalist officer.
Popular Assembly, L198-224: an Assembly of workers' and students' organizations
with legislative power has wide support, but the Left's factions cannot agree
to organize it; Torres resists it; whether to include MNR unionists divides
them. The Miners, L238-273: the PCB lines up behind Torres ("stages"), the POR
presses for the Assembly; the COB speaks of dual power.

Equations: ``left_unity`` relaxes toward ``logistic(intercept + threat_coef x
coup_memory + repression_coef x recent_repression + opening_coef x opening +
polarization_coef x polarization - cooptation_coef x coopted_support)``: the
factions close ranks under threat (coup attempts, repression) and when a
government opens room for them (The Miners, L253-259: tactical unity against the
coups; whether the POR can unite with the others is the open question), and drift
apart when the threat passes or their parties are co-opted by a nationalist
military government; plus noise. The Left forms a united front when its unity
reaches ``unity_threshold`` and the front breaks up when unity falls below
``split_threshold`` (a lower bar: a front once formed outlasts small quarrels);
both are logged, once each, and in between the front stands or stays apart
(``left_united``, read off the starting unity by ``begin``).

The Popular Assembly is the revolutionary Left's project, not the whole Left's:
its organizers are the Marxists and Catholics who want the workers to act
directly (Popular Assembly, L206-211; The Miners, L253-256), while the PCB lines
up behind the president (L246-251). Their unity, ``revolutionary_unity``, moves
toward the same target without the co-opted parties' drag, with quarrels of its
own. The Assembly needs it at ``unity_threshold`` (the factions agree enough to
organize it, L211-214), an opening - a nationalist military or elected civilian
government, not the MNR's apparatus or a police state - and power the workers
have recently shown in the streets: it institutionalizes the strength they
displayed in defeating a coup (Introduction, L118-124: the defeat of the October
coup marked the recovery of working-class solidarity; Popular Assembly,
L198-203: the Assembly would give that power legislative form). The memory of
such a victory (``popular_power``, set by M5) fades each month. Then it forms
with hazard ``1 - exp(-rate)``, rate log-linear in the organizers' unity, labour
mobilization and radicalism, minus the old party's hegemony over labour (urban
mystification, M4) and the president's resistance (M16), plus the mass base that
including MNR unionists adds. When a nationalist officer is carried to power by
the masses he offers the Left ``cabinet_share`` of the cabinet; it accepts with
probability ``logistic(accept_intercept + accept_unity_coef x unity)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, Outcome, actor_mask
from ..forces import actors_mean
from ..formal import hazard_probability, log_linear_rate, logistic, relax
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role, role

NAME = "left_unity"
TITLE = "Unity and fragmentation of the Left; the Popular Assembly"
COVERS = ("M11",)
STAGE = 110
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L118-133", "Popular Assembly, L198-224", "The Miners, L238-273")
READS = (
    "left_unity", "coup_memory", "months_since_repression", "polarization", "support", "mobilization", "regime", "assembly",
    "radicalism", "mystification_urban", "organization", "policy", "popular_power", "left_united", "revolutionary_unity",
)
WRITES = ("left_unity", "revolutionary_unity", "left_united", "assembly", "organization", "policy", "polarization", "progressive_room", "support", "popular_power")
SLOTS = ("unity_noise", "revolutionary_unity_noise", "assembly", "cabinet")
EVENTS = ("left_unity", "left_split", "cabinet_offer", "popular_assembly")
"""The kinds of event it records in the log."""
SUMMARY = (
    "The Left's unity moves toward a target raised by threats (recent coup attempts and repression), by a "
    "government's opening and by polarization, and lowered when its parties are co-opted by a nationalist "
    "military government. The Left forms a united front when unity is high enough and the front breaks up only "
    "when unity falls well below that. A Popular Assembly is the revolutionary Left's project: it needs the unity of "
    "the Left's factions that no government co-opts (the same pull without the co-opted parties' drag), an opening "
    "and a recent show of the workers' power (a coup they defeated in the streets, a memory that fades); it then "
    "forms as a hazard driven by that unity and by labour's mobilization and radicalism, held back by the old party's hegemony and the "
    "president's resistance. An officer carried to power by the masses offers the Left part of the cabinet, "
    "which a united Left is likelier to accept."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation", "hazard", "logistic_choice")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "coopted = mean of support over coopted_parties (counted under a nationalist military government only)",
    "recent_repression = exp(−months_since_repression / 24);  opening = max(policy, 0) under a nationalist "
    "military or elected civilian government, else 0",
    "target = logistic(intercept + threat_coef × coup_memory + repression_coef × recent_repression + "
    "opening_coef × opening + polarization_coef × polarization − cooptation_coef × coopted)",
    "left_unity ← clip(relax(left_unity, target, adjustment_speed) + noise_scale × (u − 0.5), 0, 1),  u "
    "uniform on [0, 1)",
    "revolutionary_target = logistic(intercept + threat_coef × coup_memory + repression_coef × recent_repression + "
    "opening_coef × opening + polarization_coef × polarization): the target without the co-opted parties' drag",
    "revolutionary_unity ← clip(relax(revolutionary_unity, revolutionary_target, adjustment_speed) + noise_scale × "
    "(u′ − 0.5), 0, 1),  u′ a uniform of its own",
    "united front: forms (logged: the Left unites) when left_unity ≥ unity_threshold, breaks up (logged: the Left "
    "splits) when left_unity < split_threshold; in between it stays as it was (left_united)",
    "P(Popular Assembly) = 1 − exp(−exp(assembly_intercept + assembly_unity_coef × (revolutionary_unity − "
    "unity_threshold) + "
    "assembly_mobilization_coef × mean_labor(mobilization) + assembly_radicalism_coef × "
    "mean_labor(max(radicalism, 0)) − assembly_hegemony_coef × mystification_urban − assembly_resistance × "
    "[nationalist military government] + include_party_unionists × party_unionist_base_coef × "
    "organization[party_unionists])), only while revolutionary_unity ≥ unity_threshold, under a nationalist-military "
    "or elected civilian government with no Assembly   (assembly_resistance: M16)",
    "popular_power ×= 1 − power_decay every month (M5 sets it to 1 when the masses defeat a coup);  the "
    "Assembly needs popular_power ≥ assembly_power_threshold",
    "Assembly formed: polarization += assembly_polarization;  organization_l += assembly_organization_gain × "
    "(1 − organization_l) for every labor actor l",
    "cabinet offer (to an officer carried to power by the masses, M5): P(accept) = logistic(accept_intercept "
    "+ accept_unity_coef × left_unity)",
    "accepted: policy += cabinet_share × cabinet_policy_shift;  progressive_room ← max(progressive_room, "
    "policy);  support_p ← max(support_p, accepted_support) for every left party p",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    left_parties: tuple[ActorRef, ...] = role("The Left parties whose unity the mechanism tracks and that may be offered the cabinet.", kinds=("party",))
    coopted_parties: tuple[ActorRef, ...] = role(
        "Left parties a nationalist military government co-opts: their mean support for it holds back the Left's unity.", kinds=("party",)
    )
    labor: tuple[ActorRef, ...] = role("Labor actors whose mean mobilization and radicalism drive a Popular Assembly.", kinds=("labor",))
    party_unionists: ActorRef = actor_role(
        "Unionists still loyal to the old governing party: their organization adds to an Assembly that includes them.", kinds=("labor",)
    )
    adjustment_speed: Unit
    intercept: Coefficient
    threat_coef: NonNegative
    repression_coef: NonNegative
    opening_coef: NonNegative
    polarization_coef: NonNegative
    cooptation_coef: NonNegative
    noise_scale: NonNegative
    unity_threshold: Unit
    split_threshold: Unit
    assembly_intercept: Coefficient
    assembly_unity_coef: NonNegative
    assembly_mobilization_coef: NonNegative
    assembly_radicalism_coef: NonNegative
    assembly_hegemony_coef: NonNegative
    include_party_unionists: Unit
    party_unionist_base_coef: NonNegative
    assembly_polarization: Unit
    assembly_organization_gain: Unit
    power_decay: Unit
    assembly_power_threshold: Unit
    cabinet_share: Unit
    accept_intercept: Coefficient
    accept_unity_coef: NonNegative
    cabinet_policy_shift: Unit
    accepted_support: Unit


def begin(state: State, p: SimpleNamespace) -> None:
    """At a run's start, before anything happens: a front stands where the starting unity reaches the bar (no event)."""
    state.left_united[:] = state.left_unity >= p.unity_threshold


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    nationalist_military = state.regime == RegimeType.NATIONALIST_MILITARY
    coopted = actors_mean(state.support, p.coopted_parties)
    opening_regime = nationalist_military | (state.regime == RegimeType.CIVILIAN_ELECTED)
    recent_repression = np.exp(-state.months_since_repression / 24.0)
    # The factions close ranks under threat and when a government opens room for them; the parties it co-opts pull
    # the whole Left apart, not the revolutionary Left that organizes the Assembly (The Miners, L246-256).
    pull = (
        p.intercept
        + p.threat_coef * state.coup_memory
        + p.repression_coef * recent_repression
        + p.opening_coef * np.maximum(state.policy, 0.0) * opening_regime
        + p.polarization_coef * state.polarization
    )
    target = logistic(pull - p.cooptation_coef * coopted * nationalist_military)
    state.left_unity[:] = relaxed_unity(state.left_unity, target, p, month.draws.uniform("unity_noise"))
    state.revolutionary_unity[:] = relaxed_unity(state.revolutionary_unity, logistic(pull), p, month.draws.uniform("revolutionary_unity_noise"))
    code = month.mechanism_code(NAME)
    front = state.left_united == 1
    unites = ~front & (state.left_unity >= p.unity_threshold)
    splits = front & (state.left_unity < p.split_threshold)
    state.left_united[unites] = 1
    state.left_united[splits] = 0
    month.log.record(month.index, unites, EventType.LEFT_UNITY, code, actor_mask(p.left_parties))
    month.log.record(month.index, splits, EventType.LEFT_SPLIT, code, actor_mask(p.left_parties))

    labor_mobilization = actors_mean(state.mobilization, p.labor)
    labor_radicalism = actors_mean(np.maximum(state.radicalism, 0.0), p.labor)
    # The president's resistance to the Assembly is the army's institutional interest (M16), where the scenario has it.
    resistance = month.params("military_institution").assembly_resistance if month.active("military_institution") else 0.0
    party_base = p.include_party_unionists * p.party_unionist_base_coef * state.organization[p.party_unionists]
    rate = log_linear_rate(
        p.assembly_intercept,
        (p.assembly_unity_coef, state.revolutionary_unity - p.unity_threshold),
        (p.assembly_mobilization_coef, labor_mobilization),
        (p.assembly_radicalism_coef, labor_radicalism),
        (-p.assembly_hegemony_coef, state.mystification_urban),
        (-resistance, nationalist_military.astype(float)),
        (1.0, party_base),
    )
    state.popular_power *= 1.0 - p.power_decay
    shown_power = state.popular_power >= p.assembly_power_threshold
    organizers_agree = state.revolutionary_unity >= p.unity_threshold
    can_form = opening_regime & organizers_agree & shown_power & ~state.assembly
    forms = can_form & (month.draws.uniform("assembly") < hazard_probability(rate))
    state.assembly |= forms
    state.polarization += forms * p.assembly_polarization
    for actor in p.labor:
        state.organization[actor] += forms * p.assembly_organization_gain * (1.0 - state.organization[actor])
    month.log.record(month.index, forms, EventType.POPULAR_ASSEMBLY, code, actor_mask(p.labor + p.left_parties))


def relaxed_unity(unity: np.ndarray, target: np.ndarray, p: SimpleNamespace, uniforms: np.ndarray) -> np.ndarray:
    """A unity one month on: drawn toward its target, shaken by the month's quarrels and reconciliations."""
    shaken: np.ndarray = np.clip(relax(unity, target, p.adjustment_speed) + p.noise_scale * (uniforms - 0.5), 0.0, 1.0)
    return shaken


def offer_cabinet(state: State, month: Month, offered: np.ndarray) -> None:
    """A nationalist officer carried to power by the masses offers the Left part of the cabinet."""
    p = month.params(NAME)
    accept_probability = logistic(p.accept_intercept + p.accept_unity_coef * state.left_unity)
    accepted = offered & (month.draws.uniform("cabinet") < accept_probability)
    state.policy += accepted * p.cabinet_share * p.cabinet_policy_shift
    # Marxist ministers open progressive options a balancing officer alone would not have (M1's room).
    state.progressive_room[:] = np.where(accepted, np.maximum(state.progressive_room, state.policy), state.progressive_room)
    for party in p.left_parties:
        state.support[party] = np.where(accepted, np.maximum(state.support[party], p.accepted_support), state.support[party])
    outcome = np.where(accepted, int(Outcome.ACCEPTED), int(Outcome.DECLINED))
    month.log.record(month.index, offered, EventType.CABINET_OFFER, month.mechanism_code(NAME), actor_mask(p.left_parties), outcome)
