"""The ODD details: initialization (5), input data (6), submodels (7), then coverage (8) and implementation (9)."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Sequence

from ... import __version__
from ...engine import forces, formal
from ...scenario.calendar import format_month
from ...scenario.checks import quantities
from ...scenario.plugins import cited_passages
from ...scenario.quantities import Quantity
from ...scenario.schema import Government, Scenario, Snapshot
from ..mechanism_metadata import FORMS, acts_only_through_others
from ..sources import sources as scenario_sources
from .document import Block, Bullets, Equations, Grid, Paragraph, Section
from .text import (
    code,
    from_rst,
    implementation_modules_text,
    mechanism_label,
    mechanism_module_text,
    number_text,
    paraphrase_items,
    plain,
    prior_text,
    provenance_text,
    regime_text,
    roles_and_numbers,
)


def _government_rows(scenario: Scenario, government: Government) -> tuple[tuple[str, ...], ...]:
    return (
        (code("type"), regime_text(scenario, government.type), provenance_text(government.provenance)),
        (code("leader"), plain(government.leader), ""),
        (code("coalition"), ", ".join(code(a) for a in government.coalition) or "none", ""),
        (code("policy"), number_text(government.policy.value), provenance_text(government.policy)),
        (code("progressive_room"), number_text(government.progressive_room.value), provenance_text(government.progressive_room)),
    )


def _snapshot_section(number: str, scenario: Scenario, snapshot: Snapshot) -> Section:
    actor_rows = []
    for actor_id, override in snapshot.actors.items():
        for name in [*type(override).model_fields, *override.plugin_variables()]:
            quantity = override.given(name)
            if quantity is not None:
                actor_rows.append((code(actor_id), code(name), number_text(quantity.value), provenance_text(quantity)))
    system_rows = []
    for name in [*type(snapshot.system).model_fields, *snapshot.system.plugin_variables()]:
        quantity = snapshot.system.given(name)
        if quantity is not None:
            system_rows.append((code(name), number_text(quantity.value), provenance_text(quantity)))
    blocks: list[Block] = [
        Paragraph(
            f"{plain(snapshot.description)} Start a run here with `coyuntura run {scenario.id} --from {snapshot.id}`. "
            f"Popular Assembly sitting: {'yes' if snapshot.assembly else 'no'}. Values the snapshot does not give are the "
            "scenario's starting values (section 2), not those of a simulated trajectory."
        ),
        Grid(("government", "value", "provenance"), _government_rows(scenario, snapshot.government)),
    ]
    if actor_rows:
        blocks.append(Grid(("actor", "attribute", "value", "provenance"), tuple(actor_rows)))
    if system_rows:
        blocks.append(Grid(("system variable", "value", "provenance"), tuple(system_rows)))
    return Section(number, f"Snapshot {code(snapshot.id)}, {format_month(snapshot.month)}", tuple(blocks))


def initialization_section(scenario: Scenario) -> Section:
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


def input_data_section(scenario: Scenario) -> Section:
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
                shown = number_text(value.value) if isinstance(value, Quantity) else plain(value)
                details.append(f"{name} = {shown}")
            rows.append((code(event.id), format_month(event.month), event.kind, plain(event.description), "; ".join(details), provenance_text(event)))
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
                        plain(e.title),
                        plain(e.start or format_month(scenario.calendar.start)),
                        "; ".join(f"{path} = {plain(value)}" for path, value in e.changes.items())
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
                rows.append((code(name), from_rst(doc.split("\n\n")[0])))
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
    params = scenario.mechanisms.get(module.NAME)
    roles, numbers = roles_and_numbers(params)
    blocks: list[Block] = [Paragraph(plain(module.SUMMARY))]
    if not params.enabled:
        blocks.append(Paragraph(f"Switched off in this scenario: {plain(params.note or 'no reason given')}."))
    elif params.note:
        blocks.append(Paragraph(f"How this scenario reads it: {plain(params.note)}"))
    forms = [FORMS[key].name + f" ({FORMS[key].reference})" for key in module.FORMS]
    where = mechanism_module_text(scenario, module)
    covers = f"; covers {', '.join(module.COVERS)}" if module.COVERS else ""
    blocks.append(
        Paragraph(
            f"{where[0].upper()}{where[1:]}{covers}; built from: {'; '.join(forms) or 'direct updates'}. "
            f"Reads {', '.join(code(v) for v in module.READS) or 'nothing'}; writes {', '.join(code(v) for v in module.WRITES) or 'nothing'}; "
            f"random draws {', '.join(code(s) for s in module.SLOTS) or 'none'}"
            + ("".join(f", {code(s)} per actor" for s in getattr(module, "ACTOR_SLOTS", ())))
            + "."
            + (
                " Its monthly step does nothing itself: the functions it defines run when other mechanisms call them."
                if acts_only_through_others(module)
                else ""
            )
        )
    )
    blocks.append(Equations(tuple(module.EQUATIONS)))
    if roles:
        blocks.append(Grid(("role", "actors"), tuple((code(name), actors) for name, actors in roles)))
    blocks.append(
        Grid(
            ("parameter", "value", "prior", "provenance"),
            tuple((code(name), number_text(q.value), prior_text(q), provenance_text(q)) for name, q in numbers),
        )
    )
    cited = cited_passages(module, scenario.analysis_title)
    if cited:
        passages = [f"{code(locator)}" for locator in cited]
        blocks.append(
            Paragraph("The passages of the analysis it encodes (the module's SOURCE): " + ", ".join(passages) + ". As the module paraphrases them:")
        )
        blocks.append(Bullets(paraphrase_items(module)))
    elif module.SOURCE:
        blocks.append(
            Paragraph(
                f"It was written from another analysis ({plain(getattr(module, 'SOURCE_TITLE', ''))}), whose passages this scenario's "
                "source does not contain; its form rests on the references above, and this scenario's values on the provenance below."
            )
        )
    sourced = sum(1 for _, quantity in numbers if quantity.source is not None)
    blocks.append(
        Paragraph(
            f"In this scenario {sourced} of its {len(numbers)} parameters cite the source; the provenance column above "
            "gives each locator with the scenario's paraphrase, or the modeller's assumption."
        )
    )
    return Section(number, f"{mechanism_label(module)} ({code(module.NAME)})", tuple(blocks))


def submodels_section(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
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


def limits_section(scenario: Scenario) -> Section:
    blocks: list[Block] = []
    coverage = scenario_sources(scenario).coverage
    if coverage.declared and any(actor.checklist for actor in scenario.actors):
        def named(item: str) -> str:
            return f"{item} ({coverage.labels[item]})" if item in coverage.labels else item

        whose = "the scenario's own checklist" if coverage.labels else "the checklist"
        covered = [f"{named(item)}: {', '.join(who)}" for item, who in coverage.covered.items()]
        counted = sum(item in coverage.checklist for item in coverage.covered)
        blocks.append(Paragraph(f"Items of {whose} covered ({counted} of {len(coverage.checklist)}), then what else the model covers:"
                                if counted < len(covered) else f"Items of {whose} covered ({counted} of {len(coverage.checklist)}):"))
        blocks.append(Bullets(tuple(plain(c) for c in covered)))
        if coverage.missing:
            blocks.append(Paragraph(plain("Checklist items not covered: " + ", ".join(named(item) for item in coverage.missing) + ".")))
    if scenario.not_represented:
        blocks.append(Paragraph("What the scenario cannot represent, and why:"))
        blocks.append(Bullets(tuple(f"{plain(n.item)}: {plain(n.reason)}" for n in scenario.not_represented)))
    else:
        blocks.append(Paragraph("The scenario declares nothing it cannot represent."))
    return Section("8", "Coverage and what is not represented", tuple(blocks))


def implementation_section(scenario: Scenario, mechanisms: Sequence[ModuleType]) -> Section:
    return Section(
        "9",
        "Implementation details",
        (
            Paragraph(
                f"coyuntura {__version__} (Python; numpy arrays over runs, actor attributes stored actors x runs). The mechanisms "
                f"are {implementation_modules_text(scenario, mechanisms)}. Simulate with `coyuntura run SCENARIO`, tell one run with `coyuntura chronicle`, "
                "check the provenance of every number with `coyuntura sources`, and regenerate this description with "
                "`coyuntura describe SCENARIO --format md|html`."
            ),
        ),
    )
