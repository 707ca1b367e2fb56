"""Declared vocabularies: the regime types a scenario declares, and the kinds of event its mechanisms can record."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from coyuntura.engine.model import compile_scenario
from coyuntura.engine.parameters import ParameterError
from coyuntura.engine.simulate import simulate
from coyuntura.scenario.calendar import format_month
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import bundled_scenarios, load_scenario, parse_scenario
from plugin_example import countryside_copy

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
