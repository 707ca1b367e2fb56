"""M17 Polarization: the middle way exhausts itself; the system tends toward a
capitalist police state or workers' socialism.

Introduction, L151-162: Torres's program has little support among the
politicized workers or the bourgeoisie, the army and the US Embassy; the crisis
deepens polarization, with new rightist plots and confrontations ahead; the
real struggle is police state or socialism. Torres: National Capitalism,
L430-443: revolutionary nationalism has exhausted its possibilities; the two
real options will confront each other. The Miners, L263-273: the COB already
speaks of dual power.

Equations: ``polarization`` relaxes toward the politically weighted mean of
``|radicalism|``; under a nationalist military government it erodes every
actor's support by ``middle_erosion x polarization`` (the middle way loses
ground on both sides). Where a Popular Assembly sits (dual power), the workers
move to take power with hazard ``1 - exp(-rate)``, rate log-linear in the unity
of the revolutionary Left (the party or leadership the workers lacked, Introduction,
L131-134, which in the model's reading the parties co-opted by the government could
not give them, The Miners, L246-258) and the workers' arms; the move succeeds with the contest probability of the
armed popular force against the army, else it fails and is logged.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, Outcome, actor_mask
from ..forces import actors_mean, army_faction_force, political_mean
from ..formal import contest_success_probability, hazard_probability, log_linear_rate, relax
from ..government import install
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, at_runs, role

NAME = "polarization"
TITLE = "Polarization and the two end points"
COVERS = ("M17",)
STAGE = 190
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
REQUIRES = ("coup", "arms", "military_institution")
"""Mechanisms it cannot run without: it reads their parameters or hands them its results."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L151-162", "Torres: National Capitalism, L430-443", "The Miners, L263-273", "Introduction, L131-134", "The Miners, L246-258")
READS = ("radicalism", "organization", "weight", "assembly", "revolutionary_unity", "arms", "army_capacity")
WRITES = ("polarization", "support", "regime", "policy", "assembly")
SLOTS = ("insurrection", "insurrection_outcome")
EVENTS = ("workers_government", "government_change")
"""The kinds of event it records in the log."""
SUMMARY = (
    "Polarization tracks the weighted spread of the actors' positions; under a nationalist military "
    "government it erodes everyone's support for the middle way. Where a Popular Assembly sits, the workers "
    "move to take power as a hazard driven by the revolutionary Left's unity (the leadership they lack) and their arms, and win or lose a contest "
    "against the whole army."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation", "hazard", "contest")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "polarization ← relax(polarization, Σ_a weight_a × organization_a × |radicalism_a| / Σ_a weight_a × "
    "organization_a, adjustment_speed), over the domestic actors",
    "nationalist military government: support_a −= middle_erosion × polarization × support_a, for every "
    "domestic actor a",
    "P(insurrection) = 1 − exp(−exp(insurrection_intercept + insurrection_unity_coef × revolutionary_unity + "
    "insurrection_arms_coef × mean arms of the workers)), where a Popular Assembly sits and no workers' "
    "government rules",
    "F = Σ_w weight_w × organization_w × (arms_floor + (1 − arms_floor) × arms_w) over the workers;  A = Σ_f "
    "army_force(f) over army_factions",
    "P(workers win) = F^decisiveness / (F^decisiveness + A^decisiveness)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    workers: tuple[ActorRef, ...] = role("Actors whose mean arms and armed force make an insurrection.")
    army_factions: tuple[ActorRef, ...] = role("Army factions whose combined force stands against a workers' seizure of power.", kinds=("army",))

    OPPOSING_ROLES = (("workers", "army_factions"),)
    adjustment_speed: Unit
    middle_erosion: NonNegative
    insurrection_intercept: Coefficient
    insurrection_unity_coef: NonNegative
    insurrection_arms_coef: NonNegative
    decisiveness: NonNegative


def army_total_force(state: State, factions: tuple[int, ...], scale: float) -> np.ndarray:
    """What the whole officer corps can commit against socialism (all factions share that hostility)."""
    force = np.zeros(state.n_runs)
    for faction in factions:
        force += army_faction_force(state, faction, scale)
    return force


def workers_take_power(state: State, month: Month, attempt: np.ndarray, popular_force: np.ndarray, slot: str) -> np.ndarray:
    """Contest of the armed popular force against the army; install a workers' government where it wins."""
    p = month.params(NAME)
    success = np.zeros(state.n_runs, dtype=bool)
    runs = np.flatnonzero(attempt)
    if runs.size == 0:
        return success
    # The contest is computed on the runs with an attempt only: per run it is the same arithmetic.
    contest = month.restricted(runs)
    army = army_total_force(state.select(runs), p.army_factions, contest.params("coup").army_force_scale)
    win_probability = contest_success_probability(popular_force[runs], army, contest.params(NAME).decisiveness)
    success[runs] = contest.draws.uniform(slot) < win_probability
    outcome = np.where(success, int(Outcome.SUCCESS), int(Outcome.FAILURE))
    month.log.record(month.index, attempt, EventType.WORKERS_GOVERNMENT, month.mechanism_code(NAME), actor_mask(p.workers), outcome)
    install(state, success, RegimeType.WORKERS_GOVERNMENT, month, month.mechanism_code(NAME))
    return success


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    model = month.model
    spread = political_mean(state, np.abs(state.radicalism), model.domestic_actors)
    state.polarization[:] = relax(state.polarization, spread, p.adjustment_speed)
    middle = np.flatnonzero(state.regime == RegimeType.NATIONALIST_MILITARY)  # elsewhere the erosion is 0
    erosion = at_runs(p.middle_erosion, middle) * state.polarization[middle]
    for actor in model.domestic_actors:
        support = state.support[actor, middle]
        state.support[actor, middle] = support - erosion * support

    force = np.zeros(state.n_runs)
    arms_params = month.params("arms")
    for actor in p.workers:
        armed = arms_params.arms_floor + (1.0 - arms_params.arms_floor) * state.arms[actor]
        force += state.weight[actor] * state.organization[actor] * armed
    rate = log_linear_rate(
        p.insurrection_intercept,
        (p.insurrection_unity_coef, state.revolutionary_unity),
        (p.insurrection_arms_coef, actors_mean(state.arms, p.workers)),
    )
    attempt = state.assembly & (state.regime != RegimeType.WORKERS_GOVERNMENT) & (
        month.draws.uniform("insurrection") < hazard_probability(rate)
    )
    workers_take_power(state, month, attempt, force, "insurrection_outcome")
