"""The scenario format reference, generated from the typed schema so that it cannot drift.

:func:`format_reference` walks :class:`~coyuntura.scenario.schema.Scenario` and every
model it contains (down to each mechanism's ``Params``) and writes one Markdown
section per model: its docstring and a table of its fields with their type, whether
they are required, and their description. ``docs/scenario-format.md`` is this text;
a test fails when the committed file differs. Regenerate it with::

    make docs        # or: python -m coyuntura.report.format_reference docs/scenario-format.md
"""

from __future__ import annotations

import inspect
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..atomic import write_bytes
from ..engine.mechanisms import SCHEDULE
from ..scenario.calendar import parse_month
from ..scenario.quantities import Prior, Quantity
from ..scenario.refs import ActorReference, role_kinds
from ..scenario.schema import Government, Mechanisms, Relation, Scenario, Snapshot, SystemState
from .describe import state_variable_meanings

REGENERATE = "make docs"
"""The documented command that rewrites ``docs/scenario-format.md``."""

_BOUNDED = {
    (0.0, 1.0): "Unit",
    (-1.0, 1.0): "Signed",
    (0.0, 1e6): "NonNegative",
    (-1e6, 1e6): "Coefficient",
}
_MECHANISM_OF: dict[type, ModuleType] = {module.Params: module for module in SCHEDULE}

FIELD_NOTES: dict[tuple[type, str], str] = {
    (Scenario, "id"): "The scenario's name: how commands address it when it is bundled.",
    (Scenario, "title"): "One line: country, period and the analysis.",
    (Scenario, "description"): "A paragraph: what the scenario encodes and what its mechanisms generate.",
    (Scenario, "source_document"): "The analysis encoded, with its sections and their line ranges; every locator `Section, Lx-y` must fall inside one. Optional when `sources` is given.",
    (Scenario, "sources"): "Further sources (a line-numbered text, a book, a web page, a data set), each with an `id`; a number cites one as `'<id>: <where>'`.",
    (Scenario, "checklist"): "The scenario's own checklist: what its analysis says a model must contain; `coyuntura sources` reports what covers each item.",
    (Scenario, "calendar"): "The period the source describes and how far runs may go.",
    (Scenario, "actor_defaults"): "Attribute values for actors that do not give their own (each with provenance).",
    (Scenario, "actors"): "The collective actors; at least one.",
    (Scenario, "government"): "The incumbent government at the start.",
    (Scenario, "system"): "System-level state at the start.",
    (Scenario, "relations"): "Influence and alliance ties between actors.",
    (Scenario, "mechanisms"): "Every mechanism, with the actors that play its roles and its parameters.",
    (Scenario, "events"): "Scheduled exogenous events: shocks from outside the system, never what the mechanisms explain.",
    (Scenario, "snapshots"): "States the source describes at later months, from which a run may start (`--from ID`).",
    (Scenario, "not_represented"): "Checklist items the scenario cannot represent, and why.",
    (Government, "type"): "The regime type.",
    (Government, "leader"): "Who leads it (for reports).",
    (Government, "coalition"): "The actors in the governing coalition.",
    (Government, "policy"): "Policy position: -1 right .. +1 left.",
    (Government, "progressive_room"): "Progressive options still open to revolutionary nationalism (M1: the policy cannot exceed it).",
    (Government, "provenance"): "Where the description of the government comes from.",
    (Relation, "from"): "The actor the tie starts from (the influencer, the ally bringing resources).",
    (Relation, "to"): "The actor it reaches.",
    (Relation, "kind"): "`influence`: contact, radicalization and the cascade's pull (M6, M13); `alliance`: resources (M13).",
    (Relation, "weight"): "Strength of the tie.",
    (Snapshot, "government"): "The government at the snapshot's month.",
    (Snapshot, "actors"): "Actors whose state differs from the scenario's start, by id; attributes not given keep their start values.",
    (Snapshot, "system"): "System variables that differ from the scenario's start.",
    (Snapshot, "assembly"): "Whether a Popular Assembly sits at that month.",
}
"""What a field is, where the schema itself gives no description (a test checks every key names a real field)."""


def section_title(model: type[BaseModel]) -> str:
    """The heading of a model's section: ``mechanisms.<name>`` for a mechanism's parameters, else the class name."""
    module = _MECHANISM_OF.get(model)
    return f"mechanisms.{module.NAME}" if module is not None else model.__name__


def _anchor(title: str) -> str:
    """The anchor GitHub gives a heading."""
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _link(model: type[BaseModel]) -> str:
    title = section_title(model)
    return f"[{title}](#{_anchor(title)})"


def _bound(value: float) -> str:
    return f"{value:.0e}".replace("e+0", "e") if abs(value) >= 1e5 else f"{value:g}"


def _bounds(metadata: list[Any]) -> tuple[float, float] | None:
    for item in metadata:
        bounds = getattr(getattr(item, "func", None), "bounds", None)
        if bounds is not None:
            return bounds
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _split(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Peel ``Annotated`` layers: the bare type and all metadata."""
    metadata = list(metadata)
    while typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        annotation, metadata = args[0], metadata + list(args[1:])
    return annotation, metadata


def type_text(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
    """A field's type in words (Markdown), e.g. ``list of actor id`` or ``Unit quantity in [0, 1]``."""
    annotation, metadata = _split(annotation, list(metadata))
    origin = typing.get_origin(annotation)
    if _is_model(annotation) and issubclass(annotation, Quantity):
        bounds = _bounds(metadata)
        if bounds is None:
            return "[quantity](#numbers-quantities)"
        kind = _BOUNDED.get(bounds, "bounded")
        return f"[quantity](#numbers-quantities), {kind} [{_bound(bounds[0])}, {_bound(bounds[1])}]"
    if _is_model(annotation):
        return _link(annotation)
    if any(isinstance(item, ActorReference) for item in metadata):
        return "actor id"
    if any(getattr(item, "func", None) is parse_month for item in metadata):
        return "month `YYYY-MM`"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin in (tuple, list):
        args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
        non_empty = any((getattr(item, "min_length", None) or 0) >= 1 for item in metadata)
        return ("non-empty list of " if non_empty else "list of ") + (type_text(args[0]) if args else "values")
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"mapping of {type_text(key)} to {type_text(value)}"
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        discriminator = next((getattr(item, "discriminator", None) for item in metadata if getattr(item, "discriminator", None)), None)
        text = " or ".join(type_text(option) for option in options)
        return f"{text} (chosen by `{discriminator}`)" if discriminator else text
    pattern = next((getattr(item, "pattern", None) for item in metadata if getattr(item, "pattern", None)), None)
    if annotation is str:
        return f"text matching `{pattern}`" if pattern else "text"
    if annotation is bool:
        return "`true` or `false`"
    if annotation is int:
        return "integer"
    if annotation is float:
        return "number"
    return f"`{getattr(annotation, '__name__', annotation)}`"


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    annotation, _ = _split(annotation, [])
    if _is_model(annotation):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        if arg is not Ellipsis:
            yield from _nested_models(arg)


def schema_models(root: type[BaseModel] = Scenario) -> list[type[BaseModel]]:
    """Every model the scenario format contains, breadth first from ``root`` (quantities and priors excluded)."""
    order: list[type[BaseModel]] = []
    pending = [root]
    while pending:
        model = pending.pop(0)
        if model in order or model in (Quantity, Prior):
            continue
        order.append(model)
        for field in model.model_fields.values():
            pending.extend(_nested_models(field.annotation))
        if model is Mechanisms:  # its entries are the mechanisms, found by name: the built-in ones
            pending.extend(module.Params for module in SCHEDULE)
    return order


def _required(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return "optional (default empty)"
    if field.default is None:
        return "optional"
    default = field.default
    return f"optional (default `{str(default).lower() if isinstance(default, bool) else default}`)"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _description(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    if field.description:
        return field.description
    if issubclass(model, SystemState) or (model.__name__ == "SystemOverride"):
        return state_variable_meanings().get(name, "")
    return FIELD_NOTES.get((model, field.alias or name), "")


def _field_table(model: type[BaseModel]) -> list[str]:
    lines = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        description = _description(model, name, field)
        kinds = role_kinds(field)
        if kinds:
            description = f"{description} Takes {' or '.join(f'`{kind}`' for kind in kinds)} actors."
        lines.append(f"| `{key}` | {_cell(type_text(field.annotation, field.metadata))} | {_required(field)} | {_cell(description)} |")
    return lines


def _mechanism_table() -> list[str]:
    """The built-in mechanisms as the fields of ``mechanisms:``, each optional, with the ones it needs."""
    lines = ["| field | type | required | description |", "|---|---|---|---|"]
    for module in SCHEDULE:
        needs = getattr(module, "REQUIRES", ())
        required = "optional" + (f"; needs {', '.join(f'`{name}`' for name in needs)}" if needs else "")
        lines.append(f"| `{module.NAME}` | [mechanisms.{module.NAME}](#mechanisms{module.NAME}) | {required} | {_cell(module.TITLE)} |")
    return lines


def _doc(model: type) -> str:
    doc = inspect.getdoc(model) or ""
    inherited = doc in {inspect.getdoc(base) for base in model.__mro__[1:] if base is not object}
    return "" if inherited else " ".join(doc.split()).replace("``", "`")


def _mechanism_section(model: type[BaseModel]) -> list[str]:
    module = _MECHANISM_OF[model]
    lines = [f"### {section_title(model)}", "", f"**{module.TITLE}** ({', '.join(module.COVERS)}). {module.SUMMARY}", ""]
    lines += _field_table(model)
    for group in getattr(model, "OPPOSING_ROLES", ()):
        roles = [f"`{role}`" for role in group]
        lines += ["", f"Roles that face each other, played by different actors: {', '.join(roles[:-1])} and {roles[-1]}."]
    lines += ["", "Equations (`coyuntura describe` prints them with this scenario's values):", "", "```text"]
    lines += list(module.EQUATIONS)
    lines += ["```", ""]
    return lines


def format_reference() -> str:
    """The scenario format reference (Markdown), generated from the schema."""
    models = schema_models()
    lines = [
        "# Scenario format reference",
        "",
        f"<!-- Generated from the typed schema (src/coyuntura/scenario/schema.py) by `{REGENERATE}`. Do not edit by hand. -->",
        "",
        "A scenario file is YAML holding one mapping whose keys are the fields of [Scenario](#scenario) below. "
        "Every mapping is closed: a key the format does not define is an error, reported with file, line and "
        "field path by `coyuntura check FILE`. Nothing in a file is evaluated as code (YAML tags are refused), "
        "except the Python files of mechanisms it names in `mechanism_modules`. "
        "This page is generated from the typed schema, so it lists every field the loader accepts; "
        f"regenerate it with `{REGENERATE}` after changing the schema (a test fails until you do).",
        "",
        "Contents: [Numbers: quantities](#numbers-quantities) · "
        + " · ".join(_link(model) for model in models if model not in _MECHANISM_OF and model.__name__ != "Mechanisms")
        + " · [Mechanisms](#mechanisms)",
        "",
        "## Numbers: quantities",
        "",
        "Every number in a scenario is a quantity: a mapping with its `value` and its provenance, either "
        "`source` (a locator `Section title, Lstart-end` into the source document, whose section must be listed "
        "in `source_document.sections` and whose lines must fall inside it; or `<id>: <where>` for a further source of "
        "`sources`: `notes: Miners, L3-5` for a text, `dunkerley: p. 12` or `dunkerley: pp. 12-14` for a book, checked "
        "against its `pages` when given, any words that find the place for a web page or a data set, e.g. "
        "`coups: row BOL 1964-11`) with `says` (what the source says "
        "there, in your own words), or `assumption` (one line saying why you chose the value). A bare number is "
        "an error. A free parameter may carry a `prior` for calibration; its value must lie inside the prior's range. "
        "Types are strict, never converted: a `value` (or a prior's bound) is an integer or a decimal, so `true` or a "
        "quoted `\"0.7\"` is an error, and a `true`/`false` field takes only `true` or `false`.",
        "",
        "```yaml",
        'weight: {value: 0.16, source: "The Miners, L233-237", says: "Their strategic place makes them key."}',
        "threshold: {value: 0.45, assumption: \"Follows the miners' lead, so a little slower to move.\"}",
        'drive_coef: {value: 1.5, assumption: "...", prior: {dist: uniform, low: 0.5, high: 3.0}}',
        "```",
        "",
        "### Quantity",
        "",
    ]
    lines += _field_table(Quantity)
    lines += ["", "### Prior", "", _doc(Prior), ""]
    lines += _field_table(Prior)
    lines += [
        "",
        "Bounded quantities refuse values (and prior ranges) outside their range:",
        "",
        "| kind | range | used for |",
        "|---|---|---|",
        "| Unit | [0, 1] | shares, levels, indices, probabilities, speeds |",
        "| Signed | [-1, 1] | positions on the left-right axis (-1 far right, +1 far left) |",
        "| NonNegative | [0, 1e6] | rates, weights and coefficients that cannot be negative |",
        "| Coefficient | [-1e6, 1e6] | log-linear intercepts and coefficients of either sign |",
        "",
    ]
    for model in models:
        if model in _MECHANISM_OF:
            continue
        title = section_title(model)
        lines += [f"## {title}", ""]
        doc = _doc(model)
        if title == "Mechanisms":
            doc = (
                "Parameters of each mechanism the scenario uses, by name: only the mechanisms listed run, and a "
                "mechanism that needs another (below, *needs*) is refused without it. Besides the built-in mechanisms "
                "listed here, a scenario may use any registered under the entry-point group `coyuntura.mechanisms` or "
                "defined in a file it names in `mechanism_modules` (see the guide). Each entry names the actors that play the "
                "mechanism's roles (`actor id` fields) and gives its parameters, which its equations below use. Every "
                "mechanism also accepts `enabled` (default `true`; to switch it off, say why in `note`) and `note` (how "
                "this scenario reads the mechanism). A role's list names no actor twice, and a `non-empty list` "
                "needs at least one actor (the mechanism averages over its actors or indexes them). A role that says "
                "which actor kinds it takes refuses an actor of another `kind`, and roles that face each other (the "
                "plotting and the loyal army faction, rival foreign powers) must be played by different actors. They "
                "are listed in the order they run each month."
            )
        if doc:
            lines += [doc, ""]
        lines += _field_table(model) if title != "Mechanisms" else _mechanism_table()
        lines.append("")
        if title == "Mechanisms":
            for module in SCHEDULE:
                lines += _mechanism_section(module.Params)
    return "\n".join(lines).rstrip() + "\n"


def write_format_reference(path: str | Path) -> Path:
    """Write the reference to ``path`` atomically (a temporary file renamed into place)."""
    return write_bytes(path, format_reference().encode("utf-8"))


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    target = sys.argv[1] if len(sys.argv) > 1 else "docs/scenario-format.md"
    print(f"wrote {write_format_reference(target)}")
