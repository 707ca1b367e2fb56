"""Checks that need the whole scenario: references, ids, locators, dates."""

from __future__ import annotations

import typing
from collections import Counter
from typing import Iterator

from pydantic import BaseModel

from .calendar import format_month
from .errors import Problem
from .quantities import LOCATOR_PATTERN, Quantity
from .refs import is_actor_reference
from .schema import Provenance, Scenario


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every problem the typed schema alone cannot see."""
    problems: list[Problem] = []
    problems += _duplicates("actors", [actor.id for actor in scenario.actors])
    problems += _duplicates("events", [event.id for event in scenario.events])
    problems += _duplicates("snapshots", [snapshot.id for snapshot in scenario.snapshots])
    actor_ids = {actor.id for actor in scenario.actors}
    for path, value in _actor_references(scenario, ""):
        if value not in actor_ids:
            problems.append(Problem(path, f"unknown actor {value!r}; known actors: {', '.join(sorted(actor_ids))}"))
    problems += _locators(scenario)
    problems += _months(scenario)
    for index, actor in enumerate(scenario.actors):
        for name in ("weight", "organization", "arms", "radicalism", "support", "mobilization", "cohesion", "threshold"):
            if getattr(actor, name) is None and getattr(scenario.actor_defaults, name) is None:
                problems.append(Problem(f"actors.{index}.{name}", f"actor {actor.id!r} has no {name} and actor_defaults gives none"))
    return problems


def _duplicates(where: str, ids: list[str]) -> list[Problem]:
    counts = Counter(ids)
    problems = []
    for position, identifier in enumerate(ids):
        if counts[identifier] > 1 and ids.index(identifier) != position:
            problems.append(Problem(f"{where}.{position}.id", f"duplicate id {identifier!r} (also at {where}.{ids.index(identifier)})"))
    return problems


def _join(prefix: str, name: object) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def _actor_references(model: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    """Every actor id the model refers to, with its field path."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        path = _join(prefix, key)
        if is_actor_reference(field.metadata):
            yield path, value
        elif isinstance(value, (list, tuple)):
            inner = typing.get_args(field.annotation)
            if inner and is_actor_reference(list(getattr(inner[0], "__metadata__", ()))):
                for index, item in enumerate(value):
                    yield f"{path}.{index}", item
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _actor_references(item, f"{path}.{index}")
        elif isinstance(value, dict):
            args = typing.get_args(field.annotation)
            keyed_by_actor = args and is_actor_reference(list(getattr(args[0], "__metadata__", ())))
            for item_key, item in value.items():
                if keyed_by_actor:
                    yield f"{path}.{item_key}", item_key
                if isinstance(item, BaseModel):
                    yield from _actor_references(item, f"{path}.{item_key}")
        elif isinstance(value, BaseModel):
            yield from _actor_references(value, path)


def _walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, BaseModel]]:
    yield prefix, model
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = _join(prefix, field.alias or name)
        if isinstance(value, BaseModel):
            yield from _walk(value, path)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _walk(item, f"{path}.{index}")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from _walk(item, f"{path}.{key}")


def quantities(scenario: Scenario) -> Iterator[tuple[str, Quantity]]:
    """Every number of the scenario with its value path."""
    for path, model in _walk(scenario, ""):
        if isinstance(model, Quantity):
            yield path, model


def _locators(scenario: Scenario) -> list[Problem]:
    sections = {section.title: section.lines for section in scenario.source_document.sections}
    problems = []
    for path, model in _walk(scenario, ""):
        if not isinstance(model, (Quantity, Provenance)) or model.source is None:
            continue
        match = LOCATOR_PATTERN.match(model.source)
        if match is None:
            problems.append(Problem(_join(path, "source"), f"{model.source!r} is not a locator like 'The Miners, L226-237'"))
            continue
        title = match.group("section")
        start = int(match.group("start"))
        end = int(match.group("end") or start)
        if title not in sections:
            problems.append(Problem(_join(path, "source"), f"unknown section {title!r}; sections: {', '.join(sections)}"))
            continue
        first, last = sections[title]
        if not first <= start <= end <= last:
            problems.append(
                Problem(_join(path, "source"), f"lines L{start}-{end} fall outside section {title!r} (L{first}-{last})")
            )
    return problems


def _months(scenario: Scenario) -> list[Problem]:
    calendar = scenario.calendar
    span = f"{format_month(calendar.start)}..{format_month(calendar.horizon)}"
    problems = []
    for index, event in enumerate(scenario.events):
        if not calendar.start <= event.month <= calendar.horizon:
            problems.append(Problem(f"events.{index}.month", f"{format_month(event.month)} is outside the calendar {span}"))
    for index, snapshot in enumerate(scenario.snapshots):
        if not calendar.start <= snapshot.month <= calendar.horizon:
            problems.append(Problem(f"snapshots.{index}.month", f"{format_month(snapshot.month)} is outside the calendar {span}"))
    return problems
