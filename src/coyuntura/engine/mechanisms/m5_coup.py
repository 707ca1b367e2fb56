"""M5 Coups: a military faction with backing moves when the government is weak and
what it fears or wants grows; the outcome is a contest of armed force in which the
army's split and the armed workers count, and the winners choose the successor.

Introduction, L62-67: the MNR kept power through its apparatus but was too weak
to stop the 1964 army uprising, and its anti-popular policy left no one to rise
in its defence. Introduction, L36-46: corruption gave the Right its moral
pretext. Introduction, L118-139: the October 1970 Miranda coup meant to bring back
the Barrientos police state; it was defeated by the workers' mobilization and
general strike; the army divided once the workers' force was shown, one sector
with the ultra-Right, the other with Torres, who took power. U.S. Imperialism,
L359-370: the Embassy and US business backed the Miranda coup and keep in touch
with the cabals. The Guerrilla Movement, L383-388: Teoponte, though crushed,
raised the tensions in society and precipitated the clash between the
right-wing officers and the popular forces. The Role of the Military, L342-350: the army's three factions,
the young officers wanting "radical" policies that leave the army intact. The
Guerrilla Movement, L380-383: army sectors sought a "nationalist" program to head
off popular pressure. The Peasantry, L286-292: the Santa Cruz bourgeoisie's
mini-coup of March 1971 with "middle" peasants. The Miners, L246-258: the PCB
stands behind Torres while the POR presses for the Assembly; in the model's
reading the party the workers lacked to take power after defeating a coup
(Introduction, L131-134) is the revolutionary Left's to give.

Forms: plotting is a hazard ``1 - exp(-rate)`` for each plotting camp. The right
camp (the right faction and its backers) is driven, against a government not its
own, by the threat from below, polarization and the corruption pretext, and
against any government by its backers' hostility, its own force and its
disaffection (Acemoglu & Robinson 2006); the nationalist camp (the young
officers) by the army's nationalist current, as far as the government falls
short of their program, and its own disaffection. Both rise with the
government's weakness, the ruler's years in power (Bueno de Mesquita et al.
2003), the memory of recent attempts, the coup trap (Londregan & Poole 1990),
and their fear of the pressure from below - the threat, polarization, and a
guerrilla foco in the field (the pretext and the fear it gives the officers).
The right's fear and its pretext turn it only against a government that is not
its own: its coups meant to restore the police state (Introduction, L118-121;
U.S. Imperialism, L366-370), so against a right military government the right
camp plots only from factional motives (its disaffection, its backers'
estrangement, the ruler's weakness and tenure, the coup trap). Those
drivers are the camp's motive; it strikes only as far as it can hope to win
(Powell 2012): a conspiracy that forms moves with its chance against what it
can foresee, the loyal faction and the government's armed supporters (Introduction, L11-17 and L62-67). So a camp
bled by failed coups waits until it regroups (Introduction, L151-152; M7), and
a government its armed base still supports is rarely tried, whatever the
motives against it. No regime is exempt. The outcome is a Tullock contest ``C^m / (C^m +
D^m)``: C is the plotting faction's force times its backing; D the loyal
faction's force times its commitment, the popular defence and the third faction
if it sides with the government (Powell 2012). Defending a government is a
choice: each popular actor weighs what the plotters threaten it with (their
policy against the incumbent's, sharpened by the memory of repression), its
support for the incumbent and its place in the coalition against the cost of
coming out; the masses came out when the strike actors struck together (the
COB's general strike, Introduction, L135-139) or enough of the popular camp
mobilized. The winners install their own kind of government (Geddes 1999).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Signed, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, Outcome, actor_mask
from ..forces import actors_mean, army_faction_force, backing, foreign_forces, government_legitimacy, threat_from_below
from ..formal import contest_success_probability, hazard_probability, log_linear_rate, logistic
from ..government import REGIMES, install
from ..state import MILITARY_REGIMES, RegimeType, State
from . import m6_mass_mobilization as m6
from . import m7_failed_coup as m7
from . import m10_guerrilla_foco as m10
from . import m11_left_unity as m11
from . import m12_arms as m12
from . import m16_military_institution as m16
from . import m17_polarization as m17
from .base import PETRAS_1971, MechanismParams, Month, actor_role, role

NAME = "coup"
TITLE = "Coups and the contest of force"
COVERS = ("M5",)
STAGE = 140
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
REQUIRES = ("mass_mobilization", "arms", "military_institution")
"""Mechanisms it cannot run without: it reads their parameters or hands them its results."""
SOURCE_TITLE = PETRAS_1971
SOURCE = (
    "Introduction, L62-67",
    "Introduction, L36-46",
    "Introduction, L118-139",
    "U.S. Imperialism, L359-370",
    "The Role of the Military, L342-350",
    "The Guerrilla Movement, L380-383",
    "The Peasantry, L286-292",
    "The Miners, L246-258",
)
READS = (
    "regime", "support", "organization", "weight", "corruption", "polarization", "army_capacity", "coalition",
    "repression_memory", "radicalism", "arms", "differentiation", "policy", "revolutionary_unity", "hardship", "mobilization",
    "coup_memory", "months_in_power", "nationalist_pressure",
)
WRITES = (
    "regime", "policy", "weight", "organization", "radicalism", "mobilization", "polarization", "assembly", "support",
    "progressive_room", "coup_memory", "coalition", "months_in_power", "months_since_mobilization", "popular_power",
)
SLOTS = ("coup_plot", "plot_camp", "regional_plot", "swing", "coup_outcome", "installation", "takeover", "takeover_outcome")
EVENTS = ("coup_attempt", "army_split", "succession", "government_change", "general_strike", "mass_mobilization")
"""The kinds of event it records in the log (strikes and mobilizations through M6, a new government through install)."""
SUMMARY = (
    "Two camps in the army may plot against any government: the right faction with its bourgeois and US "
    "backers, moved by the threat from below, the government's weakness and the corruption pretext (against "
    "its own right military government only by factional motives); and the "
    "young nationalist officers, moved by the army's nationalist current as far as the government falls short "
    "of their program. Each camp's hazard rises with its "
    "disaffection, its force, the ruler's years in power, the memory of recent attempts (the coup trap) and "
    "a guerrilla foco in the field; a conspiracy that forms strikes only as far as it can hope to beat the "
    "loyal officers and the government's armed supporters, so a camp bled by failed coups waits until it regroups; a regional bourgeoisie with middle peasants may plot too. The outcome is a contest of committed force. "
    "Popular actors defend the incumbent only when what the plotters threaten them with, their support and "
    "their place in the coalition outweigh the cost; a general strike counts as the masses out, and they "
    "count as decisive only when the plotters "
    "would have been favourites without them. The winners install their own kind of government; a coup "
    "defeated by the masses may bring the workers to power or put a new nationalist officer in the presidency."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("hazard", "elite_choice", "coup_trap", "leader_tenure", "contest", "cascade", "coup_proofing", "military_exit", "logistic_choice")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "army_force(f) = army_force_scale × weight_f × organization_f × army_capacity",
    "backing = Σ_b weight_b × organization_b × (1 − support_b) / Σ_b weight_b × organization_b, over the backers "
    "b (the share of their organized weight against the government);  threat_from_below: see M8;  "
    "legitimacy: see grievance_legitimacy",
    "shared = plot_intercept + weakness_coef × (1 − legitimacy) + trap_coef × coup_memory + tenure_coef × "
    "min(months_in_power / 120, 1) × [military government]",
    "fear = threat_coef × threat_from_below + polarization_coef × polarization + foco_coef × [a guerrilla foco "
    "active (M10)] × (1 − urban_share);  not_own = [the government is not a right military one]",
    "rate_right = exp(shared + not_own × (fear + pretext_coef × corruption) + backing_coef × backing + army_coef × "
    "army_force(right_faction) + disaffection_coef × (1 − support[right_faction]))",
    "unmet = clip((installation_policy − policy) / max(installation_policy − regimes.right_military.policy, 1e-6), 0, 1): "
    "how far the government falls short of the young officers' program",
    "rate_nationalist = exp(shared + fear + nationalist_offset + nationalist_pressure_coef × nationalist_pressure × unmet + "
    "army_coef × army_force(swing_faction) + disaffection_coef × (1 − support[swing_faction]))",
    "each camp attempts with probability (1 − exp(−rate_camp)) × prospect_camp (motive, then ability), prospect_camp = "
    "C_camp^decisiveness / (C_camp^decisiveness + (loyal + expected)^decisiveness), "
    "C_camp its force in the contest (below: the right camp with its backing, the nationalist camp with "
    "nationalist_pressure), loyal the loyal faction's committed force (below), expected = Σ_a support_a × weight_a × "
    "organization_a × (arms_floor + (1 − arms_floor) × arms_a) over the popular actors a (M12); 0 without force of "
    "its own",
    "with attempt_camp = −log(1 − that probability): P(army plot) = 1 − exp(−(attempt_right + attempt_nationalist));  "
    "the right camp plots with probability attempt_right / (attempt_right + attempt_nationalist)",
    "P(regional plot) = 1 − exp(−exp(regional_intercept + regional_coef × differentiation × "
    "organization[regional_elite] × max(policy, 0))), when the army does not plot",
    "C = (right plot: army_force(right_faction) × (1 + backing_multiplier × backing);  nationalist plot: "
    "army_force(swing_faction) × (1 + backing_multiplier × nationalist_pressure);  regional plot: (weight × "
    "organization of regional_elite + differentiation × weight × organization of rural_followers + "
    "regional_army_share × army_force(right_faction)) × (1 + backing_multiplier × backing))",
    "loyal = army_force(loyal_faction) × logistic(loyal_intercept + loyal_legitimacy_coef × legitimacy)",
    "threatened_a = max(policy − plotters' policy, 0) × max(radicalism_a, 0) × (1 + defence_memory_coef × "
    "repression_memory), the plotters' policy being regimes.right_military.policy (right and regional "
    "plots) or installation_policy (nationalist plots)",
    "popular defence: the M6 cascade without grievance, with trigger_a = organization_a × (defence_intercept + "
    "defence_stake_coef × threatened_a + defence_support_coef × (support_a − 0.5) + defence_coalition_coef × "
    "[a in the coalition]);  popular = mobilized force (M12) + urban guerrilla force (M10)",
    "P(third faction defends) = logistic(swing_slope × (popular + loyal − C) / (popular + loyal + C) + "
    "swing_support_coef × (support_t − 0.5)), t the army faction neither plotting nor loyal;  D = loyal + "
    "popular, plus army_force(t) if it defends (else added to C)",
    "a scheduled foreign intervention adds its force to the loyal side or to C while it lasts",
    "P(coup succeeds) = C^decisiveness / (C^decisiveness + D^decisiveness)",
    "defeated by the masses: the coup fails, the masses came out (a general strike, or the mobilized share at "
    "mass_threshold: M6) and without the popular force the plotters would have been favourites: C^m / (C^m + "
    "(D − popular)^m) > 0.5",
    "after a defeat by the masses: popular_power ← 1 (read by M11's Assembly);  after any attempt: "
    "coup_memory += trap_jump × (1 − coup_memory);  every month: coup_memory ×= 1 − "
    "trap_decay",
    "winners: the right camp installs a right military government; the nationalist camp a nationalist "
    "military one with policy installation_policy",
    "after a defeat by the masses: P(workers take power) = logistic(takeover_intercept + takeover_unity_coef "
    "× revolutionary_unity + takeover_arms_coef × mean arms of the workers − takeover_support_coef × mean support of "
    "the workers), then the M17 contest",
    "otherwise, under a nationalist military government: P(new officer installed) = "
    "logistic(installation_intercept + installation_popular_coef × popular / D − installation_legitimacy_coef"
    " × legitimacy);  policy ← max(policy, installation_policy);  he offers the Left the cabinet (M11)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""

RIGHT_CAMP, NATIONALIST_CAMP, REGIONAL = 0, 1, 2


class Params(MechanismParams):
    right_faction: ActorRef = actor_role("The army faction of the right camp, which plots with the backers.", kinds=("army",))
    loyal_faction: ActorRef = actor_role("The army faction loyal to the incumbent, which defends it.", kinds=("army",))
    swing_faction: ActorRef = actor_role(
        "The army faction of the second plotting camp (young or nationalist officers); in another camp's coup it picks a side.", kinds=("army",)
    )
    backers: tuple[ActorRef, ...] = role("Backers of the right's plots: the share of their organized weight against the government is the plotters' backing.")
    regional_elite: ActorRef = actor_role("A regional elite (a regional bourgeoisie) that may plot on its own with the peasants it organizes when the army does not.", kinds=("capital",))
    rural_followers: ActorRef = actor_role("The peasants the regional elite organizes (middle peasants), as far as the countryside is differentiated.", kinds=("peasantry",))

    OPPOSING_ROLES = (("right_faction", "loyal_faction", "swing_faction", "regional_elite"), ("loyal_faction", "backers"))
    army_force_scale: NonNegative
    plot_intercept: Coefficient
    threat_coef: NonNegative
    weakness_coef: NonNegative
    pretext_coef: NonNegative
    backing_coef: NonNegative
    army_coef: NonNegative
    polarization_coef: NonNegative
    disaffection_coef: NonNegative
    nationalist_offset: Coefficient
    nationalist_pressure_coef: NonNegative
    tenure_coef: NonNegative
    trap_coef: NonNegative
    foco_coef: NonNegative
    trap_jump: Unit
    trap_decay: Unit
    regional_intercept: Coefficient
    regional_coef: NonNegative
    regional_army_share: Unit
    backing_multiplier: NonNegative
    loyal_intercept: Coefficient
    loyal_legitimacy_coef: NonNegative
    defence_intercept: Coefficient
    defence_stake_coef: NonNegative
    defence_memory_coef: NonNegative
    defence_support_coef: NonNegative
    defence_coalition_coef: NonNegative
    swing_slope: NonNegative
    swing_support_coef: NonNegative
    decisiveness: NonNegative
    installation_intercept: Coefficient
    installation_popular_coef: NonNegative
    installation_legitimacy_coef: NonNegative
    installation_policy: Signed
    takeover_intercept: Coefficient
    takeover_unity_coef: NonNegative
    takeover_arms_coef: NonNegative
    takeover_support_coef: NonNegative


def _tenure(state: State) -> np.ndarray:
    """Years in power of a military ruler as a share of a decade (0 under civilians)."""
    military = np.isin(state.regime, [int(r) for r in MILITARY_REGIMES])
    return np.minimum(state.months_in_power / 120.0, 1.0) * military


def loyal_force(state: State, p: SimpleNamespace, legitimacy: np.ndarray) -> np.ndarray:
    """The loyal faction's committed force: its force times its commitment, which grows with the government's
    legitimacy (The Role of the Military, L356-358)."""
    force: np.ndarray = army_faction_force(state, p.loyal_faction, p.army_force_scale) * logistic(
        p.loyal_intercept + p.loyal_legitimacy_coef * legitimacy
    )
    return force


def camp_attack(p: SimpleNamespace, force: np.ndarray, backers_share: np.ndarray) -> np.ndarray:
    """A plotting camp's force: its faction's force, raised by its backers (U.S. Imperialism, L363-370)."""
    attack: np.ndarray = force * (1.0 + p.backing_multiplier * backers_share)
    return attack


def plot_rates(state: State, month: Month, p: SimpleNamespace) -> tuple[np.ndarray, np.ndarray]:
    """Monthly hazard rates that the right camp and the nationalist camp move against the government."""
    legitimacy = government_legitimacy(state, month.model)
    return _plot_rates(
        state, month, p, legitimacy, backing(state, p.backers),
        army_faction_force(state, p.right_faction, p.army_force_scale), army_faction_force(state, p.swing_faction, p.army_force_scale),
    )


def _plot_rates(
    state: State, month: Month, p: SimpleNamespace, legitimacy: np.ndarray, backed: np.ndarray, right_force: np.ndarray, swing_force: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    popular = month.params(m6.NAME).popular_actors
    # What moves any plotter against any ruler: his weakness, the memory of recent attempts, his years in power.
    shared = (
        p.plot_intercept
        + p.weakness_coef * (1.0 - legitimacy)
        + p.trap_coef * state.coup_memory
        + p.tenure_coef * _tenure(state)
    )
    # Both camps fear the pressure from below: the right means to crush it, the young officers to head it off
    # with a "nationalist" program (The Guerrilla Movement, L380-383); a guerrilla war sharpens that fear (L383-388).
    fear = p.threat_coef * threat_from_below(state, popular) + p.polarization_coef * state.polarization
    if month.active(m10.NAME):
        fear = fear + p.foco_coef * m10.foco_in_the_field(state, month.params(m10.NAME))
    # The right's fear and its moral pretext turn it against a government that is not its own: its coups mean to
    # restore the police state (Introduction, L118-121; U.S. Imperialism, L366-370). Against a right military
    # government - its own police state - the right camp plots only from factional motives: its faction's
    # disaffection, the backers' estrangement, the ruler's weakness and years in power, the coup trap.
    not_its_own = state.regime != RegimeType.RIGHT_MILITARY
    right = log_linear_rate(
        0.0,
        (1.0, shared),
        (1.0, fear * not_its_own),
        (p.pretext_coef, state.corruption * not_its_own),
        (p.backing_coef, backed),
        (p.army_coef, right_force),
        (p.disaffection_coef, 1.0 - state.support[p.right_faction]),
    )
    # The young officers want a "radical" program that leaves the army intact (The Role of the Military, L345-347):
    # the army's nationalist current moves them only as far as the government falls short of that program.
    unmet = unmet_program(state.policy, p.installation_policy, month.params(REGIMES).policy_right_military)
    nationalist = log_linear_rate(
        p.nationalist_offset,
        (1.0, shared),
        (1.0, fear),
        (p.nationalist_pressure_coef, state.nationalist_pressure * unmet),
        (p.army_coef, swing_force),
        (p.disaffection_coef, 1.0 - state.support[p.swing_faction]),
    )
    # The rates above are each camp's motive; a conspiracy strikes only as far as it can hope to win (Powell 2012)
    # against what it can foresee - the loyal faction and the armed supporters of the government (the rebuilt army was
    # the answer to the armed miners, Introduction, L11-17; nobody rose to save an MNR that had turned on its base,
    # L62-67). A camp that failed coup after coup lacks the weight to try again until it regroups (L151-152; M7).
    foreseen = loyal_force(state, p, legitimacy) + expected_defenders(state, month)
    right = attempt_rate(right, plotters_prospect(camp_attack(p, right_force, backed), foreseen, p.decisiveness))
    nationalist = attempt_rate(nationalist, plotters_prospect(camp_attack(p, swing_force, state.nationalist_pressure), foreseen, p.decisiveness))
    return right, nationalist


def unmet_program(policy: np.ndarray, program: np.ndarray | float, right_policy: np.ndarray | float) -> np.ndarray:
    """How far the government falls short of the young officers' program, in [0, 1]: 0 for a government that
    carries it out (or goes further), 1 for one as far right as a right military government. A nationalist
    government that turns right leaves the army's nationalist current unmet; one that keeps its program
    satisfies it (The Role of the Military, L345-347; The Guerrilla Movement, L380-383). A program no left of the
    right military government's policy (span floored at 1e-6) makes it a step: 1 left of the program, else 0."""
    target = np.asarray(program, dtype=float)
    span = np.maximum(target - right_policy, 1e-6)
    shortfall: np.ndarray = np.clip((target - policy) / span, 0.0, 1.0)
    return shortfall


def attempt_rate(disposition: np.ndarray, prospect: np.ndarray) -> np.ndarray:
    """The hazard rate of a camp's attempt: a conspiracy forms with probability ``1 - exp(-disposition)`` (the motive)
    and strikes with the plotters' chance of winning (the ability; Powell 2012), so a camp with every motive but
    little chance still rarely moves."""
    attempt = np.minimum(hazard_probability(disposition) * prospect, 1.0 - 1e-12)
    rate: np.ndarray = -np.log1p(-attempt)
    return rate


def expected_defenders(state: State, month: Month) -> np.ndarray:
    """The popular force the plotters expect to meet: each popular actor's armed force (M12) as far as it supports
    the government. The masses may still surprise them: who comes out is decided in the contest, by each actor's stake."""
    popular = month.params(m6.NAME).popular_actors
    return m12.mobilized_force(state, month, {actor: state.support[actor] for actor in popular})


def plotters_prospect(attack: np.ndarray, loyal: np.ndarray, decisiveness: float) -> np.ndarray:
    """The plotters' chance of beating the loyal faction in a contest of force (0 with no force of their own)."""
    prospect: np.ndarray = np.where(attack > 0.0, contest_success_probability(attack, loyal, decisiveness), 0.0)
    return prospect


def threatened(state: State, actor: int, plotters_policy: np.ndarray, memory_coef: float) -> np.ndarray:
    """What a popular actor stands to lose if the plotters win: their policy against the incumbent's, for a leftist,
    sharpened by the memory of what a police state did (Introduction, L118-121)."""
    loss: np.ndarray = np.maximum(state.policy - plotters_policy, 0.0)
    loss *= np.maximum(state.radicalism[actor], 0.0)
    loss *= 1.0 + memory_coef * state.repression_memory
    return loss


def popular_defence(state: State, month: Month, p: SimpleNamespace, plotters_policy: np.ndarray) -> dict[int, np.ndarray]:
    """Which popular actors come out to defend the government: the M6 cascade, moved by each actor's stake only."""
    popular = month.params(m6.NAME).popular_actors
    trigger = {}
    for actor in popular:
        stake = (
            p.defence_intercept
            + p.defence_stake_coef * threatened(state, actor, plotters_policy, p.defence_memory_coef)
            + p.defence_support_coef * (state.support[actor] - 0.5)
            + p.defence_coalition_coef * state.coalition[actor]
        )
        trigger[actor] = state.organization[actor] * stake
    return m6.cascade(state, month, trigger, "defence", grievance_drive=False)


def takeover_probability(state: State, p: SimpleNamespace, workers: tuple[int, ...]) -> np.ndarray:
    """Chance that the workers who have just defeated a coup go on to take power: their arms and the unity of the
    revolutionary Left make it likelier, their support for the incumbent less likely (Introduction, L121-134). The
    party or leadership they lacked is, in the model's reading, the revolutionary Left's to give: the parties
    behind the president would not lead them against him (The Miners, L246-258)."""
    probability: np.ndarray = logistic(
        p.takeover_intercept
        + p.takeover_unity_coef * state.revolutionary_unity
        + p.takeover_arms_coef * actors_mean(state.arms, workers)
        - p.takeover_support_coef * actors_mean(state.support, workers)
    )
    return probability


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    draws = month.draws
    state.coup_memory *= 1.0 - p.trap_decay
    legitimacy = government_legitimacy(state, month.model)
    backed = backing(state, p.backers)
    right_force = army_faction_force(state, p.right_faction, p.army_force_scale)
    swing_force = army_faction_force(state, p.swing_faction, p.army_force_scale)
    right_rate, nationalist_rate = _plot_rates(state, month, p, legitimacy, backed, right_force, swing_force)
    total = right_rate + nationalist_rate
    army_plot = draws.uniform("coup_plot") < hazard_probability(total)
    right_camp = draws.uniform("plot_camp") * total < right_rate
    regional_rate = log_linear_rate(
        p.regional_intercept,
        (p.regional_coef, state.differentiation * state.organization[p.regional_elite] * np.maximum(state.policy, 0.0)),
    )
    regional_plot = ~army_plot & (draws.uniform("regional_plot") < hazard_probability(regional_rate))
    attempt = army_plot | regional_plot
    if not np.any(attempt):
        return
    camp = np.where(army_plot, np.where(right_camp, RIGHT_CAMP, NATIONALIST_CAMP), REGIONAL)
    # The contest is computed on the runs with an attempt only: per run it is the same arithmetic.
    runs = np.flatnonzero(attempt)
    contested = state.select(runs)
    contest_month = month.restricted(runs)
    _contest(
        contested, contest_month.params(NAME), contest_month, camp[runs], legitimacy[runs], backed[runs], right_force[runs], swing_force[runs]
    )
    state.assign(runs, contested)


def _contest(
    state: State, p: SimpleNamespace, month: Month, camp: np.ndarray, legitimacy: np.ndarray, backed: np.ndarray, right_force: np.ndarray, swing_force: np.ndarray
) -> None:
    """The coup's contest of force and what follows, in runs that all have an attempt this month."""
    draws = month.draws
    code = month.mechanism_code(NAME)
    nationalist_plot = camp == NATIONALIST_CAMP
    regional_plot = camp == REGIONAL
    peasant_column = state.differentiation * state.weight[p.rural_followers] * state.organization[p.rural_followers]
    regional_attack = state.weight[p.regional_elite] * state.organization[p.regional_elite] + peasant_column
    regional_attack += p.regional_army_share * right_force
    attack = camp_attack(p, np.where(regional_plot, regional_attack, right_force), backed)
    attack = np.where(nationalist_plot, camp_attack(p, swing_force, state.nationalist_pressure), attack)

    loyal = loyal_force(state, p, legitimacy)
    right_policy = month.params(REGIMES).policy_right_military
    plotters_policy = np.where(nationalist_plot, p.installation_policy, right_policy)
    mobilized = popular_defence(state, month, p, plotters_policy)
    popular = m12.mobilized_force(state, month, mobilized)
    if month.active(m10.NAME):
        popular = popular + m10.urban_guerrilla_force(state, month.params(m10.NAME))

    # The third faction: the young officers when the right plots, the right faction when the young officers do.
    third_force = np.where(nationalist_plot, right_force, swing_force)
    third_support = np.where(nationalist_plot, state.support[p.right_faction], state.support[p.swing_faction])
    # A foreign power's force committed to one side (a scheduled foreign_intervention) counts like an army faction's.
    for_government, for_plotters = foreign_forces(month.model.scenario, month.index)
    if for_government or for_plotters:
        loyal = loyal + for_government
        attack = attack + for_plotters
    balance = (popular + loyal - attack) / np.maximum(popular + loyal + attack, 1e-12)
    join_defence_probability = logistic(p.swing_slope * balance + p.swing_support_coef * (third_support - 0.5))
    third_defends = draws.uniform("swing") < join_defence_probability
    defence = loyal + popular + third_defends * third_force
    attack = attack + (~third_defends) * third_force
    success = draws.uniform("coup_outcome") < contest_success_probability(attack, defence, p.decisiveness)
    failed = ~success
    came_out = m6.masses_came_out(state, month, mobilized)
    favourites_without_masses = contest_success_probability(attack, defence - popular, p.decisiveness) > 0.5
    by_masses = failed & came_out & (popular > 0.0) & favourites_without_masses
    popular_share = popular / np.maximum(defence, 1e-12)

    plotter = np.where(nationalist_plot, p.swing_faction, np.where(regional_plot, p.regional_elite, p.right_faction))
    backers = list(p.backers)
    outcome = np.where(success, int(Outcome.SUCCESS), np.where(by_masses, int(Outcome.DEFEATED_BY_MOBILIZATION), int(Outcome.FAILURE)))
    for plotter_index, involved in (
        (p.right_faction, actor_mask([p.right_faction] + backers)),
        (p.regional_elite, actor_mask([p.regional_elite] + backers)),
        (p.swing_faction, actor_mask([p.swing_faction])),
    ):
        month.log.record(month.index, plotter == plotter_index, EventType.COUP_ATTEMPT, code, involved, outcome)
    third = np.where(nationalist_plot, p.right_faction, p.swing_faction)
    for third_index in (p.right_faction, p.swing_faction):
        split = third_defends & (third == third_index)
        month.log.record(month.index, split, EventType.ARMY_SPLIT, code, actor_mask([third_index, p.loyal_faction]))
    already_out = month.scratch.get("out_on_streets", np.zeros(state.n_runs, dtype=bool))
    m6.record_strikes(state, month, mobilized, ~already_out)
    for actor, flag in mobilized.items():
        state.mobilization[actor] = np.where(flag, state.organization[actor], state.mobilization[actor])
    m6.defeat_cost(state, month, mobilized, success)
    state.coup_memory += p.trap_jump * (1.0 - state.coup_memory)

    install(state, success & ~nationalist_plot, RegimeType.RIGHT_MILITARY, month, code)
    install(state, success & nationalist_plot, RegimeType.NATIONALIST_MILITARY, month, code, policy=p.installation_policy)
    if month.active(m7.NAME):
        m7.after_failed_coup(state, month, failed, plotter, backers, popular_share, right_camp=~nationalist_plot)
    m16.purge_after_clash(state, month, by_masses)
    # The workers have shown their power in the streets (Introduction, L118-124): the ground of a Popular Assembly (M11).
    state.popular_power[by_masses] = 1.0

    # After a defeat by the masses: the workers take power if armed and led (M12, M11, M17) - the leadership they
    # lacked is a revolutionary party (Introduction, L131-134), which in the model's reading only the Left no
    # government co-opts could give them, not the parties behind the president (The Miners, L246-258); otherwise
    # the officer who led the defence may take the presidency and offer the Left the cabinet.
    takeover = by_masses & (state.regime != RegimeType.WORKERS_GOVERNMENT) & (
        draws.uniform("takeover") < takeover_probability(state, p, month.params(m12.NAME).workers)
    )
    seized = m17.workers_take_power(state, month, takeover, popular, "takeover_outcome") if month.active(m17.NAME) else np.zeros_like(takeover)
    weak_incumbent = state.regime == RegimeType.NATIONALIST_MILITARY
    installation_probability = logistic(p.installation_intercept + p.installation_popular_coef * popular_share - p.installation_legitimacy_coef * legitimacy)
    installed = by_masses & ~seized & weak_incumbent & (draws.uniform("installation") < installation_probability)
    new_policy = np.maximum(state.policy, p.installation_policy)
    month.log.record(month.index, installed, EventType.SUCCESSION, code, actor_mask([p.swing_faction, p.loyal_faction]), int(Outcome.TO_NATIONALIST))
    install(state, installed, RegimeType.NATIONALIST_MILITARY, month, code, policy=new_policy)
    if month.active(m11.NAME):
        m11.offer_cabinet(state, month, installed)
