"""Provenance for any case: further sources cited as '<id>: <where>', a scenario citing only those, and a checklist of
the scenario's own (issue 12, item 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coyuntura.report.sources import sources
from coyuntura.scenario.checks import quantities
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import load_scenario, parse_scenario
from coyuntura.scenario.quantities import Quantity
from coyuntura.scenario.schema import Scenario
from coyuntura.store.fingerprint import model_hash, scenario_hash

pytestmark = pytest.mark.unit

TOY = Path(__file__).resolve().parent / "data" / "toy.yaml"

FURTHER_SOURCES = """
sources:
  - {id: dunkerley, kind: book, title: "Rebellion in the Veins", author: James Dunkerley, year: 1984, pages: [1, 380]}
  - {id: coups, kind: dataset, title: "Coups d'etat, 1950-present", url: "https://example.org/coups.csv", version: "2024"}
  - {id: archive, kind: url, title: "An archive page", url: "https://example.org/archive"}
  - {id: notes, kind: text, title: "Field notes", sections: [{title: Miners, lines: [1, 40]}]}
calendar:"""

FIRST_SOURCE = re.compile(r'source: "Introduction, L[0-9-]+"')


def _toy(cite: str | None = None, *, sources_block: str = FURTHER_SOURCES, drop_document: bool = False) -> str:
    """The toy scenario's text with further sources declared; ``cite`` replaces its first locator of the analysis."""
    text = TOY.read_text(encoding="utf-8").replace("\ncalendar:", sources_block, 1)
    if cite is not None:
        text = FIRST_SOURCE.sub(f"source: {cite!r}".replace("'", '"'), text, count=1)
    if drop_document:
        text = re.sub(r"\nsource_document:\n(?:  .*\n)+", "\n", text, count=1)
    return text


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "toy.yaml")
    return [(problem.path, problem.message) for problem in caught.value.problems]


@pytest.mark.parametrize("cite", ["dunkerley: p. 12", "dunkerley: pp. 120-124", "coups: row BOL 1964-11", "archive", "notes: Miners, L3-5"])
def test_a_number_may_cite_a_page_a_row_a_web_page_or_lines_of_a_further_source(cite: str) -> None:
    scenario = parse_scenario(_toy(cite), "toy.yaml")
    assert any(quantity.source == cite for quantity in _cited(scenario))
    # Reports never read a further source's place as a passage of the analysis (whose lines they link to).
    [row] = [row for row in sources(scenario).quantities if row.source == cite]
    assert row.locator is None


def _cited(scenario: Scenario) -> list[Quantity]:
    return [quantity for _, quantity in quantities(scenario)]


@pytest.mark.parametrize(
    ("cite", "message"),
    [
        ("dunkerley: p. 400", "pages 400-400 fall outside the book 'dunkerley' (pp. 1-380)"),
        ("dunkerley: chapter 3", "cite the book 'dunkerley' by page: 'dunkerley: p. 12' or 'dunkerley: pp. 12-14'"),
        ("notes: Miners, L41-45", "lines L41-45 fall outside section 'Miners' (L1-40) of source 'notes'"),
        ("notes: Peasants, L1-2", "unknown section 'Peasants' of source 'notes'; sections: Miners"),
        ("klein: p. 3", "'klein: p. 3' cites an unknown source 'klein'; sources: dunkerley, coups, archive, notes"),
        ("note: Miners, L3-5", "'note: Miners, L3-5' cites an unknown source 'note' (did you mean 'notes'?); sources: dunkerley, coups, archive, notes"),
        ("notes", "cite the text 'notes' by section and lines: 'notes: Section title, L12-14'"),
        ("notes: Miners, L3, L5", "'Miners, L3, L5' gives more than one line range; cite one passage, 'Section title, L12-14' (one range, first-last) of source 'notes'"),
    ],
)
def test_a_place_a_further_source_does_not_have_is_refused_naming_where(cite: str, message: str) -> None:
    problems = _problems(_toy(cite))
    assert len(problems) == 1, problems
    path, said = problems[0]
    assert path.endswith(".source")
    assert said == message


def test_a_source_must_fit_its_kind() -> None:
    block = FURTHER_SOURCES.replace("pages: [1, 380]", "sections: [{title: One, lines: [1, 2]}]")
    assert any("a book source takes no sections" in message for _, message in _problems(_toy(sources_block=block)))
    block = FURTHER_SOURCES.replace('url: "https://example.org/archive"', "year: 2020")
    assert any("a url source needs 'url'" in message for _, message in _problems(_toy(sources_block=block)))
    block = FURTHER_SOURCES.replace("title: \"Coups d'etat, 1950-present\"", "title: \"Field notes\"").replace("id: coups", "id: notes")
    assert ("sources.3.id", "duplicate id 'notes' (also at sources.1)") in _problems(_toy(sources_block=block))


def test_a_scenario_may_cite_only_further_sources_but_then_no_passage_of_an_analysis() -> None:
    text = _toy(drop_document=True)
    problems = _problems(text)
    assert problems and all("declares no 'source_document'" in message for _, message in problems)
    only_books = re.sub(r'source: "[^"]*, L[0-9-]+"', 'source: "dunkerley: p. 7"', text)
    scenario = parse_scenario(only_books, "toy.yaml")
    assert scenario.source_document is None
    assert scenario.analysis_title == ""
    assert scenario.cited_sources()[0] == "[dunkerley] James Dunkerley (1984), Rebellion in the Veins"
    report = sources(scenario)
    assert report.cited == scenario.cited_sources()
    assert not report.coverage.declared  # no analysis with a checklist, and none of its own
    assert all(not mechanism.source for mechanism in report.mechanisms)  # the built-ins' passages are another analysis's
    nothing = re.sub(r"\nsources:\n(?:  .*\n)+", "\n", only_books, count=1)
    assert any("give the analysis the scenario encodes ('source_document'), further 'sources', or both" in m for _, m in _problems(nothing))


def test_the_bundled_analysis_keeps_its_content_hash() -> None:
    """Further sources and checklists are optional fields that a scenario without them does not carry: the shipped
    posterior still serves bolivia-1952 (its hash is the one it was calibrated for)."""
    from coyuntura.history.posterior import shipped_posterior

    scenario = load_scenario("bolivia-1952")
    posterior, why_not = shipped_posterior(scenario)
    assert posterior is not None, why_not
    assert posterior.model_hash == model_hash(scenario) and posterior.scenario_hash is None


def test_mending_a_citation_keeps_the_calibration_and_changing_the_model_does_not(tmp_path) -> None:
    """The posterior records the scenario's model hash: its content less what only documents it. A corrected `says:`
    or description keeps the shipped posterior; a changed value or observation window does not."""
    from coyuntura.history.posterior import shipped_posterior
    from coyuntura.scenario.loader import resolve_scenario

    text = resolve_scenario("bolivia-1952").read_text(encoding="utf-8")
    original = load_scenario("bolivia-1952")

    def variant(old: str, new: str):
        assert text.count(old) == 1, old
        path = tmp_path / f"variant-{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return load_scenario(path)

    mended = variant('says: "Both focos were defeated militarily."', 'says: "The army defeated both focos."')
    assert scenario_hash(mended) != scenario_hash(original)
    assert model_hash(mended) == model_hash(original)
    posterior, why_not = shipped_posterior(mended)
    assert posterior is not None, why_not

    for old, new in (
        ("defeat_army_coef: {value: 2.5,", "defeat_army_coef: {value: 2.6,"),
        ('dependence: {value: 0.6, source: "Introduction, L107-113"', 'dependence: {value: 0.7, source: "Introduction, L107-113"'),  # a snapshot's value
        ('window: ["1969-04", "1969-12"], observed: true, description: "Gulf', 'window: ["1969-05", "1969-12"], observed: true, description: "Gulf'),
    ):
        changed = variant(old, new)
        assert model_hash(changed) != model_hash(original)
        posterior, why_not = shipped_posterior(changed)
        assert posterior is None and "calibrated for another model" in why_not


def test_a_plug_in_s_values_count_and_their_citations_do_not(tmp_path) -> None:
    """A plug-in mechanism's parameter is part of the model; what its citation says is not."""
    from plugin_example import countryside_copy

    def variant(name: str, old: str, new: str):
        (tmp_path / name).mkdir()
        return load_scenario(countryside_copy(tmp_path / name, scenario=lambda text: text.replace(old, new, 1)))

    base = variant("base", "", "")
    value = variant("value", "intercept: {value: -5.0,", "intercept: {value: -4.0,")
    words = variant("words", "Seizures are rare where peasants are unorganized and moderate.", "Seizures are rare among unorganized, moderate peasants.")
    assert model_hash(value) != model_hash(base) == model_hash(words)
    assert scenario_hash(words) != scenario_hash(base)


def test_what_only_documents_a_scenario_is_decided_by_its_class_not_its_name() -> None:
    """A citation's fields and a description document; a mechanism's parameter or a relation's end called `source`
    does not, nor does a snapshot's entry for an actor whose id happens to be a documentation word."""
    from coyuntura.store.fingerprint import documents

    scenario = load_scenario("bolivia-1952")
    quantity = scenario.mechanisms.coup.plot_intercept
    assert documents(quantity, "source") and documents(quantity, "says") and documents(quantity, "assumption")
    assert not documents(quantity, "value") and not documents(quantity, "prior")
    assert not documents(scenario.mechanisms.coup, "source") and documents(scenario.mechanisms.coup, "note")
    assert not documents(scenario.relations[0], "source")  # the tie's first end (`from`)
    assert documents(scenario.actors[0], "name") and not documents(scenario.actors[0], "weight")
    assert documents(scenario.snapshots[0], "description") and not documents(scenario.snapshots[0], "actors")


def test_a_scenario_counts_coverage_against_its_own_checklist() -> None:
    report = sources(load_scenario("chile-1970"))
    coverage = report.coverage
    assert coverage.checklist[:2] == ("C1", "C2") and len(coverage.checklist) == 11
    assert coverage.missing == ("C11",)
    assert "Congress, the courts and elections" in coverage.not_represented["C11"]
    assert coverage.covered["C7"][:3] == ("army_constitutionalist", "army_golpista", "army_institutionalist")
    assert "coup" in coverage.covered["C7"]
    assert coverage.labels["C4"].startswith("Agrarian reform")
    petras = sources(load_scenario("bolivia-1952")).coverage
    assert petras.checklist[0] == "A1" and petras.complete and not petras.labels


def test_a_checklist_s_items_and_mechanisms_must_exist(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[1] / "src" / "coyuntura" / "scenarios"
    chile = (bundled / "chile-1970.yaml").read_text(encoding="utf-8")
    bad = chile.replace("checklist: [C2]", "checklist: [C99]", 1).replace("mechanisms: [agrarian_structure]}", "mechanisms: [guerrilla_foco]}", 1)
    bad = bad.replace("checklist: [C3]", "checklist: [C3, C11]", 1)  # an actor covering what not_represented leaves out
    (tmp_path / "chile.yaml").write_text(bad, encoding="utf-8")
    (tmp_path / "shortages.py").write_text((bundled / "shortages.py").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "chile.yaml")
    found = {(problem.path, problem.message) for problem in caught.value.problems}
    assert ("actors.0.checklist.0", "'C99' is not an item of the scenario's checklist (C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11)") in found
    assert any(path == "checklist.3.mechanisms.0" and "the scenario uses no mechanism 'guerrilla_foco'" in message for path, message in found)
    assert ("actors.1.checklist.1", "'urban_workers' covers 'C11', which not_represented says the scenario leaves out") in found
