"""M6 General strike and armed mass mobilization, as a threshold cascade with triggers.

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

The source ties the great mobilizations to events - coups, repression, the
regime's attacks on wages (Introduction, L30-35, L118-136) - so the monthly
cascade needs a trigger: an austerity package this month, or a repression wave
or the ruler's death in the last ``trigger_window`` months. After a strike or mass
mobilization the movement rests ``refractory_months``; a mobilization that
fizzles (actors out, but neither a general strike nor a mass mobilization) costs
those who came out a share ``failure_cost`` of their organization, as does a
defence that fails to stop a coup.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Sequence

import numpy as np
from pydantic import ValidationInfo, field_validator

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask
from ..formal import grievance
from ..state import State
from .base import PETRAS_1971, MechanismParams, Month, at_runs, role, structural

NAME = "mass_mobilization"
TITLE = "Mass mobilization and general strike"
COVERS = ("M6",)
STAGE = 120
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = (
    "Introduction, L118-139",
    "President Torres and the Miners, L163-197",
    "University and Church, L319-323",
    "The Miners, L225-237",
)
READS = (
    "hardship", "support", "organization", "weight", "months_since_repression", "months_since_mobilization", "months_since_ruler_death",
)
WRITES = ("mobilization", "organization", "months_since_mobilization")
SLOTS: tuple[str, ...] = ()
EVENTS = ("general_strike", "mass_mobilization")
"""The kinds of event it records in the log."""
ACTOR_SLOTS = ("mobilization", "defence")
SUMMARY = (
    "When something triggers it - an austerity package, a recent repression wave, the ruler's death - each "
    "popular actor mobilizes when its grievance times its organization, plus the trigger, noise and the pull "
    "of already-mobilized actors over the influence network, passes its threshold; the cascade repeats so "
    "the first movers lower the others' effective thresholds. A general strike is every strike actor out "
    "together; a mass mobilization is a large enough share of popular political weight out. The movement "
    "rests for some months after one, and a mobilization that fizzles costs organization."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("cascade", "grievance")
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "triggered = austerity package this month, or a repression wave or the ruler's death within trigger_window "
    "months, and no strike or mass mobilization within refractory_months;  the monthly cascade runs only there",
    "base_a = drive_coef × hardship × (1 − support_a) × organization_a + trigger_a + noise_scale × (u_a − "
    "0.5),  u_a uniform;  trigger_a = trigger_strength × organization_a in the monthly cascade (the coup "
    "defence gives its own trigger and no grievance drive, M5)",
    "mobilized_a = [base_a > threshold_a]",
    "repeat rounds times: mobilized_a = [base_a + pull_coef × Σ_b w_ba × mobilized_b × organization_b > "
    "threshold_a], over influence ties b → a among the popular actors",
    "mobilization_a ← mobilized_a × organization_a",
    "general strike: every strike actor mobilized;  mass mobilization: Σ_a weight_a × organization_a × "
    "mobilized_a / Σ_a weight_a × organization_a ≥ mass_threshold",
    "fizzled (someone out, neither a general strike nor a mass mobilization) or a failed coup defence: "
    "organization_a ×= 1 − failure_cost for every actor a that came out",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    popular_actors: tuple[ActorRef, ...] = role("Actors who may come out in the threshold cascade: in strikes, mass mobilizations and the defence of a government.")
    strike_actors: tuple[ActorRef, ...] = role("Actors whose joint mobilization is a general strike; each must be one of popular_actors.")
    drive_coef: NonNegative
    pull_coef: NonNegative
    noise_scale: NonNegative
    rounds: NonNegative = structural("Rounds of the threshold cascade each month (a loop count: one value for all runs).")
    mass_threshold: Unit
    trigger_strength: NonNegative
    trigger_window: NonNegative
    refractory_months: NonNegative
    failure_cost: Unit

    @field_validator("strike_actors")
    @classmethod
    def _strikers_are_popular(cls, strikers: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        popular = info.data.get("popular_actors")
        if popular is None:  # popular_actors is itself invalid and reported
            return strikers
        outside = [actor for actor in strikers if actor not in popular]
        if outside:
            raise ValueError(
                f"{', '.join(repr(a) for a in outside)} {'is' if len(outside) == 1 else 'are'} not in popular_actors: "
                "a general strike is the joint mobilization of strike actors, and only popular actors mobilize"
            )
        return strikers


def cascade(
    state: State, month: Month, trigger: dict[int, np.ndarray] | None, slot: str, grievance_drive: bool = True
) -> dict[int, np.ndarray]:
    """Run the threshold cascade; return, per popular actor, a boolean array of runs where it mobilizes.

    ``grievance_drive`` adds each actor's grievance against the government to its drive (a protest);
    a defence of the government (M5) is moved by its trigger alone."""
    model = month.model
    p = month.params(NAME)
    popular = list(p.popular_actors)
    base = {}
    for actor in popular:
        if grievance_drive:
            drive = grievance(state.hardship, state.support[actor])
            drive *= p.drive_coef
            drive *= state.organization[actor]
        else:
            drive = np.zeros(state.n_runs)
        if trigger is not None:
            drive += trigger[actor]
        noise = month.draws.uniform(f"{slot}.{model.actor_ids[actor]}") - 0.5
        noise *= p.noise_scale
        drive += noise
        base[actor] = drive  # drive_coef x grievance x organization (+ trigger) + noise
    mobilized = {actor: base[actor] > model.threshold[actor] for actor in popular}
    incoming = [(s, t, w) for s, t, w in model.influence if t in base and s in base]
    sources = sorted({s for s, _, _ in incoming})
    # Each round maps last round's flags to new ones. A run whose flags did not change in the last
    # round (at the start: a run with no one out, whose round would add no pull) is at its fixed
    # point, so each round is computed only on the runs that moved in the round before.
    moving = np.zeros(state.n_runs, dtype=bool)
    for actor in popular:
        moving |= mobilized[actor]
    runs = np.flatnonzero(moving)
    for _ in range(int(p.rounds)):
        if runs.size == 0:
            break
        before = {actor: mobilized[actor][runs] for actor in popular}
        after = _cascade_round(
            {actor: base[actor][runs] for actor in popular},
            before,
            {source: state.organization[source][runs] for source in sources},
            incoming,
            model.threshold,
            at_runs(p.pull_coef, runs),
        )
        changed = np.zeros(runs.size, dtype=bool)
        for actor in popular:
            changed |= after[actor] != before[actor]
            mobilized[actor][runs] = after[actor]
        runs = runs[changed]
    return mobilized


def _cascade_round(
    base: dict[int, np.ndarray],
    mobilized: dict[int, np.ndarray],
    organization: dict[int, np.ndarray],
    incoming: Sequence[tuple[int, int, float]],
    threshold: np.ndarray,
    pull_coef: np.ndarray | float,
) -> dict[int, np.ndarray]:
    """One round of the cascade: who is out, given who was out the round before and pulls them."""
    pull = {actor: np.zeros(flag.shape) for actor, flag in mobilized.items()}
    for source, target, weight in incoming:
        pull[target] += weight * mobilized[source] * organization[source]
    return {actor: (base[actor] + pull_coef * pull[actor]) > threshold[actor] for actor in mobilized}


def mobilized_share(state: State, mobilized: dict[int, np.ndarray]) -> np.ndarray:
    """Share of the popular actors' political weight that is out on the streets."""
    out = np.zeros(state.n_runs)
    total = np.zeros(state.n_runs)
    for actor, flag in mobilized.items():
        w = state.weight[actor] * state.organization[actor]
        out += w * flag
        total += w
    return out / np.maximum(total, 1e-12)


def general_strike(month: Month, mobilized: dict[int, np.ndarray], where: np.ndarray) -> np.ndarray:
    """Runs (among ``where``) in which every strike actor is out: a general strike."""
    strike = where.copy()
    for actor in month.params(NAME).strike_actors:
        strike &= mobilized[actor]
    return strike


def masses_came_out(state: State, month: Month, mobilized: dict[int, np.ndarray]) -> np.ndarray:
    """Did the masses come out: a general strike, or a mobilized share of popular weight at ``mass_threshold``?

    Introduction, L135-139: the COB's national strike alone carried Torres's first victory, so a general
    strike counts as the masses out even when the rest of the popular camp stayed home."""
    everywhere = np.ones(state.n_runs, dtype=bool)
    came_out: np.ndarray = general_strike(month, mobilized, everywhere) | (mobilized_share(state, mobilized) >= month.params(NAME).mass_threshold)
    return came_out


def record_strikes(
    state: State, month: Month, mobilized: dict[int, np.ndarray], where: np.ndarray, share: np.ndarray | None = None
) -> np.ndarray:
    """Log a general strike or mass mobilization in the runs ``where`` they happened; return where any did.

    ``share`` is ``mobilized_share(state, mobilized)`` when the caller has it already."""
    p = month.params(NAME)
    code = month.mechanism_code(NAME)
    strike = general_strike(month, mobilized, where)
    if share is None:
        share = mobilized_share(state, mobilized)
    mass = where & (share >= p.mass_threshold)
    month.log.record(month.index, strike, EventType.GENERAL_STRIKE, code, actor_mask(p.strike_actors))
    month.log.record(month.index, mass, EventType.MASS_MOBILIZATION, code, actor_mask(p.popular_actors))
    happened: np.ndarray = strike | mass
    state.months_since_mobilization[happened] = 0
    return happened


def defeat_cost(state: State, month: Month, mobilized: dict[int, np.ndarray], failed: np.ndarray) -> None:
    """Those who came out in a mobilization that failed lose a share of their organization."""
    cost = month.params(NAME).failure_cost
    for actor, flag in mobilized.items():
        state.organization[actor] *= 1.0 - cost * (flag & failed)


def triggered(state: State, month: Month, p: SimpleNamespace) -> np.ndarray:
    """Runs where something this month can set off a strike wave, outside the refractory period."""
    trigger: np.ndarray = month.scratch.get("austerity", np.zeros(state.n_runs, dtype=bool)).copy()
    trigger |= state.months_since_repression <= p.trigger_window
    trigger |= state.months_since_ruler_death <= p.trigger_window
    trigger &= state.months_since_mobilization > p.refractory_months
    return trigger


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    trigger = triggered(state, month, p)
    strength = {actor: p.trigger_strength * state.organization[actor] * trigger for actor in p.popular_actors}
    mobilized = cascade(state, month, strength, "mobilization")
    for actor in p.popular_actors:
        mobilized[actor] &= trigger
        state.mobilization[actor] = mobilized[actor] * state.organization[actor]
    month.scratch["mobilized"] = mobilized
    # Kept for M8, which runs next and reads it before any weight or organization changes.
    month.scratch["mobilized_share"] = share = mobilized_share(state, mobilized)
    out = record_strikes(state, month, mobilized, np.ones(state.n_runs, dtype=bool), share)
    month.scratch["out_on_streets"] = out
    anyone = np.zeros(state.n_runs, dtype=bool)
    for flag in mobilized.values():
        anyone |= flag
    defeat_cost(state, month, mobilized, anyone & ~out)
