"""Scheduled exogenous events: shocks the source treats as coming from outside the system."""

from __future__ import annotations

import numpy as np

from ..scenario.schema import ActorShock, GuerrillaArrival, LeaderDeath
from .events import EventType, Outcome, actor_mask
from .formal import logistic
from .government import install
from .mechanisms.base import Month
from .model import EVENTS_MECHANISM
from .state import REGIME_KEYS, RegimeType, State


def apply_scheduled(state: State, month: Month) -> None:
    """Apply every scheduled event of this month, in the order the scenario lists them."""
    model = month.model
    code = month.mechanism_code(EVENTS_MECHANISM)
    for event in model.scenario.events:
        if event.month != month.index:
            continue
        if isinstance(event, LeaderDeath):
            dies = state.regime == REGIME_KEYS.index(event.applies_to)
            month.log.record(month.index, dies, EventType.LEADER_DEATH, code)
            nationalist_probability = logistic(
                event.nationalist_successor_intercept.value + event.nationalist_pressure_coef.value * state.nationalist_pressure
            )
            to_nationalist = dies & (month.draws.uniform("succession") < nationalist_probability)
            to_right = dies & ~to_nationalist
            install(state, to_nationalist, RegimeType.NATIONALIST_MILITARY, month, policy=event.successor_policy.value)
            install(state, to_right, RegimeType.RIGHT_MILITARY, month)
            outcome = np.where(to_nationalist, int(Outcome.TO_NATIONALIST), int(Outcome.TO_RIGHT))
            month.log.record(month.index, dies, EventType.SUCCESSION, code, 0, outcome)
        elif isinstance(event, GuerrillaArrival):
            actor = model.index(event.actor)
            state.organization[actor] = event.organization.value
            state.arms[actor] = event.arms.value
            everywhere = np.ones(state.n_runs, dtype=bool)
            month.log.record(month.index, everywhere, EventType.GUERRILLA_FOCO, code, actor_mask([actor]))
        elif isinstance(event, ActorShock):
            getattr(state, event.attribute)[model.index(event.actor)] = event.value.value
