"""The user guide: the generated format reference is current and complete, the worked example passes
`coyuntura check` and runs, the guide's steps add up to the example, and the docs' links resolve."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.mechanisms import SCHEDULE
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.report.format_reference import FIELD_NOTES, REGENERATE, format_reference, section_title
from coyuntura.scenario.calendar import format_month
from coyuntura.scenario.loader import load_scenario
from coyuntura.scenario.quantities import Prior, Quantity
from coyuntura.scenario.schema import Mechanisms, Scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCENARIOS = ROOT / "src" / "coyuntura" / "scenarios"
EXAMPLE = SCENARIOS / "chile-1970.yaml"  # the guide's running example is the bundled chile-1970
NOTES = SCENARIOS / "chile-1970-notes.txt"


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """Every pydantic model inside a type annotation (an independent walk of the schema)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [Scenario]
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            pending += _models_in(field.annotation)
        if model is Mechanisms:
            pending += [module.Params for module in SCHEDULE]
    return seen


# --- the format reference -------------------------------------------------------------------------


def test_committed_format_reference_is_up_to_date():
    committed = (DOCS / "scenario-format.md").read_text(encoding="utf-8")
    assert committed == format_reference(), (
        f"docs/scenario-format.md is out of date with the schema; regenerate it with `{REGENERATE}` "
        "(python -m coyuntura.report.format_reference docs/scenario-format.md)"
    )


def test_format_reference_lists_every_field_of_the_schema():
    text = format_reference()
    models = _all_models()
    assert Quantity in models and Prior in models and len(models) > 25
    for model in models:
        title = "Quantity" if model is Quantity else "Prior" if model is Prior else section_title(model)
        heading = re.search(rf"^#+ {re.escape(title)}$", text, flags=re.MULTILINE)
        assert heading, f"no section for {model.__name__} ({title})"
        section = text[heading.end() :].split("\n## ", 1)[0].split("\n### ", 1)[0]
        keys = [field.alias or name for name, field in model.model_fields.items()]
        if model is Mechanisms:  # its fields are the mechanisms, found by name: the built-in ones are listed
            keys = [module.NAME for module in SCHEDULE]
        for key in keys:
            assert f"| `{key}` |" in section, f"{title} does not list its field {key!r}"


def test_field_notes_name_real_fields():
    for model, key in FIELD_NOTES:
        keys = {field.alias or name for name, field in model.model_fields.items()}
        assert key in keys, f"FIELD_NOTES has a note for {model.__name__}.{key}, which the schema no longer has"


# --- the worked example ---------------------------------------------------------------------------


@pytest.mark.integration
def test_example_scenario_passes_check():
    result = CliRunner().invoke(app, ["check", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    assert '"valid": true' in result.output and '"id": "chile-1970"' in result.output


def test_example_scenario_runs_a_few_months_and_from_its_snapshot():
    scenario = load_scenario(EXAMPLE)
    model = compile_scenario(scenario)
    start = scenario.calendar.start
    ensemble = simulate(model, 300, seed=3, until=start + 5)
    assert ensemble.regime_counts.shape == (6, len(REGIME_KEYS))
    assert (ensemble.regime_counts.sum(axis=1) == 300).all()
    # Nothing in the example is scheduled: month one begins under the Popular Unity in every run.
    assert ensemble.regime_counts[0, 0] > 250
    again = simulate(model, 300, seed=3, until=start + 5, batch_size=64)
    np.testing.assert_array_equal(again.regime_counts, ensemble.regime_counts)
    snapshot = scenario.snapshot("october_1972")
    later = simulate(model, 200, seed=3, start="october_1972", until=snapshot.month + 3)
    assert format_month(later.start) == "1972-10" and later.n_runs == 200


def test_example_sections_match_the_notes_it_cites():
    lines = NOTES.read_text(encoding="utf-8").splitlines()
    scenario = load_scenario(EXAMPLE)
    for section in scenario.source_document.sections:
        first, last = section.lines
        assert lines[first - 1] == section.title, f"line {first} of the notes is not the heading {section.title!r}"
        assert last <= len(lines)


def _part_of(piece: object, whole: object) -> bool:
    """Is ``piece`` contained in ``whole``: mappings by their keys, lists item by item, the rest equal?"""
    if isinstance(piece, dict):
        return isinstance(whole, dict) and all(key in whole and _part_of(value, whole[key]) for key, value in piece.items())
    if isinstance(piece, list):
        return isinstance(whole, list) and all(any(_part_of(item, candidate) for candidate in whole) for item in piece)
    return piece == whole


def test_the_guide_steps_are_pieces_of_the_example():
    yaml = YAML(typ="safe", pure=True)
    guide = (DOCS / "writing-a-scenario.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.DOTALL)
    assert len(blocks) >= 10
    checked = 0
    covered = set()
    for block in blocks:
        if block.startswith("# not part of the example"):
            continue
        other = re.match(r"# from (examples/[\w.-]+\.yaml)\n", block)  # a block of another example file
        source = DOCS / other.group(1) if other else EXAMPLE
        example = yaml.load(source.read_text(encoding="utf-8"))
        piece = yaml.load(block)
        for key, value in piece.items():
            assert key in example, f"the guide's block with {key!r} is not in {source.name}"
            assert _part_of(value, example[key]), f"the guide's {key!r} block differs from {source}:\n{block}"
        checked += 1
        if other is None:
            covered |= set(piece)
    required = {name for name, field in Scenario.model_fields.items() if field.is_required()}
    assert required <= covered, f"the guide never shows the required sections {sorted(required - covered)}"
    assert checked >= 10


# --- links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_relative_links_in_docs_resolve(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text):
        assert (DOCS / target).exists(), f"{page} links to {target}, which does not exist"


def test_readme_links_the_user_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/README.md" in readme


def test_the_guide_lists_the_bundled_mechanisms_stages_as_they_are():
    from coyuntura.engine.mechanisms import BUILTIN

    guide = " ".join((DOCS / "writing-a-scenario.md").read_text(encoding="utf-8").split())
    listed = ", ".join(f"`{m.NAME}` {m.STAGE}" for m in sorted(BUILTIN, key=lambda m: m.STAGE))
    assert "The bundled ones' stages: " + listed + ";" in guide


def test_the_guide_names_engine_functions_that_exist():
    import importlib

    guide = " ".join((DOCS / "writing-a-scenario.md").read_text(encoding="utf-8").split())
    named = re.findall(r"`(coyuntura\.engine\.[a-z_.]+)` \(([^)]*)\)", guide)
    assert len(named) >= 2
    for module_name, functions in named:
        module = importlib.import_module(module_name)
        for function in re.findall(r"`([a-z_]+)`", functions):
            assert callable(getattr(module, function, None)), f"the guide names {module_name}.{function}, which does not exist"
    assert callable(importlib.import_module("coyuntura.engine.events").actor_mask)


def test_the_guide_names_every_functional_form_a_mechanism_may_declare():
    from coyuntura.report.mechanism_metadata import FORMS

    guide = " ".join((DOCS / "writing-a-scenario.md").read_text(encoding="utf-8").split())
    assert all(f"`{form}`" in guide for form in FORMS), [form for form in FORMS if f"`{form}`" not in guide]
