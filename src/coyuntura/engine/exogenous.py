"""Scheduled exogenous events: shocks the source treats as coming from outside the system."""

from __future__ import annotations

import numpy as np

from ..scenario.schema import ActorShock, Election, ForeignIntervention, GovernmentChange, GuerrillaArrival, LeaderDeath, SystemShock
from .events import EventType, actor_mask
from .forces import government_legitimacy
from .formal import logistic
from .government import install
from .mechanisms.base import Month, mechanism_failed
from .mechanisms.m18_regime_exit import palace_succession
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
            palace_succession(
                state, month, dies, code, event.nationalist_successor_intercept.value, event.nationalist_pressure_coef.value,
                "succession", nationalist_policy=event.successor_policy.value,
            )
        elif isinstance(event, GuerrillaArrival):
            actor = model.index(event.actor)
            state.organization[actor] = event.organization.value
            state.arms[actor] = event.arms.value
            everywhere = np.ones(state.n_runs, dtype=bool)
            month.log.record(month.index, everywhere, EventType.GUERRILLA_FOCO, code, actor_mask([actor]))
        elif isinstance(event, ActorShock):
            actor = model.index(event.actor)
            state.variable(event.attribute)[actor] = event.value.value
            month.log.record(month.index, np.ones(state.n_runs, dtype=bool), EventType.SHOCK, code, actor_mask([actor]))
        elif isinstance(event, SystemShock):
            state.variable(event.variable)[:] = event.value.value
            month.log.record(month.index, np.ones(state.n_runs, dtype=bool), EventType.SHOCK, code)
        elif isinstance(event, ForeignIntervention):  # its force joins the contests in M5 until it ends; logged as it begins
            month.log.record(month.index, np.ones(state.n_runs, dtype=bool), EventType.FOREIGN_INTERVENTION, code)
        elif isinstance(event, Election):
            held = np.isin(state.regime, [REGIME_KEYS.index(key) for key in event.applies_to])
            loses = held & (month.draws.uniform("election") >= incumbent_keeps_office(state, month, event))
            if event.incumbent_policy is not None:  # the winning side's new term starts from its programme
                state.policy[held & ~loses] = event.incumbent_policy.value
            install(state, loses, RegimeType[event.challenger.upper()], month, code)
        elif isinstance(event, GovernmentChange):
            everywhere = np.ones(state.n_runs, dtype=bool)
            policy = event.policy.value if event.policy is not None else None
            install(state, everywhere, RegimeType[event.regime.upper()], month, code, policy=policy)


def incumbent_keeps_office(state: State, month: Month, election: Election) -> np.ndarray:
    """Per run, the probability the incumbent wins the election: as the mechanism it is ``decided_by`` says, else by
    the rule on the government's legitimacy."""
    if election.decided_by is not None:
        mechanism = month.model.scenario.mechanism_registry().get(election.decided_by)
        try:
            keeps = np.asarray(mechanism.incumbent_keeps_office(state, month.params(election.decided_by), month), dtype=float)
            if keeps.shape != (state.n_runs,):
                raise ValueError(f"incumbent_keeps_office must give one probability per run ({state.n_runs}), got shape {keeps.shape}")
            outside = ~((keeps >= 0.0) & (keeps <= 1.0))  # NaN is outside too
            if outside.any():
                raise ValueError(f"incumbent_keeps_office must give probabilities in [0, 1], got {keeps[outside][:3]}")
        except Exception as error:
            raise mechanism_failed(month.model, election.decided_by, month.index, error) from error
        return keeps
    assert election.incumbent_intercept is not None and election.legitimacy_coef is not None  # the schema asks for both
    legitimacy = government_legitimacy(state, month.model)
    return logistic(election.incumbent_intercept.value + election.legitimacy_coef.value * (legitimacy - 0.5))
