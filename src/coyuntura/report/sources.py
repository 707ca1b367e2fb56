"""Where every number and mechanism of a scenario comes from, and what of the DESIGN checklist it covers.

:func:`sources` gathers, for one scenario:

- every quantity (value path, value, prior, and provenance: source locator and
  what the source says there, or the modeller's assumption);
- every mechanism: name, title, whether it is enabled, the DESIGN checklist
  items it covers (``COVERS``, e.g. ``M5``) and its source locators (``SOURCE``);
- every actor with its checklist items (``A1`` .. ``A17``);
- the coverage of the checklist: which of A1..A17 and M1..M17 are covered, by
  whom, and which are not (with the scenario's ``not_represented`` reasons).

A scenario may declare its own checklist (``checklist:``, items covered by its
actors' ``checklist`` entries and by the mechanisms each item names or that name it
in ``COVERS``). Otherwise the DESIGN checklist applies, which belongs to the analysis
the built-in mechanisms were written from (Petras 1971, :data:`CHECKLIST_ANALYSIS`):
coverage is counted against it only for a scenario of that analysis
(:func:`declares_checklist`, the test :func:`cited_passages` applies to a
mechanism's passages). A scenario of another analysis with no checklist of its own
has an empty coverage, and reports say so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..engine.mechanisms.base import PETRAS_1971
from ..scenario.checks import quantities
from ..scenario.plugins import cited_passages
from ..scenario.schema import Scenario
from .chronicle import Locator

ACTOR_ITEMS: tuple[str, ...] = tuple(f"A{i}" for i in range(1, 18))
"""The DESIGN checklist's collective actors."""
MECHANISM_ITEMS: tuple[str, ...] = tuple(f"M{i}" for i in range(1, 18))
"""The DESIGN checklist's mechanisms."""
CHECKLIST: tuple[str, ...] = ACTOR_ITEMS + MECHANISM_ITEMS
"""The DESIGN checklist of :data:`CHECKLIST_ANALYSIS`."""
CHECKLIST_ANALYSIS = PETRAS_1971
"""The title of the analysis the checklist belongs to (the built-in mechanisms' ``SOURCE_TITLE``)."""


def scenario_checklist(scenario: Scenario) -> tuple[tuple[str, ...], dict[str, str]]:
    """The checklist a scenario's coverage is counted against, with each item's label: its own (``checklist:``),
    else the DESIGN checklist for a scenario of that analysis, else none."""
    if scenario.checklist is not None:
        return tuple(item.id for item in scenario.checklist), {item.id: item.label for item in scenario.checklist}
    if declares_checklist(scenario.analysis_title):
        return CHECKLIST, {}
    return (), {}


def declares_checklist(source_title: str) -> bool:
    """Whether a scenario whose ``source_document.title`` is ``source_title`` has the DESIGN checklist: only a
    scenario of the analysis it belongs to, as :func:`cited_passages` cites a mechanism's passages only for one."""
    return source_title == CHECKLIST_ANALYSIS


@dataclass(frozen=True)
class QuantitySource:
    """One number of the scenario and where it comes from."""

    path: str
    value: float
    prior: dict[str, Any] | None
    source: str | None
    says: str | None
    assumption: str | None
    locator: Locator | None

    @property
    def provenance(self) -> str:
        if self.source is not None:
            return f"{self.source}: {self.says}"
        return f"assumption: {self.assumption}"


@dataclass(frozen=True)
class MechanismSource:
    name: str
    title: str
    enabled: bool
    covers: tuple[str, ...]
    source: tuple[str, ...]
    locators: tuple[Locator, ...]


@dataclass(frozen=True)
class ActorSource:
    id: str
    name: str
    kind: str
    checklist: tuple[str, ...]
    provenance: str


@dataclass(frozen=True)
class Coverage:
    """Which checklist items are covered, by whom, and which are not; all empty for a scenario whose analysis
    declares no checklist (``checklist`` empty)."""

    covered: dict[str, tuple[str, ...]]  # item -> actor ids / mechanism names covering it
    missing: tuple[str, ...]
    not_represented: dict[str, str]  # item -> the scenario's reason
    checklist: tuple[str, ...] = CHECKLIST  # the items of the scenario's analysis's checklist; () when it declares none
    labels: dict[str, str] = field(default_factory=dict)  # item -> what it asks for (a scenario's own checklist)

    @property
    def declared(self) -> bool:
        """Whether the scenario's analysis has a checklist to cover."""
        return bool(self.checklist)

    @property
    def complete(self) -> bool:
        """Every item of a declared checklist covered (never for a scenario with no checklist)."""
        return self.declared and not self.missing


@dataclass(frozen=True)
class Sources:
    scenario_id: str
    title: str
    cited: tuple[str, ...]  # one line per source: the analysis, then the further sources
    quantities: tuple[QuantitySource, ...]
    mechanisms: tuple[MechanismSource, ...]
    actors: tuple[ActorSource, ...]
    coverage: Coverage

    @property
    def document(self) -> str:
        """The sources cited, on one line."""
        return "; ".join(self.cited)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        data = asdict(self)
        data["document"] = self.document
        data["coverage"]["complete"] = self.coverage.complete
        data["coverage"]["declared"] = self.coverage.declared
        data["coverage"]["checklist"] = list(self.coverage.checklist)
        return data


def _provenance_line(provenance: Any) -> str:
    if getattr(provenance, "source", None):
        return f"{provenance.source}: {provenance.says}"
    return f"assumption: {getattr(provenance, 'assumption', '')}"


def sources(scenario: Scenario) -> Sources:
    """Provenance of every quantity, mechanism and actor of ``scenario``, and its checklist coverage."""
    rows = []
    further = scenario.source_ids
    for path, quantity in quantities(scenario):
        rows.append(
            QuantitySource(
                path=path,
                value=float(quantity.value),
                prior=quantity.prior.model_dump() if quantity.prior is not None else None,
                source=quantity.source,
                says=quantity.says,
                assumption=quantity.assumption,
                locator=Locator.parse(quantity.source, further) if quantity.source else None,
            )
        )
    mechanisms = []
    for module in scenario.mechanism_schedule():
        params = scenario.mechanisms.get(module.NAME)
        source = cited_passages(module, scenario.analysis_title)
        mechanisms.append(
            MechanismSource(
                name=module.NAME,
                title=getattr(module, "TITLE", module.NAME),
                enabled=bool(getattr(params, "enabled", True)),
                covers=tuple(getattr(module, "COVERS", ())),
                source=source,
                locators=tuple(loc for loc in (Locator.parse(text) for text in source) if loc is not None),
            )
        )
    actors = tuple(
        ActorSource(actor.id, actor.name, actor.kind, tuple(actor.checklist), _provenance_line(actor.provenance))
        for actor in scenario.actors
    )
    not_represented = {entry.item: entry.reason for entry in scenario.not_represented}
    checklist, labels = scenario_checklist(scenario)
    covered: dict[str, list[str]] = {}
    for actor in actors:
        for item in actor.checklist:
            covered.setdefault(item, []).append(actor.id)
    for mechanism in mechanisms:
        if mechanism.enabled:
            for item in mechanism.covers:
                covered.setdefault(item, []).append(mechanism.name)
    for entry in scenario.checklist or ():
        for name in entry.mechanisms:
            if name not in covered.get(entry.id, []) and bool(getattr(scenario.mechanisms.get(name), "enabled", False)):
                covered.setdefault(entry.id, []).append(name)
    ordered = {item: tuple(covered[item]) for item in checklist if item in covered}
    if checklist == CHECKLIST:  # the design's checklist: also what covers items outside it (e.g. legitimacy), after its own
        ordered.update({item: tuple(who) for item, who in covered.items() if item not in ordered})
    missing = tuple(item for item in checklist if item not in covered)
    coverage = Coverage(covered=ordered, missing=missing, not_represented=not_represented, checklist=checklist, labels=labels)
    return Sources(
        scenario_id=scenario.id,
        title=scenario.title,
        cited=scenario.cited_sources(),
        quantities=tuple(rows),
        mechanisms=tuple(mechanisms),
        actors=actors,
        coverage=coverage,
    )
