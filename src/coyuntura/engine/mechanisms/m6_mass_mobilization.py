"""M6 General strike and armed mass mobilization, as a threshold cascade.

Introduction, L118-139: the working class's mobilization defeated the October
1970 coup; Torres's initial victory rested on the COB's general strike, and the
army divided once the workers' force had been shown. President Torres and the
Miners, L163-197: twenty thousand armed miners marched on La Paz against the
January 1971 attempt. University and Church, L319-323: students joined the
mobilizations and their leadership. The Miners, L225-237: the miners catalyze
the others.

Form: a Granovetter (1978) / Kuran (1991) threshold cascade. Popular actor *a*
mobilizes when ``drive_coef x grievance_a x organization_a + trigger_a +
pull_coef x sum_b w_ba mobilized_b + noise_a`` passes its threshold, with
grievance ``hardship x (1 - support_a)``; the cascade repeats ``rounds`` times so
the miners' move lowers the others' effective thresholds. A general strike is
the strike actors (miners and the COB) out together; a mass mobilization is a
mobilized share of popular weight above ``mass_threshold`` (a month may have both).
"""

from __future__ import annotations

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..formal import grievance
from ..state import State
from .base import MechanismParams, Month

NAME = "mass_mobilization"
TITLE = "Mass mobilization and general strike"
COVERS = ("M6",)
SOURCE = (
    "Introduction, L118-139",
    "President Torres and the Miners, L163-197",
    "University and Church, L319-323",
    "The Miners, L225-237",
)
READS = ("hardship", "support", "organization", "mobilization", "radicalism")
WRITES = ("mobilization",)
SLOTS: tuple[str, ...] = ()
ACTOR_SLOTS = ("mobilization", "defence")


class Params(MechanismParams):
    popular_actors: tuple[ActorRef, ...]
    strike_actors: tuple[ActorRef, ...]
    drive_coef: NonNegative
    pull_coef: NonNegative
    noise_scale: NonNegative
    rounds: NonNegative
    mass_threshold: Unit


def cascade(state: State, month: Month, trigger: dict[int, np.ndarray] | None, slot: str) -> dict[int, np.ndarray]:
    """Run the threshold cascade; return, per popular actor, a boolean array of runs where it mobilizes."""
    model = month.model
    p = month.params(NAME)
    popular = list(p.popular_actors)
    base = {}
    for actor in popular:
        drive = p.drive_coef * grievance(state.hardship, state.support[actor]) * state.organization[actor]
        if trigger is not None:
            drive = drive + trigger[actor]
        noise = p.noise_scale * (month.draws.uniform(f"{slot}.{model.actor_ids[actor]}") - 0.5)
        base[actor] = drive + noise
    mobilized = {actor: base[actor] > model.threshold[actor] for actor in popular}
    incoming = [(s, t, w) for s, t, w in model.influence if t in base and s in base]
    for _ in range(int(p.rounds)):
        pull = {actor: np.zeros(state.n_runs) for actor in popular}
        for source, target, weight in incoming:
            pull[target] += weight * mobilized[source] * state.organization[source]
        mobilized = {actor: (base[actor] + p.pull_coef * pull[actor]) > model.threshold[actor] for actor in popular}
    return mobilized


def mobilized_share(state: State, mobilized: dict[int, np.ndarray]) -> np.ndarray:
    """Share of the popular actors' political weight that is out on the streets."""
    out = np.zeros(state.n_runs)
    total = np.zeros(state.n_runs)
    for actor, flag in mobilized.items():
        w = state.weight[actor] * state.organization[actor]
        out += w * flag
        total += w
    return out / np.maximum(total, 1e-12)


def record_strikes(state: State, month: Month, mobilized: dict[int, np.ndarray], where: np.ndarray) -> np.ndarray:
    """Log a general strike or mass mobilization in the runs ``where`` they happened; return where any did."""
    p = month.params(NAME)
    code = month.mechanism_code(NAME)
    strike = where.copy()
    for actor in p.strike_actors:
        strike &= mobilized[actor]
    mass = where & (mobilized_share(state, mobilized) >= p.mass_threshold)
    month.log.record(month.index, strike, EventType.GENERAL_STRIKE, code, actor_mask(p.strike_actors))
    month.log.record(month.index, mass, EventType.MASS_MOBILIZATION, code, actor_mask(p.popular_actors))
    return strike | mass


def apply(state: State, p, month: Month) -> None:
    mobilized = cascade(state, month, None, "mobilization")
    for actor, flag in mobilized.items():
        state.mobilization[actor] = flag * state.organization[actor]
    month.scratch["mobilized"] = mobilized
    month.scratch["out_on_streets"] = record_strikes(state, month, mobilized, np.ones(state.n_runs, dtype=bool))
