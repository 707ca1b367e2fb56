"""Mechanisms as plug-ins: the registry, the contract, a scenario with only the mechanisms it needs, one of its own."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from coyuntura.engine.events import EventType
from coyuntura.engine.mechanisms import BUILTIN
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.report.chronicle import chronicle
from coyuntura.report.describe import describe_scenario, render_markdown
from coyuntura.report.sources import sources
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import bundled_scenarios, load_scenario, parse_scenario
from coyuntura.scenario.plugins import MechanismError, check_contract, installed_mechanisms
from plugin_example import countryside_copy, misspelt_event

DOCS = Path(__file__).resolve().parents[1] / "docs" / "examples"
COUNTRYSIDE = DOCS / "countryside-1971.yaml"
PLUGIN = DOCS / "land_seizures.py"

# Roles named after the Bolivian case (the issue that asked for generic ones lists these).
BOLIVIAN_ROLE_NAMES = {"miners", "mnr_unionists", "regional_plotter", "middle_peasants", "radical_clergy", "united_states", "soviet_bloc"}


@pytest.mark.unit
def test_the_built_in_mechanisms_are_registered_as_entry_points() -> None:
    registry = installed_mechanisms()
    for module in BUILTIN:
        assert registry.get(module.NAME) is module
        assert registry.origin(module.NAME).startswith(f"entry point {module.NAME} = coyuntura.engine.mechanisms.")
    # The schedule runs by stage, the economy first and polarization last.
    assert registry.names()[0] == "economic_squeeze" and registry.names()[-1] == "polarization"


@pytest.mark.unit
def test_an_unknown_mechanism_name_gets_the_known_ones() -> None:
    with pytest.raises(MechanismError, match="no mechanism is called 'cuop'; known: economic_squeeze, grievance_legitimacy"):
        installed_mechanisms().get("cuop")


@pytest.mark.unit
def test_the_contract_names_every_fault() -> None:
    broken = SimpleNamespace(NAME="Bad Name", TITLE="t", COVERS=(), SOURCE=(), READS=(), WRITES=(), SLOTS=(), SUMMARY="s", FORMS=(), EQUATIONS=(1,))
    with pytest.raises(MechanismError) as caught:
        check_contract(broken, "test.py")
    message = str(caught.value)
    assert message.startswith("the mechanism from test.py does not keep the mechanism contract: ")
    for fault in ("STAGE is missing", "EVENTS is missing", "EQUATIONS should hold strings only", "Params should be a pydantic model",
                  "apply(state, params, month) is missing", "NAME 'Bad Name' should be a lower-case identifier"):
        assert fault in message
    broken.EVENTS = ("coup_attempt", "soldiers_committee")
    with pytest.raises(MechanismError, match="EVENTS names unknown event kinds 'soldiers_committee'; known: coup_attempt, general_strike"):
        check_contract(broken, "test.py")


@pytest.mark.unit
@pytest.mark.parametrize("name", ["bolivia-1952", "chile-1970"])
def test_every_event_is_of_a_kind_its_mechanism_declares(name: str) -> None:
    from coyuntura.engine.events import EventType

    model = compile_scenario(load_scenario(name))
    events = simulate(model, 300, seed=5, until=model.scenario.calendar.horizon, keep_events=True).events
    assert events is not None
    recorded = {(model.mechanism_names[code], EventType(kind).key) for code, kind in zip(events["mechanism"], events["event"])}
    undeclared = {(mechanism, kind) for mechanism, kind in recorded if kind not in model.mechanism_events[mechanism]}
    assert len(recorded) > 10 and undeclared == set()


@pytest.mark.unit
def test_the_event_table_leaves_out_what_no_mechanism_of_the_scenario_records() -> None:
    from coyuntura.engine.outcomes import OUTCOME_KEYS
    from coyuntura.engine.tables import event_table

    chile = simulate(compile_scenario(load_scenario("chile-1970")), 100, seed=1)
    shown = [row[0] for row in event_table(chile).rows]
    assert {"repression_wave", "guerrilla_foco", "guerrilla_defeated", "party_split"}.isdisjoint(shown)
    assert {"coup_success", "general_strike", "popular_assembly"} <= set(shown)
    assert "Left out, as no mechanism of this scenario records them: Repression wave, Governing party splits, Guerrilla foco" in " ".join(event_table(chile).notes)
    bolivia = simulate(compile_scenario(load_scenario("bolivia-1952")), 50, seed=1)
    assert [row[0] for row in event_table(bolivia).rows] == list(OUTCOME_KEYS) and not any("Left out" in n for n in event_table(bolivia).notes)


@pytest.mark.unit
def test_no_built_in_mechanism_names_a_role_or_number_after_one_case() -> None:
    fields = {name for module in BUILTIN for name in module.Params.model_fields}
    assert len(fields) > 150 and not fields & BOLIVIAN_ROLE_NAMES
    assert [name for name in fields if any(word in name for word in ("mnr", "miner", "soviet", "santa_cruz"))] == []


@pytest.mark.unit
def test_a_scenario_with_three_mechanisms_one_its_own_checks_and_runs() -> None:
    scenario = load_scenario(COUNTRYSIDE)
    assert scenario.mechanisms.names() == ("land_seizures", "mass_mobilization", "repression")
    roles = {name for module in scenario.mechanism_schedule() for name in module.Params.model_fields if name not in ("enabled", "note")}
    assert not roles & BOLIVIAN_ROLE_NAMES
    assert [module.NAME for module in scenario.mechanism_schedule()] == ["land_seizures", "mass_mobilization", "repression"]  # by stage
    assert scenario.mechanism_registry().origin("land_seizures") == str(PLUGIN.resolve())
    model = compile_scenario(scenario)
    assert model.mechanism_names == ("land_seizures", "mass_mobilization", "repression", "exogenous_events")
    ensemble = simulate(model, 200, seed=0, keep_events=True)
    events = ensemble.events
    assert events is not None
    by_plugin = events["mechanism"] == model.mechanism_codes["land_seizures"]
    assert model.event_codes["land_seizure"] == len(EventType)  # the first code after the engine's
    assert by_plugin.any() and np.all(events["event"][by_plugin] == model.event_codes["land_seizure"])
    assert model.event_kinds[-1] == "land_seizure" and model.outcomes[-1].label == "Wave of land seizures"
    # Same seed, same numbers, whatever the batch size.
    again = simulate(model, 200, seed=0, keep_events=True, batch_size=64)
    np.testing.assert_array_equal(ensemble.outcome_counts, again.outcome_counts)


@pytest.mark.unit
def test_the_plug_in_appears_in_sources_describe_and_the_chronicle() -> None:
    scenario = load_scenario(COUNTRYSIDE)
    listed = {m.name: m for m in sources(scenario).mechanisms}
    assert set(listed) == {"land_seizures", "mass_mobilization", "repression"}
    assert listed["land_seizures"].title == "Land seizures by organized peasants"
    assert [loc.text for loc in listed["land_seizures"].locators] == ["The Countryside, L35-37"]
    text = render_markdown(describe_scenario(scenario))
    assert "### 7.1 Land seizures by organized peasants (`land_seizures`)" in text
    assert "coup" not in re.findall(r"\(`([a-z_]+)`\)", text)  # a mechanism the scenario does not use is not described
    model = compile_scenario(scenario)
    lines = [line for run in range(10) for line in chronicle(model, run)]
    told = [line for line in lines if line.mechanism == "land_seizures"]
    assert told and told[0].mechanism_title == "Land seizures by organized peasants"


@pytest.mark.unit
def test_a_mechanism_that_needs_another_names_it(tmp_path: Path) -> None:
    text = COUNTRYSIDE.read_text(encoding="utf-8")
    text = text.replace("mechanism_modules: [land_seizures.py]", f"mechanism_modules: [{PLUGIN}]")
    bolivia = (Path(__file__).resolve().parents[1] / "src" / "coyuntura" / "scenarios" / "bolivia-1952.yaml").read_text(encoding="utf-8")
    coup_block = re.search(r"\n  coup:\n(?:    .*\n)+", bolivia)
    assert coup_block is not None
    path = tmp_path / "with-coup.yaml"
    path.write_text(text.rstrip("\n") + coup_block.group(0), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = [p.render(str(path)) for p in caught.value.problems]
    line = text.rstrip("\n").count("\n") + 2  # the coup block's first line
    assert problems[0] == f"{path}:{line} at mechanisms.coup: the mechanism 'coup' needs the mechanism 'arms': add mechanisms.arms"


@pytest.mark.unit
def test_unknown_mechanism_in_a_file_is_named_with_its_line(tmp_path: Path) -> None:
    text = COUNTRYSIDE.read_text(encoding="utf-8").replace("  repression:\n", "  represion:\n")
    path = tmp_path / "typo.yaml"
    path.write_text(text.replace("[land_seizures.py]", f"[{PLUGIN}]"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert problem.path == "mechanisms.represion" and problem.line == text.splitlines().index("  represion:") + 1
    assert problem.message.startswith("no mechanism is called 'represion'; known: economic_squeeze, ")


@pytest.mark.unit
def test_mechanism_files_are_refused_where_they_cannot_be_used(tmp_path: Path) -> None:
    text = COUNTRYSIDE.read_text(encoding="utf-8")
    with pytest.raises(ScenarioError, match="cannot name mechanism files"):
        parse_scenario(text)  # text with no folder: nothing to resolve the file against, nothing is imported
    (tmp_path / "land_seizures.py").write_text("NAME = 'land_seizures'\n", encoding="utf-8")
    path = tmp_path / "countryside.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert problem.path == "mechanism_modules.0" and "does not keep the mechanism contract: TITLE is missing" in problem.message
    path.write_text(text.replace("[land_seizures.py]", "[missing.py]"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="missing.py does not exist"):
        load_scenario(path)


@pytest.mark.unit
def test_a_scenario_with_its_own_mechanism_pickles_for_worker_processes() -> None:
    scenario = load_scenario(COUNTRYSIDE)
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy == scenario and copy.mechanism_schedule()[0].NAME == "land_seizures"


@pytest.mark.integration
def test_worker_processes_run_a_scenario_with_its_own_mechanism_to_the_same_numbers() -> None:
    from coyuntura.executor import ProcessExecutor
    from coyuntura.parallel import simulate_parallel

    scenario = load_scenario(COUNTRYSIDE)
    inline = simulate(compile_scenario(scenario), 300, seed=4)
    with ProcessExecutor(2) as executor:
        spread = simulate_parallel(executor, scenario, 300, seed=4, chunk_runs=100)
    np.testing.assert_array_equal(spread.outcome_counts, inline.outcome_counts)
    np.testing.assert_array_equal(spread.regime_counts, inline.regime_counts)


@pytest.mark.unit
def test_an_edited_mechanism_file_is_imported_again(tmp_path: Path) -> None:
    (tmp_path / "land_seizures.py").write_text(PLUGIN.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "countryside.yaml"
    path.write_text(COUNTRYSIDE.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_scenario(path).mechanism_registry().get("land_seizures")
    edited = PLUGIN.read_text(encoding="utf-8").replace('TITLE = "Land seizures by organized peasants"', 'TITLE = "Tomas de tierras"')
    (tmp_path / "land_seizures.py").write_text(edited, encoding="utf-8")
    second = load_scenario(path).mechanism_registry().get("land_seizures")
    assert (first.TITLE, second.TITLE) == ("Land seizures by organized peasants", "Tomas de tierras")


LEFT_OUT_OF_CHILE = ("nationalist_drift", "new_class", "mystification", "repression", "guerrilla_foco")


@pytest.mark.unit
def test_chile_is_bundled_with_only_the_mechanisms_its_notes_give_ground_for() -> None:
    assert {"bolivia-1952", "chile-1970"} <= set(bundled_scenarios())
    assert (bundled_scenarios()["chile-1970"].parent / "chile-1970-notes.txt").exists()  # the text it cites ships beside it
    chile = load_scenario("chile-1970")
    names = set(chile.mechanisms.names())
    assert len(names) == 15 and not names & set(LEFT_OUT_OF_CHILE)  # 14 bundled ones and its own, shortages
    assert {"coup", "mass_mobilization", "left_unity", "nationalization", "patron_leverage", "polarization"} <= names
    left_out = " ".join(item.item for item in chile.not_represented)
    assert all(f"({name}, M" in left_out for name in LEFT_OUT_OF_CHILE), left_out
    ensemble = simulate(compile_scenario(chile), 200, seed=1)
    assert ensemble.n_runs == 200 and ensemble.regime_counts[-1].sum() == 200


PETRAS_SECTIONS = ("Introduction", "President Torres and the Miners", "Popular Assembly", "The Miners", "The Peasantry", "University and Church",
                   "The Role of the Military", "U.S. Imperialism", "The Guerrilla Movement", "Torres: National Capitalism")


@pytest.mark.unit
def test_reports_of_another_analysis_cite_none_of_the_bolivian_passages() -> None:
    chile = load_scenario("chile-1970")
    cited = re.compile(rf"(?:{'|'.join(re.escape(title) for title in PETRAS_SECTIONS)}), L\d")
    text = render_markdown(describe_scenario(chile))
    assert not cited.findall(text)
    assert "It was written from another analysis (Bolivia: Between the Army and the Miners" in text
    cited_for_chile = {m.name: m.source for m in sources(chile).mechanisms if m.source or m.locators}
    # Only its own mechanism, written from its notes, cites passages: those of the notes.
    assert cited_for_chile == {"shortages": ("Business, the Opposition and the United States, L56-58", "The Crisis of 1972-1973, L70-71", "The Copper Miners, L20-21")}
    assert "The Crisis of 1972-1973, L70-71" in text
    lines = chronicle(compile_scenario(chile), 0)
    assert lines and all(not line.locators for line in lines if line.mechanism != "exogenous_events")
    # The bundled scenario encodes that analysis: its reports cite the passages.
    bolivia = load_scenario("bolivia-1952")
    coup = next(m for m in sources(bolivia).mechanisms if m.name == "coup")
    assert "Introduction, L62-67" in coup.source


@pytest.mark.unit
def test_describe_names_a_scenario_s_own_mechanism_by_its_file(tmp_path: Path) -> None:
    # The bundled example, its file beside it: named as the scenario lists it, never by its import name.
    text = render_markdown(describe_scenario(load_scenario(COUNTRYSIDE)))
    assert "The scenario's own file `land_seizures.py`; built from:" in text  # its submodel (COVERS is empty: no "covers")
    assert "Module `coyuntura.engine.mechanisms.m6_mass_mobilization`; covers M6; built from:" in text  # a built-in keeps its module
    assert "covers ;" not in text and "coyuntura_local_mechanisms" not in text and "land_seizures_" not in text
    assert (
        "The mechanisms are the modules `m6_mass_mobilization`, `m8_repression` of `coyuntura.engine.mechanisms` "
        "and the scenario's own file `land_seizures.py` (as the scenario lists it, relative to its file)."
    ) in text
    # A file in a folder below the scenario's: the path the scenario gives, relative to it.
    (tmp_path / "mechs").mkdir()
    (tmp_path / "mechs" / "land_seizures.py").write_text(PLUGIN.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "countryside.yaml"
    path.write_text(COUNTRYSIDE.read_text(encoding="utf-8").replace("[land_seizures.py]", "[mechs/land_seizures.py]"), encoding="utf-8")
    text = render_markdown(describe_scenario(load_scenario(path)))
    assert "The scenario's own file `mechs/land_seizures.py`; built from:" in text
    assert "the scenario's own file `mechs/land_seizures.py`" in text and "land_seizures_" not in text


@pytest.mark.unit
def test_chile_s_own_shortages_mechanism_moves_hardship_the_middle_and_the_wage_earners() -> None:
    from coyuntura.experiments.whatif import Intervention, apply_intervention

    chile = load_scenario("chile-1970")
    assert "shortages" in chile.mechanisms.names() and chile.mechanism_registry().get("shortages").SOURCE_TITLE == chile.source_document.title
    off, _ = apply_intervention(
        chile,
        Intervention(changes={f"mechanisms.shortages.{name}": 0.0 for name in ("inflation_rate", "rightward_drift", "support_erosion")}),
    )
    until = chile.calendar.start + 18
    with_shortages = simulate(compile_scenario(chile), 400, seed=2, until=until, keep_state=True).final_state
    without = simulate(compile_scenario(off), 400, seed=2, until=until, keep_state=True).final_state
    assert with_shortages is not None and without is not None
    actor = {actor.id: index for index, actor in enumerate(chile.actors)}
    # Same runs, same random numbers: shortages raise hardship, move the middle right and cost the wage earners' support.
    assert with_shortages.hardship.mean() > without.hardship.mean() + 0.05
    assert with_shortages.radicalism[actor["christian_democrats"]].mean() < without.radicalism[actor["christian_democrats"]].mean()
    assert with_shortages.support[actor["copper_miners"]].mean() < without.support[actor["copper_miners"]].mean()


@pytest.mark.unit
def test_a_mechanism_that_fails_is_named_with_its_file_and_month(tmp_path: Path) -> None:
    from coyuntura.engine.simulate import MechanismFailed, trial_run

    path = countryside_copy(tmp_path, plugin=misspelt_event)
    model = compile_scenario(load_scenario(path))  # the file keeps the contract: only running it shows the fault
    expected = rf"mechanism 'land_seizures' \({re.escape(str(tmp_path / 'land_seizures.py'))}\) failed in \d{{4}}-\d\d: AttributeError: SOLDIERS_COMMITTEE"
    with pytest.raises(MechanismFailed, match=expected) as caught:
        trial_run(model)
    assert isinstance(caught.value.__cause__, AttributeError)
    trial_run(compile_scenario(load_scenario(COUNTRYSIDE)))  # the example itself runs its trial months


@pytest.mark.integration
def test_check_runs_the_mechanisms_and_names_one_that_fails(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from coyuntura.cli import app

    path = countryside_copy(tmp_path, plugin=misspelt_event)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: mechanism 'land_seizures'" in result.output and "AttributeError: SOLDIERS_COMMITTEE" in result.output
    assert CliRunner().invoke(app, ["check", str(COUNTRYSIDE)]).exit_code == 0


@pytest.mark.unit
def test_names_the_engine_keeps_for_itself_are_refused() -> None:
    from coyuntura.engine.mechanisms import m15_economic_squeeze

    taken = SimpleNamespace(**{name: getattr(m15_economic_squeeze, name) for name in dir(m15_economic_squeeze) if name.isupper() or name in ("Params", "apply")})
    taken.NAME = "regimes"
    with pytest.raises(MechanismError, match="NAME 'regimes' is reserved"):
        check_contract(taken, "test.py")
    taken.NAME = ["not", "a", "name"]
    with pytest.raises(MechanismError, match="NAME should be a str, not list"):
        check_contract(taken, "test.py")


@pytest.mark.unit
def test_a_switched_off_mechanism_records_nothing_and_its_outcomes_leave_the_table() -> None:
    from coyuntura.engine.tables import event_table
    from coyuntura.scenario.paths import with_values

    bolivia = load_scenario("bolivia-1952")
    off = with_values(bolivia, {"mechanisms.repression.enabled": False}, reason="test")
    model = compile_scenario(off)
    assert "repression_wave" not in model.event_kinds and "repression_wave" in compile_scenario(bolivia).event_kinds
    shown = [row[0] for row in event_table(simulate(model, 50, seed=1)).rows]
    assert "repression_wave" not in shown and "coup_success" in shown


@pytest.mark.unit
def test_a_plug_in_s_own_kinds_of_event_must_be_new_and_its_own() -> None:
    from coyuntura.engine.mechanisms import m15_economic_squeeze
    from coyuntura.engine.model import new_event_kinds

    module = SimpleNamespace(**{name: getattr(m15_economic_squeeze, name) for name in dir(m15_economic_squeeze) if name.isupper() or name in ("Params", "apply")})
    module.NEW_EVENTS = {"coup_attempt": "A coup"}
    with pytest.raises(MechanismError, match="NEW_EVENTS declares 'coup_attempt', which is already a kind of event or an outcome"):
        check_contract(module, "test.py")
    for reserved in ("total", "regime"):  # the score tables' total row and regime row are keyed so
        module.NEW_EVENTS = {reserved: "A clash"}
        with pytest.raises(MechanismError, match=f"NEW_EVENTS declares '{reserved}', which is reserved"):
            check_contract(module, "test.py")
    module.NEW_EVENTS, module.EVENTS = {"bread_riot": "Bread riot"}, ("bread_riot", "soldiers_committee")
    with pytest.raises(MechanismError, match=r"EVENTS names unknown event kinds 'soldiers_committee'.*declare a kind of its own in NEW_EVENTS"):
        check_contract(module, "test.py")
    other = SimpleNamespace(NAME="other", NEW_EVENTS={"bread_riot": "Riot"})
    module.NAME = "first"
    assert new_event_kinds((module,))["bread_riot"] == (len(EventType), "Bread riot")
    with pytest.raises(ValueError, match="the mechanisms 'first' and 'other' both declare the kind of event 'bread_riot'"):
        new_event_kinds((module, other))


@pytest.mark.integration
def test_check_refuses_a_mechanism_file_the_model_description_would_refuse(tmp_path: Path) -> None:
    """check holds a scenario's own mechanism to what describe needs (FORMS among the known forms, ...)."""
    from typer.testing import CliRunner

    from coyuntura.cli import app

    path = countryside_copy(tmp_path, plugin=lambda text: text.replace('FORMS = ("hazard",)', 'FORMS = ("hazard", "logistic")'))
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "FORMS names unknown forms ['logistic']; known: hazard," in " ".join(result.output.split())
