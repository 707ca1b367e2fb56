"""The ODD overview: purpose and patterns (1), entities, state variables and scales (2), process and scheduling (3)."""

from __future__ import annotations

from types import ModuleType
from typing import Sequence

from ...engine import state as engine_state
from ...engine.state import REGIME_KEYS
from ...history.patterns import PATTERN_SCENARIO, PATTERNS
from ...scenario.calendar import format_month
from ...scenario.plugins import declared_state
from ...scenario.schema import ATTRIBUTE_NAMES, Actor, ActorAttributes, Scenario
from ..mechanism_metadata import acts_only_through_others
from .document import Block, Bullets, FigureRef, Grid, Paragraph, Section
from .text import actor_list, code, mechanism_label, number_text, plain, provenance_text, regime_text, state_variable_meanings


def purpose_section(scenario: Scenario) -> Section:
    document = scenario.source_document
    if document is not None:
        encodes = f"{plain(document.author)}'s analysis \"{plain(document.title)}\" ({document.year})"
    else:
        encodes = "the analysis of its sources"
    blocks: list[Block] = [
        Paragraph(plain(scenario.description)),
        Paragraph(
            f"The model encodes {encodes} as "
            "collective actors, the state they are in, and mechanisms the analysis asserts. It is built to show which of "
            "the outcomes the analysis explains its mechanisms generate, how often, and how those chances move when a "
            "value or an event is changed (a what-if on the same random numbers). It describes the analysis as a model, "
            "not the world: its probabilities are shares of simulated runs."
        ),
    ]
    if document is not None:
        blocks.append(Paragraph("The sections of the source document, which every locator (`Section, Lx-y`) cites:"))
        blocks.append(Grid(("section", "lines"), tuple((plain(s.title), f"L{s.lines[0]}-{s.lines[1]}") for s in document.sections)))
    if scenario.sources:
        blocks.append(Paragraph("Further sources, cited as `<id>: <where>`:"))
        blocks.append(Grid(("id", "kind", "source"), tuple((code(s.id), s.kind, plain(s.describe())) for s in scenario.sources)))
    purpose = Section("1.1", "Purpose", tuple(blocks))
    if scenario.id == PATTERN_SCENARIO:
        pattern_blocks: tuple[Block, ...] = (
            Paragraph(
                "Pattern-oriented validation (Grimm et al. 2005): rather than fit one series, an ensemble started at "
                "the scenario's start should reproduce the qualitative history the source explains, without scripting it. "
                "`coyuntura.history.patterns.source_patterns` measures each of these as a probability with its Monte Carlo error:"
            ),
            Grid(("pattern", "what the runs should show"), tuple((code(key), plain(text)) for key, text in PATTERNS.items())),
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
    """The actor's attributes: the engine's, then those the scenario's plug-ins declare (``NEW_ACTOR_STATE``)."""
    rows = []
    plugin_attributes = tuple(declared_state(scenario.mechanism_schedule(), attribute="NEW_ACTOR_STATE"))
    for name in ATTRIBUTE_NAMES + ("size",) + plugin_attributes:
        own = actor.given(name) if name != "size" else actor.size
        if own is None and (name == "size" or scenario.actor_defaults.given(name) is None):
            continue  # no size given, or a plug-in's attribute nothing reads
        quantity = own if own is not None else scenario.actor_defaults.given(name)
        assert quantity is not None
        origin = "" if own is not None else " (actor_defaults)"
        rows.append((code(name), number_text(quantity.value), provenance_text(quantity) + origin))
    return tuple(rows)


def _entity_list(scenario: Scenario) -> Section:
    kinds: dict[str, list[str]] = {}
    for actor in scenario.actors:
        kinds.setdefault(actor.kind, []).append(actor.id)
    overview = Grid(
        ("id", "name", "kind", "checklist", "description", "provenance"),
        tuple(
            (code(a.id), plain(a.name), a.kind, ", ".join(a.checklist), plain(a.description), provenance_text(a.provenance))
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
                "Actors by kind: " + "; ".join(f"{kind} {len(ids)} ({actor_list(scenario, ids)})" for kind, ids in kinds.items()) + "."
            ),
            overview,
        ),
    )


def _actor_state(scenario: Scenario) -> Section:
    meanings = state_variable_meanings()
    fields = ActorAttributes.model_fields
    rows = tuple(
        (code(name), plain(meanings.get(name) or fields[name].description or ""), "-1 .. +1" if name == "radicalism" else "0 .. 1")
        for name in engine_state.ACTOR_VARIABLES
    ) + tuple(
        (code(name), plain(f"{meaning} (declared by a mechanism of the scenario)"), f"{low:g} .. {high:g}")
        for name, (low, high, meaning) in declared_state(scenario.mechanism_schedule(), attribute="NEW_ACTOR_STATE").items()
    )
    threshold = (code("threshold"), plain(fields["threshold"].description or "") + " (a fixed trait, not a state variable)", ">= 0")
    actors = tuple(
        Section(
            f"2.2.{index}",
            f"{plain(actor.name)} ({code(actor.id)})",
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
        (code("policy"), plain(meanings.get("policy", "")), number_text(government.policy.value), provenance_text(government.policy)),
        (
            code("progressive_room"),
            plain(meanings.get("progressive_room", "")),
            number_text(government.progressive_room.value),
            provenance_text(government.progressive_room),
        ),
        (code("assembly"), "a Popular Assembly sits beside the government (dual power)", "no", "every run starts without one"),
    ) + tuple(
        (code(name), plain(meanings.get(name, "")), number_text(getattr(scenario.system, name).value), provenance_text(getattr(scenario.system, name)))
        for name in engine_state.SYSTEM_VARIABLES
        if name not in ("policy", "progressive_room") and getattr(scenario.system, name) is not None  # left out: no mechanism reads it
    ) + tuple(
        (code(name), plain(f"{meaning} (declared by a mechanism of the scenario)"), number_text(quantity.value), provenance_text(quantity))
        for name, (_, _, meaning) in declared_state(scenario.mechanism_schedule()).items()
        if (quantity := scenario.system.given(name)) is not None
    )
    return Section(
        "2.3",
        "The government and the system",
        (
            Paragraph(
                "Regime types the model knows: " + "; ".join(regime_text(scenario, key) for key in REGIME_KEYS) + ". At the start: "
                f"{regime_text(scenario, government.type)}, led by {plain(government.leader)}, coalition {actor_list(scenario, government.coalition)} "
                f"({provenance_text(government.provenance)})."
            ),
            Grid(("variable", "meaning", "start", "provenance"), rows),
            *_regimes_blocks(scenario),
        ),
    )


def _regimes_blocks(scenario: Scenario) -> tuple[Paragraph | Grid, ...]:
    """What each regime type stands for in the scenario: the coalition and starting policy every change of government installs."""
    if scenario.regimes is None:
        return (Paragraph("No mechanism or event of this scenario changes the government, so it declares no regime types' coalitions."),)
    rows = []
    for key in REGIME_KEYS:
        regime = getattr(scenario.regimes, key)
        rows.append((regime_text(scenario, key), actor_list(scenario, regime.coalition), number_text(regime.policy.value), provenance_text(regime.policy), plain(regime.note or "")))
    return (
        Paragraph("A new government of each type, whatever brings it in, governs with the coalition and starts from the policy the scenario declares:"),
        Grid(("regime type", "coalition", "starting policy", "provenance", "note"), tuple(rows)),
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
                tuple((r.kind, code(r.source), code(r.target), number_text(r.weight.value), provenance_text(r.weight)) for r in scenario.relations),
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


def entities_section(scenario: Scenario) -> Section:
    children = (_entity_list(scenario), _actor_state(scenario), _government_and_system(scenario), _relations(scenario), _scales(scenario))
    return Section("2", "Entities, state variables and scales", (), children)


def process_section(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    rows = []
    for position, module in enumerate(mechanisms, start=1):
        params = scenario.mechanisms.get(module.NAME)
        enabled = getattr(params, "enabled", True)
        note = "" if enabled else " (switched off in this scenario)"
        through = " (acts when other mechanisms call it)" if acts_only_through_others(module) else ""
        rows.append(
            (
                str(position),
                f"{mechanism_label(module)} ({code(module.NAME)}){note}{through}",
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
                f"the {len(mechanisms)} mechanisms the scenario uses, in the order below (each declares its stage in the month): the economy and "
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
