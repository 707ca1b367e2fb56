"""Checks that need the whole scenario: references, ids, locators, dates, the actors that play each role
(:func:`check_scenario`, problems that refuse the file); and what a valid scenario will not do as written
(:func:`scenario_warnings`, :func:`change_warnings`: warnings, which refuse nothing)."""

from __future__ import annotations

import difflib
import re
import typing
from collections import Counter
from typing import Any, Iterable, Iterator, Sequence

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .calendar import format_month, format_span
from .errors import Problem, ScenarioWarning
from .plugins import MechanismError, declared_events, declared_state
from .quantities import CITATION_PATTERN, LOCATOR_FORMS, LOCATOR_PATTERN, Quantity, cited_source, field_bounds
from .record import QuietMonths, left_open, quiet_months
from .refs import is_actor_reference, list_index, role_kinds
from .schema import (
    ATTRIBUTE_NAMES,
    Actor,
    ActorOverride,
    ActorShock,
    ActorState,
    Election,
    GuerrillaArrival,
    LeaderDeath,
    Observation,
    PluginValues,
    Provenance,
    Scenario,
    Snapshot,
    Source,
    SystemShock,
    recorded_kinds,
)
from .vocabulary import MAX_HOLDINGS, OUTCOME_EVENTS, OUTCOME_KEYS, unknown_outcome


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every problem the typed schema alone cannot see."""
    problems: list[Problem] = []
    problems += _duplicates("actors", [actor.id for actor in scenario.actors])
    problems += _duplicates("events", [event.id for event in scenario.events])
    problems += _duplicates("snapshots", [snapshot.id for snapshot in scenario.snapshots])
    problems += _duplicates("holdings", [holding.id for holding in scenario.holdings])
    if len(scenario.holdings) > MAX_HOLDINGS:
        problems.append(Problem("holdings", f"{len(scenario.holdings)} holdings; a scenario may name at most {MAX_HOLDINGS} (the event log's codes for them)"))
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
    problems += _roles(scenario, actor_ids)
    problems += _regimes_declared(scenario)
    problems += _locators(scenario)
    problems += _checklist(scenario)
    problems += _state_declarations(scenario)
    problems += _state_read(scenario)
    problems += _shocks(scenario.events, "events", scenario)
    problems += _elections(scenario)
    problems += _months(scenario)
    if not problems:  # experiments refer to the rest of the scenario: check them once it is sound, without echoing its errors
        problems += _experiments(scenario)
    problems += _observations(scenario)
    for index, actor in enumerate(scenario.actors):
        for name in ("weight", "organization", "arms", "radicalism", "support", "mobilization", "cohesion", "threshold"):
            if getattr(actor, name) is None and getattr(scenario.actor_defaults, name) is None:
                problems.append(Problem(f"actors.{index}.{name}", f"actor {actor.id!r} has no {name} and actor_defaults gives none"))
    return problems


def _regimes_declared(scenario: Scenario) -> list[Problem]:
    """A scenario whose mechanisms or scheduled events change governments says what each regime type stands for."""
    if scenario.regimes is not None:
        return []
    enabled = [module for module in scenario.mechanism_schedule() if scenario.mechanisms.get(module.NAME).enabled]
    changers = [f"the mechanism {module.NAME!r}" for module in enabled if "government_change" in module.EVENTS]
    changers += [f"the scheduled event {event.id!r}" for event in scenario.events if "government_change" in recorded_kinds(event)]
    if not changers:
        return []
    return [Problem("regimes", (
        f"required, as {_words(changers, 'and')} can change the government: declare, for each regime type, the coalition "
        "a new government of that type governs with and the policy it starts from"
    ))]


def _duplicates(where: str, ids: list[str]) -> list[Problem]:
    counts = Counter(ids)
    problems = []
    for position, identifier in enumerate(ids):
        if counts[identifier] > 1 and ids.index(identifier) != position:
            problems.append(Problem(f"{where}.{position}.id", f"duplicate id {identifier!r} (also at {where}.{ids.index(identifier)})"))
    return problems


def _role_actors(params: BaseModel, role: str, where: str) -> list[tuple[str, str]]:
    """The actors a mechanism's role names, each with its field path (a list role's items by index)."""
    value = getattr(params, role)
    if isinstance(value, str):
        return [(f"{where}.{role}", value)]
    return [(f"{where}.{role}.{index}", actor) for index, actor in enumerate(value) if isinstance(actor, str)]


def _words(items: Iterable[str], last: str) -> str:
    """``a``, ``a or b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _roles(scenario: Scenario, actor_ids: set[str]) -> list[Problem]:
    """Every mechanism's roles get actors of the kinds they accept (``role(..., kinds=...)``), and roles that face
    each other (the mechanism's ``OPPOSING_ROLES``) get different actors."""
    kinds = {actor.id: actor.kind for actor in scenario.actors}
    problems: list[Problem] = []
    mechanisms = scenario.mechanisms
    for name in mechanisms.names():
        params = mechanisms.get(name)
        where = f"mechanisms.{name}"
        for role, field in type(params).model_fields.items():
            accepted = role_kinds(field)
            if not accepted:
                continue
            for path, actor in _role_actors(params, role, where):
                kind = kinds.get(actor)
                if kind is not None and kind not in accepted:
                    problems.append(Problem(path, f"{actor!r} is a {kind!r} actor; this role takes {_words(accepted, 'or')} actors"))
        for group in getattr(type(params), "OPPOSING_ROLES", ()):
            played: dict[str, str] = {}
            for role in group:
                for path, actor in _role_actors(params, role, where):
                    if actor not in actor_ids:
                        continue  # reported as an unknown actor
                    if actor in played and played[actor] != role:
                        problems.append(Problem(
                            path, f"{actor!r} already plays {played[actor]}; {_words(group, 'and')} face each other and need different actors"
                        ))
                    played.setdefault(actor, role)
    return problems


def _join(prefix: str, name: object) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def _members(model: BaseModel) -> Iterator[tuple[str, FieldInfo, Any]]:
    """A model's fields (by the name a file writes: the alias, else the name) with their values, then its extras
    (``mechanisms`` keeps each mechanism's parameters as one)."""
    for name, field in type(model).model_fields.items():
        yield field.alias or name, field, getattr(model, name)
    for name, value in (model.model_extra or {}).items():
        yield name, FieldInfo(annotation=type(value)), value


def _actor_references(model: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    """Every actor id the model refers to, with its field path."""
    for key, field, value in _members(model):
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
    for key, _, value in _members(model):
        path = _join(prefix, key)
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
    """Every ``source:`` resolves: a passage inside a section of the analysis, or a place in a declared further source."""
    problems = _duplicates("sources", list(scenario.source_ids))
    for path, model in _walk(scenario, ""):
        if isinstance(model, (Quantity, Provenance)) and model.source is not None:
            why = locator_problem(scenario, model.source)
            if why is not None:
                problems.append(Problem(_join(path, "source"), why))
    return problems


PAGES_PATTERN = re.compile(r"^pp?\.\s*(?P<first>\d{1,6})(?:\s*-\s*(?P<last>\d{1,6}))?$")
"""A place in a book: ``p. 12`` or ``pp. 12-14``."""


def locator_problem(scenario: Scenario, text: str) -> str | None:
    """Why ``text`` is not a place in one of the scenario's sources, or None when it is."""
    citation = CITATION_PATTERN.match(text)
    declared = {source.id: source for source in scenario.sources or ()}
    if cited_source(text, declared) is not None and citation is not None:
        return _citation_problem(declared[citation.group("source")], citation.group("where"))
    passage = LOCATOR_PATTERN.match(text)
    sections = {section.title for section in scenario.source_document.sections} if scenario.source_document else set()
    if citation is not None and (passage is None or passage.group("section") not in sections):
        known = ", ".join(declared) or "none declared"  # 'note: Miners, L3-5' for the source 'notes' is a misspelt source, not a section
        close = difflib.get_close_matches(citation.group("source"), list(declared), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{text!r} cites an unknown source {citation.group('source')!r}{hint}; sources: {known}"
    if passage is None:
        return f"{text!r} is not {LOCATOR_FORMS}"
    if scenario.source_document is None:
        return f"{text!r} cites the analysis, but the scenario declares no 'source_document'; cite a source of 'sources' as '<id>: <where>'"
    return _passage_problem(scenario.source_document.sections, text)


def _passage_problem(sections: Iterable[Any], text: str, source_id: str | None = None) -> str | None:
    """Why ``text`` ('Section, Lx-y') is not a passage inside one of ``sections`` (of the analysis, or of the further
    source ``source_id``), or None."""
    of = f" of source {source_id!r}" if source_id else ""
    match = LOCATOR_PATTERN.match(text)
    if match is None:
        return f"{text!r} is not a passage like 'Section title, L12-14'{of}"
    lines = {section.title: section.lines for section in sections}
    title = match.group("section")
    if re.search(r",\s*L\d", title):  # 'Section, L22, L28': two ranges in one locator
        return f"{text!r} gives more than one line range; cite one passage, 'Section title, L12-14' (one range, first-last){of}"
    digits = max(len(match.group("start")), len(match.group("end") or ""))
    if digits > 9:  # int() of a long digit string is slow, and past 4,300 digits a bare ValueError
        return f"a line number of {digits:,} digits in {title[:60]!r}'s locator; lines are numbered below a billion"
    start = int(match.group("start"))
    end = int(match.group("end") or start)
    if title not in lines:
        return f"unknown section {title!r}{of}; sections: {', '.join(lines)}"
    first, last = lines[title]
    if not first <= start <= end <= last:
        return f"lines L{start}-{end} fall outside section {title!r} (L{first}-{last}){of}"
    return None


def _citation_problem(source: Source, where: str | None) -> str | None:
    """Why ``where`` is not a place in ``source`` as its kind is cited, or None."""
    if source.kind == "text":
        if not where:
            return f"cite the text {source.id!r} by section and lines: '{source.id}: Section title, L12-14'"
        return _passage_problem(source.sections or (), where, source.id)
    if source.kind == "book":
        pages = PAGES_PATTERN.match(where or "")
        if pages is None:
            return f"cite the book {source.id!r} by page: '{source.id}: p. 12' or '{source.id}: pp. 12-14'"
        first = int(pages.group("first"))
        last = int(pages.group("last") or first)
        if first > last:
            return f"pages {first}-{last} run backwards"
        if source.pages is not None and not source.pages[0] <= first <= last <= source.pages[1]:
            return f"pages {first}-{last} fall outside the book {source.id!r} (pp. {source.pages[0]}-{source.pages[1]})"
    return None


def _declared(scenario: Scenario, attribute: str = "NEW_STATE") -> dict[str, tuple[float, float, str]]:
    """What the scenario's mechanisms declare of their own (``NEW_STATE`` or ``NEW_ACTOR_STATE``); empty where two
    declare one name (reported once, by :func:`_state_declarations`)."""
    try:
        return declared_state(scenario.mechanism_schedule(), attribute=attribute)
    except MechanismError:
        return {}


def _out_of_range(value: float, name: str, ranges: dict[str, tuple[float, float, str]]) -> str | None:
    """Why ``value`` cannot be given to the plug-in variable ``name``, or None (an engine variable, or in its range)."""
    if name not in ranges or ranges[name][0] <= value <= ranges[name][1]:
        return None
    low, high, _ = ranges[name]
    return f"{value:g} lies outside [{low:g}, {high:g}], the range of {name!r} its mechanism declares"


def _outside(quantity: Quantity, low: float, high: float, where: str) -> str | None:
    """Why ``quantity`` - its value, then its prior's range, which calibration and sensitivity sample - leaves
    ``[low, high]`` (``where`` names that range), or None."""
    if not low <= quantity.value <= high:
        return f"{quantity.value:g} lies outside {where}"
    first, last = quantity.reach
    if not low <= first <= last <= high:
        return f"its prior range [{first:g}, {last:g}] leaves {where}"
    return None


def _quantity_out_of_range(quantity: Quantity, name: str, ranges: dict[str, tuple[float, float, str]]) -> str | None:
    """:func:`_outside` the range a plug-in declares for ``name``, or None (an engine variable)."""
    if name not in ranges:
        return None
    low, high, _ = ranges[name]
    return _outside(quantity, low, high, f"[{low:g}, {high:g}], the range of {name!r} its mechanism declares")


def _outside_attribute(event: ActorShock) -> str | None:
    """:func:`_outside` the range the schema allows an engine attribute of an actor (e.g. [0, 1] for arms, [-1, 1] for
    radicalism), or None (a plug-in's attribute)."""
    if event.attribute not in ActorState.model_fields:
        return None
    low, high = field_bounds(ActorState, event.attribute)
    return _outside(event.value, low, high, f"[{low:g}, {high:g}], the range of an actor's {event.attribute!r}")


def _shocks(events: Iterable[Any], where: str, scenario: Scenario) -> list[Problem]:
    """Every shock among ``events`` sets a variable a shock may set (an actor's attribute but its fixed threshold; a
    system variable but the count of defeated focos), to a value in its range (a plug-in's: the range it declares)."""
    shockable = shockable_variables(scenario)
    ranges, actor_ranges = _declared(scenario), _declared(scenario, "NEW_ACTOR_STATE")
    attributes = [name for name in ATTRIBUTE_NAMES if name != "threshold"] + list(actor_ranges)
    problems = []
    for index, event in enumerate(events):
        if isinstance(event, ActorShock):
            if event.attribute not in attributes:
                what = "the fixed trait 'threshold', which no shock sets" if event.attribute == "threshold" else f"unknown actor attribute {event.attribute!r}"
                problems.append(Problem(f"{where}.{index}.attribute", f"{what}; a shock may set {', '.join(attributes)}"))
            elif (why := _quantity_out_of_range(event.value, event.attribute, actor_ranges) or _outside_attribute(event)) is not None:
                problems.append(Problem(f"{where}.{index}.value", why))
        elif isinstance(event, SystemShock):
            if event.variable not in shockable:
                problems.append(Problem(f"{where}.{index}.variable", f"unknown system variable {event.variable!r}; a shock may set {', '.join(shockable)}"))
            elif (why := _quantity_out_of_range(event.value, event.variable, ranges)) is not None:
                problems.append(Problem(f"{where}.{index}.value", why))
    return problems


def _elections(scenario: Scenario) -> list[Problem]:
    """An election decided by a mechanism names one the scenario uses that can decide it."""
    problems = []
    deciders = [module.NAME for module in scenario.mechanism_schedule() if callable(getattr(module, "incumbent_keeps_office", None))]
    for index, event in enumerate(scenario.events):
        if not isinstance(event, Election) or event.decided_by is None:
            continue
        if event.decided_by not in deciders:
            can = f"mechanisms of this scenario that can: {', '.join(deciders)}" if deciders else "no mechanism of this scenario defines incumbent_keeps_office"
            problems.append(Problem(f"events.{index}.decided_by", f"{event.decided_by!r} cannot decide an election ({can})"))
        elif not scenario.mechanisms.get(event.decided_by).enabled:
            problems.append(Problem(f"events.{index}.decided_by", f"the mechanism {event.decided_by!r} is switched off (enabled: false), so it cannot decide the election"))
    return problems


def shockable_variables(scenario: Scenario) -> list[str]:
    """The system variables a scheduled shock may set: the engine's but the count of defeated focos, and the plug-ins'."""
    return [name for name in type(scenario.system).model_fields if name != "guerrilla_defeats"] + list(_declared(scenario))


GOVERNMENT_VARIABLES: tuple[str, ...] = (
    "policy", "progressive_room", "regime", "assembly", "months_in_power", "coalition", "holdings", "holdings_taken",
    "months_since_repression", "months_since_mobilization", "months_since_ruler_death", "left_united",
)
"""The engine's state besides the system variables and actor attributes the scenario gives (no plug-in may take these names)."""


def _state_declarations(scenario: Scenario) -> list[Problem]:
    """What the scenario's plug-ins declare of their own (``NEW_STATE``, ``NEW_ACTOR_STATE``) takes no name the engine or
    the format already uses, nor one name both ways; a mechanism uses only state that exists; and a plug-in's variable
    is given only where a mechanism of the scenario declares it."""
    schedule = scenario.mechanism_schedule()
    try:
        own = declared_state(schedule)
        own_actor = declared_state(schedule, attribute="NEW_ACTOR_STATE")
    except MechanismError as error:
        return [Problem("mechanisms", str(error))]
    problems = []
    engine_names = {*type(scenario.system).model_fields, *ATTRIBUTE_NAMES, *GOVERNMENT_VARIABLES}
    taken = engine_names | set(Actor.model_fields) | {"extra", "month"}  # an actor's other fields and the state's own names too
    for module in schedule:
        for name in dict.fromkeys([*getattr(module, "NEW_STATE", {}), *getattr(module, "NEW_ACTOR_STATE", {})]):
            if name in taken:
                problems.append(Problem(f"mechanisms.{module.NAME}", f"the mechanism declares the state variable {name!r}, a name the engine or the scenario format already uses"))
            elif name in own and name in own_actor:
                problems.append(Problem(f"mechanisms.{module.NAME}", f"{name!r} is declared both as a system variable (NEW_STATE) and as an actor attribute (NEW_ACTOR_STATE)"))
        for name in dict.fromkeys([*module.READS, *module.WRITES]):
            if name not in engine_names and name not in own and name not in own_actor:
                problems.append(Problem(f"mechanisms.{module.NAME}", f"the mechanism uses the state variable {name!r}, which neither the engine nor a mechanism of this scenario declares"))
    blocks: list[tuple[str, PluginValues, dict[str, tuple[float, float, str]], str]] = [("system", scenario.system, own, "state variable")]
    blocks += [(f"snapshots.{i}.system", s.system, own, "state variable") for i, s in enumerate(scenario.snapshots)]
    blocks += [("actor_defaults", scenario.actor_defaults, own_actor, "actor attribute")]
    blocks += [(f"actors.{i}", actor, own_actor, "actor attribute") for i, actor in enumerate(scenario.actors)]
    blocks += [(f"snapshots.{i}.actors.{actor}", values, own_actor, "actor attribute") for i, s in enumerate(scenario.snapshots) for actor, values in s.actors.items()]
    for where, values, declared, what in blocks:
        for name in values.plugin_variables():
            if name not in declared:
                problems.append(Problem(f"{where}.{name}", f"no mechanism this scenario uses declares the {what} {name!r}"))
    return problems


def _state_read(scenario: Scenario) -> list[Problem]:
    """Every system variable and actor attribute a mechanism of the scenario reads (switched on or not: a what-if may
    switch it on), or a scheduled event reads, has a starting value, the engine's and the plug-ins' alike; the others
    may be left out."""
    readers: dict[str, list[str]] = {}
    for module in scenario.mechanism_schedule():
        for name in module.READS:
            readers.setdefault(name, []).append(f"the mechanism {module.NAME!r}")
    for event in scenario.events:
        if isinstance(event, LeaderDeath):  # the army's choice of successor weighs the nationalist current (palace succession)
            readers.setdefault("nationalist_pressure", []).append(f"the scheduled event {event.id!r}")

    def required(name: str) -> str:
        reads = "reads" if len(readers[name]) == 1 else "read"
        return f"required: {_words(readers[name], 'and')} of this scenario {reads} it"

    problems = []
    for name in [*type(scenario.system).model_fields, *_declared(scenario)]:
        if name in readers and scenario.system.given(name) is None:
            problems.append(Problem(f"system.{name}", f"{required(name)}; give its starting value with its provenance"))
    for name in _declared(scenario, "NEW_ACTOR_STATE"):
        if name not in readers or scenario.actor_defaults.given(name) is not None:
            continue
        missing = [actor.id for actor in scenario.actors if actor.given(name) is None]
        if missing:
            problems.append(Problem(
                f"actor_defaults.{name}", f"{required(name)}; give it in actor_defaults or for each actor (missing for {', '.join(missing)})"
            ))
    return problems


def _checklist(scenario: Scenario) -> list[Problem]:
    """With a checklist of its own, the items the scenario's actors list, and the mechanisms its items name, exist.
    (``not_represented`` may also name things outside the checklist.)"""
    if scenario.checklist is None:
        return []
    items = [item.id for item in scenario.checklist]
    problems = _duplicates("checklist", items)
    known = ", ".join(items) or "none"
    for index, item in enumerate(scenario.checklist):
        for m_index, name in enumerate(item.mechanisms):
            if name not in scenario.mechanisms:
                problems.append(Problem(
                    f"checklist.{index}.mechanisms.{m_index}", f"the scenario uses no mechanism {name!r}; it uses {', '.join(scenario.mechanisms.names())}"
                ))
    left_out = {entry.item for entry in scenario.not_represented}
    for index, actor in enumerate(scenario.actors):
        for c_index, listed in enumerate(actor.checklist):
            if listed not in items:
                problems.append(Problem(f"actors.{index}.checklist.{c_index}", f"{listed!r} is not an item of the scenario's checklist ({known})"))
            elif listed in left_out:
                problems.append(Problem(f"actors.{index}.checklist.{c_index}", f"{actor.id!r} covers {listed!r}, which not_represented says the scenario leaves out"))
    for index, item in enumerate(scenario.checklist):
        if item.mechanisms and item.id in left_out:
            problems.append(Problem(f"checklist.{index}.mechanisms", f"{item.id!r} names mechanisms that cover it, but not_represented says the scenario leaves it out"))
    return problems


def _months(scenario: Scenario) -> list[Problem]:
    calendar = scenario.calendar
    span = f"{format_month(calendar.start)}..{format_month(calendar.horizon)}"
    problems = []
    for index, event in enumerate(scenario.events):
        if not calendar.start <= event.month <= calendar.horizon:
            problems.append(Problem(f"events.{index}.month", f"{format_month(event.month)} is outside the calendar {span}"))
    first_in: dict[int, int] = {}
    for index, snapshot in enumerate(scenario.snapshots):
        if not calendar.start <= snapshot.month <= calendar.horizon:
            problems.append(Problem(f"snapshots.{index}.month", f"{format_month(snapshot.month)} is outside the calendar {span}"))
        earlier = first_in.setdefault(snapshot.month, index)
        if earlier != index:  # a start given as a month (--from 1970-10) must name one snapshot
            problems.append(Problem(
                f"snapshots.{index}.month",
                f"{format_month(snapshot.month)} is also the month of snapshot {scenario.snapshots[earlier].id!r} "
                f"(snapshots.{earlier}); each snapshot needs a month of its own",
            ))
    return problems


def _experiments(scenario: Scenario) -> list[Problem]:
    """Named experiments: unique ids, a known start, months in the calendar, value paths and events that exist."""
    from .paths import PathError, get_value, type_mismatch, unpaired_change, value_bounds, value_named_twice  # paths imports this module

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
        twice = value_named_twice(scenario, experiment.changes)
        if twice is not None:
            problems.append(Problem(f"{where}.set", twice))
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
        problems += _shocks(experiment.add_events, f"{where}.add_events", scenario)
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
    outcomes = scenario_outcome_keys(scenario)
    holding_ids = [holding.id for holding in scenario.holdings]
    for index, item in enumerate(observations):
        if item.outcome is not None and item.outcome not in outcomes:  # a kind only a mechanism it does not use declares
            problems.append(Problem(f"observations.{index}.outcome", unknown_outcome(item.outcome, outcomes)))
        if item.holding is not None and item.holding not in holding_ids:
            problems.append(Problem(f"observations.{index}.holding", f"unknown holding {item.holding!r}; holdings: {', '.join(sorted(holding_ids)) or 'none'}"))
        if not calendar.start <= item.first <= item.last <= calendar.horizon:
            field = "month" if item.month is not None else "window"
            problems.append(Problem(f"observations.{index}.{field}", f"{format_month(item.first)}..{format_month(item.last)} is outside the calendar {span}"))
    quiet = quiet_months(observations)
    for index, item in enumerate(observations):
        if item.outcome is not None and item.observed:
            problem = _ruled_out(item, observations, quiet)
            if problem:
                problems.append(Problem(f"observations.{index}", problem))
        if item.regime is not None and item.observed:
            for position, other in enumerate(observations[:index]):
                if other.regime is not None and other.observed and other.regime != item.regime and other.first <= item.last and item.first <= other.last:
                    problems.append(Problem(f"observations.{index}", f"regime {item.regime!r} overlaps regime {other.regime!r} of observations.{position}"))
    return problems


def _ruled_out(item: Observation, observations: Sequence[Observation], record: QuietMonths) -> str | None:
    """What is wrong with an event observed in a window whose every month the record's quiet periods rule out: those of
    its own kind (of its holding or of any), or, by its meaning, those of the outcomes it needs or is made of."""
    assert item.outcome is not None
    quiet: set[int] = set()
    for other in observations:  # a quiet period of any holding's nationalization says nothing of another's
        if other.outcome == item.outcome and not other.observed and other.holding in (None, item.holding):
            quiet.update(range(other.first, other.last + 1))
    window = set(range(item.first, item.last + 1))
    what = f"{item.outcome!r}" + (f" of {item.holding!r}" if item.holding else "")
    when = format_span(item.first, item.last)
    if window <= quiet:
        return f"{what} is observed in {when}, which quiet periods of the same kind cover"
    implications = record.implied.get(item.outcome, {})
    if not window <= quiet | set(implications):
        return None
    rest = sorted(window - quiet)
    reasons = list(dict.fromkeys(implications[month] for month in rest))
    sources = ", ".join(dict.fromkeys(source for implication in reasons for source in implication.sources))
    because = "; ".join(dict.fromkeys(implication.reason for implication in reasons))
    same_kind = ": quiet periods of the same kind cover the rest" if quiet & window else ""
    return f"{what} is observed in {when}, where the record's quiet periods ({sources}) leave {because}{same_kind}"


# --- warnings: what a valid scenario will not do as written ------------------------------------------

NATIONALIST_REGIMES = ("civilian_nationalist", "nationalist_military")
"""The regime types under which nationalist_drift (M1) keeps the policy at or below the progressive room."""


def scenario_warnings(scenario: Scenario) -> list[ScenarioWarning]:
    """What ``coyuntura check`` warns about in a valid scenario, which still runs: a starting value the engine caps
    in the first month, a scheduled event a run from a snapshot never sees (or that overwrites the snapshot's value),
    and a named experiment's change or event that does nothing in the runs it makes."""
    warnings = _caps(scenario, None)
    for snapshot in scenario.snapshots:  # a snapshot's own values (the start's are reported once, above)
        warnings += [w for w in _caps(scenario, snapshot) if w.path.startswith("snapshots.")]
    warnings += _events_and_snapshots(scenario)
    warnings += _observations_that_cannot_happen(scenario)
    warnings += _quiet_periods_left_open(scenario)
    warnings += _untriggered_mobilization(scenario)
    warnings += _program_not_left_of_the_right(scenario)
    warnings += _front_breaks_up_as_it_forms(scenario)
    warnings += _support_carried_into_another_government(scenario)
    for index, experiment in enumerate(scenario.experiments):
        where = f"experiments.{index}"
        warnings += change_warnings(scenario, experiment.start, experiment.changes, f"{where}.set")
        added = [(f"{where}.add_events.{position}.month", event) for position, event in enumerate(experiment.add_events)]
        cancelled = [(f"{where}.cancel_events.{position}", identifier) for position, identifier in enumerate(experiment.cancel_events)]
        warnings += _events_outside(scenario, experiment.start, experiment.until, added, cancelled, "this experiment")
    return warnings


def own_event_kinds(scenario: Scenario) -> dict[str, str]:
    """The kinds of event the scenario's mechanisms declare of their own (``NEW_EVENTS``), kind -> label."""
    return declared_events(scenario.mechanism_schedule())


def scenario_outcome_keys(scenario: Scenario) -> tuple[str, ...]:
    """Every outcome an observation of the scenario may name: the engine's, then its mechanisms' own kinds of event."""
    return OUTCOME_KEYS + tuple(own_event_kinds(scenario))


def recorded_event_kinds(scenario: Scenario) -> set[str]:
    """The kinds of event the scenario's enabled mechanisms and scheduled events can record."""
    kinds = set(scenario.scheduled_event_kinds())
    for module in scenario.mechanism_schedule():
        if scenario.mechanisms.get(module.NAME).enabled:
            kinds |= set(module.EVENTS)
    return kinds


MOBILIZATION_TRIGGERS = ("austerity_package", "repression_wave", "leader_death")
"""What sets off mass_mobilization's monthly cascade (its ``triggered``): an austerity package, a repression wave, a ruler's death."""


def _untriggered_mobilization(scenario: Scenario) -> list[ScenarioWarning]:
    """mass_mobilization's monthly cascade needs a trigger some mechanism or event of the scenario records."""
    mobilization = scenario.mechanisms.get("mass_mobilization")
    if mobilization is None or not mobilization.enabled or set(MOBILIZATION_TRIGGERS) & recorded_event_kinds(scenario):
        return []
    return [ScenarioWarning(
        "mechanisms.mass_mobilization",
        "nothing in this scenario sets off mass_mobilization's monthly cascade (an austerity package, from patron_leverage; a "
        "repression wave, from repression; a ruler's death, from regime_exit or a scheduled event): crowds come out only "
        "to defend a government against a coup; add one of those mechanisms or a leader_death event, or leave it so on purpose",
    )]


def _program_not_left_of_the_right(scenario: Scenario) -> list[ScenarioWarning]:
    """coup's young officers plot for their program as far as the government falls short of it, measured from a right
    military government's policy; a program no further left than that policy (or a prior that reaches it) leaves no span."""
    coup = scenario.mechanisms.get("coup")
    if coup is None or not coup.enabled or scenario.regimes is None:
        return []
    program = coup.installation_policy
    right = scenario.regimes.right_military.policy.value
    lowest = program.reach[0]
    if lowest > right:
        return []
    what = f"installation_policy {program.value}" if lowest == program.value else f"installation_policy's prior, down to {lowest}"
    return [ScenarioWarning(
        "mechanisms.coup.installation_policy",
        f"{what} is no further left than a right military government's policy ({right}, regimes.right_military.policy): "
        "the young officers' program then has no span to fall short on, so the army's nationalist current drives their plots "
        "in full against any government right of the program and not at all otherwise (coup, M5)",
    )]


def _front_breaks_up_as_it_forms(scenario: Scenario) -> list[ScenarioWarning]:
    """left_unity's united front forms at unity_threshold and breaks up below split_threshold: a split bar at or above
    the forming one gives no band in which a front outlasts small quarrels."""
    unity = scenario.mechanisms.get("left_unity")
    if unity is None or not unity.enabled:
        return []
    split, bar = unity.split_threshold, unity.unity_threshold
    highest_split, lowest_bar = split.reach[1], bar.reach[0]
    if highest_split < lowest_bar:
        return []
    reach = "" if (highest_split, lowest_bar) == (split.value, bar.value) else " (as far as their priors reach)"
    return [ScenarioWarning(
        "mechanisms.left_unity.split_threshold",
        f"split_threshold {highest_split} is not below unity_threshold {lowest_bar}{reach}: a united "
        "front then breaks up at the first dip under the bar that formed it, so month-to-month noise logs unions and splits "
        "in turn (left_unity, M11); a lower split_threshold lets a front outlast small quarrels",
    )]


def _support_carried_into_another_government(scenario: Scenario) -> list[ScenarioWarning]:
    """An actor's ``support`` is for the government in power: a snapshot with another government that does not restate
    it carries the start's support for the start's government over to its own (the engine then moves it only slowly)."""
    start = scenario.government
    warnings = []
    for index, snapshot in enumerate(scenario.snapshots):
        government = snapshot.government
        if (government.type, government.leader) == (start.type, start.leader):
            continue
        carried = [
            actor.id for actor in scenario.actors
            if actor.kind != "foreign" and (snapshot.actors.get(actor.id) is None or snapshot.actors[actor.id].support is None)
        ]
        if carried:
            warnings.append(ScenarioWarning(
                f"snapshots.{index}.actors",
                f"snapshot {snapshot.id!r} has another government ({government.leader}, {government.type}) than the start "
                f"({start.leader}, {start.type}) but does not restate the support of {_words(carried, 'and')}: they start with "
                "their support for the start's government; restate it (with its source or assumption)",
            ))
    return warnings


def _observations_that_cannot_happen(scenario: Scenario) -> list[ScenarioWarning]:
    """An observation of an outcome that no mechanism of the scenario records: the model gives it probability 0."""
    recorded = recorded_event_kinds(scenario)
    warnings = []
    for index, observation in enumerate(scenario.observations):
        if observation.outcome is None:
            continue
        event = OUTCOME_EVENTS.get(observation.outcome, observation.outcome)  # a plug-in's own kind is its own outcome
        if event not in recorded:
            warnings.append(ScenarioWarning(
                f"observations.{index}.outcome",
                f"observation {observation.id!r} scores {observation.outcome!r}, which no mechanism or scheduled event of this "
                f"scenario records ({event}): the model gives it probability 0",
            ))
    return warnings


def _quiet_periods_left_open(scenario: Scenario) -> list[ScenarioWarning]:
    """Months in which the record's quiet periods imply an outcome it observes elsewhere did not happen, but which it
    leaves open: a baseline fitted on the record then sees that outcome only in the months it happened. Each warning
    points at the first quiet period that implies it."""
    observations = scenario.observations
    index = {item.id: position for position, item in enumerate(observations)}
    return [
        ScenarioWarning(f"observations.{index[period.implication.sources[0]]}", period.message)
        for period in left_open(observations)
    ]


def intervention_warnings(
    scenario: Scenario,
    changed: Scenario,
    start: str | None,
    until: int | None,
    changes: Iterable[str],
    added: Iterable[str] = (),
    cancelled: Iterable[str] = (),
) -> list[ScenarioWarning]:
    """What a what-if (``changed``, ``scenario`` with ``changes`` made, events ``added`` and ``cancelled``) will not do
    in its runs from ``start`` to ``until``: a change the start snapshot overrides, a changed starting value the engine
    caps in the first month, an added or cancelled event outside the run. Nothing here refuses the what-if."""
    warnings = change_warnings(scenario, start, changes)
    snapshot = _start_snapshot(scenario, start)
    if start is None or snapshot is not None:
        already = set(_caps(scenario, snapshot))
        warnings += [w for w in _caps(changed, _start_snapshot(changed, start)) if w not in already]
    new = set(added)
    events = [(f"event {event.id}", event) for event in changed.events if event.id in new]
    warnings += _events_outside(scenario, start, until, events, [(f"cancelled event {i}", i) for i in cancelled], "this what-if")
    return warnings


def change_warnings(scenario: Scenario, start: str | None, changes: Iterable[str], where: str = "") -> list[ScenarioWarning]:
    """What changing the values at ``changes`` (value paths) will not do in runs from ``start`` (a snapshot's id
    or month; ``None``: the scenario's start): a starting value the start snapshot sets itself, so the run never
    starts from the changed one. Each warning is located at ``where`` (an experiment's ``set``), else at the path."""
    snapshot = _start_snapshot(scenario, start)
    if start is not None and snapshot is None:
        return []  # an unknown start is refused elsewhere
    warnings = []
    for path in changes:
        changed_snapshot = _snapshot_of(scenario, path)
        if changed_snapshot is not None and changed_snapshot is not snapshot:
            begins = f"snapshot {snapshot.id!r}" if snapshot is not None else "the scenario's start"
            reason = f"the run starts from {begins}, not from snapshot {changed_snapshot.id!r}, so the change never reaches it"
            warnings.append(ScenarioWarning(where or path, f"{path}: {reason}" if where else reason))
            continue
        if snapshot is None:
            continue
        overriding = snapshot_override(scenario, snapshot, path)
        if overriding is None:
            continue
        reason = (
            f"the run starts from snapshot {snapshot.id!r}, which sets this value itself ({overriding}), so the change does not "
            f"reach the run's start; change {overriding} instead"
        )
        warnings.append(ScenarioWarning(where or path, f"{path}: {reason}" if where else reason))
    return warnings


def snapshot_override(scenario: Scenario, snapshot: Snapshot, path: str) -> str | None:
    """The path of the snapshot's own value that a run from ``snapshot`` starts from instead of the value at ``path``
    (``actors.miners.arms`` -> ``snapshots.ID.actors.miners.arms``); ``None`` if the snapshot leaves it alone."""
    parts = path.split(".")
    if len(parts) > 1 and parts[-1] == "value":
        parts = parts[:-1]
    if parts[0] == "actors" and len(parts) == 3:
        actor = _actor_id(scenario, parts[1])
        parts = ["actors", actor if actor is not None else parts[1], parts[2]]
    elif parts[0] == "system" and len(parts) == 2:
        pass
    elif parts[0] == "government" and (len(parts) == 2 or (len(parts) == 3 and parts[2].isdecimal())):  # coalition.N: a member
        parts = parts[:2]
    else:
        return None  # not a starting value (a mechanism's number, a prior, a snapshot's own value...)
    key = ".".join(parts)
    return f"snapshots.{snapshot.id}.{key}" if key in snapshot.overridden_paths() else None


def _snapshot_of(scenario: Scenario, path: str) -> Snapshot | None:
    """The snapshot a value path changes (``snapshots.ID.…`` or ``snapshots.N.…``), if it changes one."""
    parts = path.split(".")
    if len(parts) < 3 or parts[0] != "snapshots":
        return None
    for snapshot in scenario.snapshots:
        if parts[1] == snapshot.id:
            return snapshot
    index = list_index(parts[1], len(scenario.snapshots))  # as value paths read an index: snapshots.01 is snapshots.1
    return scenario.snapshots[index] if index is not None else None


def _start_snapshot(scenario: Scenario, start: str | None) -> Snapshot | None:
    """The snapshot runs start from (``None`` at the scenario's start, or for an unknown one, refused elsewhere)."""
    if start is None:
        return None
    try:
        return scenario.snapshot(start)
    except KeyError:
        return None


def _actor_id(scenario: Scenario, key: str) -> str | None:
    """An actor addressed in a value path by id or by index."""
    if any(actor.id == key for actor in scenario.actors):
        return key
    index = list_index(key, len(scenario.actors))
    if index is not None:
        return scenario.actors[index].id
    return None


def _caps(scenario: Scenario, snapshot: Snapshot | None) -> list[ScenarioWarning]:
    """Starting values of runs from ``snapshot`` (``None``: the scenario's start) that an enabled mechanism caps in
    the first month, each located where it is written (the snapshot's own value, else the scenario's)."""
    warnings = []
    at = f"snapshots.{scenario.snapshots.index(snapshot)}" if snapshot is not None else ""
    government = snapshot.government if snapshot is not None else scenario.government
    drift = scenario.mechanisms.get("nationalist_drift")
    if drift is not None and drift.enabled:  # M1: policy <= progressive_room under a nationalist government
        policy, room = government.policy.value, government.progressive_room.value
        if government.type in NATIONALIST_REGIMES and policy > room:
            warnings.append(ScenarioWarning(
                _join(at, "government.policy"),
                f"policy {policy:g} is above progressive_room {room:g}: under a {government.type} government the engine caps the "
                f"policy at the progressive room ({room:g} or less) in the first month (nationalist_drift, M1)",
            ))
    agrarian = scenario.mechanisms.get("agrarian_structure")
    if agrarian is not None and agrarian.enabled:  # M9: organization[peasantry] <= organization_ceiling
        ceiling = agrarian.organization_ceiling.value
        peasantry = agrarian.peasantry
        cap = f"above mechanisms.agrarian_structure.organization_ceiling {ceiling:g}: the engine caps it at {ceiling:g} in the first month"
        override = snapshot.actors.get(peasantry) if snapshot is not None else None
        if override is not None and override.organization is not None:
            if override.organization.value > ceiling:
                warnings.append(ScenarioWarning(
                    f"{at}.actors.{peasantry}.organization",
                    f"{peasantry!r} has organization {override.organization.value:g} at this snapshot, {cap} of a run that starts here "
                    "(agrarian_structure, M9)",
                ))
        else:
            for index, actor in enumerate(scenario.actors):
                start = scenario.attribute(actor, "organization").value if actor.id == peasantry else 0.0
                if start > ceiling:
                    inherited = " (from actor_defaults)" if actor.organization is None else ""
                    warnings.append(ScenarioWarning(f"actors.{index}.organization", f"{peasantry!r} starts with organization {start:g}{inherited}, {cap} (agrarian_structure, M9)"))
    leverage = scenario.mechanisms.get("patron_leverage")
    if leverage is not None and leverage.enabled:  # M2 sets the foreign powers' support each month, before anything reads it
        for role, rule in (("foreign_patron", "1 − patron_hostility"), ("rival_patron", "the government's leftward policy, max(policy, 0)")):
            power = getattr(leverage, role)
            override = snapshot.actors.get(power) if snapshot is not None else None
            given: Quantity | None = override.support if override is not None else None
            path = f"{at}.actors.{power}.support"
            if given is None and snapshot is None:
                for position, actor in enumerate(scenario.actors):
                    if actor.id == power:
                        given, path = actor.support, f"actors.{position}.support"  # written for the actor, not inherited
            if given is not None:
                warnings.append(ScenarioWarning(
                    path,
                    f"the support {given.value:g} of {power!r} is never used: patron_leverage (M2) sets it to {rule} in the first month, "
                    "before anything reads it",
                ))
    return warnings


def _actor_values(event: object) -> list[tuple[str, str, float]]:
    """The actor attributes a scheduled event sets: (actor, attribute, value)."""
    if isinstance(event, ActorShock):
        return [(event.actor, event.attribute, event.value.value)]
    if isinstance(event, GuerrillaArrival):
        return [(event.actor, "organization", event.organization.value), (event.actor, "arms", event.arms.value)]
    return []


def _restated(snapshot: Snapshot, actor: str, attribute: str) -> float | None:
    override: ActorOverride | None = snapshot.actors.get(actor)
    value: Quantity | None = override.given(attribute) if override is not None else None
    return value.value if value is not None else None


def _events_and_snapshots(scenario: Scenario) -> list[ScenarioWarning]:
    """Scheduled events whose effect a run from a snapshot misses (the event comes before the snapshot, which does
    not restate the value it sets) or that overwrite a snapshot's own value (the event fires in the snapshot's month)."""
    warnings = []
    for index, snapshot in enumerate(scenario.snapshots):
        here = format_month(snapshot.month)
        for event in scenario.events:
            when = format_month(event.month)
            for actor, attribute, value in _actor_values(event):
                restated = _restated(snapshot, actor, attribute)
                if event.month < snapshot.month and restated is None:
                    start = scenario.starting_value(scenario.actor(actor), attribute)
                    if start != value:
                        warnings.append(ScenarioWarning(
                            f"snapshots.{index}",
                            f"event {event.id!r} ({when}) sets the {attribute} of {actor!r} to {value:g} but comes before this snapshot "
                            f"({here}), so it never fires in a run that starts here, and the snapshot does not restate that value: such a "
                            f"run starts from the scenario's starting value {start:g} (give snapshots.{snapshot.id}.actors.{actor}.{attribute} "
                            "if that is not meant)",
                        ))
                elif event.month == snapshot.month and restated is not None and restated != value:
                    warnings.append(ScenarioWarning(
                        f"snapshots.{index}.actors.{actor}.{attribute}",
                        f"event {event.id!r} fires in this snapshot's month ({here}), the first month of a run that starts here, and "
                        f"overwrites this value {restated:g} with {value:g}",
                    ))
            if isinstance(event, SystemShock) and event.month < snapshot.month and snapshot.system.given(event.variable) is None:
                start_value = scenario.system.value(event.variable)
                if start_value != event.value.value:
                    warnings.append(ScenarioWarning(
                        f"snapshots.{index}",
                        f"event {event.id!r} ({when}) sets {event.variable} to {event.value.value:g} but comes before this snapshot "
                        f"({here}), so it never fires in a run that starts here, and the snapshot does not restate that value: such a "
                        f"run starts from the scenario's starting value {start_value:g} (give snapshots.{snapshot.id}.system."
                        f"{event.variable} if that is not meant)",
                    ))
    return warnings


def _events_outside(
    scenario: Scenario,
    start: str | None,
    until: int | None,
    added: Iterable[tuple[str, Any]],
    cancelled: Iterable[tuple[str, str]],
    what: str,
) -> list[ScenarioWarning]:
    """Events a what-if or experiment (``what``) adds that fall outside its runs and so never fire, and scheduled events
    it cancels that would not fire in them anyway; each given with the path to locate its warning at."""
    snapshot = _start_snapshot(scenario, start)
    if start is not None and snapshot is None:
        return []  # an unknown start is refused elsewhere
    first = snapshot.month if snapshot is not None else scenario.calendar.start
    begins = f"snapshot {snapshot.id!r} ({format_month(first)}), where {what} starts" if snapshot is not None else f"{format_month(first)}, where {what} starts"
    last_month = until if until is not None else scenario.default_until(start)  # the last month it runs to when not told

    def outside(month: int, last: int | None = None) -> str | None:
        """Why an event from ``month`` (lasting to ``last``, for an intervention) never acts in the runs, if it does not."""
        if (last if last is not None else month) < first:
            return f"before {begins}"
        if month > last_month:
            return f"after {format_month(last_month)}, the last month of {what}"
        return None

    warnings = []
    for path, event in added:
        reason = outside(event.month, getattr(event, "until", None))
        if reason is not None:
            warnings.append(ScenarioWarning(path, f"event {event.id!r} ({format_month(event.month)}) is {reason}: it never fires there"))
    scheduled = {event.id: event for event in scenario.events}
    for path, identifier in cancelled:
        event = scheduled.get(identifier)
        reason = outside(event.month, getattr(event, "until", None)) if event is not None else None
        if event is not None and reason is not None:
            warnings.append(ScenarioWarning(
                path, f"event {identifier!r} ({format_month(event.month)}) is {reason}: it never fires there, so cancelling it changes nothing"
            ))
    return warnings
