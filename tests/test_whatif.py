"""What-ifs: reading interventions safely, clear errors, named experiments, and common random numbers."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.experiments.measures import OUTCOME_NAMES, outcome_counts, outcome_matrix
from coyuntura.experiments.whatif import (
    Intervention,
    apply_intervention,
    experiment_intervention,
    extend,
    parse_assignment,
    parse_assignments,
    parse_event,
    parse_value,
    run_whatif,
    whatif_table,
)
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import load_scenario, parse_scenario, resolve_scenario
from coyuntura.scenario.paths import PathError, get_value

from helpers import toy_scenario

runner = CliRunner()

COUNTERFACTUALS = {  # DESIGN.md's counterfactuals -> the named experiment that poses each
    "guerrillas in La Paz in October 1970": "guerrillas-in-la-paz",
    "armed workers in October 1970": "armed-workers",
    "a united Left forming the Popular Assembly": "united-left-assembly",
    "MNR unionists inside the Assembly": "mnr-unionists-in-assembly",
    "the Left accepting the cabinet offer": "left-accepts-cabinet",
    "Torres purging the plotters": "torres-purges-plotters",
    "winning the peasants before vs after taking power": "peasants-before-power",
}


@lru_cache(maxsize=1)
def scenario():
    return load_scenario("bolivia-1952")


# --- reading ------------------------------------------------------------------------------------


def test_values_are_read_as_yaml_scalars_and_never_evaluated():
    assert parse_value("2.5") == 2.5 and parse_value("3") == 3 and parse_value("true") is True
    assert parse_value("miners") == "miners" and parse_value("[pcb, por]") == ["pcb", "por"]
    for text in ("!!python/object/apply:os.system ['echo hi']", "{a: 1}", "[[1]]"):
        with pytest.raises(ValueError):
            parse_value(text)
    with pytest.raises(ValueError, match="PATH=VALUE"):
        parse_assignment("mechanisms.coup.decisiveness")
    assert parse_assignment(" mechanisms.coup.decisiveness = 3 ") == ("mechanisms.coup.decisiveness", 3)


def test_an_added_event_in_the_compact_form_is_an_actor_shock():
    event = parse_event("arm_miners:1970-10:miners.arms=0.9")
    assert event["kind"] == "actor_shock" and event["actor"] == "miners" and event["attribute"] == "arms"
    assert event["value"]["value"] == 0.9 and event["assumption"]
    mapping = parse_event("{id: foco, kind: guerrilla_arrival, month: 1970-10, actor: guerrillas, organization: 0.5, arms: 0.6}")
    assert mapping["organization"] == {"value": 0.5, "assumption": mapping["assumption"]}
    with pytest.raises(ValueError, match="ID:YYYY-MM:ACTOR.ATTRIBUTE=VALUE"):
        parse_event("arm the miners")


def test_a_bad_path_lists_close_matches_and_a_bad_value_names_the_field():
    with pytest.raises(PathError, match="did you mean: mechanisms.coup.decisiveness"):
        apply_intervention(scenario(), Intervention(changes={"mechanisms.coup.decisivenes": 3}))
    with pytest.raises(ScenarioError, match="urban_share.*outside the allowed range"):
        apply_intervention(scenario(), Intervention(changes={"mechanisms.guerrilla_foco.urban_share": 1.5}))
    with pytest.raises(ScenarioError, match="decisiveness"):
        apply_intervention(scenario(), Intervention(changes={"mechanisms.coup.decisiveness": "high"}))
    with pytest.raises(KeyError, match="cannot cancel unknown event 'che'.*che_guerrilla_arrives"):
        apply_intervention(scenario(), Intervention(cancel_events=("che",)))


def test_changes_events_and_priors_are_applied():
    changed, notes = apply_intervention(
        scenario(),
        Intervention(
            changes={"mechanisms.left_unity.accept_intercept": 2.0, "snapshots.october_1970.actors.miners.arms": 0.9},
            add_events=(parse_event("arm_workers:1970-11:urban_workers.arms=0.5"),),
            cancel_events=("barrientos_dies",),
        ),
    )
    assert get_value(changed, "mechanisms.left_unity.accept_intercept") == 2.0
    assert get_value(changed, "snapshots.october_1970.actors.miners.arms") == 0.9
    assert [e.id for e in changed.events] == ["che_guerrilla_arrives", "arm_workers"]
    assert len(notes) == 2 and "outside its prior" in notes[0]  # accept_intercept's prior is [-5, 0]
    assert "not from snapshot 'october_1970', so the change never reaches it" in notes[1]  # the runs start in 1952
    assert get_value(scenario(), "mechanisms.left_unity.accept_intercept") == -3.0  # the original is untouched


# --- named experiments ------------------------------------------------------------------------------


def test_every_counterfactual_of_the_source_is_a_named_experiment_citing_its_locator():
    experiments = {e.id: e for e in scenario().experiments}
    assert set(COUNTERFACTUALS.values()) <= set(experiments)
    for experiment in experiments.values():
        assert experiment.provenance.source and experiment.provenance.says
        changed, _ = apply_intervention(scenario(), experiment_intervention(scenario(), experiment.id))
        assert changed.id == scenario().id and changed.experiments == ()
    with pytest.raises(KeyError, match="no experiment 'nope'.*armed-workers"):
        scenario().experiment("nope")


def test_a_bad_experiment_in_a_file_is_reported_with_its_line():
    text = resolve_scenario("bolivia-1952").read_text(encoding="utf-8")
    bad = text.replace("mechanisms.guerrilla_foco.urban_share: 1.0", "mechanisms.guerrilla_foco.urban_shar: 1.0")
    bad = bad.replace("  - id: armed-workers\n", "  - id: armed-workers\n    cancel_events: [no_such_event]\n")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(bad, "bad.yaml")
    message = str(caught.value)
    assert "experiments.0.set" in message and "did you mean: mechanisms.guerrilla_foco.urban_share" in message
    assert "unknown event 'no_such_event'" in message
    assert all(p.line is not None for p in caught.value.problems)


# --- common random numbers --------------------------------------------------------------------------


def test_the_per_run_outcome_matrix_agrees_with_the_streamed_counts():
    ensemble = simulate(compile_scenario(scenario()), 300, seed=2, start="october_1970", until=parse_month("1971-12"), keep_events=True)
    matrix = outcome_matrix(ensemble)
    counts = outcome_counts(ensemble)
    assert matrix.shape == (300, len(OUTCOME_NAMES))
    assert [int(c) for c in matrix.sum(axis=0)] == [counts[name] for name in OUTCOME_NAMES]


def test_an_intervention_that_changes_nothing_has_exactly_zero_effect_in_every_run():
    value = get_value(scenario(), "mechanisms.coup.decisiveness")
    result = run_whatif(scenario(), Intervention(changes={"mechanisms.coup.decisiveness": value}, start="october_1970"), 400, seed=5)
    assert np.array_equal(result.baseline, result.treated)
    assert np.all(result.difference == 0) and np.all(result.difference_se == 0)


@pytest.mark.integration  # end to end: 6,000 paired runs of a named experiment
def test_paired_runs_shrink_the_error_and_arming_the_workers_defeats_coups():
    intervention = experiment_intervention(scenario(), "armed-workers")
    result = run_whatif(scenario(), intervention, 1500, seed=1, chunk_runs=600)
    j = OUTCOME_NAMES.index("coup_defeated_by_mobilization")
    low, high = result.interval()
    assert low[j] > 0  # armed workers defeat more coups (Introduction, L128-130)
    assert result.difference_se[j] < 0.8 * result.unpaired_se[j]  # common random numbers at work
    same = run_whatif(scenario(), intervention, 1500, seed=1, chunk_runs=1500)
    assert np.array_equal(same.baseline, result.baseline) and np.array_equal(same.treated, result.treated)
    table = whatif_table(result)
    row = table.row("coup_defeated_by_mobilization")
    assert row["low"] == pytest.approx(low[j]) and row["p baseline"] == pytest.approx(result.p_baseline[j])


# --- command line -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_whatif_command_prints_the_paired_table_and_records_it(tmp_path):
    store = tmp_path / "runs.duckdb"
    result = runner.invoke(app, ["whatif", "bolivia-1952", "-e", "torres-purges-plotters", "--runs", "300", "--json", "--store", str(store)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["intervention"]["name"] == "torres-purges-plotters" and data["start"] == "1970-10" and data["until"] == "1973-03"
    rows = {row["outcome"]: row for row in data["table"]["rows"]}
    assert set(rows) == set(OUTCOME_NAMES)
    assert rows["coup_success"]["difference"] < 0  # plotters retired at once can no longer overthrow Torres
    shown = json.loads(runner.invoke(app, ["runs", "show", data["record"], "--store", str(store), "--json"]).stdout)
    assert shown["kind"] == "whatif" and shown["n_runs"] == 300 and shown["artifacts"][0]["name"] == "paired_outcomes"


@pytest.mark.integration
def test_whatif_out_writes_the_effects_chart_and_the_table_that_the_result_holds(tmp_path, monkeypatch):
    """--out writes the chart and the table beside the record; the files hold what the JSON prints, which is the
    result's own to_dict(); plot() returns the Path it drew to. Without --out nothing is written."""
    store, folder = tmp_path / "runs.duckdb", tmp_path / "effects"
    args = ["whatif", "bolivia-1952", "--set", "mechanisms.coup.decisiveness=3", "--name", "sharper contest!", "--runs", "200",
            "--until", "1960-12", "--store", str(store)]
    printed = runner.invoke(app, [*args, "--out", str(folder), "--json"])
    assert printed.exit_code == 0, printed.output
    data = json.loads(printed.stdout)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["sharper-contest.csv", "sharper-contest.json", "sharper-contest.md", "sharper-contest.png"]
    assert sorted(data["files"]) == sorted(str(folder / name) for name in names)
    assert (folder / "sharper-contest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = json.loads((folder / "sharper-contest.json").read_text(encoding="utf-8"))
    assert written["table"] == data["table"] and written["record"] == data["record"] and written["runs"] == 200
    assert written["intervention"]["set"] == {"mechanisms.coup.decisiveness": 3}

    scenario = load_scenario("bolivia-1952")
    result = run_whatif(scenario, Intervention(name="sharper contest!", changes={"mechanisms.coup.decisiveness": 3.0}, until=parse_month("1960-12")), 200)
    assert set(data) == {"scenario", "intervention", "seed", "runs", "start", "until", "table", "record", "record_error", "files"}
    assert result.to_dict() == {k: v for k, v in data.items() if k not in ("record", "record_error", "files")}
    json.dumps(result.to_dict())  # JSON-ready as it stands
    drawn = result.plot(tmp_path / "alone.png")
    assert drawn == tmp_path / "alone.png" and drawn.stat().st_size > 10_000

    quiet = tmp_path / "quiet"
    quiet.mkdir()
    monkeypatch.chdir(quiet)
    assert runner.invoke(app, [*args, "--json"]).exit_code == 0
    assert list(quiet.iterdir()) == []  # nothing written where the command ran, nor a report folder
    records = len(json.loads(runner.invoke(app, ["runs", "list", "--store", str(store), "--json"]).stdout))
    refused = runner.invoke(app, [*args, "--out", str(tmp_path / "runs.duckdb")])
    assert refused.exit_code == 2 and "--out" in refused.output
    assert len(json.loads(runner.invoke(app, ["runs", "list", "--store", str(store), "--json"]).stdout)) == records  # refused before any run


def test_a_what_if_s_name_becomes_a_safe_file_name():
    from coyuntura.cli.experiments import FILE_STEM_CHARACTERS, _file_stem

    assert _file_stem("golpe ñandú") == "golpe-nandu"
    assert _file_stem("../../etc/x") == "etc-x" and _file_stem("a/b\\c") == "a-b-c" and _file_stem(".hidden") == "hidden"
    assert _file_stem("革命") == "what-if" and _file_stem("") == "what-if" and _file_stem("..") == "what-if"
    assert len(_file_stem("x" * 300)) == FILE_STEM_CHARACTERS


@pytest.mark.integration
def test_whatif_command_rejects_bad_input_clearly():
    for args, fragment in (
        (["whatif", "bolivia-1952", "--set", "mechanisms.coup.decisivenes=3"], "did you mean: mechanisms.coup.decisiveness"),
        (["whatif", "bolivia-1952", "--set", "government.policy=2"], "outside the allowed range"),
        (["whatif", "bolivia-1952", "-e", "nope"], "no experiment 'nope'"),
        (["whatif", "bolivia-1952"], "nothing to change"),
        (["whatif", "bolivia-1952", "--cancel-event", "x"], "cannot cancel unknown event 'x'"),
        (["whatif", "bolivia-1952", "--from", "1999-01", "--set", "mechanisms.coup.decisiveness=3"], "no snapshot '1999-01'"),
        (["whatif"], "give a SCENARIO"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: ") and fragment in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


@pytest.mark.integration
def test_whatif_list_shows_the_named_experiments():
    result = runner.invoke(app, ["whatif", "--list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["experiments"]
    assert {row["id"] for row in rows} >= set(COUNTERFACTUALS.values())
    assert all(", L" in row["source"] for row in rows)


@pytest.mark.unit
def test_one_value_changed_twice_under_two_names_is_refused():
    """actors.0.arms, actors.miners.arms and actors.miners.arms.value name one number: one --set list gives it once."""
    from coyuntura.scenario.paths import canonical_path

    toy = toy_scenario()
    first = toy.actors[0].id
    assert canonical_path(toy, "actors.0.arms.value") == canonical_path(toy, f"actors.{first}.arms") == f"actors.{first}.arms"
    with pytest.raises(ValueError, match=f"--set: actors.0.arms and actors.{first}.arms.value both change actors.{first}.arms"):
        parse_assignments(["actors.0.arms=0.9", f"actors.{first}.arms.value=0.1"], toy)
    assert parse_assignments(["actors.0.arms=0.9", "actors.1.arms=0.1"], toy) == {"actors.0.arms": 0.9, "actors.1.arms": 0.1}
    merged, _ = apply_intervention(toy, Intervention(changes={"actors.0.arms": 0.9, f"actors.{first}.arms.value": 0.1}))
    assert get_value(merged, f"actors.{first}.arms") == 0.1  # merged in order (an experiment's, then --set's): the later stands


@pytest.mark.unit
def test_a_later_change_under_another_spelling_overrides_the_experiment_s():
    """--set over an experiment's set: the user gives the value once, so it stands, whatever the spelling."""
    toy = toy_scenario()
    experiment = experiment_intervention(toy, "torres-purges-plotters")
    path = next(iter(experiment.changes))
    changed, _ = apply_intervention(toy, extend(experiment, {f"{path}.value": 0.123}))
    assert get_value(changed, path) == 0.123


@pytest.mark.unit
def test_a_change_the_engine_cannot_pair_is_explained_before_its_path_is_looked_up():
    """calendar.*, snapshots' ids and months, observations: the reason a what-if may not change them, not 'unknown path'."""
    toy = toy_scenario()
    for path in ("calendar.end", "snapshots.new.month", "observations.zz"):
        with pytest.raises(ValueError, match="a what-if may not"):
            apply_intervention(toy, Intervention(changes={path: "1972-01"}))
