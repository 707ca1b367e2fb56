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
move to take power with hazard ``1 - exp(-rate)``, rate log-linear in left unity
and the workers' arms; the move succeeds with the contest probability of the
armed popular force against the army, else it fails and is logged.
"""

from __future__ import annotations

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, Outcome, actor_mask
from ..forces import army_faction_force, political_weight, weighted_mean
from ..formal import contest_success_probability, hazard_probability, log_linear_rate, relax
from ..government import install
from ..state import RegimeType, State
from .base import MechanismParams, Month

NAME = "polarization"
TITLE = "Polarization and the two end points"
COVERS = ("M17",)
SOURCE = ("Introduction, L151-162", "Torres: National Capitalism, L430-443", "The Miners, L263-273")
READS = ("radicalism", "organization", "weight", "assembly", "left_unity", "arms", "army_capacity")
WRITES = ("polarization", "support", "regime", "policy", "assembly")
SLOTS = ("insurrection", "insurrection_outcome")


class Params(MechanismParams):
    workers: tuple[ActorRef, ...]
    army_factions: tuple[ActorRef, ...]
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
    win_probability = contest_success_probability(popular_force, army_total_force(state, p.army_factions, month.params("coup").army_force_scale), p.decisiveness)
    success = attempt & (month.draws.uniform(slot) < win_probability)
    install(state, success, RegimeType.WORKERS_GOVERNMENT, month)
    outcome = np.where(success, int(Outcome.SUCCESS), int(Outcome.FAILURE))
    month.log.record(month.index, attempt, EventType.WORKERS_GOVERNMENT, month.mechanism_code(NAME), actor_mask(p.workers), outcome)
    return success


def apply(state: State, p, month: Month) -> None:
    model = month.model
    spread = weighted_mean(np.abs(state.radicalism), political_weight(state), model.domestic_actors)
    state.polarization[:] = relax(state.polarization, spread, p.adjustment_speed)
    middle = state.regime == RegimeType.NATIONALIST_MILITARY
    erosion = p.middle_erosion * state.polarization * middle
    for actor in model.domestic_actors:
        state.support[actor] -= erosion * state.support[actor]

    arms = np.zeros(state.n_runs)
    force = np.zeros(state.n_runs)
    arms_params = month.params("arms")
    for actor in p.workers:
        arms += state.arms[actor] / len(p.workers)
        armed = arms_params.arms_floor + (1.0 - arms_params.arms_floor) * state.arms[actor]
        force += state.weight[actor] * state.organization[actor] * armed
    rate = log_linear_rate(
        p.insurrection_intercept,
        (p.insurrection_unity_coef, state.left_unity),
        (p.insurrection_arms_coef, arms),
    )
    attempt = state.assembly & (state.regime != RegimeType.WORKERS_GOVERNMENT) & (
        month.draws.uniform("insurrection") < hazard_probability(rate)
    )
    workers_take_power(state, month, attempt, force, "insurrection_outcome")
