"""The ODD design concepts (4), with the decision-making elements of ODD+D.

The concepts that hold for every scenario are stated in words here (:data:`DECISIONS`,
:data:`CONCEPTS`, :data:`EMERGENCE`); the rest are read from the code: the functional
forms, the random-number scheme, the outcomes and the events each mechanism records.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Sequence

from ...engine import exogenous
from ...engine import random as engine_random
from ...engine.model import EVENT_SLOTS, compile_scenario
from ...engine.outcomes import OUTCOMES
from ...engine.simulate import SERIES_VARIABLES
from ...scenario.schema import Scenario
from ..mechanism_metadata import FORMS
from .document import Grid, Paragraph, Section
from .text import code, events_recorded, from_rst, mechanism_label, mechanism_short, plain, state_variable_meanings


def _background(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    by_form: dict[str, list[str]] = {key: [] for key in FORMS}
    for module in mechanisms:
        for form in module.FORMS:
            by_form[form].append(mechanism_short(module))
    cited = f"{plain(scenario.source_document.author)} ({scenario.source_document.year})" if scenario.source_document else "their sources"
    return Section(
        "4.1",
        "Theoretical and empirical background",
        (
            Paragraph(
                f"Empirically, the scenario's values cite {cited} by locator (sections 2 "
                "and 7), and each mechanism cites the passages of the analysis it was written from (its SOURCE, section 7). "
                "Theoretically, the mechanisms are built from established functional forms (engine/formal.py):"
            ),
            Grid(
                ("form", "statement", "reference", "used by"),
                tuple((f.name, plain(f.statement), plain(f.reference), ", ".join(by_form[key]) or "none") for key, f in FORMS.items()),
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
        "variables that carry it: " + "; ".join(f"{code(name)} ({plain(meanings[name])})" for name in memory) + "."
    )


def _stochasticity(scenario: Scenario, mechanisms: Sequence[ModuleType], number: str) -> Section:
    layout = compile_scenario(scenario).layout
    rows = tuple(
        (
            f"{mechanism_label(module)} ({code(module.NAME)})",
            ", ".join(code(s) for s in module.SLOTS) or "none",
            ", ".join(f"{code(s)} (one per actor)" for s in getattr(module, "ACTOR_SLOTS", ())) or "none",
        )
        for module in mechanisms
    ) + (("scheduled exogenous events (engine/exogenous.py)", ", ".join(code(s) for s in EVENT_SLOTS), "none"),)
    return Section(
        number,
        "Stochasticity",
        (
            Paragraph(from_rst(inspect.getdoc(engine_random) or "")),
            Paragraph(
                f"Blocks hold {engine_random.BLOCK_SIZE} runs. Each run draws {layout.size} uniforms a month for this scenario, one per "
                "named slot below. Every hazard and choice compares its probability with a named slot's uniform (a mechanism "
                "may compare several choices with one slot, as choices made together); the cascade adds "
                "noise from one slot per actor. The initial state is never drawn at random."
            ),
            Grid(("mechanism", "slots", "per-actor slots"), rows),
        ),
    )


def _observation(mechanisms: Sequence[ModuleType], number: str) -> Section:
    recorded: list[tuple[str, str]] = []
    for module in (*mechanisms, exogenous):
        name = f"{mechanism_label(module)} ({code(module.NAME)})" if module is not exogenous else "scheduled exogenous events"
        recorded += [(code(key), name) for key in events_recorded(module)]
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


def design_section(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
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
