"""The model description (ODD+D): generated from the scenario and the mechanisms' declarations, complete,
self-contained, and refused when a mechanism lacks the metadata it needs."""

from __future__ import annotations

import base64
import html
import importlib.util
import re
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.mechanisms import SCHEDULE, m4_mystification
from coyuntura.report.describe import describe_scenario, render_html, render_markdown, write_description
from coyuntura.report.mechanism_metadata import (
    FORMS,
    REQUIRED,
    STATE_VARIABLES,
    MechanismMetadataError,
    check_mechanism,
    check_mechanisms,
    declaration_problems,
    numeric_parameters,
    state_access,
)
from coyuntura.scenario.loader import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "coyuntura" / "scenarios" / "chile-1970.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("bolivia-1952")


@pytest.fixture(scope="module")
def description(scenario):
    return describe_scenario(scenario)


@pytest.fixture(scope="module")
def html_page(description):
    return render_html(description)


@pytest.fixture(scope="module")
def markdown(description):
    return render_markdown(description)


def _fake_mechanism(name: str = "fake_mechanism", **changes) -> types.ModuleType:
    """A copy of the M4 module's declarations, with some removed (value None) or changed."""
    fake = types.ModuleType(f"tests.{name}", m4_mystification.__doc__)
    for attribute, _ in REQUIRED:
        setattr(fake, attribute, getattr(m4_mystification, attribute))
    fake.NAME = name
    for attribute, value in changes.items():
        if value is None:
            delattr(fake, attribute)
        else:
            setattr(fake, attribute, value)
    return fake


# --- the bundled scenario's description -----------------------------------------------------------


@pytest.mark.integration  # end to end: the whole document of a scenario, with its figures
def test_description_mentions_every_actor_and_every_mechanism(scenario, markdown, html_page):
    for text in (markdown, html_page):
        for actor in scenario.actors:
            assert f"`{actor.id}`" in text or f"<code>{actor.id}</code>" in text, actor.id
        for module in SCHEDULE:
            escape = html.escape if text is html_page else str
            assert module.NAME in text and escape(module.TITLE) in text, module.NAME
            for equation in module.EQUATIONS:
                assert escape(equation) in text, (module.NAME, equation)
    # Every actor has its own subsection listing every attribute with its value and provenance.
    for actor in scenario.actors:
        section = markdown.split(f"(`{actor.id}`)\n\n| attribute |", 1)[1].split("\n#### ", 1)[0]
        for attribute in ("weight", "organization", "arms", "radicalism", "support", "mobilization", "cohesion", "threshold"):
            assert f"| `{attribute}` | {scenario.attribute(actor, attribute).value:g} |" in section, (actor.id, attribute)


@pytest.mark.integration
def test_description_follows_odd_and_covers_snapshots_events_and_parameters(scenario, description, markdown):
    titles = [section.title for section in description.sections]
    assert titles[:7] == [
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
    ]
    concepts = {s.title for s in description.sections[3].children}
    assert {"Individual decision-making", "Learning", "Interaction", "Stochasticity", "Observation", "Emergence"} <= concepts
    for snapshot in scenario.snapshots:
        assert f"Snapshot `{snapshot.id}`" in markdown
    for event in scenario.events:
        assert f"`{event.id}`" in markdown
    # Every numeric parameter of every mechanism appears with its value in the mechanism's submodel.
    for module in SCHEDULE:
        start = markdown.index(f"(`{module.NAME}`)\n\n")
        section = markdown[start:].split("\n### 7.", 1)[0]
        params = getattr(scenario.mechanisms, module.NAME)
        for name in numeric_parameters(module.Params):
            assert f"| `{name}` | {getattr(params, name).value:g} |" in section, (module.NAME, name)
        for locator in module.SOURCE:
            assert locator in section
    # The schedule is listed in SCHEDULE order, and the RNG block size and outcomes come from the code.
    positions = [markdown.index(f"| {i} | ") for i in range(1, len(SCHEDULE) + 1)]
    assert positions == sorted(positions)
    assert "Blocks hold 1024 runs" in markdown
    assert "`coup_defeated_by_mobilization`" in markdown


@pytest.mark.integration
def test_html_is_self_contained_with_both_figures_embedded(html_page, description):
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html_page)
    assert len(images) == 2
    for data, figure in zip(images, description.figures):
        png = base64.b64decode(data)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == figure.png
    assert {f.key for f in description.figures} == {"actor-network", "mechanism-state"}
    # No external assets: no stylesheet links, scripts, remote images or fonts.
    assert "<link" not in html_page and "<script" not in html_page
    assert not re.search(r'src="(?!data:)', html_page)
    assert "url(" not in html_page and "@import" not in html_page
    assert html_page.count("<style>") == 1
    # Every table of contents entry points to a section that exists.
    for anchor in re.findall(r'<a href="#([^"]+)"', html_page):
        assert f'id="{anchor}"' in html_page


@pytest.mark.integration
def test_description_is_deterministic(scenario, html_page):
    assert render_html(describe_scenario(scenario)) == html_page


@pytest.mark.integration
def test_scenario_text_cannot_inject_markup(scenario):
    from coyuntura.scenario.paths import with_values

    changed = with_values(scenario, {"title": "<script>alert(1)</script> `x` *y*"})
    page = render_html(describe_scenario(changed))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.integration
def test_describe_works_for_another_scenario_without_patterns():
    chile = load_scenario(EXAMPLE)
    text = render_markdown(describe_scenario(chile))
    assert "No pattern checks are declared for this scenario" in text
    # It lists only the mechanisms it uses (none switched off), and says why it leaves the others out.
    assert "Switched off in this scenario" not in text
    assert "Repression waves (repression, M8)" in text and "A guerrilla foco (guerrilla_foco, M10)" in text
    for actor in chile.actors:
        assert f"`{actor.id}`" in text


# --- the mechanisms' metadata ---------------------------------------------------------------------


def test_every_scheduled_mechanism_has_the_metadata_the_description_needs():
    for module in SCHEDULE:
        assert check_mechanism(module) == [], module.__name__
        assert set(module.FORMS) <= set(FORMS)
    check_mechanisms(SCHEDULE)  # does not raise


def test_a_mechanism_lacking_its_metadata_fails_with_a_clear_message(scenario):
    fake = _fake_mechanism(EQUATIONS=None)
    problems = check_mechanism(fake)
    assert problems == [
        "mechanism 'fake_mechanism' (tests.fake_mechanism) lacks EQUATIONS: its equations, one readable line each "
        "(a non-empty tuple of non-empty strings)"
    ]
    with pytest.raises(MechanismMetadataError) as caught:
        describe_scenario(scenario, mechanisms=(*SCHEDULE, fake))
    assert "mechanism metadata incomplete (1 problem)" in str(caught.value)
    assert "lacks EQUATIONS" in str(caught.value)
    # Each missing item is named, with what it must be.
    for attribute in ("SUMMARY", "FORMS", "SOURCE", "READS", "Params"):
        (message,) = check_mechanism(_fake_mechanism(**{attribute: None}))
        assert f"lacks {attribute}:" in message


def test_metadata_checks_name_what_is_wrong():
    (message,) = check_mechanism(_fake_mechanism(EQUATIONS=("gap = max(promise − policy, 0)",)))
    assert "EQUATIONS do not mention the parameters" in message
    assert "'urban_rate'" in message and "'rural_rate'" in message and "'right_regime_rate'" in message
    (message,) = check_mechanism(_fake_mechanism(SUMMARY="  "))
    assert "SUMMARY is empty" in message
    (message,) = check_mechanism(_fake_mechanism(FORMS=("voodoo",)))
    assert "unknown forms ['voodoo']" in message
    (message,) = check_mechanism(_fake_mechanism(READS=("policy", "moon_phase")))
    assert "READS names unknown state variables ['moon_phase']" in message
    (message,) = check_mechanism(_fake_mechanism(SOURCE=("Introduction, L55-61", "The Miners, L1-2")))
    assert "does not paraphrase the passage 'The Miners, L1-2'" in message
    (message,) = check_mechanism(_fake_mechanism(SOURCE=("somewhere",)))
    assert "'somewhere' is not a locator" in message
    (message,) = check_mechanism(_fake_mechanism(EQUATIONS="gap = promise - policy"))
    assert "EQUATIONS must be" in message


# --- READS / WRITES against the code --------------------------------------------------------------


def test_declared_reads_and_writes_agree_with_the_code():
    for module in SCHEDULE:
        assert declaration_problems(module) == [], module.__name__
        assert set(module.READS) | set(module.WRITES) <= set(STATE_VARIABLES)


def test_state_access_sees_reads_writes_aliases_and_calls(tmp_path):
    access = state_access(m4_mystification)
    assert {"policy", "regime"} <= access.reads
    assert access.writes == {"mystification_urban", "mystification_rural"}

    source = (
        "from coyuntura.engine.formal import relax\n"
        "from coyuntura.engine.government import install\n"
        "NAME = 'fake_access'\n"
        "READS = ('hardship', 'policy', 'assembly', 'squeeze')\n"
        "WRITES = ('policy',)\n"
        "def apply(state, p, month):\n"
        "    rows = state.organization\n"
        "    rows[0] = state.hardship * 2\n"
        "    state.policy[:] = relax(state.policy, 0.0, 0.1)\n"
        "    install(state, state.assembly, 1, month)\n"
    )
    path = tmp_path / "fake_access_module.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("fake_access_module", path)
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    access = state_access(fake)
    assert access.direct_writes == {"organization", "policy"}
    assert access.direct_reads == {"hardship", "policy", "assembly"}  # organization is written through an alias, never read
    assert {"regime", "support", "progressive_room"} <= access.writes  # through install(), transitively
    problems = declaration_problems(fake)
    assert any("writes ['organization'] in its code but WRITES does not declare them" in p for p in problems)
    assert any("declares ['squeeze'] in READS but neither its code" in p for p in problems)


# --- writing and the command line -----------------------------------------------------------------


@pytest.mark.integration
def test_write_description_markdown_with_figures_atomically(description, tmp_path):
    written = write_description(description, tmp_path / "model.md", "md")
    assert [p.name for p in written] == ["model-actor-network.png", "model-mechanism-state.png", "model.md"]
    text = (tmp_path / "model.md").read_text(encoding="utf-8")
    assert "![Figure 1. The actor network](model-actor-network.png)" in text
    assert (tmp_path / "model-actor-network.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temporary files left
    with pytest.raises(ValueError, match="is a folder"):
        write_description(description, tmp_path, "html")


@pytest.mark.integration
def test_cli_describe(tmp_path):
    runner = CliRunner()
    out = tmp_path / "bolivia.html"
    result = runner.invoke(app, ["describe", "bolivia-1952", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 figures" in result.output and out.stat().st_size > 100_000
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = runner.invoke(app, ["describe", "bolivia-1952", "--format", "pdf"])
    assert bad.exit_code == 2 and "--format must be md or html, got 'pdf'" in bad.output
    missing = runner.invoke(app, ["describe", "no-such-scenario"])
    assert missing.exit_code == 1 and "not a bundled scenario" in missing.output
