"""Aggregates several mechanisms read: legitimacy, threat from below, committed force.

Sums over actors are explicit loops in a fixed order, so each run's result is
bit-identical whatever the number of runs in the batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..scenario.schema import ForeignIntervention, Scenario
from .state import State

if TYPE_CHECKING:
    from .model import Model


def weighted_mean(values: np.ndarray, weights: np.ndarray, actors: Iterable[int]) -> np.ndarray:
    """Mean of ``values[a]`` weighted by ``weights[a]`` over ``actors``, per run."""
    total = np.zeros(values.shape[1])
    norm = np.zeros(values.shape[1])
    for actor in actors:
        total += weights[actor] * values[actor]
        norm += weights[actor]
    return total / np.maximum(norm, 1e-12)


def political_weight(state: State) -> np.ndarray:
    """How much each actor counts in national politics now: weight x organization."""
    weight: np.ndarray = state.weight * state.organization
    return weight


def political_mean(state: State, values: np.ndarray, actors: Iterable[int]) -> np.ndarray:
    """``weighted_mean(values, political_weight(state), actors)``, computing only the weights it uses."""
    total = np.zeros(values.shape[1])
    norm = np.zeros(values.shape[1])
    for actor in actors:
        weight = state.weight[actor] * state.organization[actor]
        total += weight * values[actor]
        norm += weight
    return total / np.maximum(norm, 1e-12)


def actors_mean(values: np.ndarray, actors: Sequence[int]) -> np.ndarray:
    """The plain mean over ``actors`` of a per-actor quantity (e.g. the workers' arms), each actor counting alike."""
    mean = np.zeros(values.shape[1])
    for actor in actors:
        mean += values[actor] / len(actors)
    return mean


def government_legitimacy(state: State, model: "Model") -> np.ndarray:
    """Support for the incumbent averaged over civil society by political weight (Gurr 1970).

    The army's loyalty is not legitimacy: it enters coups as the loyal faction's commitment.
    """
    return political_mean(state, state.support, model.civil_actors)


def threat_from_below(state: State, popular: Iterable[int]) -> np.ndarray:
    """Organized, radical, mobilized or armed force of the popular actors, weight-averaged, in [0, 1]."""
    force = np.zeros(state.n_runs)
    norm = np.zeros(state.n_runs)
    for actor in popular:
        radical = np.maximum(state.radicalism[actor], 0.0)
        readiness = 0.5 * state.mobilization[actor]
        readiness += 0.5 * state.arms[actor]
        readiness += 0.5
        radical *= state.weight[actor] * state.organization[actor]  # weight x organization x radical
        radical *= readiness
        force += radical
        norm += state.weight[actor]
    return np.clip(force / np.maximum(norm, 1e-12), 0.0, 1.0)


def army_faction_force(state: State, faction: int, scale: np.ndarray | float) -> np.ndarray:
    """Force an army faction can commit: its share of the officer corps x its organization x the army's
    capacity x ``scale``, the whole army's force at full capacity in units of popular political weight."""
    force: np.ndarray = scale * state.weight[faction] * state.organization[faction] * state.army_capacity
    return force


def backing(state: State, backers: Iterable[int]) -> np.ndarray:
    """Backing the plotters get, in [0, 1]: the share of the backers' organized weight that does not support
    the government (1: every backer against it, 0: every backer behind it)."""
    total = np.zeros(state.n_runs)
    norm = np.zeros(state.n_runs)
    for actor in backers:
        weight = state.weight[actor] * state.organization[actor]
        total += weight * (1.0 - state.support[actor])
        norm += weight
    return total / np.maximum(norm, 1e-12)


def foreign_forces(scenario: Scenario, month: int) -> tuple[float, float]:
    """Force foreign powers commit this month (scheduled ``foreign_intervention`` events): (for the government, for
    the plotters), in the units of the army factions' forces."""
    for_government = for_plotters = 0.0
    for event in scenario.events:
        if isinstance(event, ForeignIntervention) and event.month <= month <= event.until:
            if event.side == "government":
                for_government += float(event.force.value)
            else:
                for_plotters += float(event.force.value)
    return for_government, for_plotters
