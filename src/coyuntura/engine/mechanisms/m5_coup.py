"""M5 Coups: a military faction with bourgeois and US backing moves when the
government is weak and the threat from below grows; the outcome is a contest of
armed force in which the army's split and the armed workers count.

Introduction, L62-67: the MNR kept power through its apparatus but was too weak
to stop the 1964 army uprising, and its anti-popular policy left no one to rise
in its defence. Introduction, L36-46: corruption gave the Right its moral
pretext. Introduction, L118-139: the October 1970 Miranda coup was defeated by
the workers' mobilization and general strike; the army divided once the
workers' force was shown, one sector with the ultra-Right, the other with
Torres, who took power. U.S. Imperialism, L359-370: the Embassy and US business
backed the Miranda coup and keep in touch with the cabals. The Role of the
Military, L342-350: the army's three factions. The Peasantry, L286-292: the
Santa Cruz bourgeoisie's mini-coup of March 1971 with "middle" peasants.

Forms: plotting is a hazard ``1 - exp(-rate)``, rate log-linear in the threat
from below, the government's weakness (1 - legitimacy), the corruption pretext,
the backers' hostility, the plotting faction's force and polarization
(Acemoglu & Robinson 2006: elites move when what they expect to lose outweighs
a coup's cost and risk). The outcome is a Tullock contest ``C^m / (C^m + D^m)``:
C is the plotters' force multiplied by their backing; D is the loyal faction's
force times its commitment (which grows with legitimacy), plus the armed
popular force the threat mobilizes through the M6 cascade (lifted by the memory
of repression), plus guerrillas in the capital (M10); the swing faction of young
officers joins the side the masses' shown force makes stronger (Powell 2012).
"""

from __future__ import annotations

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Signed, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, Outcome, actor_mask
from ..forces import army_faction_force, backing, government_legitimacy, threat_from_below
from ..formal import contest_success_probability, hazard_probability, log_linear_rate, logistic
from ..government import install
from ..state import RegimeType, State
from . import m6_mass_mobilization as m6
from . import m10_guerrilla_foco as m10
from . import m11_left_unity as m11
from . import m12_arms as m12
from . import m7_failed_coup as m7
from . import m16_military_institution as m16
from . import m17_polarization as m17
from .base import MechanismParams, Month

NAME = "coup"
TITLE = "Coups and the contest of force"
COVERS = ("M5",)
SOURCE = (
    "Introduction, L62-67",
    "Introduction, L36-46",
    "Introduction, L118-139",
    "U.S. Imperialism, L359-370",
    "The Role of the Military, L342-350",
    "The Peasantry, L286-292",
)
READS = (
    "regime", "support", "organization", "weight", "corruption", "polarization", "army_capacity",
    "repression_memory", "radicalism", "arms", "differentiation", "policy", "left_unity", "hardship", "mobilization",
)
WRITES = (
    "regime", "policy", "weight", "organization", "radicalism", "mobilization", "polarization", "assembly", "support",
    "progressive_room",
)
SLOTS = ("coup_plot", "regional_plot", "swing", "coup_outcome", "installation", "takeover", "takeover_outcome")
SUMMARY = (
    "The army's right faction plots as a hazard driven by the threat from below, the government's weakness, "
    "the corruption pretext, its backers' hostility, its own force and polarization; a regional bourgeoisie "
    "with middle peasants may plot instead. The outcome is a contest of committed force: the plotters and "
    "their backing against the loyal faction, the popular defence the threat mobilizes and urban guerrillas, "
    "the young officers joining the side the masses' shown force makes stronger. A coup defeated by the "
    "masses may bring the workers to power or put a new nationalist officer in the presidency."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("hazard", "elite_choice", "contest", "cascade", "coup_proofing", "logistic_choice")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "army_force(f) = army_force_scale × weight_f × organization_f × army_capacity",
    "backing = Σ_b weight_b × organization_b × (1 − support_b), over the backers b;  threat_from_below: see M8;  "
    "legitimacy: see grievance_legitimacy",
    "P(army plot) = 1 − exp(−exp(plot_intercept + threat_coef × threat_from_below + weakness_coef × (1 − "
    "legitimacy) + pretext_coef × corruption + backing_coef × backing + army_coef × army_force(right_faction)"
    " + polarization_coef × polarization)), unless a right military government rules",
    "P(regional plot) = 1 − exp(−exp(regional_intercept + regional_coef × differentiation × "
    "organization[regional_plotter] × max(policy, 0))), when the army does not plot",
    "C = (army plot: army_force(right_faction);  regional plot: weight × organization of regional_plotter + "
    "differentiation × weight × organization of middle_peasants + regional_army_share × "
    "army_force(right_faction)) × (1 + backing_multiplier × backing)",
    "loyal = army_force(loyal_faction) × logistic(loyal_intercept + loyal_legitimacy_coef × legitimacy)",
    "popular defence: the M6 cascade with trigger_a = organization_a × (defence_intercept + "
    "defence_memory_coef × repression_memory + defence_support_coef × support_a + defence_radicalism_coef × "
    "max(radicalism_a, 0));  popular = mobilized force (M12) + urban guerrilla force (M10)",
    "P(swing faction defends) = logistic(swing_slope × (popular + loyal − C) / (popular + loyal + C));  D = "
    "loyal + popular, plus army_force(swing_faction) if it defends (else added to C)",
    "P(coup succeeds) = C^decisiveness / (C^decisiveness + D^decisiveness)",
    "defeated by the masses: the coup fails, the mobilized share reaches mass_threshold (M6) and popular / D "
    "≥ mass_defeat_share",
    "after a defeat by the masses: P(workers take power) = logistic(takeover_intercept + takeover_unity_coef "
    "× left_unity + takeover_arms_coef × mean arms of the workers − takeover_support_coef × mean support of "
    "the workers), then the M17 contest",
    "otherwise, under a nationalist military government: P(new officer installed) = "
    "logistic(installation_intercept + installation_popular_coef × popular / D − installation_legitimacy_coef"
    " × legitimacy);  policy ← max(policy, installation_policy);  he offers the Left the cabinet (M11)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    right_faction: ActorRef
    loyal_faction: ActorRef
    swing_faction: ActorRef
    backers: tuple[ActorRef, ...]
    regional_plotter: ActorRef
    middle_peasants: ActorRef
    army_force_scale: NonNegative
    plot_intercept: Coefficient
    threat_coef: NonNegative
    weakness_coef: NonNegative
    pretext_coef: NonNegative
    backing_coef: NonNegative
    army_coef: NonNegative
    polarization_coef: NonNegative
    regional_intercept: Coefficient
    regional_coef: NonNegative
    regional_army_share: Unit
    backing_multiplier: NonNegative
    loyal_intercept: Coefficient
    loyal_legitimacy_coef: NonNegative
    defence_intercept: Coefficient
    defence_memory_coef: NonNegative
    defence_support_coef: NonNegative
    defence_radicalism_coef: NonNegative
    swing_slope: NonNegative
    decisiveness: NonNegative
    mass_defeat_share: Unit
    installation_intercept: Coefficient
    installation_popular_coef: NonNegative
    installation_legitimacy_coef: NonNegative
    installation_policy: Signed
    takeover_intercept: Coefficient
    takeover_unity_coef: NonNegative
    takeover_arms_coef: NonNegative
    takeover_support_coef: NonNegative


def plot_rate(state: State, month: Month, p) -> np.ndarray:
    """Monthly hazard rate that the army's right faction and its backers move."""
    return _plot_rate(state, month, p, government_legitimacy(state, month.model), backing(state, p.backers), army_faction_force(state, p.right_faction, p.army_force_scale))


def _plot_rate(state: State, month: Month, p, legitimacy: np.ndarray, backed: np.ndarray, right_force: np.ndarray) -> np.ndarray:
    popular = month.params(m6.NAME).popular_actors
    return log_linear_rate(
        p.plot_intercept,
        (p.threat_coef, threat_from_below(state, popular)),
        (p.weakness_coef, 1.0 - legitimacy),
        (p.pretext_coef, state.corruption),
        (p.backing_coef, backed),
        (p.army_coef, right_force),
        (p.polarization_coef, state.polarization),
    )


def popular_defence(state: State, month: Month, p) -> dict[int, np.ndarray]:
    """Which popular actors come out against a coup: the M6 cascade with a defence trigger."""
    popular = month.params(m6.NAME).popular_actors
    trigger = {}
    for actor in popular:
        trigger[actor] = state.organization[actor] * (
            p.defence_intercept
            + p.defence_memory_coef * state.repression_memory
            + p.defence_support_coef * state.support[actor]
            + p.defence_radicalism_coef * np.maximum(state.radicalism[actor], 0.0)
        )
    return m6.cascade(state, month, trigger, "defence")


def apply(state: State, p, month: Month) -> None:
    draws = month.draws
    exposed = state.regime != RegimeType.RIGHT_MILITARY
    legitimacy = government_legitimacy(state, month.model)
    backed = backing(state, p.backers)
    right_force = army_faction_force(state, p.right_faction, p.army_force_scale)
    army_plot = exposed & (draws.uniform("coup_plot") < hazard_probability(_plot_rate(state, month, p, legitimacy, backed, right_force)))
    regional_rate = log_linear_rate(
        p.regional_intercept,
        (p.regional_coef, state.differentiation * state.organization[p.regional_plotter] * np.maximum(state.policy, 0.0)),
    )
    regional_plot = exposed & ~army_plot & (draws.uniform("regional_plot") < hazard_probability(regional_rate))
    attempt = army_plot | regional_plot
    if not np.any(attempt):
        return
    # The contest is computed on the runs with an attempt only: per run it is the same arithmetic.
    runs = np.flatnonzero(attempt)
    contested = state.select(runs)
    _contest(contested, p, month.restricted(runs), army_plot[runs], legitimacy[runs], backed[runs], right_force[runs])
    state.assign(runs, contested)


def _contest(state: State, p, month: Month, army_plot: np.ndarray, legitimacy: np.ndarray, backed: np.ndarray, army_attack: np.ndarray) -> None:
    """The coup's contest of force and what follows, in runs that all have an attempt this month."""
    model = month.model
    draws = month.draws
    attempt = np.ones(state.n_runs, dtype=bool)
    support_for_plot = 1.0 + p.backing_multiplier * backed
    peasant_column = state.differentiation * state.weight[p.middle_peasants] * state.organization[p.middle_peasants]
    regional_attack = state.weight[p.regional_plotter] * state.organization[p.regional_plotter] + peasant_column
    attack = np.where(army_plot, army_attack, regional_attack + p.regional_army_share * army_attack) * support_for_plot

    loyal = army_faction_force(state, p.loyal_faction, p.army_force_scale) * logistic(p.loyal_intercept + p.loyal_legitimacy_coef * legitimacy)
    mobilized = popular_defence(state, month, p)
    popular = m12.mobilized_force(state, month, mobilized) + m10.urban_guerrilla_force(state, month.params(m10.NAME))

    swing_force = army_faction_force(state, p.swing_faction, p.army_force_scale)
    join_defence_probability = logistic(p.swing_slope * (popular + loyal - attack) / np.maximum(popular + loyal + attack, 1e-12))
    swing_defends = draws.uniform("swing") < join_defence_probability
    defence = loyal + popular + swing_defends * swing_force
    attack = attack + (~swing_defends) * swing_force
    success = attempt & (draws.uniform("coup_outcome") < contest_success_probability(attack, defence, p.decisiveness))
    failed = attempt & ~success
    popular_share = popular / np.maximum(defence, 1e-12)
    came_out = m6.mobilized_share(state, mobilized) >= month.params(m6.NAME).mass_threshold
    by_masses = failed & came_out & (popular_share >= p.mass_defeat_share)

    plotter = np.where(army_plot, p.right_faction, p.regional_plotter)
    code = month.mechanism_code(NAME)
    backers = list(p.backers)
    for plotter_index in (p.right_faction, p.regional_plotter):
        mask = attempt & (plotter == plotter_index)
        involved = actor_mask([plotter_index] + backers)
        outcome = np.where(success, int(Outcome.SUCCESS), np.where(by_masses, int(Outcome.DEFEATED_BY_MOBILIZATION), int(Outcome.FAILURE)))
        month.log.record(month.index, mask, EventType.COUP_ATTEMPT, code, involved, outcome)
    split = attempt & swing_defends
    month.log.record(month.index, split, EventType.ARMY_SPLIT, code, actor_mask([p.swing_faction, p.loyal_faction]))
    already_out = month.scratch.get("out_on_streets", np.zeros(state.n_runs, dtype=bool))
    m6.record_strikes(state, month, mobilized, attempt & ~already_out)
    for actor, flag in mobilized.items():
        state.mobilization[actor] = np.where(attempt & flag, state.organization[actor], state.mobilization[actor])

    install(state, success, RegimeType.RIGHT_MILITARY, month)
    m7.after_failed_coup(state, month, failed, plotter, backers, popular_share)
    m16.purge_after_clash(state, month, by_masses)

    # After a defeat by the masses: the workers take power if armed and united enough (M12, M11, M17);
    # otherwise the officer who led the defence may take the presidency and offer the Left the cabinet.
    workers = month.params(m12.NAME).workers
    arms = np.zeros(state.n_runs)
    loyalty = np.zeros(state.n_runs)
    for actor in workers:
        arms += state.arms[actor] / len(workers)
        loyalty += state.support[actor] / len(workers)
    takeover_probability = logistic(
        p.takeover_intercept
        + p.takeover_unity_coef * state.left_unity
        + p.takeover_arms_coef * arms
        - p.takeover_support_coef * loyalty
    )
    takeover = by_masses & (state.regime != RegimeType.WORKERS_GOVERNMENT) & (draws.uniform("takeover") < takeover_probability)
    seized = m17.workers_take_power(state, month, takeover, popular, "takeover_outcome")
    weak_incumbent = state.regime == RegimeType.NATIONALIST_MILITARY
    installation_probability = logistic(p.installation_intercept + p.installation_popular_coef * popular_share - p.installation_legitimacy_coef * legitimacy)
    installed = by_masses & ~seized & weak_incumbent & (draws.uniform("installation") < installation_probability)
    new_policy = np.maximum(state.policy, p.installation_policy)
    install(state, installed, RegimeType.NATIONALIST_MILITARY, month, policy=new_policy)
    month.log.record(month.index, installed, EventType.SUCCESSION, code, actor_mask([p.swing_faction, p.loyal_faction]), int(Outcome.TO_NATIONALIST))
    m11.offer_cabinet(state, month, installed)
