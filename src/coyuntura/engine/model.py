"""Compile a validated scenario into the arrays and numbers the engine runs on."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from pydantic import BaseModel

from ..scenario.checks import recorded_event_kinds
from ..scenario.plugins import declared_events, declared_state
from ..scenario.quantities import Quantity
from ..scenario.refs import is_actor_reference
from ..scenario.schema import Election, Government, Scenario, Snapshot
from ..scenario.vocabulary import EVENT_KINDS
from .government import REGIMES
from .outcomes import OUTCOMES, OutcomeDefinition, new_outcome
from .random import SlotLayout
from .state import ACTOR_VARIABLES, NEVER, REGIME_KEYS, SYSTEM_VARIABLES, State

EVENTS_MECHANISM = "exogenous_events"
"""Mechanism name under which scheduled exogenous events are logged."""

EVENT_SLOTS = ("succession",)
ELECTION_SLOT = "election"
"""The draw of a scheduled election's outcome, in the layout only of scenarios that schedule one."""


@dataclass(frozen=True)
class Model:
    """A scenario compiled for the engine: actor indices, static arrays, numeric parameters."""

    scenario: Scenario
    actor_ids: tuple[str, ...]
    actor_names: tuple[str, ...]
    domestic_actors: tuple[int, ...]
    civil_actors: tuple[int, ...]
    threshold: np.ndarray
    initial_organization: np.ndarray
    initial_weight: np.ndarray
    holding_ids: tuple[str, ...]
    holding_owners: tuple[str, ...]
    holding_from_concessions: tuple[bool, ...]
    holding_available_from: tuple[int | None, ...]
    influence: tuple[tuple[int, int, float], ...]
    alliances: tuple[tuple[int, int, float], ...]
    params: dict[str, SimpleNamespace]
    mechanism_codes: dict[str, int]
    mechanism_names: tuple[str, ...]
    layout: SlotLayout
    mechanism_events: dict[str, tuple[str, ...]]  # the kinds of event each mechanism (and the scheduled events) declares
    new_events: dict[str, tuple[int, str]]  # the kinds of event the scenario's plug-ins declare: name -> (log code, label)
    event_codes: dict[str, int]  # the log code of every kind of event a run may record: the engine's, then the plug-ins'
    new_state: dict[str, tuple[float, float, str]] = dataclasses.field(default_factory=dict)  # the plug-ins' system variables: (low, high, meaning)
    new_actor_state: dict[str, tuple[float, float, str]] = dataclasses.field(default_factory=dict)  # and their actor attributes

    @property
    def state_bounds(self) -> dict[str, tuple[float, float]]:
        """The range each plug-in's system variable and actor attribute is kept in."""
        return {name: (low, high) for name, (low, high, _) in {**self.new_state, **self.new_actor_state}.items()}

    def event_kind(self, code: int) -> str:
        """The name of the kind of event logged with ``code`` (``event <code>`` for a code no kind has)."""
        for kind, known in self.event_codes.items():
            if known == code:
                return kind
        return f"event {code}"

    @property
    def outcomes(self) -> tuple[OutcomeDefinition, ...]:
        """The outcomes a run is summarized by: the engine's, then one for each plug-in kind of event."""
        return OUTCOMES + tuple(new_outcome(kind, label, code) for kind, (code, label) in self.new_events.items())

    @property
    def event_kinds(self) -> tuple[str, ...]:
        """The kinds of event a run of this scenario can record (its enabled mechanisms and scheduled events), in code order."""
        recorded = recorded_event_kinds(self.scenario)
        return tuple(kind for kind in self.event_codes if kind in recorded)

    def index(self, actor_id: str) -> int:
        try:
            return self.actor_ids.index(actor_id)
        except ValueError:
            raise KeyError(f"unknown actor {actor_id!r}; known actors: {', '.join(self.actor_ids)}") from None

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    def initial_state(self, n_runs: int, snapshot: Snapshot | None = None) -> State:
        """The state at the scenario's start, or at a snapshot's month, for ``n_runs`` runs."""
        scenario = self.scenario
        government: Government = snapshot.government if snapshot is not None else scenario.government
        actor_values = {name: np.empty(self.n_actors) for name in ACTOR_VARIABLES}
        for index, actor in enumerate(scenario.actors):
            override = snapshot.actors.get(actor.id) if snapshot is not None else None
            for name in ACTOR_VARIABLES:
                value = getattr(override, name) if override is not None else None
                quantity = value if value is not None else scenario.attribute(actor, name)
                actor_values[name][index] = quantity.value
        system = {name: scenario.system.value(name) for name in SYSTEM_VARIABLES if name != "policy" and name != "progressive_room"}
        if snapshot is not None:
            for name in system:
                override = getattr(snapshot.system, name)
                if override is not None:
                    system[name] = override.value
        system["policy"] = government.policy.value
        system["progressive_room"] = government.progressive_room.value
        regime = REGIME_KEYS.index(government.type)
        coalition = np.zeros((self.n_actors, n_runs), dtype=bool)
        for actor_id in government.coalition:
            coalition[self.index(actor_id)] = True
        nationalized = set(snapshot.nationalized) if snapshot is not None else set()
        # Concessions granted before a snapshot's month exist at that month (unless nationalized since).
        month = snapshot.month if snapshot is not None else scenario.calendar.start
        taken = [holding.nationalized or holding.id in nationalized for holding in scenario.holdings]
        private = [
            not already_taken
            and (snapshot is not None or not holding.created_by_concessions)
            and (holding.available_from is None or holding.available_from <= month)
            for holding, already_taken in zip(scenario.holdings, taken)
        ]
        values: dict[str, object] = {
            "month": snapshot.month if snapshot is not None else scenario.calendar.start,
            "regime": np.full(n_runs, regime, dtype=np.int8),
            "assembly": np.full(n_runs, bool(snapshot.assembly) if snapshot is not None else False),
            "months_in_power": np.zeros(n_runs, dtype=np.int32),
            "coalition": coalition,
            "holdings": np.repeat(np.array(private, dtype=bool).reshape(-1, 1), n_runs, axis=1),
            "holdings_taken": np.repeat(np.array(taken, dtype=bool).reshape(-1, 1), n_runs, axis=1),
            "months_since_repression": np.full(n_runs, NEVER, dtype=np.int32),
            "months_since_mobilization": np.full(n_runs, NEVER, dtype=np.int32),
            "months_since_ruler_death": np.full(n_runs, NEVER, dtype=np.int32),
            "left_united": np.full(n_runs, -1, dtype=np.int8),  # M11's begin reads it off the starting left_unity
        }
        for name in ACTOR_VARIABLES:
            values[name] = np.repeat(actor_values[name][:, None], n_runs, axis=1)
        for name in SYSTEM_VARIABLES:
            values[name] = np.full(n_runs, float(system[name]))
        values["extra"] = {name: np.full(n_runs, self._starting_value(name, snapshot)) for name in self.new_state}
        for name in self.new_actor_state:  # (actors, runs), like the engine's actor attributes
            start = np.array([self._actor_starting_value(actor, name, snapshot) for actor in scenario.actors])
            values["extra"][name] = np.repeat(start[:, None], n_runs, axis=1)  # type: ignore[index]
        return State(**values)  # type: ignore[arg-type]

    def _actor_starting_value(self, actor: typing.Any, name: str, snapshot: Snapshot | None) -> float:
        """A plug-in's actor attribute at the start (the actor's, else actor_defaults', else 0: nothing reads it), or as a
        snapshot restates it."""
        override = snapshot.actors.get(actor.id) if snapshot is not None else None
        quantity = override.given(name) if override is not None else None
        if quantity is not None:
            return quantity.value
        low, high, _ = self.new_actor_state[name]
        return float(np.clip(self.scenario.starting_value(actor, name), low, high))  # an unread one given nothing: the range's floor

    def _starting_value(self, name: str, snapshot: Snapshot | None) -> float:
        """A plug-in's system variable at the start, or as a snapshot restates it (an unread one given nothing starts at
        the floor of its range)."""
        override = snapshot.system.given(name) if snapshot is not None else None
        low, high, _ = self.new_state[name]
        return override.value if override is not None else float(np.clip(self.scenario.system.value(name), low, high))


def compile_params(params: BaseModel, actor_ids: tuple[str, ...]) -> SimpleNamespace:
    """Numbers for the engine: quantities become floats, actor ids become indices."""
    compiled: dict[str, object] = {}
    for name, field in type(params).model_fields.items():
        value = getattr(params, name)
        if isinstance(value, Quantity):
            compiled[name] = float(value.value)
        elif is_actor_reference(field.metadata):
            compiled[name] = actor_ids.index(value)
        elif isinstance(value, (list, tuple)):
            # Always a list, empty or not: the engine joins roles (``p.labor + p.left_parties``).
            inner = typing.get_args(field.annotation)
            if inner and is_actor_reference(list(getattr(inner[0], "__metadata__", ()))):
                compiled[name] = [actor_ids.index(item) for item in value]
            else:
                compiled[name] = list(value)
        else:
            compiled[name] = value
    return SimpleNamespace(**compiled)


def compile_scenario(scenario: Scenario) -> Model:
    """Compile a validated scenario into a :class:`Model`."""
    actor_ids = tuple(actor.id for actor in scenario.actors)
    schedule = scenario.mechanism_schedule()
    params = {module.NAME: compile_params(scenario.mechanisms.get(module.NAME), actor_ids) for module in schedule}
    params[REGIMES] = compile_regimes(scenario, actor_ids)
    new_events = new_event_kinds(schedule)
    mechanism_names = tuple(module.NAME for module in schedule) + (EVENTS_MECHANISM,)
    slots: list[str] = []
    for module in schedule:
        slots += list(module.SLOTS)
        for slot in getattr(module, "ACTOR_SLOTS", ()):
            slots += [f"{slot}.{actor_id}" for actor_id in actor_ids]
        for slot in getattr(module, "HOLDING_SLOTS", ()):
            slots += [f"{slot}.{holding.id}" for holding in scenario.holdings]
    slots += list(EVENT_SLOTS)
    if any(isinstance(event, Election) for event in scenario.events):
        slots.append(ELECTION_SLOT)  # only then: a scenario without elections keeps its random streams as they were
    initial = scenario.actors
    return Model(
        scenario=scenario,
        actor_ids=actor_ids,
        actor_names=tuple(actor.name for actor in scenario.actors),
        holding_ids=tuple(holding.id for holding in scenario.holdings),
        holding_owners=tuple(holding.owner for holding in scenario.holdings),
        holding_from_concessions=tuple(holding.created_by_concessions for holding in scenario.holdings),
        holding_available_from=tuple(holding.available_from for holding in scenario.holdings),
        domestic_actors=tuple(i for i, actor in enumerate(scenario.actors) if actor.kind != "foreign"),
        civil_actors=tuple(i for i, actor in enumerate(scenario.actors) if actor.kind not in ("foreign", "army", "guerrilla")),
        threshold=np.array([scenario.attribute(a, "threshold").value for a in initial]),
        initial_organization=np.array([scenario.attribute(a, "organization").value for a in initial]),
        initial_weight=np.array([scenario.attribute(a, "weight").value for a in initial]),
        influence=tuple(
            (actor_ids.index(r.source), actor_ids.index(r.target), float(r.weight.value)) for r in scenario.relations if r.kind == "influence"
        ),
        alliances=tuple(
            (actor_ids.index(r.source), actor_ids.index(r.target), float(r.weight.value)) for r in scenario.relations if r.kind == "alliance"
        ),
        params=params,
        mechanism_codes={name: code for code, name in enumerate(mechanism_names)},
        mechanism_names=mechanism_names,
        layout=SlotLayout(tuple(slots)),
        new_events=new_events,
        event_codes={**{kind: code for code, kind in enumerate(EVENT_KINDS)}, **{kind: code for kind, (code, _) in new_events.items()}},
        mechanism_events={**{module.NAME: tuple(module.EVENTS) for module in schedule}, EVENTS_MECHANISM: scenario.scheduled_event_kinds()},
        new_state=declared_state(schedule),
        new_actor_state=declared_state(schedule, attribute="NEW_ACTOR_STATE"),
    )


def new_event_kinds(schedule: tuple[typing.Any, ...]) -> dict[str, tuple[int, str]]:
    """The plug-ins' own kinds of event (``NEW_EVENTS``), each with a log code after the engine's, in schedule order."""
    declared = declared_events(schedule, strict=True)
    return {kind: (len(EVENT_KINDS) + position, label) for position, (kind, label) in enumerate(declared.items())}


def compile_regimes(scenario: Scenario, actor_ids: tuple[str, ...]) -> SimpleNamespace:
    """The scenario's regimes block as the engine reads it (``coyuntura.engine.government.install``): for each regime type,
    ``policy_<type>`` and ``coalition_<type>`` (actor indices). Empty for a scenario that never changes governments."""
    values: dict[str, object] = {"enabled": True}
    if scenario.regimes is not None:
        for key in REGIME_KEYS:
            regime = getattr(scenario.regimes, key)
            values[f"policy_{key}"] = float(regime.policy.value)
            values[f"coalition_{key}"] = tuple(actor_ids.index(actor) for actor in regime.coalition)
    return SimpleNamespace(**values)
