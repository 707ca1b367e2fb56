"""Input validation before any work starts (issue 14): what `check`, `whatif --set` and the web API
accept runs to the end; what-ifs stay paired; run counts and seeds are capped; types are never coerced.

Each test is named after the numbered defect of the issue it guards against (defect1_..., defect2_...,
defect7_..., defect9_...). They refuse bad input before anything is simulated, so they are quick.
"""

from __future__ import annotations

import re
import typing
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

warnings.filterwarnings("ignore", message=".*httpx.*")
from fastapi.testclient import TestClient  # noqa: E402

from coyuntura.cli import app  # noqa: E402
from coyuntura.engine.mechanisms import SCHEDULE  # noqa: E402
from coyuntura.engine.model import compile_params, compile_scenario  # noqa: E402
from coyuntura.engine.simulate import simulate  # noqa: E402
from coyuntura.experiments.whatif import Intervention, apply_intervention, parse_assignment  # noqa: E402
from coyuntura.limits import DEFAULT_MAX_RUNS, MAX_RUNS_ENV, check_count, max_runs  # noqa: E402
from coyuntura.scenario.errors import ScenarioError  # noqa: E402
from coyuntura.scenario.loader import bundled_scenarios, load_scenario  # noqa: E402
from coyuntura.scenario.paths import get_value, with_values  # noqa: E402
from coyuntura.scenario.refs import is_actor_reference  # noqa: E402
from coyuntura.web import create_app  # noqa: E402

SCENARIO = "bolivia-1952"
BUNDLED_POSTERIOR = Path(__file__).resolve().parents[1] / "src" / "coyuntura" / "scenarios" / "bolivia-1952.posterior.json"
runner = CliRunner()


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def text() -> str:
    return bundled_scenarios()[SCENARIO].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(processes=False, workers=1, warm=False)) as test_client:
        yield test_client


def refused(tmp_path: Path, text: str) -> ScenarioError:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def problem_at(error: ScenarioError, path: str):
    found = [problem for problem in error.problems if problem.path == path]
    assert found, f"no problem at {path!r}:\n{error}"
    return found[0]


def line_of(text: str, pattern: str, after: str | None = None) -> int:
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if re.search(after, line)) if after else 0
    return next(n for n in range(start, len(lines)) if re.search(pattern, lines[n])) + 1


def replace_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def cli(*args: str, **env: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "100", **env})


def assert_refused(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def non_empty_roles() -> list[str]:
    roles = []
    for module in SCHEDULE:
        for name, field in module.Params.model_fields.items():
            inner = typing.get_args(field.annotation)
            if inner and is_actor_reference(list(getattr(inner[0], "__metadata__", ()))) and any(
                getattr(item, "min_length", 0) for item in field.metadata
            ):
                roles.append(f"mechanisms.{module.NAME}.{name}")
    return roles


# --- defect 1: the engine crashed on inputs the validator accepted ----------------------------------


def test_defect1_check_refuses_roles_the_engine_cannot_run_naming_field_and_line(tmp_path: Path, text: str) -> None:
    labor = line_of(text, r"^    labor: \[", after=r"^  left_unity:$")
    strikers = line_of(text, r"^    strike_actors: ")
    workers = line_of(text, r"^    workers: \[", after=r"^  polarization:$")
    bad = replace_line(replace_line(replace_line(text, labor, "    labor: []"), strikers, "    strike_actors: [miners, army_right]"),
                       workers, "    workers: [miners, miners]")
    error = refused(tmp_path, bad)
    expected = {
        "mechanisms.left_unity.labor": (labor, "the role 'labor' needs at least one actor"),  # was: TypeError in compile_params
        "mechanisms.mass_mobilization.strike_actors": (strikers, "'army_right' is not in popular_actors"),  # was: KeyError in m6
        "mechanisms.polarization.workers": (workers, "actor 'miners' is listed twice in the role 'workers'"),
    }
    for path, (line, fragment) in expected.items():
        problem = problem_at(error, path)
        assert problem.line == line and fragment in problem.message, str(error)


def test_defect1_every_role_the_engine_averages_or_indexes_must_name_an_actor(scenario) -> None:
    roles = non_empty_roles()
    for expected in ("mechanisms.left_unity.labor", "mechanisms.mass_mobilization.popular_actors", "mechanisms.mass_mobilization.strike_actors",
                     "mechanisms.nationalist_drift.labor", "mechanisms.nationalization.beneficiaries", "mechanisms.arms.workers",
                     "mechanisms.polarization.workers", "mechanisms.polarization.army_factions", "mechanisms.coup.backers"):
        assert expected in roles
    for path in roles:
        with pytest.raises(ScenarioError) as info:
            with_values(scenario, {"experiments": [], path: []})
        assert [p.path for p in info.value.problems] == [path] and "needs at least one actor" in str(info.value)


def test_defect1_empty_lists_compile_as_lists_and_roles_that_may_be_empty_run(scenario) -> None:
    params = scenario.mechanisms.left_unity.model_construct(**{**dict(scenario.mechanisms.left_unity), "labor": ()})
    compiled = compile_params(params, tuple(actor.id for actor in scenario.actors))
    assert compiled.labor == [] and isinstance(compiled.left_parties, list)
    assert compiled.labor + compiled.left_parties == compiled.left_parties  # was: tuple + list, a TypeError
    changed = with_values(scenario, {"experiments": [], "mechanisms.agrarian_structure.left_peasant_currents": [],
                                     "regimes.workers_government.coalition": [], "mechanisms.grievance_legitimacy.rural_actors": []})
    ensemble = simulate(compile_scenario(changed), 64, seed=3, start="march_1971", until=changed.snapshot("march_1971").month + 36)
    assert ensemble.n_runs == 64


@pytest.mark.integration
def test_defect1_whatif_set_of_an_empty_role_is_refused_before_simulating() -> None:
    result = cli("whatif", SCENARIO, "--runs", "20", "--set", "mechanisms.left_unity.labor=[]")
    assert_refused(result, "mechanisms.left_unity.labor", "needs at least one actor")


@pytest.mark.web
def test_defect1_api_refuses_an_empty_role_before_queueing(client: TestClient) -> None:
    for changes, fragment in (({"mechanisms.left_unity.labor": []}, "needs at least one actor"),
                              ({"mechanisms.mass_mobilization.strike_actors": ["miners", "army_right"]}, "not in popular_actors")):
        response = client.post("/api/runs", json={"scenario": SCENARIO, "until": "1953-01", "runs": 20, "changes": changes})
        assert response.status_code == 422, response.text
        assert fragment in response.json()["detail"]
    assert client.get("/api/jobs").json() == []


# --- defect 2: what-ifs that change the calendar, the snapshots or the observations -----------------


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        ("calendar.start=1960-01", "may not change the calendar"),
        ("calendar.horizon=1990-12", "may not change the calendar"),
        ("snapshots=[]", "may not add, remove, rename or move snapshots"),
        ("snapshots.october_1970.month=1970-11", "may not add, remove, rename or move snapshots"),
        ("snapshots.october_1970.id=later", "may not add, remove, rename or move snapshots"),
        ("observations=[]", "may not change the observation list"),
    ],
)
def test_defect2_whatif_changing_spans_or_streams_is_refused_with_the_reason(scenario, assignment: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        apply_intervention(scenario, Intervention(changes=dict([parse_assignment(assignment)])))
    assert "same" in str(info.value)  # says why: both arms over the same months / streams / record


def test_defect2_what_a_snapshot_describes_may_still_change(scenario) -> None:
    changed, _ = apply_intervention(scenario, Intervention(changes={"snapshots.october_1970.actors.miners.arms": 0.7, "snapshots.march_1971.assembly": True}))
    assert changed.snapshot("october_1970").actors["miners"].arms.value == 0.7


@pytest.mark.integration
def test_defect2_cli_whatif_refuses_a_calendar_change() -> None:
    assert_refused(cli("whatif", SCENARIO, "--runs", "20", "--set", "calendar.start=1960-01"), "may not change the calendar")


def test_defect2_defect9_check_refuses_named_experiments_that_change_the_calendar_or_mistype_a_value(tmp_path: Path, text: str) -> None:
    calendar = line_of(text, r"^      mechanisms\.guerrilla_foco\.urban_share: ")
    quoted = line_of(text, r"^      snapshots\.march_1971\.assembly: true")
    error = refused(tmp_path, replace_line(replace_line(text, calendar, '      calendar.start: "1960-01"'), quoted, '      snapshots.march_1971.assembly: "yes"'))
    messages = [p.message for p in error.problems if p.path.startswith("experiments.") and p.path.endswith(".set")]
    assert any("may not change the calendar" in m for m in messages), str(error)
    assert any("snapshots.march_1971.assembly must be true or false, got 'yes'" in m for m in messages), str(error)


def test_check_refuses_a_named_experiment_that_sets_a_number_outside_its_range(tmp_path: Path, text: str) -> None:
    """What check accepts runs to the end: an experiment's out-of-range value is refused by check, not by whatif later."""
    share = line_of(text, r"^      mechanisms\.guerrilla_foco\.urban_share: ")
    error = refused(tmp_path, replace_line(text, share, "      mechanisms.guerrilla_foco.urban_share: 1.5"))
    messages = [p.message for p in error.problems if p.path.startswith("experiments.") and p.path.endswith(".set")]
    assert any("mechanisms.guerrilla_foco.urban_share = 1.5 is outside the allowed range [0, 1]" in m for m in messages), str(error)
    # A value outside the prior but inside the allowed range is a legitimate what-if (the prior is dropped then):
    # the bundled left-accepts-cabinet sets the acceptance intercept above its prior, and the file loads.
    bundled = load_scenario(SCENARIO)
    path = "mechanisms.left_unity.accept_intercept"
    assert bundled.experiment("left-accepts-cabinet").changes[path] > get_value(bundled, f"{path}.prior")["high"]


@pytest.mark.web
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"until": "1962-12", "changes": {"observations": [], "calendar.start": "1960-01"}}, "may not change the observation list"),
        ({"until": "1962-12", "changes": {"observations": [], "calendar.start": "1960-01"}}, "may not change the calendar"),
        ({"start": "october_1970", "changes": {"snapshots": []}}, "may not add, remove, rename or move snapshots"),
    ],
)
def test_defect2_api_refuses_unpaired_whatifs_before_queueing(client: TestClient, body: dict, fragment: str) -> None:
    response = client.post("/api/runs", json={"scenario": SCENARIO, "runs": 20, **body})
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]


# --- defect 7: no cap on run counts or seeds --------------------------------------------------------


# Each case asks for little work under a low cap (COYUNTURA_MAX_RUNS=100), so that the old code, which did the
# work and exited 0 (or crashed), fails these tests quickly instead of running for ever.
SHORT_RUN = ("--until", "1952-06")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("run", SCENARIO, "--runs", "101", *SHORT_RUN), ("--runs must be at most 100, got 101", MAX_RUNS_ENV)),
        (("whatif", SCENARIO, "--runs", "101", *SHORT_RUN, "--set", "mechanisms.coup.decisiveness=2"), ("--runs must be at most 100",)),
        (("forecast", SCENARIO, "--as-of", "1953-01", "--horizon", "2", "--runs", "101"), ("--runs must be at most 100",)),
        (("discover", SCENARIO, "--outcome", "coup_success", "--samples", "11", "--runs", "10", "--workers", "0", *SHORT_RUN), ("11 points x 10 runs", "over the cap of 100")),
        (("calibrate", SCENARIO, "--as-of", "1955-01", "--population", "3", "--generations", "1", "--runs-per-particle", "50", "--workers", "0"),
         ("--population x --runs-per-particle x --generations (3 x 50 x 1)", "over the cap")),
        (("sensitivity", SCENARIO, "--outcome", "coup_success", "--samples", "2", "--runs", "10", "--workers", "0", *SHORT_RUN), ("points x 10 runs", "over the cap")),
        (("run", SCENARIO, "--runs", "5", *SHORT_RUN, "--seed", str(2**64)), ("--seed", "0 <= seed < 2**63")),
        (("run", SCENARIO, "--runs", "5", *SHORT_RUN, "--seed", str(2**63)), ("0 <= seed < 2**63",)),
        (("whatif", SCENARIO, "--runs", "5", *SHORT_RUN, "--seed", "-1", "--set", "mechanisms.coup.decisiveness=2"), ("0 <= seed < 2**63",)),
        (("chronicle", SCENARIO, "--run", "0", *SHORT_RUN, "--seed", str(2**64)), ("0 <= seed < 2**63",)),
        (("score", SCENARIO, "--runs", "8", "--seed", str(2**63)), ("0 <= seed < 2**63",)),
        (("backtest", SCENARIO, "--runs", "101", "--origins", "1956-01", "--horizon", "2", "--population", "3",
          "--generations", "1", "--runs-per-particle", "2", "--workers", "0"), ("--runs must be at most 100",)),
        (("forecast", SCENARIO, "--as-of", "1953-01", "--horizon", "2", "--runs", "50", "--draws", str(10**6)), ("--draws must be at most 100,000",)),
        (("score", SCENARIO), ("--runs (not given: its default) must be at most 100, got 4,000",)),  # the default is capped too
        (("score", SCENARIO, "--filtered"), ("--runs (not given: its default) must be at most 100, got 8,000",)),
        (("backtest", SCENARIO, "--runs", "16", "--replications", "2", "--draws", "20", "--origins", "1956-01", "--horizon", "2",
          "--population", "3", "--generations", "1", "--runs-per-particle", "2", "--workers", "0"),
         ("--draws 20 is more than the 8 runs each of the 2 filters holds",)),
        (("score", SCENARIO, "--filtered", "--runs", "16", "--replications", "2", "--posterior", str(BUNDLED_POSTERIOR), "--draws", "20"),
         ("--draws 20 is more than the 8 runs each of the 2 filters holds",)),
        (("score", SCENARIO, "--runs", "16", "--posterior", str(BUNDLED_POSTERIOR), "--draws", "20"), ("--draws 20 is more than the 16 runs there are",)),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) and value and value[0] != SCENARIO else None,
)
def test_defect7_run_counts_and_seeds_are_capped_before_any_work(tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    out = ("--out", str(tmp_path / "out")) if args[0] in ("run", "sensitivity", "discover", "calibrate", "score", "backtest") else ()
    assert_refused(cli(*args, *out, "--json", **{MAX_RUNS_ENV: "100"}), *fragments)
    assert not (tmp_path / "out").exists()


@pytest.mark.integration
def test_defect7_the_default_cap_and_a_bad_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_RUNS_ENV, raising=False)
    assert max_runs() == DEFAULT_MAX_RUNS == 10_000_000
    with pytest.raises(ValueError, match="--runs must be at most 10,000,000, got 1,000,000,000,000"):  # whatif: was a MemoryError
        check_count(10**12, "--runs")
    assert_refused(cli("run", SCENARIO, "--runs", "5", *SHORT_RUN, **{MAX_RUNS_ENV: "lots"}), f"${MAX_RUNS_ENV} must be a positive whole number")


def test_defect7_the_engine_refuses_a_seed_the_store_cannot_keep(scenario) -> None:
    model = compile_scenario(scenario)
    with pytest.raises(ValueError, match=r"0 <= seed < 2\*\*63"):
        simulate(model, 2, seed=2**63, until=scenario.calendar.start)


# --- defect 9: silent type coercion -------------------------------------------------------------------


def test_defect9_scenario_values_of_the_wrong_type_are_refused_not_coerced(tmp_path: Path, text: str) -> None:
    rounds = line_of(text, r"^    rounds: \{value: 3,")
    drive = line_of(text, r"^    drive_coef: \{value: 1\.5,")
    low = line_of(text, r"^    pull_coef: ")
    coup = line_of(text, r"^  coup:$")
    bad = replace_line(text, rounds, '    rounds: {value: true, assumption: "A boolean."}')
    bad = replace_line(bad, drive, '    drive_coef: {value: "0.7", assumption: "Quoted."}')
    bad = replace_line(bad, low, '    pull_coef: {value: 1, assumption: "A prior.", prior: {low: true, high: 5}}')
    bad = replace_line(bad, coup, "  coup:\n    enabled: 1")
    error = refused(tmp_path, bad)
    expected = {
        "mechanisms.mass_mobilization.rounds.value": (rounds, "not the boolean true"),  # was: 1.0
        "mechanisms.mass_mobilization.drive_coef.value": (drive, "not text ('0.7')"),  # was: 0.7
        "mechanisms.mass_mobilization.pull_coef.prior.low": (low, "not the boolean true"),
        "mechanisms.coup.enabled": (coup + 1, "Input should be a valid boolean"),  # was: true
    }
    for path, (line, fragment) in expected.items():
        problem = problem_at(error, path)
        assert problem.line == line and fragment in problem.message, str(error)


def test_defect9_integer_values_stay_accepted(scenario) -> None:
    assert scenario.mechanisms.mass_mobilization.rounds.value == 3  # written {value: 3}
    changed, _ = apply_intervention(scenario, Intervention(changes={"mechanisms.mass_mobilization.rounds": 2}))
    assert changed.mechanisms.mass_mobilization.rounds.value == 2


@pytest.mark.integration
def test_defect9_whatif_set_values_are_not_coerced(scenario) -> None:
    assert_refused(cli("whatif", SCENARIO, "--runs", "20", "--set", "actors.miners.arms=true"), "actors.miners.arms", "must be a number, got true")
    for assignment, fragment in (('actors.miners.arms="0.7"', "must be a number, got '0.7'"), ("mechanisms.coup.enabled=1", "valid boolean"),
                                 ("government.policy=false", "must be a number, got false")):
        with pytest.raises(ScenarioError, match=re.escape(fragment)):
            apply_intervention(scenario, Intervention(changes=dict([parse_assignment(assignment)])))


@pytest.mark.web
@pytest.mark.parametrize(
    ("body", "field"),
    [({"runs": "100"}, "runs"), ({"runs": True}, "runs"), ({"seed": False}, "seed"), ({"runs": 100.0}, "runs"), ({"seed": "1"}, "seed")],
)
def test_defect9_api_numbers_are_strict(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/runs", json={"scenario": SCENARIO, "until": "1953-01", **body})
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}: Input should be a valid integer")
    chronicle = client.post("/api/chronicle", json={"scenario": SCENARIO, "until": "1953-01", "run": "3"})
    assert chronicle.status_code == 422 and "run: Input should be a valid integer" in chronicle.json()["detail"]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_runs": True}, "the number of runs must be a whole number, got True"),
        ({"n_runs": 10, "seed": True}, "the seed must be a whole number with 0 <= seed < 2**63, got True"),
        ({"n_runs": 10, "seed": 1.0}, "the seed must be a whole number with 0 <= seed < 2**63, got 1.0"),
        ({"n_runs": 10, "until": "1971-01"}, "until must be a month index (an int; coyuntura.scenario.calendar.parse_month reads 'YYYY-MM'), got '1971-01'"),
        ({"n_runs": 10, "until": -5}, "until month index -5 is before the start"),
    ],
)
def test_the_api_refuses_what_is_not_a_count_a_seed_or_a_month(options: dict, message: str) -> None:
    """Booleans are not numbers and a month is a month index: the library says so, not numpy or Python's '<'."""
    from coyuntura.engine.simulate import simulate

    from helpers import toy_scenario

    with pytest.raises(ValueError, match=re.escape(message)):
        simulate(compile_scenario(toy_scenario()), **options)


@pytest.mark.unit
def test_a_value_path_reads_a_list_position_one_way():
    """One rule (scenario.refs.list_index) for actors.0, snapshots.01 and every list a value path walks."""
    from coyuntura.scenario.refs import list_index

    assert [list_index(part, 3) for part in ("0", "01", "2", "3", "²", "-1", "x", "1" * 10)] == [0, 1, 2, None, None, None, None, None]
