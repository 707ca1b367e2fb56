"""The scenarios a server may run, and what the page shows of each.

A request names a scenario by id only. The catalog holds the bundled scenarios and the
files registered when the server starts (``coyuntura serve --scenario FILE``), each
validated then; no request ever reaches a path on disk.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

from ..engine.state import ACTOR_VARIABLES, REGIME_KEYS
from ..experiments.measures import outcome_labels, scenario_outcomes
from ..report.chronicle import Locator
from ..report.sources import sources
from ..scenario.calendar import format_month
from ..scenario.loader import bundled_scenarios, load_scenario
from ..scenario.plugins import declared_state
from ..scenario.schema import ATTRIBUTE_NAMES, Scenario
from .models import MAX_BODY_BYTES, MAX_MONTHS, MAX_RUNS, MAX_SEED


class UnknownScenario(KeyError):
    """A scenario id that is neither bundled nor registered."""

    def __str__(self) -> str:
        return str(self.args[0])


class Catalog:
    """Bundled scenarios (loaded on first use) plus scenarios registered from files at start-up."""

    def __init__(self, register: Sequence[str | Path] = ()):
        self._bundled = bundled_scenarios()
        self._loaded: dict[str, Scenario] = {}
        self._lock = threading.Lock()
        for path in register:
            scenario = load_scenario(Path(path))  # ScenarioError if invalid: the server does not start
            if scenario.id in self._bundled or scenario.id in self._loaded:
                raise ValueError(f"scenario {path}: id {scenario.id!r} is already taken by another scenario")
            self._loaded[scenario.id] = scenario

    @property
    def ids(self) -> list[str]:
        return sorted(set(self._bundled) | set(self._loaded))

    def get(self, scenario_id: str) -> Scenario:
        """The scenario with this id; :class:`UnknownScenario` naming the known ones otherwise."""
        with self._lock:
            if scenario_id in self._loaded:
                return self._loaded[scenario_id]
            if scenario_id not in self._bundled:
                raise UnknownScenario(f"unknown scenario {scenario_id!r}; scenarios: {', '.join(self.ids)}")
            scenario = load_scenario(self._bundled[scenario_id])
            self._loaded[scenario_id] = scenario
            return scenario


def summary(scenario: Scenario) -> dict[str, Any]:
    """One line of the scenario picker."""
    return {
        "id": scenario.id,
        "title": scenario.title,
        "calendar": _calendar(scenario),
        "snapshots": [{"id": s.id, "month": format_month(s.month)} for s in scenario.snapshots],
        "experiments": [{"id": e.id, "title": e.title} for e in scenario.experiments],
    }


def _source_document(scenario: Scenario) -> dict[str, Any] | None:
    """The analysis the scenario encodes, with its sections (None where it cites only further sources)."""
    document = scenario.source_document
    if document is None:
        return None
    return {
        "title": document.title,
        "author": document.author,
        "year": document.year,
        "sections": [{"title": s.title, "lines": list(s.lines)} for s in document.sections],
    }


def _calendar(scenario: Scenario) -> dict[str, str]:
    c = scenario.calendar
    return {"start": format_month(c.start), "end": format_month(c.end), "horizon": format_month(c.horizon)}


def _provenance(item: Any) -> dict[str, Any]:
    if getattr(item, "source", None):
        return {"source": item.source, "says": item.says}
    return {"assumption": getattr(item, "assumption", None)}


def _number(quantity: Any) -> dict[str, Any]:
    return {"value": quantity.value, **_provenance(quantity)}


def describe(scenario: Scenario) -> dict[str, Any]:
    """Everything the page draws before a run: actors and attributes, relations, snapshots,
    events, mechanisms with their sources, free parameters, experiments, citations, limits."""
    report = sources(scenario)
    actors = []
    plugin_attributes = declared_state(scenario.mechanism_schedule(), strict=False, attribute="NEW_ACTOR_STATE")
    for actor in scenario.actors:
        actors.append({
            "id": actor.id,
            "name": actor.name,
            "kind": actor.kind,
            "description": actor.description,
            "checklist": list(actor.checklist),
            "provenance": _provenance(actor.provenance),
            "attributes": {
                **{name: _number(scenario.attribute(actor, name)) for name in ATTRIBUTE_NAMES},
                **{name: scenario.starting_value(actor, name) for name in plugin_attributes},  # the plug-ins' own
            },
        })
    snapshots = []
    for snapshot in scenario.snapshots:
        snapshots.append({
            "id": snapshot.id,
            "month": format_month(snapshot.month),
            "description": snapshot.description,
            "government": _government(snapshot.government, scenario),
            "assembly": snapshot.assembly,
            "actors": {
                actor_id: {name: quantity.value for name in [*ACTOR_VARIABLES, *override.plugin_variables()] if (quantity := override.given(name)) is not None}
                for actor_id, override in snapshot.actors.items()
            },
        })
    parameters = [
        {
            "path": q.path,
            "value": q.value,
            "low": q.prior["low"],
            "high": q.prior["high"],
            "dist": q.prior["dist"],
            "source": q.source,
            "says": q.says,
            "assumption": q.assumption,
        }
        for q in report.quantities
        if q.prior is not None
    ]
    citations: list[dict[str, Any]] = [
        {"where": q.path, "locator": _locator(q.locator), "says": q.says} for q in report.quantities if q.locator is not None and q.says
    ]
    further = scenario.source_ids
    for actor in scenario.actors:
        if actor.provenance.source:
            locator = Locator.parse(actor.provenance.source, further)
            if locator is not None:
                citations.append({"where": f"actors.{actor.id}", "locator": _locator(locator), "says": actor.provenance.says})
    for event in scenario.events:
        if event.source:
            locator = Locator.parse(event.source, further)
            if locator is not None:
                citations.append({"where": f"events.{event.id}", "locator": _locator(locator), "says": event.says})
    return {
        "id": scenario.id,
        "title": scenario.title,
        "description": scenario.description,
        "source_document": _source_document(scenario),
        "sources": [source.model_dump(mode="json", exclude_none=True) for source in scenario.sources or ()],
        "calendar": _calendar(scenario),
        "government": _government(scenario.government, scenario),
        "actors": actors,
        "relations": [
            {"from": r.source, "to": r.target, "kind": r.kind, "weight": r.weight.value} for r in scenario.relations
        ],
        "snapshots": snapshots,
        "events": [
            {"id": e.id, "kind": e.kind, "month": format_month(e.month), "description": e.description, "provenance": _provenance(e)}
            for e in scenario.events
        ],
        "mechanisms": [
            {
                "name": m.name,
                "title": m.title,
                "enabled": m.enabled,
                "covers": list(m.covers),
                "locators": [_locator(locator) for locator in m.locators],
            }
            for m in report.mechanisms
        ],
        "parameters": parameters,
        "experiments": [
            {
                "id": e.id,
                "title": e.title,
                "description": e.description.strip(),
                "from": e.start,
                "until": format_month(e.until) if e.until is not None else None,
                "set": {path: list(v) if isinstance(v, tuple) else v for path, v in e.changes.items()},
                "add_events": [{"id": ev.id, "month": format_month(ev.month), "description": ev.description} for ev in e.add_events],
                "cancel_events": list(e.cancel_events),
                "provenance": _provenance(e.provenance),
            }
            for e in scenario.experiments
        ],
        "citations": citations,
        "regimes": [{"key": key, "label": label} for key, label in zip(REGIME_KEYS, scenario.regime_labels())],
        "outcomes": _outcomes(scenario),
        "limits": {"max_runs": MAX_RUNS, "max_months": MAX_MONTHS, "max_body_bytes": MAX_BODY_BYTES, "max_seed": MAX_SEED},
    }


def _outcomes(scenario: Scenario) -> list[dict[str, str]]:
    """The outcomes the scenario can have (its plug-ins' own kinds of event among them), with their labels in it."""
    labels = outcome_labels(scenario)
    return [{"key": name, "label": labels[name]} for name in scenario_outcomes(scenario)]


def _government(government: Any, scenario: Scenario) -> dict[str, Any]:
    return {
        "type": government.type,
        "label": scenario.regime_labels()[REGIME_KEYS.index(government.type)],
        "leader": government.leader,
        "coalition": list(government.coalition),
        "policy": government.policy.value,
        "progressive_room": government.progressive_room.value,
    }


def _locator(locator: Locator) -> dict[str, Any]:
    return {"section": locator.section, "start": locator.start, "end": locator.end, "text": locator.text}
