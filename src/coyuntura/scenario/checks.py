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
    problems += _duplicates("holdings", [holding.id for holding in scenario.holdings])
    holding_ids = {holding.id for holding in scenario.holdings}
    for s_index, snapshot in enumerate(scenario.snapshots):
        for h_index, holding_id in enumerate(snapshot.nationalized):
            if holding_id not in holding_ids:
                known = ", ".join(sorted(holding_ids)) or "none"
                problems.append(Problem(f"snapshots.{s_index}.nationalized.{h_index}", f"unknown holding {holding_id!r}; holdings: {known}"))
    actor_ids = {actor.id for actor in scenario.actors}
    for path, value in _actor_references(scenario, ""):
        if value not in actor_ids:
            problems.append(Problem(path, f"unknown actor {value!r}; known actors: {', '.join(sorted(actor_ids))}"))
    problems += _locators(scenario)
    problems += _months(scenario)
    if not problems:  # experiments refer to the rest of the scenario: check them once it is sound, without echoing its errors
        problems += _experiments(scenario)
    problems += _observations(scenario)
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
        digits = max(len(match.group("start")), len(match.group("end") or ""))
        if digits > 9:  # int() of a long digit string is slow, and past 4,300 digits a bare ValueError
            problems.append(Problem(_join(path, "source"), f"a line number of {digits:,} digits in {title[:60]!r}'s locator; lines are numbered below a billion"))
            continue
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


def _experiments(scenario: Scenario) -> list[Problem]:
    """Named experiments: unique ids, a known start, months in the calendar, value paths and events that exist."""
    from .paths import PathError, get_value, type_mismatch, unpaired_change, value_bounds  # paths imports this module

    calendar = scenario.calendar
    span = f"{format_month(calendar.start)}..{format_month(calendar.horizon)}"
    event_ids = {event.id for event in scenario.events}
    problems = _duplicates("experiments", [experiment.id for experiment in scenario.experiments])
    for index, experiment in enumerate(scenario.experiments):
        where = f"experiments.{index}"
        first = calendar.start
        if experiment.start is not None:
            try:
                first = scenario.snapshot(experiment.start).month
            except KeyError as error:
                problems.append(Problem(f"{where}.from", str(error.args[0])))
        if experiment.until is not None and not first <= experiment.until <= calendar.horizon:
            problems.append(Problem(f"{where}.until", f"{format_month(experiment.until)} is outside {format_month(first)}..{format_month(calendar.horizon)}"))
        for path in experiment.changes:
            reason = unpaired_change(path)
            if reason is not None:
                problems.append(Problem(f"{where}.set", reason))
                continue
            try:
                current = get_value(scenario, path)
            except PathError as error:
                problems.append(Problem(f"{where}.set", str(error)))
                continue
            value = experiment.changes[path]
            mismatch = type_mismatch(current, list(value) if isinstance(value, tuple) else value)
            if mismatch is not None:
                problems.append(Problem(f"{where}.set", f"{path} {mismatch}"))
                continue
            bounds = value_bounds(scenario, path) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            if bounds is not None and isinstance(value, (int, float)) and not bounds[0] <= value <= bounds[1]:
                problems.append(Problem(f"{where}.set", f"{path} = {value:g} is outside the allowed range [{bounds[0]:g}, {bounds[1]:g}]"))
        for position, identifier in enumerate(experiment.cancel_events):
            if identifier not in event_ids:
                known = ", ".join(sorted(event_ids)) or "none"
                problems.append(Problem(f"{where}.cancel_events.{position}", f"unknown event {identifier!r}; events: {known}"))
        for position, event in enumerate(experiment.add_events):
            if not calendar.start <= event.month <= calendar.horizon:
                problems.append(Problem(f"{where}.add_events.{position}.month", f"{format_month(event.month)} is outside the calendar {span}"))
            if event.id in event_ids:
                problems.append(Problem(f"{where}.add_events.{position}.id", f"event id {event.id!r} is already used in events"))
    return problems


def _observations(scenario: Scenario) -> list[Problem]:
    """The observed timeline: unique ids, months in the calendar, no observation contradicting another."""
    calendar = scenario.calendar
    span = f"{format_month(calendar.start)}..{format_month(calendar.horizon)}"
    observations = scenario.observations
    problems = _duplicates("observations", [item.id for item in observations])
    for index, item in enumerate(observations):
        if not calendar.start <= item.first <= item.last <= calendar.horizon:
            field = "month" if item.month is not None else "window"
            problems.append(Problem(f"observations.{index}.{field}", f"{format_month(item.first)}..{format_month(item.last)} is outside the calendar {span}"))
    for index, item in enumerate(observations):
        if item.outcome is not None and item.observed:
            quiet: set[int] = set()
            for other in observations:
                if other.outcome == item.outcome and not other.observed:
                    quiet.update(range(other.first, other.last + 1))
            if all(month in quiet for month in range(item.first, item.last + 1)):
                problems.append(Problem(f"observations.{index}", f"{item.outcome!r} is observed in {format_month(item.first)}..{format_month(item.last)}, which quiet periods of the same kind cover"))
        if item.regime is not None and item.observed:
            for position, other in enumerate(observations[:index]):
                if other.regime is not None and other.observed and other.regime != item.regime and other.first <= item.last and item.first <= other.last:
                    problems.append(Problem(f"observations.{index}", f"regime {item.regime!r} overlaps regime {other.regime!r} of observations.{position}"))
    return problems
