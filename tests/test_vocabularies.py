"""Declared vocabularies: the regime types a scenario declares, and the kinds of event its mechanisms can record."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from coyuntura.engine.model import compile_scenario
from coyuntura.engine.outcomes import runs_with_outcome
from coyuntura.engine.parameters import ParameterError
from coyuntura.engine.simulate import simulate
from coyuntura.scenario.calendar import format_month, parse_month
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import bundled_scenarios, load_scenario, parse_scenario
from plugin_example import PLUGIN, countryside_copy

pytestmark = pytest.mark.unit

TOY = Path(__file__).resolve().parent / "data" / "toy.yaml"


def _without_regimes(text: str) -> str:
    """The scenario's text with its regimes block cut out."""
    return re.sub(r"\nregimes:\n(?:  .*\n|\n)*?(?=\S)", "\n", text, count=1)


def test_a_scenario_whose_mechanisms_change_governments_must_declare_its_regimes() -> None:
    text = _without_regimes(TOY.read_text(encoding="utf-8"))
    assert "\nregimes:" not in text
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "toy.yaml")
    assert (
        "toy.yaml at regimes: required, as the mechanism 'coup', the mechanism 'regime_exit', the mechanism 'polarization' and the "
        "scheduled event 'military_president_dies' can change the government: declare, for each regime type, the coalition a new government of that "
        "type governs with and the policy it starts from"
    ) in str(caught.value)


def test_a_scenario_that_never_changes_governments_needs_no_regimes() -> None:
    countryside = load_scenario(Path(__file__).resolve().parents[1] / "docs" / "examples" / "countryside-1971.yaml")
    assert countryside.regimes is None
    assert "government_change" not in compile_scenario(countryside).event_kinds


def test_a_new_government_installs_the_coalition_and_policy_its_type_declares() -> None:
    scenario = load_scenario("chile-1970")
    model = compile_scenario(scenario)
    declared = scenario.regimes
    assert declared is not None
    compiled = model.params["regimes"]
    assert compiled.policy_right_military == declared.right_military.policy.value == -0.6
    assert [model.actor_ids[i] for i in compiled.coalition_civilian_elected] == list(declared.civilian_elected.coalition)


def test_a_regime_s_policy_may_vary_per_run_and_moves_what_follows_a_coup() -> None:
    model = compile_scenario(load_scenario(TOY))
    n = 400
    until = model.scenario.calendar.start + 24
    low = simulate(model, n, seed=3, until=until, keep_state=True, parameters={"regimes.right_military.policy": np.full(n, -0.9)})
    high = simulate(model, n, seed=3, until=until, keep_state=True, parameters={"regimes.right_military.policy": np.full(n, 0.0)})
    assert low.final_state is not None and high.final_state is not None
    right = (low.final_state.regime == 1) & (high.final_state.regime == 1)  # same runs, same coups: under the right in both
    assert right.sum() > 10
    assert low.final_state.policy[right].mean() < high.final_state.policy[right].mean()
    with pytest.raises(ParameterError, match="regimes.junta.policy cannot vary per run"):
        simulate(model, 4, seed=0, until=until, parameters={"regimes.junta.policy": np.zeros(4)})


def test_the_bundled_scenarios_declare_every_regime_type() -> None:
    for path in bundled_scenarios().values():
        scenario = load_scenario(path)
        assert scenario.regimes is not None, path.name
        assert all(getattr(scenario.regimes, key).coalition for key in type(scenario.regimes).model_fields), path.name


def test_an_observation_no_mechanism_can_produce_is_warned_of(tmp_path: Path) -> None:
    from coyuntura.scenario.checks import scenario_warnings

    observations = (
        "\nobservations:\n"
        '  - {id: no_coup, outcome: coup_success, window: ["1971-01", "1971-12"], observed: false, description: "No coup.", '
        'assumption: "A test observation."}\n'
        '  - {id: a_strike, outcome: general_strike, month: "1971-05", observed: true, description: "A strike.", '
        'assumption: "A test observation."}\n'
    )
    path = countryside_copy(tmp_path, scenario=lambda text: text + observations)
    warned = [w for w in scenario_warnings(load_scenario(path)) if w.path.startswith("observations.")]
    assert [(w.path, w.message) for w in warned] == [(
        "observations.0.outcome",
        "observation 'no_coup' scores 'coup_success', which no mechanism or scheduled event of this scenario records "
        "(coup_attempt): the model gives it probability 0",
    )]


def test_a_mobilization_nothing_can_trigger_is_warned_of(tmp_path: Path) -> None:
    from coyuntura.scenario.checks import scenario_warnings

    path = countryside_copy(tmp_path)
    assert not [w for w in scenario_warnings(load_scenario(path)) if w.path == "mechanisms.mass_mobilization"]  # repression triggers it
    countryside_copy(tmp_path, scenario=lambda text: text.replace("\n  repression:\n", "\n  repression:\n    enabled: false\n    note: test\n", 1))
    warned = [w.message for w in scenario_warnings(load_scenario(path)) if w.path == "mechanisms.mass_mobilization"]
    assert warned and warned[0].startswith("nothing in this scenario sets off mass_mobilization's monthly cascade")


def test_a_scenario_names_its_regime_types_in_its_own_words() -> None:
    from coyuntura.engine.tables import REGIME_LABELS, regime_table

    chile = load_scenario("chile-1970")
    assert chile.regime_labels()[:2] == ("Popular Unity government (elected, of the left)", "Military junta")
    assert chile.regime_labels()[2] == REGIME_LABELS["nationalist_military"]  # no label: the engine's name
    table = regime_table(simulate(compile_scenario(chile), 50, seed=0))
    assert [row[1] for row in table.rows][:2] == ["Popular Unity government (elected, of the left)", "Military junta"]
    bolivia = load_scenario("bolivia-1952")
    assert bolivia.regime_labels() == tuple(REGIME_LABELS.values()) and bolivia.regime_colours() == (None,) * 5


def test_a_regime_colour_must_be_hex() -> None:
    text = TOY.read_text(encoding="utf-8").replace("\nregimes:\n  civilian_nationalist:\n", "\nregimes:\n  civilian_nationalist:\n    colour: red\n", 1)
    with pytest.raises(ScenarioError, match=r"regimes\.civilian_nationalist\.colour"):
        parse_scenario(text, "toy.yaml")


def test_a_scheduled_government_change_and_system_shock_act_in_every_run() -> None:
    from coyuntura.engine.events import EventType
    from coyuntura.report.chronicle import chronicle

    text = TOY.read_text(encoding="utf-8").replace("\nevents:\n", (
        "\nevents:\n"
        '  - {id: election, kind: government_change, month: "1971-01", regime: civilian_elected, description: "An election.", '
        'source: "Introduction, L1-5", says: "A test event."}\n'
        '  - {id: price_collapse, kind: system_shock, month: "1971-01", variable: hardship, value: {value: 0.9, assumption: "A test."}, '
        'description: "Export prices collapse.", assumption: "A test event."}\n'
    ), 1)
    scenario = parse_scenario(text, "toy.yaml")
    model = compile_scenario(scenario)
    assert {"government_change"} <= set(scenario.scheduled_event_kinds())
    month = next(e.month for e in scenario.events if e.id == "election")
    ensemble = simulate(model, 40, seed=1, until=month, keep_events=True, keep_state=True)
    state = ensemble.final_state
    assert state is not None and np.all(state.regime == 4)  # civilian_elected, in every run
    assert np.all(state.hardship >= 0.85)  # set to 0.9 at the start of the month; mechanisms move it a little after
    events = ensemble.events
    assert events is not None
    changes = (events["event"] == int(EventType.GOVERNMENT_CHANGE)) & (events["month"] == month)
    assert len(set(events["run"][changes].tolist())) == 40
    told = chronicle(model, 0, until=month)
    change = [line for line in told if line.event == "government_change" and line.month == month]
    assert change and [locator.text for locator in change[0].locators] == ["Introduction, L1-5"]  # it cites the event's own source
    assert any(line.text == "Export prices collapse." and line.event == "shock" for line in told)  # a shock is told too


def test_a_foreign_intervention_tips_the_contests_it_joins() -> None:
    from coyuntura.engine.outcomes import runs_with_outcome

    base = TOY.read_text(encoding="utf-8")
    scenario = parse_scenario(base, "toy.yaml")
    start, end = scenario.calendar.start, scenario.calendar.start + 23

    def successes(side: str | None) -> int:
        text = base
        if side is not None:
            text = base.replace("\nevents:\n", (
                "\nevents:\n"
                f'  - {{id: intervention, kind: foreign_intervention, month: "{format_month(start)}", until: "{format_month(end)}", '
                f'side: {side}, force: {{value: 5.0, assumption: "A test."}}, description: "Troops.", assumption: "A test event."}}\n'
            ), 1)
        model = compile_scenario(parse_scenario(text, "toy.yaml"))
        ensemble = simulate(model, 400, seed=2, until=end, keep_events=True)
        assert ensemble.events is not None
        return int(runs_with_outcome(ensemble.events, "coup_success", 400).sum())

    alone, for_plotters, for_government = successes(None), successes("plotters"), successes("government")
    assert for_government < alone < for_plotters, (for_government, alone, for_plotters)
    with pytest.raises(ScenarioError, match="until .* is before the intervention's month"):
        parse_scenario(base.replace("\nevents:\n", (
            '\nevents:\n  - {id: back, kind: foreign_intervention, month: "1971-05", until: "1971-01", side: government, '
            'force: {value: 1.0, assumption: "A test."}, description: "x", assumption: "A test event."}\n'
        ), 1), "toy.yaml")


def test_an_election_turns_out_an_incumbent_as_its_legitimacy_decides() -> None:
    base = TOY.read_text(encoding="utf-8")
    start = parse_scenario(base, "toy.yaml").calendar.start

    def lost(intercept: float) -> tuple[int, int]:
        text = base.replace("\nevents:\n", (
            "\nevents:\n"
            f'  - {{id: vote, kind: election, month: "{format_month(start + 2)}", applies_to: [nationalist_military], '
            f'challenger: civilian_elected, incumbent_intercept: {{value: {intercept}, assumption: "A test."}}, '
            'legitimacy_coef: {value: 2.0, assumption: "A test."}, description: "An election.", assumption: "A test event."}\n'
        ), 1)
        model = compile_scenario(parse_scenario(text, "toy.yaml"))
        assert "election" in model.layout.names
        before = simulate(model, 300, seed=4, until=start + 1, keep_state=True).final_state
        after = simulate(model, 300, seed=4, until=start + 2, keep_state=True).final_state
        assert before is not None and after is not None
        held = before.regime == 2  # nationalist_military going into the election month
        return int(held.sum()), int((held & (after.regime == 4)).sum())

    held, kept_out = lost(-12.0)
    assert held > 100 and kept_out >= held - 5  # nearly every incumbent loses (a coup may come first in a few runs)
    assert lost(12.0)[1] == 0  # and none does
    assert "election" not in compile_scenario(parse_scenario(base, "toy.yaml")).layout.names  # no election, no draw


def test_an_intervention_that_began_before_the_start_but_lasts_into_the_runs_is_not_warned_of() -> None:
    from coyuntura.scenario.checks import intervention_warnings
    from coyuntura.scenario.schema import ForeignIntervention

    scenario = load_scenario(TOY)
    snapshot = scenario.snapshots[-1]
    event = ForeignIntervention.model_validate({
        "id": "troops", "kind": "foreign_intervention", "month": format_month(snapshot.month - 3), "until": format_month(snapshot.month + 6),
        "side": "government", "force": {"value": 1.0, "assumption": "A test."}, "description": "Troops.", "assumption": "A test.",
    })
    changed = scenario.model_copy(update={"events": (*scenario.events, event)})
    warned = intervention_warnings(scenario, changed, snapshot.id, None, (), added=("troops",))
    assert not [w for w in warned if "troops" in w.message], warned
    short = event.model_copy(update={"until": snapshot.month - 1})
    changed = scenario.model_copy(update={"events": (*scenario.events, short)})
    assert [w for w in intervention_warnings(scenario, changed, snapshot.id, None, (), added=("troops",)) if "never fires" in w.message]


def test_ensembles_with_different_outcomes_do_not_merge_and_a_switched_off_plug_in_shows_no_row(tmp_path: Path) -> None:
    from coyuntura.engine.simulate import merge_ensembles
    from coyuntura.engine.tables import event_table

    path = countryside_copy(tmp_path, scenario=lambda text: text.replace("\n  land_seizures:\n", "\n  land_seizures:\n    enabled: false\n    note: test\n", 1))
    off = simulate(compile_scenario(load_scenario(path)), 50, seed=1)
    assert "land_seizure" in off.outcome_keys and "land_seizure" not in [row[0] for row in event_table(off).rows]
    toy = simulate(compile_scenario(load_scenario(TOY)), 50, seed=1)
    with pytest.raises(ValueError, match="same scenario, seed, start, until, periods and outcomes"):
        merge_ensembles([off, toy])


def test_a_system_shock_a_snapshot_start_never_sees_is_warned_of() -> None:
    from coyuntura.scenario.checks import scenario_warnings

    base = TOY.read_text(encoding="utf-8")
    scenario = parse_scenario(base, "toy.yaml")
    snapshot = scenario.snapshots[-1]
    text = base.replace("\nevents:\n", (
        "\nevents:\n"
        f'  - {{id: price_collapse, kind: system_shock, month: "{format_month(snapshot.month - 1)}", variable: hardship, '
        'value: {value: 0.95, assumption: "A test."}, description: "Prices collapse.", assumption: "A test event."}\n'
    ), 1)
    warned = [w.message for w in scenario_warnings(parse_scenario(text, "toy.yaml")) if "price_collapse" in w.message]
    restated = getattr(snapshot.system, "hardship") is not None
    assert bool(warned) != restated, warned
    if warned:
        assert "sets hardship to 0.95 but comes before this snapshot" in warned[0] and f"snapshots.{snapshot.id}.system.hardship" in warned[0]


def test_a_what_if_and_the_run_summary_count_a_plug_in_s_own_outcome(tmp_path: Path) -> None:
    from coyuntura.experiments.measures import outcome_counts
    from coyuntura.experiments.whatif import Intervention, run_whatif, whatif_table

    examples = Path(__file__).resolve().parents[1] / "docs" / "examples"
    countryside = load_scenario(examples / "countryside-1971.yaml")
    result = run_whatif(countryside, Intervention(changes={"mechanisms.land_seizures.intercept": -9.0}), n_runs=200, seed=3)
    rows = {row[0]: row for row in whatif_table(result).rows}
    assert rows["land_seizure"][1] == "Wave of land seizures"
    assert rows["land_seizure"][6] < -0.3  # far fewer waves when they are far less likely, on the same runs
    # The table shows what either arm can have: no coup row in a scenario without coups, and a note saying so.
    assert "coup_success" not in rows and "general_strike" in rows and "end_civilian_nationalist" in rows
    assert any(note.startswith("Left out, as no mechanism or scheduled event of either arm records them: Coup attempt") for note in whatif_table(result).notes)
    counts = outcome_counts(simulate(compile_scenario(countryside), 100, seed=1))
    assert counts["land_seizure"] > 50  # the run store's summary keeps it beside the engine's outcomes


SEIZURE_OBSERVATIONS = (
    "\nobservations:\n"
    '  - {id: seizures_1971, outcome: land_seizure, window: ["1971-01", "1971-12"], observed: true, description: "Land seized.", '
    'assumption: "A test observation."}\n'
    '  - {id: quiet_1973, outcome: land_seizure, window: ["1973-01", "1973-06"], observed: false, description: "No seizures.", '
    'assumption: "A test observation."}\n'
)


def test_the_record_may_observe_a_plug_in_s_own_kind_of_event(tmp_path: Path) -> None:
    from coyuntura.history.filtered import filtered_score
    from coyuntura.history.observations import timeline_cells
    from coyuntura.history.scores import MODEL, score_scenario

    path = countryside_copy(tmp_path, scenario=lambda text: text + SEIZURE_OBSERVATIONS)
    scenario = load_scenario(path)
    cells = [cell for cell in timeline_cells(scenario) if cell.key == "land_seizure"]
    assert [cell.label for cell in cells] == ["Wave of land seizures"] * len(cells) and len(cells) >= 2
    scored = score_scenario(scenario, runs=400, seed=1, replicates=4)
    by_cell = {f.cell.name: f for f in scored.forecasts}
    seized = by_cell["event:land_seizure:1971-01..1971-12"]
    # The model's probability is the share of runs with a wave that year: the plug-in fires in most of them.
    assert seized.probabilities[MODEL] > 0.5
    assert "Wave of land seizures" in [row[1] for row in scored.kinds.rows]
    filtered = filtered_score(scenario, runs=400, seed=1, replications=4)
    assert any(f.cell.key == "land_seizure" and 0.0 < f.probabilities[MODEL] < 1.0 for f in filtered.forecasts)


def test_an_observation_of_an_outcome_the_scenario_lacks_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = countryside_copy(tmp_path, scenario=lambda text: text + SEIZURE_OBSERVATIONS.replace("outcome: land_seizure,", "outcome: land_seizures,", 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert problem.path == "observations.0.outcome"
    assert problem.message.startswith("unknown outcome 'land_seizures' (did you mean 'land_seizure'?); outcomes: coup_attempt, ")
    assert problem.message.endswith(", land_seizure")
    # Without the plug-in, its kind is no outcome at all: the engine's list alone is offered.
    bolivia = TOY.read_text(encoding="utf-8").replace("outcome: coup_success,", "outcome: land_seizure,", 1)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(bolivia, "toy.yaml")
    assert any("unknown outcome 'land_seizure'" in p.message and "land_seizure" not in p.message.split("outcomes: ")[1] for p in caught.value.problems)


SEIZURE_PRIORS = {  # two free parameters: the seizures' intercept, and the polarization a wave adds (which no seizure reads)
    'intercept: {value: -5.0, assumption: "Seizures are rare': 'intercept: {value: -5.0, prior: {low: -9, high: -3}, assumption: "Seizures are rare',
    'polarization_jump: {value: 0.05, source:': 'polarization_jump: {value: 0.05, prior: {low: 0, high: 0.2}, source:',
}


def _with_seizure_priors(text: str) -> str:
    for old, new in SEIZURE_PRIORS.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_a_sweep_counts_a_plug_in_s_own_outcome_and_names_the_scenario_s_outcomes(tmp_path: Path) -> None:
    from coyuntura.experiments.sweeps import Sweep, run_sweep
    from coyuntura.store import RunStore

    countryside = load_scenario(countryside_copy(tmp_path))
    points = tuple({"mechanisms.land_seizures.intercept": value} for value in (-9.0, -3.0))
    store = RunStore(tmp_path / "runs.duckdb")
    result = run_sweep(Sweep(countryside, points, n_runs=100, seed=2), store)
    seized = result.probability("land_seizure")
    assert seized[0] < 0.2 < 0.8 < seized[1]  # waves are rare where they are unlikely, and come in most runs where they are likely
    assert "land_seizure" in result.outcomes
    summary = store.show(result.record_id or "")["summary"]["outcomes"]
    assert summary["land_seizure"]["max"] == pytest.approx(seized[1])
    with pytest.raises(KeyError, match=r"unknown outcome 'land_seizur' \(did you mean 'land_seizure'\?\); the outcomes of this sweep's scenario: .*land_seizure"):
        result.probability("land_seizur")
    # A point that switches the plug-in on brings its outcome into the sweep's columns, though the base has it off.
    (tmp_path / "off").mkdir()
    off = load_scenario(countryside_copy(tmp_path / "off", scenario=lambda text: text.replace("  land_seizures:\n", "  land_seizures:\n    enabled: false\n", 1)))
    switched = run_sweep(Sweep(off, ({"mechanisms.land_seizures.enabled": False}, {"mechanisms.land_seizures.enabled": True}), n_runs=50, seed=2))
    assert "land_seizure" in switched.outcomes
    assert switched.probability("land_seizure")[0] == 0.0 < switched.probability("land_seizure")[1]


def test_sensitivity_and_discovery_take_a_plug_in_s_own_outcome_and_refuse_one_the_scenario_lacks(tmp_path: Path) -> None:
    from coyuntura.experiments.discovery import run_discovery
    from coyuntura.experiments.sensitivity import run_sensitivity, sensitivity_table

    countryside = load_scenario(countryside_copy(tmp_path, scenario=_with_seizure_priors))
    result = run_sensitivity(countryside, "land_seizure", "morris", samples=4, n_runs=40, seed=1)
    mu = dict(zip((p.path for p in result.parameters), result.indices["mu"]))
    mu_star = dict(zip((p.path for p in result.parameters), result.indices["mu_star"]))
    assert mu["mechanisms.land_seizures.intercept"] > 0.3  # a likelier wave, more runs with one
    assert mu_star["mechanisms.land_seizures.polarization_jump"] < mu_star["mechanisms.land_seizures.intercept"] / 3
    assert "P(Wave of land seizures)" in sensitivity_table(result).title
    with pytest.raises(KeyError, match=r"unknown outcome 'land_seizur' \(did you mean 'land_seizure'\?\); the outcomes of scenario 'countryside-1971': "
                       r"general_strike, mass_mobilization, repression_wave, land_seizure, end_civilian_nationalist"):
        run_sensitivity(countryside, "land_seizur", "morris", samples=4)
    with pytest.raises(KeyError, match=r"outcome 'coup_success' cannot happen in scenario 'countryside-1971'.*: general_strike, .*land_seizure"):
        run_discovery(countryside, "coup_success")  # refused before any point is simulated


def test_what_if_tables_describe_and_chronicles_use_the_scenario_s_names_of_regime_types() -> None:
    from coyuntura.engine.events import EventType, Outcome
    from coyuntura.experiments.whatif import Intervention, run_whatif, whatif_table
    from coyuntura.report.chronicle import chronicle_from_events, sentence
    from coyuntura.report.describe.details import initialization_section
    from coyuntura.report.describe.document import Grid, Paragraph
    from coyuntura.report.describe.overview import entities_section

    def labels(scenario_id: str, start: str | None, until: str) -> dict[str, str]:
        scenario = load_scenario(scenario_id)
        intervention = Intervention(start=start, until=parse_month(until), changes={"mechanisms.coup.decisiveness": 3.0})
        return {row[0]: row[1] for row in whatif_table(run_whatif(scenario, intervention, 40, seed=1)).rows}

    def described(scenario_id: str) -> str:
        scenario = load_scenario(scenario_id)
        sections = [part for top in (entities_section(scenario), initialization_section(scenario)) for part in top.walk()]
        blocks = [block for section in sections for block in section.blocks]
        return "\n".join([b.text for b in blocks if isinstance(b, Paragraph)] + [" | ".join(row) for b in blocks if isinstance(b, Grid) for row in b.rows])

    popular_unity = "Popular Unity government (elected, of the left)"
    assert labels("chile-1970", None, "1971-06")["end_civilian_nationalist"] == f"At the end: {popular_unity}"
    assert labels("bolivia-1952", "march_1971", "1971-06")["end_civilian_nationalist"] == "At the end: Civilian revolutionary-nationalist government"
    chile, bolivia = described("chile-1970"), described("bolivia-1952")
    assert f"{popular_unity} (`civilian_nationalist`)" in chile and "Military junta (`right_military`)" in chile
    assert "Civilian revolutionary-nationalist government (`civilian_nationalist`)" not in chile
    assert "Civilian revolutionary-nationalist government (`civilian_nationalist`)" in bolivia and popular_unity not in bolivia

    model = compile_scenario(load_scenario("chile-1970"))
    ensemble = simulate(model, 60, seed=1, keep_events=True)
    assert ensemble.events is not None
    changed = [line.text for run in range(60) for line in chronicle_from_events(model, ensemble.events, run) if line.event == "government_change"]
    assert "New government: Military junta takes office." in changed  # a coup's junta
    engine_words = ("a right-wing military government", "a civilian revolutionary-nationalist government", "an elected civilian government")
    assert not [text for text in changed if any(words in text for words in engine_words)]  # the types chile-1970 names
    month = model.scenario.calendar.start
    assert sentence(model, EventType.GOVERNMENT_CHANGE, Outcome.TO_CIVILIAN_ELECTED, 0, "regime_exit", month) == (
        "New government: Elected civilian government (Christian Democrats) takes office."
    )
    # A type the scenario does not name keeps the engine's words, and so does every type of bolivia-1952.
    assert sentence(model, EventType.SUCCESSION, Outcome.TO_NATIONALIST, 0, "regime_exit", month).endswith(": a nationalist military government.")
    bolivia_model = compile_scenario(load_scenario("bolivia-1952"))
    assert sentence(bolivia_model, EventType.GOVERNMENT_CHANGE, Outcome.TO_RIGHT, 0, "coup", month) == (
        "New government: a right-wing military government takes office."
    )


def test_a_scenario_gives_only_the_system_variables_its_mechanisms_read(tmp_path: Path) -> None:
    """The countryside example gives only hardship (mass_mobilization reads it); giving the other fifteen changes nothing."""
    from coyuntura.scenario.checks import check_scenario

    lean = load_scenario(countryside_copy(tmp_path))
    assert [name for name in type(lean.system).model_fields if getattr(lean.system, name) is not None] == ["hardship"]
    full_block = "system:\n" + "".join(f"  {name}: {{value: 0.4, assumption: \"Unread.\"}}\n" for name in type(lean.system).model_fields if name != "hardship")
    (tmp_path / "full").mkdir()
    full = load_scenario(countryside_copy(tmp_path / "full", scenario=lambda text: text.replace("system:\n", full_block, 1)))
    assert all(getattr(full.system, name) is not None for name in type(full.system).model_fields)
    runs = [simulate(compile_scenario(s), 300, seed=2, keep_events=True).events for s in (lean, full)]
    for column in runs[0]:
        np.testing.assert_array_equal(runs[0][column], runs[1][column])
    (tmp_path / "bare").mkdir()
    bare = countryside_copy(tmp_path / "bare", scenario=lambda text: re.sub(r"\n  hardship: \{[^}]*\}", '\n  polarization: {value: 0.5, assumption: "Unread."}', text, count=1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bare)
    assert [(p.path, p.message) for p in caught.value.problems] == [(
        "system.hardship",
        "required: the mechanism 'mass_mobilization' of this scenario reads it; give its starting value with its provenance",
    )]
    assert check_scenario(load_scenario("bolivia-1952")) == []
    from coyuntura.scenario.paths import PathError, get_value

    with pytest.raises(PathError, match=r"system.corruption: scenario 'countryside-1971' gives no starting value for 'corruption' \(no mechanism"):
        get_value(lean, "system.corruption")


def _with_own_state(text: str, declaration: str, name: str, body: str) -> str:
    """The plug-in example with a variable of its own: ``declaration`` (NEW_STATE or NEW_ACTOR_STATE) beside its kind of
    event, ``name`` read and written, and ``body`` run after each month's waves."""
    text = text.replace('NEW_EVENTS = {"land_seizure": "Wave of land seizures"}', 'NEW_EVENTS = {"land_seizure": "Wave of land seizures"}\n' + declaration)
    text = text.replace('READS = ("organization", "radicalism", "policy", "support")', f'READS = ("organization", "radicalism", "policy", "support", "{name}")')
    text = text.replace('WRITES = ("mobilization", "polarization", "support")', f'WRITES = ("mobilization", "polarization", "support", "{name}")')
    return text.replace("    state.polarization += wave * p.polarization_jump\n", "    state.polarization += wave * p.polarization_jump\n" + body)


def _with_land_hunger(text: str) -> str:
    """A system variable of its own: land hunger builds up each month, and each wave of seizures spends it."""
    return _with_own_state(
        text, 'NEW_STATE = {"land_hunger": (0.0, 1.0, "Pent-up demand for land, 0..1")}', "land_hunger",
        '    hunger = state.variable("land_hunger")\n'
        "    hunger[:] = np.where(wave, 0.5 * hunger, hunger + 0.3)  # clipped to the declared [0, 1] at the month's end\n",
    )


def test_a_plug_in_declares_a_system_variable_of_its_own(tmp_path: Path) -> None:
    from coyuntura.report.mechanism_metadata import check_mechanism
    from coyuntura.scenario.plugins import load_module_file

    given = '  land_hunger: {value: 0.2, assumption: "A test value."}\n'
    path = countryside_copy(tmp_path, scenario=lambda text: text.replace("system:\n", "system:\n" + given, 1), plugin=_with_land_hunger)
    assert check_mechanism(load_module_file(tmp_path / "land_seizures.py")) == []
    scenario = load_scenario(path)
    assert scenario.system.given("land_hunger").value == 0.2
    model = compile_scenario(scenario)
    assert model.state_bounds == {"land_hunger": (0.0, 1.0)}
    assert model.initial_state(4).extra["land_hunger"].tolist() == [0.2] * 4
    ensemble = simulate(model, 200, seed=1, until=scenario.calendar.start + 11, keep_state=True, keep_events=True)
    hunger = ensemble.final_state.extra["land_hunger"]
    assert hunger.min() >= 0.0 and hunger.max() == 1.0  # it builds up to its ceiling where no wave spends it
    assert ensemble.events is not None
    seizure = next(definition for definition in ensemble.own_outcomes if definition.key == "land_seizure")
    waves = runs_with_outcome(ensemble.events, seizure, ensemble.n_runs, 0, (ensemble.until - 3, ensemble.until))
    assert hunger[~waves].min() == 1.0 and waves.any()
    # Batches carry it: the same numbers in batches of 7.
    again = simulate(model, 200, seed=1, until=scenario.calendar.start + 11, keep_state=True, batch_size=7)
    np.testing.assert_array_equal(again.final_state.extra["land_hunger"], hunger)
    # Sub-states (a coup's contest, a filter's resampling) and copies carry it too.
    state = ensemble.final_state
    picked = state.select(np.array([5, 1]))
    np.testing.assert_array_equal(picked.extra["land_hunger"], hunger[[5, 1]])
    picked.extra["land_hunger"][:] = [0.25, 0.75]
    copy, before = state.copy(), hunger.copy()
    state.assign(np.array([5, 1]), picked)
    assert state.extra["land_hunger"][5] == 0.25 and state.extra["land_hunger"][1] == 0.75
    np.testing.assert_array_equal(copy.extra["land_hunger"], before)  # a copy owns its arrays
    # Its starting value may vary per run, like the engine's system variables, within its declared range.
    starts = np.linspace(0.0, 0.6, 200)
    varied = simulate(model, 200, seed=1, until=scenario.calendar.start, keep_state=True, keep_events=True, parameters={"system.land_hunger": starts})
    assert varied.final_state is not None and varied.events is not None
    first_waves = runs_with_outcome(varied.events, seizure, 200)
    np.testing.assert_allclose(varied.final_state.extra["land_hunger"], np.where(first_waves, 0.5 * starts, np.minimum(starts + 0.3, 1.0)))
    with pytest.raises(ParameterError, match=r"system.land_hunger.*outside"):
        simulate(model, 2, seed=1, until=scenario.calendar.start, parameters={"system.land_hunger": [0.5, 1.5]})


def test_a_plug_in_s_system_variable_is_required_bounded_and_its_own(tmp_path: Path) -> None:
    def refused(scenario_edit: Callable[[str], str], folder: str) -> list[tuple[str, str]]:
        (tmp_path / folder).mkdir()
        path = countryside_copy(tmp_path / folder, scenario=scenario_edit, plugin=_with_land_hunger)
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
        return [(problem.path, problem.message) for problem in caught.value.problems]

    assert refused(lambda text: text, "missing") == [(
        "system.land_hunger", "required: the mechanism 'land_seizures' of this scenario reads it; give its starting value with its provenance",
    )]
    too_high = '  land_hunger: {value: 1.5, assumption: "A test value."}\n'
    [(where, message)] = refused(lambda text: text.replace("system:\n", "system:\n" + too_high, 1), "high")
    assert (where, message) == ("system.land_hunger", "1.5 lies outside [0, 1], the range its mechanism declares")
    unknown = '  land_thirst: {value: 0.5, assumption: "A test value."}\n'
    [(where, message)] = refused(lambda text: text.replace("system:\n", "system:\n" + unknown, 1), "unknown")
    assert where == "system.land_thirst" and message.startswith(
        "unknown key 'land_thirst' (did you mean 'land_hunger'?) (not part of the scenario format, nor a system variable a mechanism declares); keys: corruption,"
    )
    assert message.endswith(", guerrilla_defeats, land_hunger")


def test_a_shock_may_set_a_plug_in_s_system_variable_and_no_unknown_one(tmp_path: Path) -> None:
    given = '  land_hunger: {value: 0.2, assumption: "A test value."}\n'
    shock = (
        "\nevents:\n"
        '  - {id: eviction_decree, kind: system_shock, month: "1971-06", variable: land_hunger, value: {value: 0.0, assumption: "A test."}, '
        'description: "A decree.", assumption: "A test event."}\n'
    )
    path = countryside_copy(tmp_path, scenario=lambda text: text.replace("system:\n", "system:\n" + given, 1) + shock, plugin=_with_land_hunger)
    scenario = load_scenario(path)
    model = compile_scenario(scenario)
    month = parse_month("1971-06")
    with_shock = simulate(model, 100, seed=4, until=month, keep_state=True).final_state.extra["land_hunger"]
    # The shock empties the variable in the month it fires; the mechanism (stage 95) acts after scheduled events.
    assert with_shock.max() <= 0.3 + 1e-12
    (tmp_path / "bad").mkdir()
    bad = countryside_copy(tmp_path / "bad", scenario=lambda text: text.replace("system:\n", "system:\n" + given, 1) + shock.replace("variable: land_hunger", "variable: land_thirst"), plugin=_with_land_hunger)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    [problem] = caught.value.problems
    assert problem.path == "events.0.variable"
    assert problem.message.startswith("unknown system variable 'land_thirst'; a shock may set corruption, ")
    assert problem.message.endswith("popular_power, land_hunger")
    narrow = _with_land_hunger(PLUGIN.read_text(encoding="utf-8")).replace('(0.0, 1.0, "Pent-up', '(0.0, 0.5, "Pent-up')
    for folder, given_value, message in (
        ("narrow", 'value: {value: 0.9, assumption: "A test."}', "0.9 lies outside [0, 0.5]"),
        ("prior", 'value: {value: 0.2, assumption: "A test.", prior: {low: 0.0, high: 0.9}}', "its prior range [0, 0.9] leaves [0, 0.5]"),
    ):
        (tmp_path / folder).mkdir()
        refused_shock = countryside_copy(tmp_path / folder, scenario=lambda text: text.replace("system:\n", "system:\n" + given, 1) + shock.replace(
            'value: {value: 0.0, assumption: "A test."}', given_value), plugin=lambda _: narrow)
        with pytest.raises(ScenarioError) as caught:
            load_scenario(refused_shock)
        assert [(p.path, p.message) for p in caught.value.problems] == [
            ("events.0.value", f"{message}, the range of 'land_hunger' its mechanism declares")
        ]

VOTERS = '''"""Voters: a test mechanism that decides scheduled elections and does nothing else.

Introduction, L1-2: a test passage (the model description asks every mechanism for one).
"""

import numpy as np

from coyuntura.engine.mechanisms.base import MechanismParams
from coyuntura.scenario.quantities import Unit

NAME = "voters"
TITLE = "Voters decide elections"
STAGE = 5
COVERS = ()
SOURCE = ("Introduction, L1-2",)
READS = ()
WRITES = ()
SLOTS = ()
EVENTS = ()
SUMMARY = "The incumbent keeps office with a fixed probability."
FORMS = ("hazard",)
EQUATIONS = ("P(incumbent keeps office) = keep_share",)


class Params(MechanismParams):
    keep_share: Unit


def apply(state, p, month):
    pass


def incumbent_keeps_office(state, p, month):
    return np.full(state.n_runs, p.keep_share)
'''


def test_an_election_may_be_decided_by_a_mechanism_of_the_scenario(tmp_path: Path) -> None:
    base = TOY.read_text(encoding="utf-8")
    start = parse_scenario(base, "toy.yaml").calendar.start
    (tmp_path / "voters.py").write_text(VOTERS, encoding="utf-8")

    def scenario_with(keep_share: float, decided_by: str = "voters") -> Path:
        text = base.replace("\nevents:\n", (
            "\nevents:\n"
            f'  - {{id: vote, kind: election, month: "{format_month(start + 2)}", applies_to: [nationalist_military], '
            f'challenger: civilian_elected, decided_by: {decided_by}, description: "An election.", assumption: "A test event."}}\n'
        ), 1).replace("\nmechanisms:\n", (
            "\nmechanism_modules: [voters.py]\n\nmechanisms:\n"
            f'  voters:\n    keep_share: {{value: {keep_share}, assumption: "A test."}}\n'
        ), 1)
        path = tmp_path / f"toy-{keep_share}-{decided_by}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def lost(keep_share: float) -> tuple[int, int]:
        model = compile_scenario(load_scenario(scenario_with(keep_share)))
        before = simulate(model, 300, seed=4, until=start + 1, keep_state=True).final_state
        after = simulate(model, 300, seed=4, until=start + 2, keep_state=True).final_state
        assert before is not None and after is not None
        held = before.regime == 2
        return int(held.sum()), int((held & (after.regime == 4)).sum())

    held, kept_out = lost(0.0)
    assert held > 100 and kept_out >= held - 5  # the voters turn out nearly every incumbent (a coup may come first)
    assert lost(1.0)[1] == 0  # and keep every one
    # A winning side may start its new term from another programme.
    from coyuntura.engine.exogenous import apply_scheduled

    from helpers import fresh_state, make_month

    plain = scenario_with(1.0)
    radical = tmp_path / "toy-radical.yaml"
    radical.write_text(plain.read_text(encoding="utf-8").replace("decided_by: voters,", 'decided_by: voters, incumbent_policy: {value: 0.9, assumption: "A test."},', 1), encoding="utf-8")
    for path, expected in ((plain, None), (radical, 0.9)):
        model = compile_scenario(load_scenario(path))
        state = fresh_state(model, 4)
        policy = state.policy.copy()
        apply_scheduled(state, make_month(model, 4, {"election": 0.5}, index=start + 2))  # the voters keep every incumbent
        assert (state.regime == 2).all()
        np.testing.assert_array_equal(state.policy, policy if expected is None else np.full(4, expected))
    # Where the incumbent loses, the challenger's government starts from the policy its type declares, not the programme.
    losing = tmp_path / "toy-radical-lost.yaml"
    losing.write_text(radical.read_text(encoding="utf-8").replace("keep_share: {value: 1.0,", "keep_share: {value: 0.0,", 1), encoding="utf-8")
    lost_scenario = load_scenario(losing)
    model = compile_scenario(lost_scenario)
    state = fresh_state(model, 4)
    apply_scheduled(state, make_month(model, 4, {"election": 0.5}, index=start + 2))
    assert (state.regime == 4).all()
    np.testing.assert_array_equal(state.policy, np.full(4, lost_scenario.regimes.civilian_elected.policy.value))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_with(0.5, decided_by="coup"))
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("events.0.decided_by", "'coup' cannot decide an election (mechanisms of this scenario that can: voters)")
    ]
    both = base.replace("\nevents:\n", (
        "\nevents:\n"
        f'  - {{id: vote, kind: election, month: "{format_month(start + 2)}", challenger: civilian_elected, decided_by: voters, '
        'legitimacy_coef: {value: 2.0, assumption: "A test."}, description: "An election.", assumption: "A test event."}\n'
    ), 1)
    with pytest.raises(ScenarioError, match="give either 'decided_by' .* or 'incumbent_intercept' and 'legitimacy_coef', not both"):
        parse_scenario(both, "toy.yaml")
    off = scenario_with(0.5)
    off.write_text(off.read_text(encoding="utf-8").replace("  voters:\n", "  voters:\n    enabled: false\n", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"events.0.decided_by: the mechanism 'voters' is switched off"):
        load_scenario(off)


@pytest.mark.parametrize(("body", "said"), [
    ("    raise RuntimeError('no ballots')", "RuntimeError: no ballots"),
    ("    return np.full(state.n_runs, np.nan)", "ValueError: incumbent_keeps_office must give probabilities in [0, 1], got [nan"),
    ("    return np.full(state.n_runs, 1.5)", "ValueError: incumbent_keeps_office must give probabilities in [0, 1], got [1.5"),
    ("    return np.zeros(3)", "got shape (3,)"),
])
def test_a_deciding_mechanism_that_fails_is_named_with_the_month(tmp_path: Path, body: str, said: str) -> None:
    from coyuntura.engine.simulate import MechanismFailed

    base = TOY.read_text(encoding="utf-8")
    start = parse_scenario(base, "toy.yaml").calendar.start
    (tmp_path / "voters.py").write_text(VOTERS.replace("    return np.full(state.n_runs, p.keep_share)", body), encoding="utf-8")
    text = base.replace("\nevents:\n", (
        "\nevents:\n"
        f'  - {{id: vote, kind: election, month: "{format_month(start + 1)}", applies_to: [nationalist_military], '
        'challenger: civilian_elected, decided_by: voters, description: "An election.", assumption: "A test event."}\n'
    ), 1).replace("\nmechanisms:\n", '\nmechanism_modules: [voters.py]\n\nmechanisms:\n  voters:\n    keep_share: {value: 0.5, assumption: "A test."}\n', 1)
    (tmp_path / "toy.yaml").write_text(text, encoding="utf-8")
    model = compile_scenario(load_scenario(tmp_path / "toy.yaml"))
    with pytest.raises(MechanismFailed, match=rf"mechanism 'voters' \(.*voters.py\) failed in {format_month(start + 1)}: .*{re.escape(said)}"):
        simulate(model, 20, seed=1, until=start + 1)
    # check's trial months ask the deciding mechanism too, whenever the election falls.
    from coyuntura.engine.simulate import trial_run

    with pytest.raises(MechanismFailed, match=rf"mechanism 'voters' .*{re.escape(said)}"):
        trial_run(model, months=1)


def test_a_snapshot_restates_a_plug_in_s_system_variable(tmp_path: Path) -> None:
    """A snapshot's value of a plug-in's variable is where a run from it starts; it overrides a per-run start, and
    describe shows it."""
    from coyuntura.engine.parameters import snapshot_overrides
    from coyuntura.report.describe import describe_scenario, render_markdown

    plugin = VOTERS.replace('READS = ()', 'READS = ("land_hunger",)').replace(
        'EVENTS = ()', 'EVENTS = ()\nNEW_STATE = {"land_hunger": (0.0, 1.0, "Pent-up demand for land, 0..1")}')
    (tmp_path / "voters.py").write_text(plugin, encoding="utf-8")
    text = TOY.read_text(encoding="utf-8").replace(
        "\nmechanisms:\n", '\nmechanism_modules: [voters.py]\n\nmechanisms:\n  voters:\n    keep_share: {value: 0.5, assumption: "A test."}\n', 1
    ).replace("\nsystem:\n", '\nsystem:\n  land_hunger: {value: 0.2, assumption: "A test value."}\n', 1)
    first_snapshot = text.index("    system:\n", text.index("\nsnapshots:\n"))  # october_1970's system block
    text = text[:first_snapshot] + '    system:\n      land_hunger: {value: 0.9, assumption: "A test value."}\n' + text[first_snapshot + len("    system:\n"):]
    (tmp_path / "toy.yaml").write_text(text, encoding="utf-8")
    scenario = load_scenario(tmp_path / "toy.yaml")
    snapshot = scenario.snapshot("october_1970")
    model = compile_scenario(scenario)
    assert model.initial_state(3).extra["land_hunger"].tolist() == [0.2] * 3
    assert model.initial_state(3, snapshot).extra["land_hunger"].tolist() == [0.9] * 3
    assert "system.land_hunger" in snapshot_overrides(snapshot)
    from_snapshot = simulate(model, 3, seed=1, start="october_1970", until=snapshot.month, keep_state=True,
                             parameters={"system.land_hunger": [0.1, 0.2, 0.3]}).final_state
    assert from_snapshot is not None and from_snapshot.extra["land_hunger"].tolist() == [0.9] * 3  # the snapshot's value wins
    assert "| `land_hunger` | 0.9 |" in render_markdown(describe_scenario(scenario))


def test_the_scenario_format_knows_every_name_the_engine_keeps_state_under() -> None:
    """check refuses a plug-in's state variable named like one of the engine's; its list must be the engine's."""
    from coyuntura.report.mechanism_metadata import STATE_VARIABLES
    from coyuntura.scenario.checks import GOVERNMENT_VARIABLES
    from coyuntura.scenario.schema import ATTRIBUTE_NAMES, SystemState

    assert set(GOVERNMENT_VARIABLES) | set(SystemState.model_fields) | set(ATTRIBUTE_NAMES) >= set(STATE_VARIABLES)


def _with_land_held(text: str) -> str:
    """An actor attribute of its own: each wave of seizures moves land from the landowners to the peasants."""
    return _with_own_state(
        text, 'NEW_ACTOR_STATE = {"land_held": (0.0, 1.0, "Share of the land the actor holds")}', "land_held",
        '    held = state.variable("land_held")\n'
        "    held[p.landowners] -= wave * 0.2\n"
        "    for actor in p.peasants:\n"
        "        held[actor] += wave * 0.1\n",
    )


LAND_DEFAULT = '  land_held: {value: 0.0, assumption: "Most actors hold no land."}\n'
LANDOWNERS_HOLD = '    land_held: {value: 0.8, assumption: "A test value."}\n'


def _landed(text: str, default: bool = True) -> str:
    text = text.replace("actor_defaults:\n", "actor_defaults:\n" + (LAND_DEFAULT if default else ""), 1)
    return text.replace("    kind: capital\n", "    kind: capital\n" + LANDOWNERS_HOLD, 1)


def test_a_plug_in_declares_an_actor_attribute_of_its_own(tmp_path: Path) -> None:
    scenario = load_scenario(countryside_copy(tmp_path, scenario=_landed, plugin=_with_land_held))
    model = compile_scenario(scenario)
    landowners, peasantry = model.index("landowners"), model.index("peasantry")
    start = model.initial_state(5).extra["land_held"]
    assert start.shape == (model.n_actors, 5) and start[landowners].tolist() == [0.8] * 5 and start[peasantry].tolist() == [0.0] * 5
    ensemble = simulate(model, 300, seed=3, until=scenario.calendar.start + 23, keep_state=True, batch_size=64)
    assert ensemble.final_state is not None
    held = ensemble.final_state.extra["land_held"]
    assert held.min() >= 0.0 and held.max() <= 1.0  # kept in the declared range
    assert held[landowners].mean() < 0.8 < 0.8 + held[peasantry].mean()  # the waves moved land from the landowners to the peasants
    # A shock sets it for one actor; a per-run start varies it within its range.
    shock = ('\nevents:\n  - {id: land_reform, kind: actor_shock, month: "1971-02", actor: landowners, attribute: land_held, '
             'value: {value: 0.1, assumption: "A test."}, description: "A decree.", assumption: "A test event."}\n')
    (tmp_path / "shock").mkdir()
    shocked = compile_scenario(load_scenario(countryside_copy(tmp_path / "shock", scenario=lambda t: _landed(t) + shock, plugin=_with_land_held)))
    after = simulate(shocked, 50, seed=3, until=parse_month("1971-02"), keep_state=True).final_state
    assert after is not None and after.extra["land_held"][landowners].max() <= 0.1
    varied = simulate(model, 3, seed=3, until=scenario.calendar.start, keep_state=True, parameters={"actors.landowners.land_held": [0.3, 0.5, 0.7]})
    assert varied.final_state is not None and varied.final_state.extra["land_held"][landowners].max() <= 0.7
    from coyuntura.report.describe import describe_scenario, render_markdown

    described = render_markdown(describe_scenario(scenario))
    assert "| `land_held` | 0.8 | assumption: A test value. |" in described  # the landowners' own value
    assert "| `land_held` | 0 | assumption: Most actors hold no land. (actor_defaults) |" in described


def test_a_plug_in_s_actor_attribute_is_required_and_known(tmp_path: Path) -> None:
    (tmp_path / "missing").mkdir()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(countryside_copy(tmp_path / "missing", scenario=lambda t: _landed(t, default=False), plugin=_with_land_held))
    [problem] = caught.value.problems
    assert problem.path == "actor_defaults.land_held"
    assert problem.message.startswith("required: the mechanism 'land_seizures' of this scenario reads it; give it in actor_defaults or for each actor (missing for ")
    assert "landowners" not in problem.message.split("missing for ")[1]
    (tmp_path / "typo").mkdir()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(countryside_copy(tmp_path / "typo", scenario=lambda t: _landed(t).replace("    land_held: {value: 0.8", "    land_hold: {value: 0.8"), plugin=_with_land_held))
    assert any(p.path.endswith(".land_hold") and p.message.startswith("unknown key 'land_hold' (did you mean 'land_held'?)") for p in caught.value.problems)


def test_a_plug_in_s_actor_attribute_through_value_paths_snapshots_shocks_and_reports(tmp_path: Path) -> None:
    from coyuntura.report.chronicle import Locator
    from coyuntura.report.describe import describe_scenario, render_markdown
    from coyuntura.scenario.loader import load_with_warnings
    from coyuntura.scenario.paths import get_value, value_bounds, with_values
    from coyuntura.web.catalog import describe as catalog

    scenario = load_scenario(countryside_copy(tmp_path, scenario=_landed, plugin=_with_land_held))
    # Value paths reach an inherited plug-in attribute, within its declared range.
    assert get_value(scenario, "actors.peasantry.land_held") == 0.0 and get_value(scenario, "actors.landowners.land_held") == 0.8
    assert value_bounds(scenario, "actors.peasantry.land_held") == (0.0, 1.0)
    assert with_values(scenario, {"actors.peasantry.land_held": 0.3}).actor("peasantry").given("land_held").value == 0.3
    # Per-run starts: each run its own value (the month's waves then take 0.2 from the landowners' share).
    model = compile_scenario(scenario)
    starts = np.array([0.3, 0.5, 0.7])
    varied = simulate(model, 3, seed=3, until=scenario.calendar.start, keep_state=True, keep_events=True, parameters={"actors.landowners.land_held": starts})
    assert varied.final_state is not None and varied.events is not None
    seizure = next(definition for definition in varied.own_outcomes if definition.key == "land_seizure")
    waves = runs_with_outcome(varied.events, seizure, 3)
    np.testing.assert_allclose(varied.final_state.extra["land_held"][model.index("landowners")], starts - 0.2 * waves)
    # The page and describe show it.
    assert catalog(scenario)["actors"][[a.id for a in scenario.actors].index("landowners")]["attributes"]["land_held"] == 0.8
    assert "| `land_held` | Share of the land the actor holds (declared by a mechanism of the scenario) | 0 .. 1 |" in render_markdown(describe_scenario(scenario))
    # A passage of a further source is never read as one of the analysis.
    assert Locator.parse("notes: Miners, L3-5", ["notes"]) is None and Locator.parse("The Countryside, L35-37", ["notes"]) is not None

    # An attribute no mechanism reads may be left out; a shock before a snapshot that does not restate it is warned of, not a crash.
    plugin = VOTERS.replace('EVENTS = ()', 'EVENTS = ()\nNEW_ACTOR_STATE = {"land_held": (0.0, 1.0, "Share of the land the actor holds")}')
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "voters.py").write_text(plugin, encoding="utf-8")
    toy = TOY.read_text(encoding="utf-8").replace(
        "\nmechanisms:\n", '\nmechanism_modules: [voters.py]\n\nmechanisms:\n  voters:\n    keep_share: {value: 0.5, assumption: "A test."}\n', 1
    ).replace("\nevents:\n", (
        '\nevents:\n  - {id: titling, kind: actor_shock, month: "1970-09", actor: miners, attribute: land_held, value: {value: 0.4, assumption: "A test."}, '
        'description: "Titles.", assumption: "A test event."}\n'
    ), 1)
    (tmp_path / "toy" / "toy.yaml").write_text(toy, encoding="utf-8")
    loaded, warnings = load_with_warnings(tmp_path / "toy" / "toy.yaml")
    assert any("sets the land_held of 'miners' to 0.4 but comes before this snapshot" in w.message and "starting value 0" in w.message for w in warnings)
    restated = toy.replace("      miners: {organization:", "      miners: {land_held: {value: 0.6, assumption: \"A test.\"}, organization:", 1)
    (tmp_path / "toy" / "restated.yaml").write_text(restated, encoding="utf-8")
    snapshot_scenario = load_scenario(tmp_path / "toy" / "restated.yaml")
    snapshot = snapshot_scenario.snapshot("october_1970")
    toy_model = compile_scenario(snapshot_scenario)
    assert toy_model.initial_state(2, snapshot).extra["land_held"][toy_model.index("miners")].tolist() == [0.6, 0.6]
    assert "| `miners` | `land_held` | 0.6 |" in render_markdown(describe_scenario(snapshot_scenario))


def test_a_plug_in_s_variable_with_a_prior_is_a_free_parameter(tmp_path: Path) -> None:
    from coyuntura.experiments.sensitivity import run_sensitivity
    from coyuntura.history.priors import free_parameters

    given = '  land_hunger: {value: 0.2, assumption: "A test value.", prior: {low: 0.0, high: 0.6}}\n'
    scenario = load_scenario(countryside_copy(
        tmp_path, scenario=lambda text: _with_seizure_priors(text.replace("system:\n", "system:\n" + given, 1)), plugin=_with_land_hunger
    ))
    assert "system.land_hunger" in [parameter.path for parameter in free_parameters(scenario)]
    result = run_sensitivity(scenario, "land_seizure", "morris", samples=2, n_runs=20, seed=1)
    assert "system.land_hunger" in [parameter.path for parameter in result.parameters]


def test_the_engine_keeps_to_what_each_outcome_needs() -> None:
    """OUTCOME_NEEDS says an outcome cannot happen in a month without another: the record's quiet periods are read
    through it, so the engine must keep to it - an army split only in the month of a coup attempt, a coup defeated by
    the masses only as a failed coup - and OUTCOME_PARTS: every coup attempt succeeded or failed. The army's split is
    the engine's to keep (the coup mechanism logs it); the coup outcomes' needs hold by their readings (engine.outcomes),
    so those assertions fail only if a reading changes."""
    from coyuntura.engine.outcomes import OUTCOMES
    from coyuntura.scenario.vocabulary import OUTCOME_KEYS, OUTCOME_NEEDS, OUTCOME_PARTS

    assert set(OUTCOME_NEEDS) | {need for needs in OUTCOME_NEEDS.values() for need in needs} <= set(OUTCOME_KEYS)
    assert all(parts for parts in OUTCOME_PARTS.values())
    scenario = load_scenario("bolivia-1952")
    model = compile_scenario(scenario)
    ensemble = simulate(model, 400, seed=3, until=parse_month("1980-12"), keep_events=True)
    events = ensemble.events
    readings = {definition.key: definition.rows(events) for definition in OUTCOMES}

    def run_months(key: str) -> set[tuple[int, int]]:
        mask = readings[key]
        return set(zip(events["run"][mask].tolist(), events["month"][mask].tolist()))

    for outcome, needed in OUTCOME_NEEDS.items():
        happened = run_months(outcome)
        assert happened, f"no {outcome} in 400 runs: the check cannot fail"
        for need in needed:
            assert happened <= run_months(need), f"{outcome} without {need}"
    for whole, parts in OUTCOME_PARTS.items():
        assert run_months(whole) == set().union(*(run_months(part) for part in parts))
