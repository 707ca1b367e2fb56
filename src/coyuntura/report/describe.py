"""The model description (ODD+D), generated from the scenario file and the mechanisms' own code.

The ODD protocol (Overview, Design concepts, Details; Grimm et al. 2006, updated
2020) is how agent-based models are described; ODD+D (Müller et al. 2013) adds
human decision-making. A hand-written description drifts from the code, so
:func:`describe_scenario` writes it from what the code declares: the scenario's
actors, relations, values and their provenance; the schedule of mechanisms
(``coyuntura.engine.mechanisms.SCHEDULE``); each mechanism's ``SUMMARY``,
``FORMS``, ``EQUATIONS``, ``SOURCE`` and docstring paraphrase, ``READS`` /
``WRITES`` and random ``SLOTS``; the random-number scheme (``engine/random.py``);
the observed outcomes (``engine/outcomes.py``) and the pattern checks
(``history/patterns.py``). A mechanism that lacks its metadata stops the
description with one clear message (:mod:`coyuntura.report.mechanism_metadata`).

The description is a small document tree rendered as Markdown
(:func:`render_markdown`, readable on GitHub, figures as PNG files beside it) or
as one self-contained HTML page (:func:`render_html`: inline CSS, figures as
base64 data URIs, no external assets). :func:`write_description` writes either
atomically.
"""

from __future__ import annotations

import base64
import html
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterable, Literal, Sequence, Union

from .. import __version__
from ..atomic import write_bytes
from ..engine import exogenous, forces, formal
from ..engine import random as engine_random
from ..engine import state as engine_state
from ..engine.events import EventType
from ..engine.mechanisms import SCHEDULE
from ..engine.mechanisms.base import MechanismParams
from ..engine.model import EVENT_SLOTS, compile_scenario
from ..engine.outcomes import OUTCOMES
from ..engine.simulate import SERIES_VARIABLES
from ..engine.state import REGIME_KEYS
from ..history.patterns import PATTERN_SCENARIO, PATTERNS
from ..scenario.calendar import format_month
from ..scenario.checks import quantities
from ..scenario.quantities import Quantity
from ..scenario.refs import is_actor_reference
from ..scenario.schema import ATTRIBUTE_NAMES, Actor, ActorAttributes, Government, Scenario, Snapshot
from .mechanism_metadata import FORMS, acts_only_through_others, check_mechanisms, source_paraphrase
from .sources import sources as scenario_sources
from .tables import REGIME_LABELS

Format = Literal["md", "html"]

# --- the document ---------------------------------------------------------------------------------
# Text in blocks is plain, except `backtick spans`, which are code. Scenario text passes through
# _plain() first, so a backtick in a scenario file cannot open a code span.


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Equations:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    """A table: header cells and rows of text cells."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FigureRef:
    key: str


Block = Union[Paragraph, Bullets, Equations, Grid, FigureRef]


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    blocks: tuple[Block, ...] = ()
    children: tuple["Section", ...] = ()

    @property
    def anchor(self) -> str:
        return "s-" + self.number.strip(".").replace(".", "-")

    def walk(self) -> Iterable["Section"]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Figure:
    """A figure drawn from declarations: ``png`` bytes, written as ``<stem>-<key>.png`` beside Markdown."""

    key: str
    title: str
    caption: str
    png: bytes


@dataclass(frozen=True)
class Description:
    """The model description of one scenario, ready to render."""

    scenario_id: str
    title: str
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    figures: tuple[Figure, ...] = field(default_factory=tuple)

    def all_sections(self) -> list[Section]:
        """Every section and subsection, in document order."""
        return [section for top in self.sections for section in top.walk()]

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(f"no figure {key!r}; figures: {', '.join(f.key for f in self.figures)}")


# --- small formatting helpers ---------------------------------------------------------------------


def _plain(text: object) -> str:
    """Scenario or docstring text as plain text: one line, no backticks of its own."""
    return " ".join(str(text).replace("`", "'").split())


def _from_rst(text: str) -> str:
    """A docstring's reStructuredText markup as this document's: ``x`` and :role:`x` become `x`."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    text = " ".join(text.split()).replace("``", "\x00")
    parts = text.split("\x00")
    return "".join(f"`{part}`" if index % 2 else part.replace("`", "'").replace("*", "") for index, part in enumerate(parts))


def code(text: object) -> str:
    return f"`{str(text).replace('`', '')}`"


def _number(value: float) -> str:
    return f"{value:g}"


def _provenance(item: object) -> str:
    source = getattr(item, "source", None)
    if source:
        return _plain(f"{source}: {getattr(item, 'says', '')}")
    return _plain(f"assumption: {getattr(item, 'assumption', '')}")


def _prior(quantity: Quantity) -> str:
    prior = quantity.prior
    return f"{prior.dist} [{_number(prior.low)}, {_number(prior.high)}]" if prior is not None else ""


def _label(module: ModuleType) -> str:
    items = [item for item in module.COVERS if re.fullmatch(r"M\d+", item)]
    return f"{' '.join(items)} {module.TITLE}".strip()


def _short(module: ModuleType) -> str:
    items = [item for item in module.COVERS if re.fullmatch(r"M\d+", item)]
    return " ".join(items + [code(module.NAME)])


def _passages(module: ModuleType) -> tuple[str, ...]:
    """The docstring's paraphrase, split into one item per cited passage (at each ``Section, Lx`` it names)."""
    titles = {locator.rsplit(", L", 1)[0] for locator in module.SOURCE}
    pattern = "|".join(re.escape(title) for title in sorted(titles, key=len, reverse=True))
    items = []
    for paragraph in source_paraphrase(module):
        pieces = re.split(rf"(?<=[.;])\s+(?=(?:{pattern}), L\d)", paragraph) if pattern else [paragraph]
        items += [_from_rst(piece) for piece in pieces if piece.strip()]
    return tuple(items)


def _regime(key: str) -> str:
    return f"{REGIME_LABELS.get(key, key)} ({code(key)})"


def _actor_list(scenario: Scenario, ids: Iterable[str]) -> str:
    return ", ".join(code(actor_id) for actor_id in ids) or "none"


def state_variable_meanings() -> dict[str, str]:
    """The one-line meaning engine/state.py gives each state variable (its inline comments)."""
    comments = {}
    for line in inspect.getsource(engine_state).splitlines():
        match = re.match(r'\s*"(\w+)",\s*#\s*(.+)$', line)
        if match:
            comments[match.group(1)] = match.group(2).strip()
    return comments


def _events_recorded(module: ModuleType) -> list[str]:
    keys = []
    for name in re.findall(r"EventType\.([A-Z_]+)", inspect.getsource(module)):
        key = EventType[name].key
        if key not in keys:
            keys.append(key)
    return keys


def _roles_and_numbers(params: MechanismParams) -> tuple[list[tuple[str, str]], list[tuple[str, Quantity]]]:
    """A mechanism's actor roles (name, actors) and numeric parameters (name, quantity), in field order."""
    roles, numbers = [], []
    for name, info in type(params).model_fields.items():
        if name in MechanismParams.model_fields:
            continue
        value = getattr(params, name)
        if isinstance(value, Quantity):
            numbers.append((name, value))
        elif isinstance(value, str) and is_actor_reference(info.metadata):
            roles.append((name, code(value)))
        elif isinstance(value, tuple):
            roles.append((name, ", ".join(code(item) for item in value) or "none"))
    return roles, numbers


# --- the sections ---------------------------------------------------------------------------------


def _purpose(scenario: Scenario) -> Section:
    document = scenario.source_document
    purpose = Section(
        "1.1",
        "Purpose",
        (
            Paragraph(_plain(scenario.description)),
            Paragraph(
                f"The model encodes {_plain(document.author)}'s analysis \"{_plain(document.title)}\" ({document.year}) as "
                "collective actors, the state they are in, and mechanisms the analysis asserts. It is built to show which of "
                "the outcomes the analysis explains its mechanisms generate, how often, and how those chances move when a "
                "value or an event is changed (a what-if on the same random numbers). It describes the analysis as a model, "
                "not the world: its probabilities are shares of simulated runs."
            ),
            Paragraph("The sections of the source document, which every locator (`Section, Lx-y`) cites:"),
            Grid(("section", "lines"), tuple((_plain(s.title), f"L{s.lines[0]}-{s.lines[1]}") for s in document.sections)),
        ),
    )
    if scenario.id == PATTERN_SCENARIO:
        pattern_blocks: tuple[Block, ...] = (
            Paragraph(
                "Pattern-oriented validation (Grimm et al. 2005): rather than fit one series, an ensemble started at "
                "the scenario's start should reproduce the qualitative history the source explains, without scripting it. "
                "`coyuntura.history.patterns.source_patterns` measures each of these as a probability with its Monte Carlo error:"
            ),
            Grid(("pattern", "what the runs should show"), tuple((code(key), _plain(text)) for key, text in PATTERNS.items())),
        )
    else:
        pattern_blocks = (
            Paragraph(
                f"No pattern checks are declared for this scenario: those in `coyuntura.history.patterns` encode the source "
                f"of {code(PATTERN_SCENARIO)}. The snapshots of section 5 are the states the source describes at later months."
            ),
        )
    return Section("1", "Purpose and patterns", (), (purpose, Section("1.2", "Patterns", pattern_blocks)))


def _attribute_rows(scenario: Scenario, actor: Actor) -> tuple[tuple[str, ...], ...]:
    rows = []
    for name in ATTRIBUTE_NAMES + ("size",):
        own = getattr(actor, name, None)
        if own is None and name == "size":
            continue
        quantity = own if own is not None else getattr(scenario.actor_defaults, name)
        origin = "" if own is not None else " (actor_defaults)"
        rows.append((code(name), _number(quantity.value), _provenance(quantity) + origin))
    return tuple(rows)


def _entity_list(scenario: Scenario) -> Section:
    kinds: dict[str, list[str]] = {}
    for actor in scenario.actors:
        kinds.setdefault(actor.kind, []).append(actor.id)
    overview = Grid(
        ("id", "name", "kind", "checklist", "description", "provenance"),
        tuple(
            (code(a.id), _plain(a.name), a.kind, ", ".join(a.checklist), _plain(a.description), _provenance(a.provenance))
            for a in scenario.actors
        ),
    )
    return Section(
        "2.1",
        "Entities",
        (
            Paragraph(
                f"The entities are {len(scenario.actors)} collective actors (classes, organizations, army factions, parties, "
                "foreign states: the model has no individuals), the incumbent government (a state of the system, not an actor), "
                "a Popular Assembly that may or may not sit beside it (dual power), and the system as a whole. "
                "Actors by kind: " + "; ".join(f"{kind} {len(ids)} ({_actor_list(scenario, ids)})" for kind, ids in kinds.items()) + "."
            ),
            overview,
        ),
    )


def _actor_state(scenario: Scenario) -> Section:
    meanings = state_variable_meanings()
    fields = ActorAttributes.model_fields
    rows = tuple(
        (code(name), _plain(meanings.get(name) or fields[name].description or ""), "-1 .. +1" if name == "radicalism" else "0 .. 1")
        for name in engine_state.ACTOR_VARIABLES
    )
    threshold = (code("threshold"), _plain(fields["threshold"].description or "") + " (a fixed trait, not a state variable)", ">= 0")
    actors = tuple(
        Section(
            f"2.2.{index}",
            f"{_plain(actor.name)} ({code(actor.id)})",
            (Grid(("attribute", "value", "provenance"), _attribute_rows(scenario, actor)),),
        )
        for index, actor in enumerate(scenario.actors, start=1)
    )
    return Section(
        "2.2",
        "Actors' state variables",
        (
            Paragraph(
                "Each actor carries these state variables (engine/state.py; arrays of shape actors x runs) and a fixed "
                "mobilization threshold. The tables below give every actor's starting value and where it comes from: a "
                "locator into the source with what it says there, or the modeller's assumption; values marked "
                "(actor_defaults) come from the scenario's defaults."
            ),
            Grid(("variable", "meaning", "range"), rows + (threshold,)),
        ),
        actors,
    )


def _government_and_system(scenario: Scenario) -> Section:
    meanings = state_variable_meanings()
    government = scenario.government
    rows = (
        (code("policy"), _plain(meanings.get("policy", "")), _number(government.policy.value), _provenance(government.policy)),
        (
            code("progressive_room"),
            _plain(meanings.get("progressive_room", "")),
            _number(government.progressive_room.value),
            _provenance(government.progressive_room),
        ),
        (code("assembly"), "a Popular Assembly sits beside the government (dual power)", "no", "every run starts without one"),
    ) + tuple(
        (code(name), _plain(meanings.get(name, "")), _number(getattr(scenario.system, name).value), _provenance(getattr(scenario.system, name)))
        for name in engine_state.SYSTEM_VARIABLES
        if name not in ("policy", "progressive_room")
    )
    return Section(
        "2.3",
        "The government and the system",
        (
            Paragraph(
                "Regime types the model knows: " + "; ".join(_regime(key) for key in REGIME_KEYS) + ". At the start: "
                f"{_regime(government.type)}, led by {_plain(government.leader)}, coalition {_actor_list(scenario, government.coalition)} "
                f"({_provenance(government.provenance)})."
            ),
            Grid(("variable", "meaning", "start", "provenance"), rows),
        ),
    )


def _relations(scenario: Scenario) -> Section:
    influence = sum(1 for r in scenario.relations if r.kind == "influence")
    alliances = sum(1 for r in scenario.relations if r.kind == "alliance")
    return Section(
        "2.4",
        "Relations",
        (
            Paragraph(
                f"{influence} influence ties (who pulls whom into mobilization and radicalism: the M6 cascade and M13 contact) "
                f"and {alliances} alliance ties (who brings resources to whom: M13). Figure 1 draws them from the scenario."
            ),
            FigureRef("actor-network"),
            Grid(
                ("kind", "from", "to", "weight", "provenance"),
                tuple((r.kind, code(r.source), code(r.target), _number(r.weight.value), _provenance(r.weight)) for r in scenario.relations),
            ),
        ),
    )


def _scales(scenario: Scenario) -> Section:
    calendar = scenario.calendar
    return Section(
        "2.5",
        "Scales",
        (
            Paragraph(
                f"Time: one step is one calendar month. The period the source describes runs from {format_month(calendar.start)} "
                f"to {format_month(calendar.end)} ({calendar.end - calendar.start + 1} months); a run may continue to "
                f"{format_month(calendar.horizon)} or start from a snapshot (section 5). Space: none; the system is national "
                "and actors are placed only on the left-right axis (radicalism and policy, -1 far right .. +1 far left). "
                "Levels are shares or indices in [0, 1]. The engine simulates many independent runs at once, as arrays over runs."
            ),
        ),
    )


def _entities(scenario: Scenario) -> Section:
    children = (_entity_list(scenario), _actor_state(scenario), _government_and_system(scenario), _relations(scenario), _scales(scenario))
    return Section("2", "Entities, state variables and scales", (), children)


def _process(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    rows = []
    for position, module in enumerate(mechanisms, start=1):
        params = getattr(scenario.mechanisms, module.NAME, None)
        enabled = getattr(params, "enabled", True)
        note = "" if enabled else " (switched off in this scenario)"
        through = " (acts when other mechanisms call it)" if acts_only_through_others(module) else ""
        rows.append(
            (
                str(position),
                f"{_label(module)} ({code(module.NAME)}){note}{through}",
                ", ".join(code(v) for v in module.READS) or "none",
                ", ".join(code(v) for v in module.WRITES) or "none",
                ", ".join(code(s) for s in (*module.SLOTS, *(f"{s}.<actor>" for s in getattr(module, "ACTOR_SLOTS", ())))) or "none",
            )
        )
    blocks: tuple[Block, ...] = (
        Paragraph("Each month, in every run and in this order:"),
        Bullets(
            (
                "the scenario's scheduled exogenous events of that month, in the order the file lists them (engine/exogenous.py);",
                f"the {len(mechanisms)} mechanisms in the order below (coyuntura.engine.mechanisms.SCHEDULE): the economy and "
                "outside pressure first, then the government's drift and legitimacy, then how the actors move, then the "
                "contests of force, then what follows from them; a mechanism switched off in the scenario is skipped;",
                "the clock of months in power advances and every level is clipped to its range (State.clip_to_bounds);",
                "the month's summaries are recorded (section 4.11).",
            )
        ),
        Paragraph(
            "Updates are sequential: each mechanism sees the state as the mechanisms before it in the month left it. "
            "Within a mechanism all runs are updated at once. Figure 2 shows, from each module's READS and WRITES, which "
            "state variables each mechanism reads and changes."
        ),
        Grid(("order", "mechanism", "reads", "writes", "random draws"), tuple(rows)),
        FigureRef("mechanism-state"),
    )
    return Section("3", "Process overview and scheduling", blocks)


def _background(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    by_form: dict[str, list[str]] = {key: [] for key in FORMS}
    for module in mechanisms:
        for form in module.FORMS:
            by_form[form].append(_short(module))
    document = scenario.source_document
    return Section(
        "4.1",
        "Theoretical and empirical background",
        (
            Paragraph(
                f"Empirically, the scenario's values cite {_plain(document.author)} ({document.year}) by locator (sections 2 "
                "and 7), and each mechanism cites the passages of the analysis it was written from (its SOURCE, section 7). "
                "Theoretically, the mechanisms are built from established functional forms (engine/formal.py):"
            ),
            Grid(
                ("form", "statement", "reference", "used by"),
                tuple((f.name, _plain(f.statement), _plain(f.reference), ", ".join(by_form[key]) or "none") for key, f in FORMS.items()),
            ),
        ),
    )


DECISIONS = (
    "The deciding units are collective actors and the government. Nobody optimizes or plans ahead: every decision is a "
    "propensity computed each month from the current state, so behaviour is adaptive but not strategic. Plotting a coup, "
    "repressing, nationalizing or granting a concession, imposing austerity, forming a Popular Assembly or rising are hazards; "
    "a popular actor's mobilization is a threshold rule in a cascade; the swing faction's side, the Left's answer to a cabinet "
    "offer, the workers' move to take power and a successor's orientation are logistic choices. The elites' choice among "
    "concession, repression and coup (Acemoglu & Robinson 2006) is not an explicit comparison of expected payoffs: it enters "
    "as the drivers of the coup hazard (the threat from below, the government's weakness, the backers' hostility)."
)
"""ODD+D individual decision-making: how the engine's mechanisms decide (true of every scenario)."""

CONCEPTS: tuple[tuple[str, str], ...] = (
    (
        "Individual sensing",
        "Actors respond to the system's variables (policy, hardship, corruption, polarization, the army's capacity ...) as the "
        "model holds them, without error or delay. Over the influence network a popular actor senses which of its influencers "
        "are out in the street this month (M6) and their positions (M13).",
    ),
    (
        "Individual prediction",
        "None: no actor forms expectations of future states; what elites expect to lose is folded into the drivers of the "
        "coup hazard.",
    ),
    (
        "Objectives and adaptation",
        "No actor maximizes an objective; the rules have directions instead. Support adapts to the government's legitimacy in "
        "each actor's eyes (grievance_legitimacy); positions adapt through contact (M13), repression (M8) and failed coups "
        "(M7); the government's policy adapts to dependence, the squeeze and the right army's force, within the progressive "
        "room it has left (M1); popular actors mobilize against grievance (M6).",
    ),
    (
        "Interaction",
        "Direct, over the scenario's {influence} influence and {alliances} alliance ties: the cascade's pull (M6), "
        "radicalization by contact and resources from allies (M13). In contests of force coalitions meet: plotters and their "
        "backers against the loyal faction, the popular defence and the swing faction (M5); the armed workers against the "
        "whole army (M17). Indirect, through the shared state one mechanism writes and another reads (Figure 2).",
    ),
    (
        "Collectives",
        "Every actor is a collective. Coalitions are not fixed: in each coup or insurrection the mechanisms assemble them from "
        "the actors' roles and the cascade's outcome that month. The army acts as factions, which a purge reshapes (M16).",
    ),
    (
        "Heterogeneity",
        "Actors differ in every attribute and threshold (section 2) and in the roles the mechanisms give them; they share the "
        "rules of each mechanism. All runs start from the same state and differ only by their random draws.",
    ),
)
"""ODD+D design concepts stated in words; ``{influence}`` and ``{alliances}`` are the scenario's tie counts."""

EMERGENCE = (
    "What the model generates rather than imposes: every outcome of section 4.11 - coups and how they end, general strikes, "
    "mass mobilizations, repression waves, nationalizations, concessions, austerity, the Left's unity and splits, the Popular "
    "Assembly, a workers' government - and so the sequence of regimes. None is scheduled; each happens when a mechanism's "
    "hazard, choice or cascade fires in the state a run has reached. Only the exogenous events of section 6 are scheduled."
)


def _learning() -> str:
    meanings = state_variable_meanings()
    memory = [name for name in ("repression_memory", "guerrilla_defeats", "progressive_room", "mystification_urban", "corruption") if name in meanings]
    return (
        "None: parameters are fixed for a run and no actor changes its decision rule. The past acts only through state "
        "variables that carry it: " + "; ".join(f"{code(name)} ({_plain(meanings[name])})" for name in memory) + "."
    )


def _stochasticity(scenario: Scenario, mechanisms: Sequence[ModuleType], number: str) -> Section:
    layout = compile_scenario(scenario).layout
    rows = tuple(
        (
            f"{_label(module)} ({code(module.NAME)})",
            ", ".join(code(s) for s in module.SLOTS) or "none",
            ", ".join(f"{code(s)} (one per actor)" for s in getattr(module, "ACTOR_SLOTS", ())) or "none",
        )
        for module in mechanisms
    ) + (("scheduled exogenous events (engine/exogenous.py)", ", ".join(code(s) for s in EVENT_SLOTS), "none"),)
    return Section(
        number,
        "Stochasticity",
        (
            Paragraph(_from_rst(inspect.getdoc(engine_random) or "")),
            Paragraph(
                f"Blocks hold {engine_random.BLOCK_SIZE} runs. Each run draws {layout.size} uniforms a month for this scenario, one per "
                "named slot below. Every hazard and choice compares its probability with its own slot's uniform; the cascade adds "
                "noise from one slot per actor. The initial state is never drawn at random."
            ),
            Grid(("mechanism", "slots", "per-actor slots"), rows),
        ),
    )


def _observation(mechanisms: Sequence[ModuleType], number: str) -> Section:
    recorded: list[tuple[str, str]] = []
    for module in (*mechanisms, exogenous):
        name = f"{_label(module)} ({code(module.NAME)})" if module is not exogenous else "scheduled exogenous events"
        recorded += [(code(key), name) for key in _events_recorded(module)]
    return Section(
        number,
        "Observation",
        (
            Paragraph(
                "Each month the engine records integer summaries merged exactly across batches (engine/simulate.py): the number "
                "of runs in each regime type, histograms of each actor's strength (organization x the M12 arms factor), and per "
                "reporting period the number of runs with at least one occurrence of each outcome. On request it keeps the full "
                "event log (run, month, event, actors, outcome, mechanism) and monthly series of "
                + ", ".join(code(v) for v in SERIES_VARIABLES)
                + ". Probabilities are shares of N independent runs, reported with their Monte Carlo standard error "
                "sqrt(p (1 - p) / N)."
            ),
            Paragraph("The outcomes people ask about, defined once over the event log (engine/outcomes.py):"),
            Grid(("outcome", "label"), tuple((code(o.key), o.label) for o in OUTCOMES)),
            Paragraph("The events the log records, and the mechanisms that record them:"),
            Grid(("event", "recorded by"), tuple(recorded)),
        ),
    )


def _design(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    counts = {
        "influence": sum(1 for r in scenario.relations if r.kind == "influence"),
        "alliances": sum(1 for r in scenario.relations if r.kind == "alliance"),
    }
    worded = [("Learning", _learning())] + [(title, text.format(**counts)) for title, text in CONCEPTS]
    children = [_background(scenario, mechanisms), Section("4.2", "Individual decision-making", (Paragraph(DECISIONS),))]
    children += [Section(f"4.{index}", title, (Paragraph(text),)) for index, (title, text) in enumerate(worded, start=3)]
    after = 3 + len(worded)
    children += [
        _stochasticity(scenario, mechanisms, f"4.{after}"),
        _observation(mechanisms, f"4.{after + 1}"),
        Section(f"4.{after + 2}", "Emergence", (Paragraph(EMERGENCE),)),
    ]
    return Section(
        "4",
        "Design concepts",
        (Paragraph("The ODD design concepts, with the decision-making elements of ODD+D (Müller et al. 2013)."),),
        tuple(children),
    )


def _government_rows(government: Government) -> tuple[tuple[str, ...], ...]:
    return (
        (code("type"), _regime(government.type), _provenance(government.provenance)),
        (code("leader"), _plain(government.leader), ""),
        (code("coalition"), ", ".join(code(a) for a in government.coalition) or "none", ""),
        (code("policy"), _number(government.policy.value), _provenance(government.policy)),
        (code("progressive_room"), _number(government.progressive_room.value), _provenance(government.progressive_room)),
    )


def _snapshot_section(number: str, scenario: Scenario, snapshot: Snapshot) -> Section:
    actor_rows = []
    for actor_id, override in snapshot.actors.items():
        for name in type(override).model_fields:
            quantity = getattr(override, name)
            if quantity is not None:
                actor_rows.append((code(actor_id), code(name), _number(quantity.value), _provenance(quantity)))
    system_rows = []
    for name in type(snapshot.system).model_fields:
        quantity = getattr(snapshot.system, name)
        if quantity is not None:
            system_rows.append((code(name), _number(quantity.value), _provenance(quantity)))
    blocks: list[Block] = [
        Paragraph(
            f"{_plain(snapshot.description)} Start a run here with `coyuntura run {scenario.id} --from {snapshot.id}`. "
            f"Popular Assembly sitting: {'yes' if snapshot.assembly else 'no'}. Values the snapshot does not give are the "
            "scenario's starting values (section 2), not those of a simulated trajectory."
        ),
        Grid(("government", "value", "provenance"), _government_rows(snapshot.government)),
    ]
    if actor_rows:
        blocks.append(Grid(("actor", "attribute", "value", "provenance"), tuple(actor_rows)))
    if system_rows:
        blocks.append(Grid(("system variable", "value", "provenance"), tuple(system_rows)))
    return Section(number, f"Snapshot {code(snapshot.id)}, {format_month(snapshot.month)}", tuple(blocks))


def _initialization(scenario: Scenario) -> Section:
    snapshots = tuple(_snapshot_section(f"5.{i}", scenario, s) for i, s in enumerate(scenario.snapshots, start=1))
    return Section(
        "5",
        "Initialization",
        (
            Paragraph(
                f"Every run starts at {format_month(scenario.calendar.start)} from the same state: each actor's values of "
                "section 2.2, the government and system values of section 2.3, no Popular Assembly, and the clock of months in "
                "power at zero. Nothing is drawn at random at the start. A run may instead start from one of the "
                f"{len(scenario.snapshots)} snapshots below: the state the source describes at a later month."
                if scenario.snapshots
                else f"Every run starts at {format_month(scenario.calendar.start)} from the same state: the values of section 2, "
                "no Popular Assembly, months in power at zero. Nothing is drawn at random at the start. The scenario has no snapshots."
            ),
        ),
        snapshots,
    )


def _input_data(scenario: Scenario) -> Section:
    all_quantities = [q for _, q in quantities(scenario)]
    sourced = sum(1 for q in all_quantities if q.source is not None)
    priors = sum(1 for q in all_quantities if q.prior is not None)
    blocks: list[Block] = [
        Paragraph(
            "No external time series drive the model: every number is in the scenario file, with its provenance. "
            f"The file holds {len(all_quantities)} numbers: {sourced} with a source locator and paraphrase, "
            f"{len(all_quantities) - sourced} with an assumption; {priors} free parameters carry a prior for calibration. "
            f"`coyuntura sources {scenario.id}` lists them all."
        ),
    ]
    if scenario.events:
        blocks.append(Paragraph("Scheduled exogenous events (shocks the source treats as coming from outside the system):"))
        rows = []
        for event in scenario.events:
            details = []
            for name in type(event).model_fields:
                if name in ("id", "month", "description", "kind", "source", "says", "assumption"):
                    continue
                value = getattr(event, name)
                shown = _number(value.value) if isinstance(value, Quantity) else _plain(value)
                details.append(f"{name} = {shown}")
            rows.append((code(event.id), format_month(event.month), event.kind, _plain(event.description), "; ".join(details), _provenance(event)))
        blocks.append(Grid(("event", "month", "kind", "what", "parameters", "provenance"), tuple(rows)))
    else:
        blocks.append(Paragraph("The scenario schedules no exogenous events."))
    experiments = getattr(scenario, "experiments", ())
    if experiments:
        blocks.append(Paragraph("Named what-ifs the scenario declares (the counterfactuals its source poses):"))
        blocks.append(
            Grid(
                ("experiment", "title", "from", "changes"),
                tuple(
                    (
                        code(e.id),
                        _plain(e.title),
                        _plain(e.start or format_month(scenario.calendar.start)),
                        "; ".join(f"{path} = {_plain(value)}" for path, value in e.changes.items())
                        + ("; " if e.changes and (e.add_events or e.cancel_events) else "")
                        + "; ".join([f"adds {event.id}" for event in e.add_events] + [f"cancels {event}" for event in e.cancel_events]),
                    )
                    for e in experiments
                ),
            )
        )
    return Section("6", "Input data", tuple(blocks))


def _shared_terms() -> Section:
    rows = []
    for module in (formal, forces):
        for name, function in vars(module).items():
            if inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_"):
                doc = inspect.getdoc(function) or ""
                rows.append((code(name), _from_rst(doc.split("\n\n")[0])))
    return Section(
        "7.0",
        "Shared forms and aggregates",
        (
            Paragraph("The functions the equations below name, as engine/formal.py and engine/forces.py document them:"),
            Grid(("function", "what it computes"), tuple(rows)),
            Paragraph(
                "Notation: `relax(x, target, speed) = x + speed × (target − x)`; `logistic(x) = 1 / (1 + exp(−x))`; "
                "`[condition]` is 1 when it holds, else 0; `x_a` is actor a's value; `a ← b` replaces a; Σ sums over the actors named."
            ),
        ),
    )


def _submodel(number: str, scenario: Scenario, module: ModuleType) -> Section:
    params = getattr(scenario.mechanisms, module.NAME)
    roles, numbers = _roles_and_numbers(params)
    blocks: list[Block] = [Paragraph(_plain(module.SUMMARY))]
    if not params.enabled:
        blocks.append(Paragraph(f"Switched off in this scenario: {_plain(params.note or 'no reason given')}."))
    elif params.note:
        blocks.append(Paragraph(f"How this scenario reads it: {_plain(params.note)}"))
    forms = [FORMS[key].name + f" ({FORMS[key].reference})" for key in module.FORMS]
    blocks.append(
        Paragraph(
            f"Module {code(module.__name__)}; covers {', '.join(module.COVERS)}; built from: {'; '.join(forms) or 'direct updates'}. "
            f"Reads {', '.join(code(v) for v in module.READS) or 'nothing'}; writes {', '.join(code(v) for v in module.WRITES) or 'nothing'}; "
            f"random draws {', '.join(code(s) for s in module.SLOTS) or 'none'}"
            + ("".join(f", {code(s)} per actor" for s in getattr(module, "ACTOR_SLOTS", ())))
            + "."
            + (" Its monthly step does nothing itself: the functions it defines run when other mechanisms call them." if acts_only_through_others(module) else "")
        )
    )
    blocks.append(Equations(tuple(module.EQUATIONS)))
    if roles:
        blocks.append(Grid(("role", "actors"), tuple((code(name), actors) for name, actors in roles)))
    blocks.append(
        Grid(
            ("parameter", "value", "prior", "provenance"),
            tuple((code(name), _number(q.value), _prior(q), _provenance(q)) for name, q in numbers),
        )
    )
    passages = [f"{code(locator)}" for locator in module.SOURCE]
    blocks.append(
        Paragraph("The passages of the analysis it encodes (the module's SOURCE): " + ", ".join(passages) + ". As the module paraphrases them:")
    )
    blocks.append(Bullets(_passages(module)))
    cited = sum(1 for _, quantity in numbers if quantity.source is not None)
    blocks.append(
        Paragraph(
            f"In this scenario {cited} of its {len(numbers)} parameters cite the source; the provenance column above "
            "gives each locator with the scenario's paraphrase, or the modeller's assumption."
        )
    )
    return Section(number, f"{_label(module)} ({code(module.NAME)})", tuple(blocks))


def _submodels(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    children = (_shared_terms(),) + tuple(_submodel(f"7.{i}", scenario, m) for i, m in enumerate(mechanisms, start=1))
    return Section(
        "7",
        "Submodels",
        (
            Paragraph(
                "One submodel per mechanism, in schedule order. Each gives what the mechanism does, its equations (from the "
                "module's EQUATIONS, which name every numeric parameter), the actors that play its roles, its parameters with "
                "their values, priors and provenance in this scenario, and the source passages it encodes."
            ),
        ),
        children,
    )


def _limits(scenario: Scenario) -> Section:
    blocks: list[Block] = []
    coverage = scenario_sources(scenario).coverage
    if any(actor.checklist for actor in scenario.actors):
        covered = [f"{item}: {', '.join(who)}" for item, who in coverage.covered.items()]
        blocks.append(Paragraph(f"Checklist items covered ({len(covered)}):"))
        blocks.append(Bullets(tuple(_plain(c) for c in covered)))
        if coverage.missing:
            blocks.append(Paragraph("Checklist items not covered: " + ", ".join(coverage.missing) + "."))
    if scenario.not_represented:
        blocks.append(Paragraph("What the scenario cannot represent, and why:"))
        blocks.append(Bullets(tuple(f"{_plain(n.item)}: {_plain(n.reason)}" for n in scenario.not_represented)))
    else:
        blocks.append(Paragraph("The scenario declares nothing it cannot represent."))
    return Section("8", "Coverage and what is not represented", tuple(blocks))


def _implementation(mechanisms: Sequence[ModuleType]) -> Section:
    return Section(
        "9",
        "Implementation details",
        (
            Paragraph(
                f"coyuntura {__version__} (Python; numpy arrays over runs, actor attributes stored actors x runs). The mechanisms "
                "are the modules " + ", ".join(code(m.__name__.rsplit('.', 1)[-1]) for m in mechanisms) + " of "
                "`coyuntura.engine.mechanisms`. Simulate with `coyuntura run SCENARIO`, tell one run with `coyuntura chronicle`, "
                "check the provenance of every number with `coyuntura sources`, and regenerate this description with "
                "`coyuntura describe SCENARIO --format md|html`."
            ),
        ),
    )


# --- building -------------------------------------------------------------------------------------


def describe_scenario(scenario: Scenario, mechanisms: Sequence[ModuleType] = SCHEDULE) -> Description:
    """The ODD+D description of ``scenario``; raise :class:`MechanismMetadataError` if a mechanism lacks its metadata."""
    check_mechanisms(mechanisms)
    from .diagrams import actor_network_png, mechanism_state_png  # matplotlib only when a description is built

    figures = (
        Figure(
            "actor-network",
            "Figure 1. The actor network",
            f"The {len(scenario.actors)} actors of {scenario.id} on a circle ordered by starting position (most left at the top "
            "left, most right at the top right), disc area by political weight, with the scenario's influence (grey) and "
            "alliance (green, dashed) relations; line width is the tie's weight.",
            actor_network_png(scenario),
        ),
        Figure(
            "mechanism-state",
            "Figure 2. Mechanisms and the state variables they read and write",
            "Rows: the mechanisms in the order they run each month; columns: state variables (government | actors | system). "
            "Drawn from each module's READS and WRITES, which a test checks against the code.",
            mechanism_state_png(mechanisms),
        ),
    )
    intro = (
        Paragraph(
            f"This description of the scenario {code(scenario.id)} follows the ODD protocol (Grimm et al. 2006, 2020) with the "
            "decision-making elements of ODD+D (Müller et al. 2013). It is generated from the scenario file and from the code "
            f"of its {len(mechanisms)} mechanisms by coyuntura {__version__} (`coyuntura describe {scenario.id}`); regenerate it "
            "rather than edit it, so it cannot drift from the model."
        ),
    )
    sections = (
        _purpose(scenario),
        _entities(scenario),
        _process(scenario, mechanisms),
        _design(scenario, mechanisms),
        _initialization(scenario),
        _input_data(scenario),
        _submodels(scenario, mechanisms),
        _limits(scenario),
        _implementation(mechanisms),
    )
    return Description(scenario.id, f"Model description (ODD+D): {_plain(scenario.title)}", intro, sections, figures)


# --- Markdown -------------------------------------------------------------------------------------


def _md_inline(text: str, table: bool = False) -> str:
    parts = text.split("`")
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append("`" + (part.replace("|", "\\|") if table else part) + "`")
            continue
        part = re.sub(r"([\\*<])", r"\\\1", part)
        part = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", part)
        if table:
            part = part.replace("|", "\\|")
        out.append(part)
    return "".join(out)


def _md_block(block: Block, figure_files: dict[str, str] | None, description: Description) -> list[str]:
    if isinstance(block, Paragraph):
        text = _md_inline(block.text)
        if re.match(r"^(#|[-+]\s|\d+[.)]\s)", text):
            text = "\\" + text
        return [text, ""]
    if isinstance(block, Bullets):
        return [f"- {_md_inline(item)}" for item in block.items] + [""]
    if isinstance(block, Equations):
        return ["```text", *block.lines, "```", ""]
    if isinstance(block, Grid):
        lines = ["| " + " | ".join(_md_inline(h, True) for h in block.headers) + " |", "|" + "---|" * len(block.headers)]
        lines += ["| " + " | ".join(_md_inline(cell, True) for cell in row) + " |" for row in block.rows]
        return lines + [""]
    figure = description.figure(block.key)
    if figure_files and block.key in figure_files:
        return [f"![{figure.title}]({figure_files[block.key]})", "", f"*{_md_inline(figure.title)}.* {_md_inline(figure.caption)}", ""]
    return [f"*{_md_inline(figure.title)}: written as a PNG file beside the description with `--out FILE`.*", ""]


def render_markdown(description: Description, figure_files: dict[str, str] | None = None) -> str:
    """The description as GitHub-readable Markdown; ``figure_files`` maps figure keys to the PNG paths to link."""
    lines = [f"# {_md_inline(description.title)}", ""]
    for block in description.intro:
        lines += _md_block(block, figure_files, description)
    lines += ["## Contents", ""]
    for top in description.sections:
        lines.append(f"- [{top.number} {_md_inline(top.title)}](#{_md_anchor(top)})")
    lines.append("")
    for section in description.all_sections():
        depth = min(2 + section.number.count("."), 6)
        lines += [f"{'#' * depth} {section.number} {_md_inline(section.title)}", ""]
        for block in section.blocks:
            lines += _md_block(block, figure_files, description)
    return "\n".join(lines).rstrip() + "\n"


def _md_anchor(section: Section) -> str:
    """The anchor GitHub gives the heading ``<number> <title>``."""
    text = f"{section.number} {section.title}".lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


# --- HTML -----------------------------------------------------------------------------------------

CSS = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; max-width: 1100px;
       margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.9em; border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.5em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; }
h3 { font-size: 1.2em; margin-top: 1.6em; } h4, h5 { font-size: 1.05em; margin-top: 1.3em; }
code { font: 0.88em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f2f4f6; padding: .1em .3em;
       border-radius: 4px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .8em 1em; overflow-x: auto;
      font: 0.85em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .9em; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: .3em .6em; vertical-align: top; text-align: left; }
th { background: #f6f8fa; } tr:nth-child(even) td { background: #fbfcfd; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #d0d7de; }
figcaption { font-size: .9em; color: #57606a; margin-top: .4em; }
nav.toc { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6em 1.2em; }
nav.toc ul { margin: .2em 0; padding-left: 1.2em; }
.meta { color: #57606a; }
"""


def _html_inline(text: str) -> str:
    parts = text.split("`")
    return "".join(f"<code>{html.escape(part)}</code>" if index % 2 else html.escape(part) for index, part in enumerate(parts))


def _html_block(block: Block, description: Description) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_html_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_html_inline(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Equations):
        return "<pre>" + html.escape("\n".join(block.lines)) + "</pre>"
    if isinstance(block, Grid):
        head = "".join(f"<th>{_html_inline(h)}</th>" for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{_html_inline(cell)}</td>" for cell in row) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    figure = description.figure(block.key)
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure id="fig-{figure.key}"><img alt="{html.escape(figure.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption><strong>{_html_inline(figure.title)}.</strong> {_html_inline(figure.caption)}</figcaption></figure>"
    )


def _html_toc(sections: Sequence[Section]) -> str:
    items = []
    for section in sections:
        inner = _html_toc([child for child in section.children if child.number.count(".") < 2]) if section.children else ""
        items.append(f'<li><a href="#{section.anchor}">{html.escape(section.number)} {_html_inline(section.title)}</a>{inner}</li>')
    return "<ul>" + "".join(items) + "</ul>"


def render_html(description: Description) -> str:
    """The description as one self-contained HTML page: inline CSS, figures as data URIs, no external assets."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(description.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_html_inline(description.title)}</h1>",
    ]
    parts += [_html_block(block, description) for block in description.intro]
    parts.append(f'<nav class="toc"><strong>Contents</strong>{_html_toc(description.sections)}</nav>')
    for section in description.all_sections():
        depth = min(2 + section.number.count("."), 6)
        parts.append(f'<h{depth} id="{section.anchor}">{html.escape(section.number)} {_html_inline(section.title)}</h{depth}>')
        parts += [_html_block(block, description) for block in section.blocks]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --- writing --------------------------------------------------------------------------------------


def write_description(description: Description, path: str | Path, fmt: Format = "html") -> list[Path]:
    """Write the description to ``path`` (HTML: one file; Markdown: the file plus ``<stem>-<figure>.png`` beside it).

    Every file is written atomically, figures before the Markdown that links them. Returns the paths written.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name for the description")
    if fmt == "html":
        return [write_bytes(path, render_html(description).encode("utf-8"))]
    if fmt != "md":
        raise ValueError(f"unknown format {fmt!r}; use 'md' or 'html'")
    written = []
    links = {}
    for figure in description.figures:
        name = f"{path.stem}-{figure.key}.png"
        written.append(write_bytes(path.with_name(name), figure.png))
        links[figure.key] = name
    written.append(write_bytes(path, render_markdown(description, links).encode("utf-8")))
    return written
