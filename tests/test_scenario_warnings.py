"""Warnings (issue 12, item 4): what a valid scenario will not do as written, said without refusing it.

`check` prints them after the summary and exits 0; `whatif --set` and the web API add them to a what-if's notes.
One type (:class:`ScenarioWarning`), collected in one place (:mod:`coyuntura.scenario.checks`). Every file here is
the toy scenario with one small edit, found by content; each test asserts the field path (and line) a warning names.
Value paths to attributes an actor takes from ``actor_defaults`` are tested at the end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.experiments.whatif import Intervention, apply_intervention, parse_event
from coyuntura.scenario.calendar import format_month
from coyuntura.scenario.checks import scenario_warnings
from coyuntura.scenario.errors import ScenarioError, ScenarioWarning
from coyuntura.scenario.loader import load_scenario, load_with_warnings
from coyuntura.scenario.paths import get_value, value_bounds, with_values
from coyuntura.scenario.schema import ATTRIBUTE_NAMES, Observation, Scenario
from coyuntura.web.compute import prepare
from coyuntura.web.models import Interventions

from helpers import TOY

runner = CliRunner()
TEXT = TOY.read_text(encoding="utf-8")
EXAMPLE = Path(__file__).resolve().parent.parent / "src" / "coyuntura" / "scenarios" / "chile-1970.yaml"


def line_of(pattern: str, after: str | None = None, text: str = TEXT) -> int:
    """The first line (1-based) matching ``pattern``, after the first line matching ``after``."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if re.search(after, line)) if after else 0
    return next(n for n in range(start, len(lines)) if re.search(pattern, lines[n])) + 1


def edit(*changes: tuple[int, str], text: str = TEXT) -> str:
    """``text`` with lines replaced (``(number, new)``; a new text may hold several lines)."""
    lines = text.splitlines()
    for number, new in sorted(changes, reverse=True):
        lines[number - 1 : number] = new.split("\n")
    return "\n".join(lines) + "\n"


def loaded(tmp_path: Path, text: str) -> tuple[Path, Scenario, list[ScenarioWarning]]:
    path = tmp_path / "warned.yaml"
    path.write_text(text, encoding="utf-8")
    scenario, warnings = load_with_warnings(path)
    return path, scenario, warnings


def warning_at(warnings: list[ScenarioWarning], path: str) -> ScenarioWarning:
    found = [warning for warning in warnings if warning.path == path]
    assert len(found) == 1, f"expected one warning at {path!r}, got: {[w.render('') for w in warnings]}"
    return found[0]


def peasant_organization_line() -> int:
    return line_of(r"^    organization: ", after=r"^  - id: peasantry$")


def one_month(scenario: Scenario, start: str | None = None):
    month = scenario.snapshot(start).month if start else scenario.calendar.start
    return simulate(compile_scenario(scenario), 64, seed=5, start=start, until=month, keep_state=True).final_state


# --- the files as they are -------------------------------------------------------------------------


FOREIGN_SUPPORT = "is never used: patron_leverage (M2) sets it to"
"""The warning every shipped file gets for the support it gives the foreign powers (M2 overwrites it)."""


def base_warnings() -> list[ScenarioWarning]:
    return load_with_warnings(TOY)[1]


def new(warnings: list[ScenarioWarning]) -> list[ScenarioWarning]:
    """The warnings an edit of the toy adds (lines aside: an edit may move them)."""
    known = {(w.path, w.message) for w in base_warnings()}
    return [warning for warning in warnings if (warning.path, warning.message) not in known]


def test_the_shipped_files_have_these_warnings() -> None:
    assert [w.path for w in base_warnings()] == ["actors.9.support", "actors.10.support", "snapshots.0.actors.soviet_bloc.support",
                                                 "snapshots.1.actors.soviet_bloc.support", "observations.4", "observations.7",
                                                 "observations.1", "observations.1", "snapshots.0.actors", "snapshots.1.actors"]
    assert all(FOREIGN_SUPPORT in w.message or CARRIED_SUPPORT in w.message or LEFT_OPEN in w.message for w in base_warnings())
    _, bolivia = load_with_warnings("bolivia-1952")
    assert all(w.line is not None for w in bolivia)
    assert sum(FOREIGN_SUPPORT in w.message for w in bolivia) == 5 and len(bolivia) == 5  # every snapshot restates support
    _, chile = load_with_warnings(EXAMPLE)
    assert [w.path for w in chile if FOREIGN_SUPPORT not in w.message] == []


CARRIED_SUPPORT = "they start with their support for the start's government"
LEFT_OPEN = "add an observation of it with observed: false"


def test_a_record_that_leaves_open_what_its_quiet_periods_imply_is_warned_of() -> None:
    """The toy's record has no failed coup in 1970-11..12 and in 1971-02, and no successful one in its Torres months, yet
    observes the masses' defeat of a coup and the army's split only where they happened: a baseline fitted on it would
    see them nowhere else. Stating the implied quiet periods ends the warnings."""
    left_open = [(w.path, w.message) for w in base_warnings() if LEFT_OPEN in w.message]
    tail = "a baseline fitted on the record sees {0!r} only where it happened; add an observation of it with observed: false"
    defeated, split = "coup_defeated_by_mobilization", "army_split"
    assert left_open == [
        ("observations.4", "the record's quiet periods (no_attempt_late_1970) leave no 'coup_failed' in 1970-11..1970-12, so no "
                           f"{defeated!r} either, but the record leaves {defeated!r} open there: " + tail.format(defeated)),
        ("observations.7", "the record's quiet periods (no_attempt_february_1971) leave no 'coup_failed' in 1971-02, so no "
                           f"{defeated!r} either, but the record leaves {defeated!r} open there: " + tail.format(defeated)),
        ("observations.1", "the record's quiet periods (no_coup_succeeds_against_torres, no_attempt_late_1970) leave no "
                           f"'coup_attempt' in 1970-11..1970-12, so no {split!r} either, but the record leaves {split!r} open there: "
                           + tail.format(split)),
        ("observations.1", "the record's quiet periods (no_coup_succeeds_against_torres, no_attempt_february_1971) leave no "
                           f"'coup_attempt' in 1971-02, so no {split!r} either, but the record leaves {split!r} open there: "
                           + tail.format(split)),
    ]
    scenario = load_scenario(TOY)
    stated = [
        *scenario.observations,
        *(
            Observation(id=f"no_{outcome}_{first[:4]}_{first[5:]}", outcome=outcome, window=(first, last), observed=False, description="d",
                        assumption="implied by the record's quiet periods")
            for outcome in ("coup_defeated_by_mobilization", "army_split")
            for first, last in (("1970-11", "1970-12"), ("1971-02", "1971-02"))
        ),
    ]
    assert not [w for w in scenario_warnings(scenario.model_copy(update={"observations": tuple(stated)})) if LEFT_OPEN in w.message]
    # a kind the record never observes happening gets no baseline rate from its own events, so it is not warned of
    without = tuple(o for o in scenario.observations if o.outcome not in ("coup_defeated_by_mobilization", "army_split"))
    assert not [w for w in scenario_warnings(scenario.model_copy(update={"observations": without})) if LEFT_OPEN in w.message]
    # months a window observed true covers are not asked for: a quiet cell there would count them twice
    wide = Observation(id="split_late", outcome="army_split", window=("1970-12", "1971-02"), observed=True, description="d",
                       assumption="a wider window")
    warned = [w.message for w in scenario_warnings(scenario.model_copy(update={"observations": (*scenario.observations, wide)}))
              if LEFT_OPEN in w.message and "'army_split' open" in w.message]
    assert len(warned) == 1 and "1970-11, so no 'army_split'" in warned[0]


def with_support(actors: list[str], snapshot: str = "october_1970") -> str:
    """The toy with the snapshot restating the support of ``actors`` (0.3, an assumption)."""
    lines = TEXT.splitlines()
    first = line_of(r"^    actors:$", after=rf"^  - id: {snapshot}$")
    for actor in actors:
        support = 'support: {value: 0.3, assumption: "Restated."}'
        end = next(n for n in range(first, len(lines)) if not lines[n].startswith("      "))
        stated = [n for n in range(first, end) if lines[n].startswith(f"      {actor}: {{")]
        if stated:
            lines[stated[0]] = lines[stated[0]][:-1] + f", {support}}}"
        else:
            lines.insert(first, f"      {actor}: {{{support}}}")
    return "\n".join(lines) + "\n"


def test_a_snapshot_with_another_government_that_does_not_restate_support_is_warned_of(tmp_path: Path) -> None:
    toy = load_scenario(TOY)
    warning = warning_at(base_warnings(), "snapshots.0.actors")
    assert warning.line == line_of(r"^    actors:$", after=r"^  - id: october_1970$")
    assert warning.message == (
        "snapshot 'october_1970' has another government (Torres, nationalist_military) than the start (Ovando, nationalist_military) "
        "but does not restate the support of urban_workers, peasantry, students, radical_clergy, army_young_officers, "
        "national_bourgeoisie, mnr_party, por and guerrillas: they start with their support for the start's government; restate it (with its source or assumption)"
    )
    # what it warns of: a run from the snapshot starts with the start's support for Ovando
    state = compile_scenario(toy).initial_state(1, toy.snapshot("october_1970"))
    students = [a.id for a in toy.actors].index("students")
    assert state.support[students, 0] == toy.attribute(toy.actor("students"), "support").value
    # restating every one of them silences it; restating some names the rest
    restated = ["urban_workers", "peasantry", "students", "radical_clergy", "army_young_officers", "national_bourgeoisie", "mnr_party", "por",
                "guerrillas"]
    _, _, warnings = loaded(tmp_path, with_support(restated))
    assert not [w for w in warnings if w.path == "snapshots.0.actors"]
    _, _, warnings = loaded(tmp_path, with_support(restated[1:]))
    assert "restate the support of urban_workers: they start" in warning_at(warnings, "snapshots.0.actors").message
    # a snapshot under the start's own government and leader carries its support over on purpose: no warning
    same = with_values(toy, {"snapshots.october_1970.government.leader": "Ovando"})
    assert not [w for w in scenario_warnings(same) if w.path == "snapshots.0.actors"]


# --- values the engine caps in the first month -----------------------------------------------------


def test_a_peasant_organization_above_the_ceiling_is_warned_of_and_the_engine_caps_it(tmp_path: Path) -> None:
    number = peasant_organization_line()
    path, scenario, warnings = loaded(tmp_path, edit((number, '    organization: {value: 0.6, assumption: "Too high for the ceiling."}')))
    warning = warning_at(warnings, "actors.2.organization")
    assert warning.line == number
    assert warning.message == (
        "'peasantry' starts with organization 0.6, above mechanisms.agrarian_structure.organization_ceiling 0.35: "
        "the engine caps it at 0.35 in the first month (agrarian_structure, M9)"
    )
    state = one_month(scenario)  # the warning tells what the engine does
    assert np.all(state.organization[[a.id for a in scenario.actors].index("peasantry")] <= 0.35 + 1e-12)


def test_no_cap_warning_when_the_capping_mechanism_is_off(tmp_path: Path) -> None:
    number = peasant_organization_line()
    switch = line_of(r"^  agrarian_structure:$")
    text = edit((number, '    organization: {value: 0.6, assumption: "Too high for the ceiling."}'), (switch, "  agrarian_structure:\n    enabled: false"))
    assert new(loaded(tmp_path, text)[2]) == []


def test_a_snapshot_value_above_the_ceiling_is_warned_of_where_the_snapshot_gives_it(tmp_path: Path) -> None:
    number = line_of(r"^      mnr_party: ", after=r"^  - id: march_1971$")
    added = '      peasantry: {organization: {value: 0.5, assumption: "Above the ceiling."}}'
    text = edit((number, TEXT.splitlines()[number - 1] + "\n" + added))
    _, scenario, warnings = loaded(tmp_path, text)
    warning = warning_at(warnings, "snapshots.1.actors.peasantry.organization")
    assert warning.line == number + 1
    assert "'peasantry' has organization 0.5 at this snapshot, above mechanisms.agrarian_structure.organization_ceiling 0.35" in warning.message
    state = one_month(scenario, "march_1971")
    assert np.all(state.organization[[a.id for a in scenario.actors].index("peasantry")] <= 0.35 + 1e-12)


def test_a_young_officers_program_no_further_left_than_the_right_is_warned_of(tmp_path: Path) -> None:
    number = line_of(r"^    installation_policy: ")
    text = edit((number, '    installation_policy: {value: -0.7, assumption: "Misplaced program."}'))
    _, _, warnings = loaded(tmp_path, text)
    warning = warning_at(warnings, "mechanisms.coup.installation_policy")
    assert warning.line == number
    assert warning.message.startswith("installation_policy -0.7 is no further left than a right military government's policy (-0.6,")
    # a prior that reaches the right's policy is warned of too; a program left of it is not
    prior = '    installation_policy: {value: 0.5, assumption: "Uncertain program.", prior: {low: -0.8, high: 0.9}}'
    _, _, warnings = loaded(tmp_path, edit((number, prior)))
    assert warning_at(warnings, "mechanisms.coup.installation_policy").message.startswith("installation_policy's prior, down to -0.8")
    assert not [w for w in base_warnings() if w.path == "mechanisms.coup.installation_policy"]


def test_a_split_bar_not_below_the_unity_bar_is_warned_of(tmp_path: Path) -> None:
    number = line_of(r"^    split_threshold: ")
    _, _, warnings = loaded(tmp_path, edit((number, '    split_threshold: {value: 0.6, assumption: "No band."}')))
    warning = warning_at(warnings, "mechanisms.left_unity.split_threshold")
    assert warning.line == number
    assert warning.message.startswith("split_threshold 0.6 is not below unity_threshold 0.6: a united front then breaks up")
    # a prior that lets the split bar reach the forming one is warned of too
    prior = '    split_threshold: {value: 0.2, assumption: "Uncertain.", prior: {low: 0.1, high: 0.7}}'
    _, _, warnings = loaded(tmp_path, edit((number, prior)))
    message = warning_at(warnings, "mechanisms.left_unity.split_threshold").message
    assert message.startswith("split_threshold 0.7 is not below unity_threshold 0.6 (as far as their priors reach): a united front")
    assert not [w for w in base_warnings() if w.path == "mechanisms.left_unity.split_threshold"]


def test_a_policy_above_the_progressive_room_is_warned_of_and_the_engine_caps_it(tmp_path: Path) -> None:
    number = line_of(r"^  policy: ", after=r"^government:$")
    _, scenario, warnings = loaded(tmp_path, edit((number, '  policy: {value: 0.6, assumption: "Beyond the room."}')))
    warning = warning_at(warnings, "government.policy")
    assert warning.line == number
    assert warning.message == (
        "policy 0.6 is above progressive_room 0.3: under a nationalist_military government the engine caps the policy at the "
        "progressive room (0.3 or less) in the first month (nationalist_drift, M1)"
    )
    # what changes governments or opens room later in the month (a coup, an exit, the cabinet, a takeover) is off: M1's cap shows
    quiet = with_values(scenario, {f"mechanisms.{name}.enabled": False for name in ("coup", "regime_exit", "left_unity", "polarization")})
    assert np.all(one_month(quiet).policy <= 0.3 + 1e-12)


def test_the_support_the_engine_sets_for_the_foreign_powers_is_warned_of_and_never_used() -> None:
    toy = load_scenario(TOY)
    warning = warning_at(base_warnings(), "snapshots.1.actors.soviet_bloc.support")
    assert warning.line == line_of(r"^      soviet_bloc: ", after=r"^  - id: march_1971$")
    assert warning.message == ("the support 0.8 of 'soviet_bloc' is never used: patron_leverage (M2) sets it to the government's leftward "
                               "policy, max(policy, 0) in the first month, before anything reads it")
    other = with_values(toy, {"snapshots.march_1971.actors.soviet_bloc.support": 0.1})
    runs = [simulate(compile_scenario(s), 64, seed=2, start="march_1971", until=toy.snapshot("march_1971").month + 3, keep_state=True)
            for s in (toy, other)]
    np.testing.assert_array_equal(runs[0].final_state.support, runs[1].final_state.support)  # the value changed nothing
    np.testing.assert_array_equal(runs[0].regime_counts, runs[1].regime_counts)
    off = with_values(toy, {"mechanisms.patron_leverage.enabled": False})
    assert not [w for w in scenario_warnings(off) if FOREIGN_SUPPORT in w.message]


# --- scheduled events and snapshots ------------------------------------------------------------------


def test_an_event_before_a_snapshot_that_does_not_restate_its_value_is_warned_of(tmp_path: Path) -> None:
    number = line_of(r'^    month: "1971-06"$', after=r"^  - id: new_foco_arrives$")
    _, _, warnings = loaded(tmp_path, edit((number, '    month: "1970-12"')))
    warning = warning_at(warnings, "snapshots.1")  # march_1971 restates the guerrillas' organization, not their arms
    assert warning.line == line_of(r"^  - id: march_1971$")
    assert warning.message == (
        "event 'new_foco_arrives' (1970-12) sets the arms of 'guerrillas' to 0.8 but comes before this snapshot (1971-03), so it "
        "never fires in a run that starts here, and the snapshot does not restate that value: such a run starts from the "
        "scenario's starting value 0.5 (give snapshots.march_1971.actors.guerrillas.arms if that is not meant)"
    )


def test_an_event_in_a_snapshots_month_overwrites_its_value(tmp_path: Path) -> None:
    number = line_of(r'^    month: "1971-06"$', after=r"^  - id: new_foco_arrives$")
    _, scenario, warnings = loaded(tmp_path, edit((number, '    month: "1971-03"')))
    warning = warning_at(warnings, "snapshots.1.actors.guerrillas.organization")
    assert "event 'new_foco_arrives' fires in this snapshot's month (1971-03)" in warning.message
    assert "overwrites this value 0 with 0.8" in warning.message


# --- named experiments ---------------------------------------------------------------------------------


@pytest.mark.integration  # runs `check`
def test_an_experiment_set_that_its_start_snapshot_overrides_is_warned_of(tmp_path: Path) -> None:
    number = line_of(r"^      snapshots\.march_1971\.assembly: true$", after=r"^  - id: united-left-assembly$")
    added = "\n".join([TEXT.splitlines()[number - 1], "      actors.miners.arms: 0.9", "      system.left_unity: 0.9",
                       "      mechanisms.coup.decisiveness: 3.0", "      government.policy: 0.2"])
    path, _, warnings = loaded(tmp_path, edit((number, added)))
    found = [w for w in warnings if w.path == "experiments.0.set"]
    assert [w.message.split(":")[0] for w in found] == ["actors.miners.arms", "system.left_unity", "government.policy"]
    assert found[0].line == line_of(r"^    set:$", after=r"^  - id: united-left-assembly$")
    assert found[0].message == (
        "actors.miners.arms: the run starts from snapshot 'march_1971', which sets this value itself "
        "(snapshots.march_1971.actors.miners.arms), so the change does not reach the run's start; change "
        "snapshots.march_1971.actors.miners.arms instead"
    )
    result = runner.invoke(app, ["check", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid ")
    assert f"warning: {path}:{found[0].line} at experiments.0.set: actors.miners.arms: the run starts from snapshot 'march_1971'" in result.stderr
    data = json.loads(runner.invoke(app, ["check", str(path), "--json"]).stdout)
    assert data["valid"] is True and {"path": "experiments.0.set", "line": found[0].line, "message": found[0].message} in data["warnings"]


def test_experiment_events_outside_its_run_are_warned_of(tmp_path: Path) -> None:
    until = line_of(r'^    until: "1973-03"$', after=r"^  - id: torres-purges-plotters$")
    text = edit((until, '    until: "1971-12"\n    cancel_events: [military_president_dies]\n    add_events:\n'
                 '      - {id: early_shock, kind: actor_shock, month: "1970-09", description: "Before the start.", actor: miners, '
                 'attribute: arms, value: {value: 0.9, assumption: "A test."}, assumption: "A test."}'))
    _, _, warnings = loaded(tmp_path, text)
    assert warning_at(warnings, "experiments.1.add_events.0.month").message == (
        "event 'early_shock' (1970-09) is before snapshot 'october_1970' (1970-10), where this experiment starts: it never fires there"
    )
    assert warning_at(warnings, "experiments.1.cancel_events.0").message == (
        "event 'military_president_dies' (1972-01) is after 1971-12, the last month of this experiment: it never fires there, "
        "so cancelling it changes nothing"
    )


def test_an_experiment_without_until_is_checked_against_its_default_last_month(tmp_path: Path) -> None:
    """`check` and `whatif` agree: without `until`, an experiment runs two years past its snapshot, and a cancelled
    event after that never fires in it."""
    until = line_of(r'^    until: "1973-03"$', after=r"^  - id: torres-purges-plotters$")
    late = TEXT.replace('month: "1972-01"', 'month: "1973-03"', 1) if 'month: "1972-01"' in TEXT else None
    assert late is not None, "the toy's military_president_dies event is dated 1972-01"
    lines = late.splitlines()
    lines[until - 1] = "    cancel_events: [military_president_dies]"
    _, _, warnings = loaded(tmp_path, "\n".join(lines) + "\n")
    last = load_scenario(TOY).default_until("october_1970")
    assert warning_at(warnings, "experiments.1.cancel_events.0").message == (
        f"event 'military_president_dies' (1973-03) is after {format_month(last)}, the last month of this experiment: "
        "it never fires there, so cancelling it changes nothing"
    )


# --- what-ifs: whatif --set and the web API ----------------------------------------------------------------


def test_whatif_set_of_a_value_the_start_snapshot_overrides_says_so() -> None:
    toy = load_scenario(TOY)
    _, notes = apply_intervention(toy, Intervention(start="march_1971", changes={"actors.miners.arms": 0.9}))
    assert notes == (
        "warning: actors.miners.arms: the run starts from snapshot 'march_1971', which sets this value itself "
        "(snapshots.march_1971.actors.miners.arms), so the change does not reach the run's start; change "
        "snapshots.march_1971.actors.miners.arms instead",
    )
    for quiet in ({"snapshots.march_1971.actors.miners.arms": 0.9}, {"actors.students.arms": 0.5}):
        assert apply_intervention(toy, Intervention(start="march_1971", changes=quiet))[1] == ()
    assert apply_intervention(toy, Intervention(changes={"actors.miners.arms": 0.9}))[1] == ()  # from the scenario's start it counts
    _, capped = apply_intervention(toy, Intervention(start="march_1971", changes={"snapshots.march_1971.government.policy": 0.9}))
    assert capped == ("warning: snapshots.1.government.policy: policy 0.9 is above progressive_room 0.5: under a nationalist_military "
                      "government the engine caps the policy at the progressive room (0.5 or less) in the first month (nationalist_drift, M1)",)


def test_whatif_change_to_a_snapshot_the_run_does_not_start_from_says_so() -> None:
    toy = load_scenario(TOY)
    change = {"snapshots.october_1970.actors.miners.arms": 0.9}
    _, notes = apply_intervention(toy, Intervention(start="march_1971", changes=change))
    assert notes == ("warning: snapshots.october_1970.actors.miners.arms: the run starts from snapshot 'march_1971', not from "
                     "snapshot 'october_1970', so the change never reaches it",)
    _, from_start = apply_intervention(toy, Intervention(changes=change))
    assert from_start and "the run starts from the scenario's start, not from snapshot 'october_1970'" in from_start[0]
    assert apply_intervention(toy, Intervention(start="october_1970", changes=change))[1] == ()  # that snapshot's own run: no warning
    index = [snapshot.id for snapshot in toy.snapshots].index("october_1970")
    by_index = apply_intervention(toy, Intervention(start="march_1971", changes={f"snapshots.0{index}.actors.miners.arms": 0.9}))[1]
    assert by_index and "not from snapshot 'october_1970'" in by_index[0]  # an index, read as value paths read it


def test_whatif_events_after_its_default_last_month_say_they_never_fire() -> None:
    """Without --until a what-if runs to its default last month: an event after it, added or cancelled, acts in no run."""
    toy = load_scenario(TOY)
    last = toy.default_until("march_1971")
    late = parse_event(f"arm:{format_month(last + 1)}:miners.arms=0.9")
    _, notes = apply_intervention(toy, Intervention(start="march_1971", add_events=(late,)))
    assert notes and f"is after {format_month(last)}, the last month of this what-if: it never fires there" in notes[0]
    inside = parse_event(f"arm:{format_month(last)}:miners.arms=0.9")
    assert apply_intervention(toy, Intervention(start="march_1971", add_events=(inside,)))[1] == ()
    by_month = apply_intervention(toy, Intervention(start=format_month(toy.snapshot("march_1971").month), add_events=(late,)))[1]
    assert by_month == notes  # a start given as the snapshot's month finds the same last month


@pytest.mark.integration
def test_cli_whatif_prints_the_warning(tmp_path: Path) -> None:
    args = ["whatif", str(TOY), "--from", "march_1971", "--until", "1971-05", "--runs", "8", "--set", "system.left_unity=0.9",
            "--store", str(tmp_path / "runs.duckdb")]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["table"]["notes"]
    assert any(note.startswith("warning: system.left_unity: the run starts from snapshot 'march_1971'") for note in notes), notes
    printed = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert printed.exit_code == 0 and "warning: system.left_unity: the run starts from snapshot 'march_1971'" in printed.stdout


def test_the_web_api_adds_the_warning_to_its_notes() -> None:
    toy = load_scenario(TOY)
    prepared = prepare(toy, Interventions(scenario="toy", start="march_1971", changes={"government.policy": 0.2}))
    assert any(note.startswith("warning: government.policy: the run starts from snapshot 'march_1971'") for note in prepared.notes)


# --- value paths to inherited attributes -------------------------------------------------------------------


def inheriting(scenario: Scenario) -> tuple[str, str, str]:
    """An attribute two actors take from actor_defaults, and those actors."""
    for name in ATTRIBUTE_NAMES:
        actors = [actor.id for actor in scenario.actors if getattr(actor, name) is None]
        if len(actors) >= 2 and getattr(scenario.actor_defaults, name) is not None and name != "threshold":
            return name, actors[0], actors[1]
    raise AssertionError("no attribute inherited by two actors")


def test_value_paths_read_and_set_an_attribute_inherited_from_actor_defaults() -> None:
    toy = load_scenario(TOY)
    name, actor, other = inheriting(toy)
    default = getattr(toy.actor_defaults, name).value
    assert get_value(toy, f"actors.{actor}.{name}") == default  # was: "unknown value path"
    assert value_bounds(toy, f"actors.{actor}.{name}") == (0.0, 1.0)
    changed = with_values(toy, {f"actors.{actor}.{name}": 0.42})
    assert changed.attribute(changed.actor(actor), name).value == 0.42
    assert getattr(changed.actor(other), name) is None and changed.attribute(changed.actor(other), name).value == default  # that actor only
    assert "what-if: set to 0.42" in (getattr(changed.actor(actor), name).assumption or "")
    index = [a.id for a in toy.actors].index(actor)
    assert with_values(toy, {f"actors.{index}.{name}": 0.3}).attribute(toy.actor(actor), name).value == default  # the original is untouched
    assert with_values(toy, {f"actors.{index}.{name}": 0.3}).actor(actor).model_dump()[name]["value"] == 0.3
    later = with_values(toy, {"actor_defaults." + name: 0.9})  # a changed default still reaches every actor that inherits it
    assert later.attribute(later.actor(actor), name).value == later.attribute(later.actor(other), name).value == 0.9
    state = compile_scenario(changed).initial_state(2)
    ids = [a.id for a in toy.actors]
    assert np.all(getattr(state, name)[ids.index(actor)] == 0.42) and np.all(getattr(state, name)[ids.index(other)] == default)


def test_an_experiment_and_a_whatif_may_set_an_inherited_attribute(tmp_path: Path) -> None:
    toy = load_scenario(TOY)
    name, actor, _ = inheriting(toy)
    number = line_of(r"^      mechanisms\.military_institution\.purge_propensity: 1\.0$")
    text = edit((number, TEXT.splitlines()[number - 1] + f"\n      actors.{actor}.{name}: 0.4"))
    _, scenario, warnings = loaded(tmp_path, text)  # was refused: "unknown value path"
    assert scenario.experiment("torres-purges-plotters").changes[f"actors.{actor}.{name}"] == 0.4
    assert [(w.path, w.message) for w in scenario_warnings(scenario)] == [(w.path, w.message) for w in warnings] and new(warnings) == []
    changed, _ = apply_intervention(toy, Intervention(changes={f"actors.{actor}.{name}": 0.4}))
    assert changed.attribute(changed.actor(actor), name).value == 0.4


def test_the_guide_shows_warnings_the_example_really_gets() -> None:
    guide = (Path(__file__).resolve().parents[1] / "docs" / "writing-a-scenario.md").read_text(encoding="utf-8")
    shown = [line[len("warning: "):] for line in guide.splitlines() if line.startswith("warning: chile-1970.yaml:")]
    _, warnings = load_with_warnings(EXAMPLE)
    rendered = {w.render("chile-1970.yaml") for w in warnings}
    assert len(shown) == 3 and set(shown) == rendered, set(shown) ^ rendered
    assert f"The\nexample gets {['zero', 'one', 'two', 'three', 'four', 'five', 'six'][len(warnings)]}." in guide


def test_check_refuses_an_experiment_that_sets_one_value_under_two_names(tmp_path: Path) -> None:
    """What `check` accepts runs: an experiment naming one value twice would be refused by the what-if, so `check` refuses it."""
    number = line_of(r"^      snapshots.october_1970.actors.army_right.weight: 0.28$", after=r"^  - id: torres-purges-plotters$")
    text = edit((number, TEXT.splitlines()[number - 1] + "\n      snapshots.0.actors.army_right.weight.value: 0.3"))
    (tmp_path / "twice.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"experiments\.1\.set.*both change snapshots\.october_1970\.actors\.army_right\.weight"):
        load_scenario(tmp_path / "twice.yaml")
