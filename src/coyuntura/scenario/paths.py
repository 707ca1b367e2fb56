"""Value paths: address any value of a scenario, read it, and derive a changed scenario.

A path is dot-separated, e.g. ``mechanisms.coup.decisiveness``, ``actors.miners.arms``,
``snapshots.october_1970.actors.miners.arms``, ``government.policy``. List items are
addressed by their ``id`` (or by index). A path that ends at a number's quantity sets
its ``value``. An actor's attribute it takes from ``actor_defaults`` is addressed like
one it gives itself (``actors.ID.ATTRIBUTE`` reads the default; setting it sets that
actor's value only). A changed scenario is validated again, so an out-of-range value or
an unknown actor is refused with the same clear errors as a file.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from .checks import check_scenario
from .errors import Problem, ScenarioError
from .loader import validation_message
from .refs import list_index
from .schema import ATTRIBUTE_NAMES, REGISTRY_CONTEXT, Scenario


class PathError(KeyError):
    """A value path that does not exist; the message lists close matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; show plain text
        return str(self.args[0])


def all_paths(scenario: Scenario) -> list[str]:
    """Every addressable leaf path of the scenario (numbers by the path of their quantity), the attributes each
    actor takes from ``actor_defaults`` included."""
    paths: list[str] = []
    _collect(_data(scenario), "", paths)
    return paths


def _data(scenario: Scenario) -> Any:
    """The scenario as plain data, as value paths address it: each actor with the attributes it inherits from
    ``actor_defaults`` written out (for reading; :func:`with_values` writes out only the one it changes)."""
    data: Any = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for actor in data.get("actors", []):
        for name in data.get("actor_defaults", {}):  # the engine's attributes and the plug-ins' alike
            _inherit(data, actor, name)
    return data


def _inherit(data: Any, actor: Any, name: str) -> None:
    """Write out in ``actor`` (plain data) the attribute ``name`` it takes from ``actor_defaults``, if it does (a copy,
    so that changing it changes that actor only)."""
    defaults = data.get("actor_defaults", {})
    if isinstance(actor, dict) and name not in actor and name in defaults:
        actor[name] = copy.deepcopy(defaults[name])


def _inherit_on_path(data: Any, parts: list[str]) -> None:
    """Before a change at ``actors.ID.ATTRIBUTE...``: write out that actor's inherited attribute, if it inherits it."""
    if len(parts) >= 3 and parts[0] == "actors" and isinstance(data.get("actors"), list):
        actors = data["actors"]
        actor = next((item for item in actors if isinstance(item, dict) and item.get("id") == parts[1]), None)
        position = list_index(parts[1], len(actors))
        if actor is None and position is not None:
            actor = actors[position]
        _inherit(data, actor, parts[2])


def _collect(node: Any, prefix: str, out: list[str]) -> None:
    if isinstance(node, dict):
        if "value" in node and ("source" in node or "assumption" in node):
            out.append(prefix)
            return
        for key, value in node.items():
            _collect(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            key = item.get("id", index) if isinstance(item, dict) else index
            _collect(item, f"{prefix}.{key}", out)
    else:
        out.append(prefix)


def _step(node: Any, part: str, walked: str, scenario: Scenario) -> Any:
    if isinstance(node, dict):
        if part in node:
            return node[part]
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and item.get("id") == part:
                return item
        position = list_index(part, len(node))
        if position is not None:
            return node[position]
    raise _unknown(f"{walked}.{part}" if walked else part, scenario)


def _unknown(path: str, scenario: Scenario) -> PathError:
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "system" and parts[1] in type(scenario.system).model_fields:
        return PathError(f"{path}: scenario {scenario.id!r} gives no starting value for {parts[1]!r} (no mechanism of it reads it); "
                         "give one under system: first if a change to it should matter")
    candidates = all_paths(scenario)
    close = difflib.get_close_matches(path, candidates, n=5, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}" if close else ""
    return PathError(f"unknown value path {path!r}{hint}")


def get_value(scenario: Scenario, path: str) -> Any:
    """The value at ``path`` (a number's ``value`` when the path ends at a quantity)."""
    node: Any = _data(scenario)
    walked = ""
    for part in path.split("."):
        node = _step(node, part, walked, scenario)
        walked = f"{walked}.{part}" if walked else part
    if isinstance(node, dict) and "value" in node:
        return node["value"]
    return node


def canonical_path(scenario: Scenario, path: str) -> str:
    """``path`` as one name for one value: list items by their id where they have one (``actors.0`` is
    ``actors.miners``), and a number without its quantity's trailing ``value``. A :class:`PathError` if it is unknown."""
    node: Any = _data(scenario)
    named: list[str] = []
    parent: Any = None
    parts = path.split(".")
    for position, part in enumerate(parts):
        item = _step(node, part, ".".join(parts[:position]), scenario)  # an unknown part is named as the user wrote it
        named.append(str(item["id"]) if isinstance(node, list) and isinstance(item, dict) and "id" in item else part)
        parent, node = node, item
    if len(named) > 1 and named[-1] == "value" and isinstance(parent, dict) and "value" in parent:
        named.pop()
    return ".".join(named)


def _known_name(scenario: Scenario, path: str) -> str | None:
    """:func:`canonical_path`, or ``None`` for an unknown path (left to the checks that name it with close matches)."""
    try:
        return canonical_path(scenario, path)
    except PathError:
        return None


def value_named_twice(scenario: Scenario, paths: Iterable[str]) -> str | None:
    """Why ``paths`` (one set of changes) name one value twice, as ``actors.0.arms`` and ``actors.miners.arms.value``
    do, or ``None``."""
    named: dict[str, str] = {}
    for path in paths:
        canonical = _known_name(scenario, path)
        if canonical is None:
            continue
        if canonical in named:
            return f"{named[canonical]} and {path} both change {canonical}; give each value once"
        named[canonical] = path
    return None


def merged_changes(scenario: Scenario, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` with one entry per value: where two spellings name one value (an experiment's and a later
    ``--set``), the later one stands, under its own spelling."""
    by_value: dict[str, tuple[str, Any]] = {}
    for path, value in changes.items():
        canonical = _known_name(scenario, path) or path
        by_value.pop(canonical, None)  # the later change stands, in its place in the order
        by_value[canonical] = (path, value)
    return dict(by_value.values())


def value_bounds(scenario: Scenario, path: str) -> tuple[float, float] | None:
    """The allowed range of the number at ``path``, read from the schema's types without validating anything
    (cheap: for checking what an experiment sets); None where the path does not end at a number field."""
    from pydantic import BaseModel

    from .plugins import declared_state
    from .quantities import Quantity, field_bounds
    from .schema import Actor, PluginValues

    node: Any = scenario
    parts = path.split(".")
    for position, part in enumerate(parts):
        if isinstance(node, BaseModel) and node.model_extra and part in node.model_extra and position < len(parts) - 1:
            node = node.model_extra[part]  # a mechanism's parameters, kept as extras of ``mechanisms``
        elif isinstance(node, BaseModel):
            fields = type(node).model_fields
            name = part if part in fields else next((n for n, f in fields.items() if f.alias == part), None)
            if name is None and isinstance(node, PluginValues) and position == len(parts) - 1:  # a plug-in's variable: its range
                declared = declared_state(scenario.mechanism_schedule(), strict=False, attribute=type(node).PLUGIN_DECLARATION)
                return declared[part][:2] if part in declared else None
            if name is None:
                return None
            if position == len(parts) - 1:
                inherited = isinstance(node, Actor) and name in ATTRIBUTE_NAMES and getattr(scenario.actor_defaults, name) is not None
                return field_bounds(type(node), name) if isinstance(getattr(node, name), Quantity) or inherited else None
            node = getattr(node, name)
        elif isinstance(node, (tuple, list)):
            index = list_index(part, len(node))
            node = node[index] if index is not None else next((item for item in node if getattr(item, "id", None) == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return None


def with_values(scenario: Scenario, changes: dict[str, Any], reason: str = "what-if") -> Scenario:
    """A new scenario with the values at ``changes``' paths replaced; validated like a file."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path, value in changes.items():
        parts = path.split(".")
        _inherit_on_path(data, parts)
        node: Any = data
        walked = ""
        for part in parts[:-1]:
            node = _step(node, part, walked, scenario)
            walked = f"{walked}.{part}" if walked else part
        last = parts[-1]
        target = _step(node, last, walked, scenario)
        if isinstance(target, dict) and "value" in target:
            mismatch = type_mismatch(target["value"], value)  # no coercion: true is not 1, "0.7" not 0.7
            if mismatch is not None:
                raise ScenarioError(f"{scenario.id} ({reason})", [Problem(path, mismatch)])
            target["value"] = value
            target.pop("source", None)
            target.pop("says", None)
            target["assumption"] = f"{reason}: set to {value!r}"
        elif isinstance(node, dict):
            node[last] = value
        else:
            node[_index(node, last)] = value
    try:
        changed = Scenario.model_validate(data, context={REGISTRY_CONTEXT: scenario.mechanism_registry()})
        changed._mechanism_files = scenario._mechanism_files  # the same files, wherever the scenario came from
    except ValidationError as error:
        problems = [Problem(".".join(str(p) for p in item["loc"]), validation_message(item)) for item in error.errors(include_url=False)]
        raise ScenarioError(f"{scenario.id} ({reason})", problems) from None
    problems = check_scenario(changed)
    if problems:
        raise ScenarioError(f"{scenario.id} ({reason})", problems)
    return changed


def relax_priors(scenario: Scenario, changes: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``changes`` plus, for a number set outside its prior, the removal of that prior (a what-if may leave
    the calibration range), and a note on each. Every path must exist (a :class:`PathError` otherwise)."""
    relaxed: dict[str, Any] = {}
    notes: list[str] = []
    for path, value in changes.items():
        get_value(scenario, path)  # a PathError listing close matches if the path does not exist
        prior = _prior(scenario, path)
        if prior is not None and isinstance(value, (int, float)) and not isinstance(value, bool) and not prior["low"] <= value <= prior["high"]:
            relaxed[f"{path}.prior"] = None
            notes.append(f"{path} = {value:g} lies outside its prior [{prior['low']:g}, {prior['high']:g}]; the prior is dropped for this what-if.")
        relaxed[path] = value
    return relaxed, notes


def _prior(scenario: Scenario, path: str) -> dict[str, Any] | None:
    try:
        prior = get_value(scenario, f"{path}.prior")
    except PathError:
        return None
    return prior if isinstance(prior, dict) else None


def _index(items: list[Any], key: str) -> int:
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == key:
            return index
    return int(key)


def type_mismatch(current: Any, value: Any) -> str | None:
    """Why ``value`` cannot replace ``current`` (a value :func:`get_value` read), or ``None``: types are never
    converted, so a number takes a number (not ``true`` or ``"0.7"``), a boolean ``true``/``false``, a list a list."""
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    if isinstance(current, bool):
        return None if isinstance(value, bool) else f"must be true or false, got {shown}"
    if isinstance(current, (int, float)):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else f"must be a number, got {shown}"
    if isinstance(current, str):
        return None if isinstance(value, str) else f"must be text, got {shown}"
    if isinstance(current, list):
        return None if isinstance(value, (list, tuple)) else f"must be a list, got {shown}"
    return None


def unpaired_change(path: str) -> str | None:
    """Why a what-if may not change the value at ``path``, or ``None`` if it may.

    A what-if compares the baseline and the changed scenario run for run on common random
    numbers: both must simulate the same months from the same start, and a run's random stream
    is keyed on its start month. So a what-if may not change the calendar (the start, the end
    that sets the default span, the horizon), add, remove, rename or move snapshots (a run may
    start from one), or change the observed record (the data the model is compared with, not
    part of the model).
    """
    parts = path.split(".")
    head = parts[0]
    if head == "calendar":
        return (
            f"a what-if may not change the calendar ({path}): baseline and intervention must run over the same months "
            "on the same random streams (a run's stream is keyed on its start month); give the what-if's start and last month instead"
        )
    if head == "snapshots" and (len(parts) <= 2 or parts[2] in ("id", "month")):
        return (
            f"a what-if may not add, remove, rename or move snapshots ({path}): a run may start from a snapshot's month, "
            "and both arms must start there on the same random streams; change what a snapshot describes instead "
            "(e.g. snapshots.ID.actors.ACTOR.arms)"
        )
    if head == "observations":
        return (
            f"a what-if may not change the observation list ({path}): the observed record is what the model is compared "
            "with, not part of the model, so both arms keep the same record"
        )
    if head == "experiments":
        return f"a what-if may not change the named experiments ({path}): name the experiment to run instead"
    return None
