"""The command line, end to end: run, chronicle, check, sources, and every kind of bad input."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.outcomes import OUTCOMES
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.report.chronicle import chronicle
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.checks import quantities
from coyuntura.scenario.loader import bundled_scenarios
from coyuntura.store import RunStore

from helpers import TOY, bundled_model

pytestmark = pytest.mark.integration

runner = CliRunner()
# The bundled model as stated in the design brief and the scenario file, written out here rather than read from
# the engine's SCHEDULE or the loaded scenario, so the commands' output is checked against independent values.
MECHANISMS = (  # in the order they run each month, with the checklist items each covers
    ("economic_squeeze", ("M15",)), ("grievance_legitimacy", ("legitimacy",)), ("patron_leverage", ("M2",)),
    ("nationalization", ("M14",)), ("nationalist_drift", ("M1",)), ("new_class", ("M3",)), ("mystification", ("M4",)),
    ("agrarian_structure", ("M9",)), ("radicalization_contact", ("M13",)), ("guerrilla_foco", ("M10",)),
    ("left_unity", ("M11",)), ("mass_mobilization", ("M6",)), ("repression", ("M8",)), ("coup", ("M5",)),
    ("failed_coup", ("M7",)), ("military_institution", ("M16",)), ("regime_exit", ("M16", "M17")), ("arms", ("M12",)),
    ("polarization", ("M17",)),
)
BOLIVIA_COUNTS = {  # coyuntura check bolivia-1952: 22 actors, 16 influence and 5 alliance ties, Che and Barrientos, 3 snapshots
    "actors": 22, "relations": 21, "influence_relations": 16, "alliance_relations": 5, "mechanisms": 19,
    "mechanisms_enabled": 19, "events": 2, "snapshots": 3,
}
DATED_LINE = re.compile(r"^(\d{4})-(\d{2})  (.+)  \[([a-z_]+)((?:, [A-Za-z0-9_]+)*)\]$")


def invoke(*args: str, width: int = 80):
    return runner.invoke(app, list(args), env={"COLUMNS": str(width)})


EXIT_FAILURE, EXIT_USAGE = 1, 2  # the command could not do its work; the command line is wrong


def assert_clean_failure(result, *fragments: str, code: int = EXIT_FAILURE) -> None:
    """Exit ``code``, one red 'error:' message naming what is wrong, no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# --- run --------------------------------------------------------------------------------------


def _printed_run(tmp_path: Path, columns: str | None, span: tuple[str, ...] = ("--runs", "50", "--until", "1960-12")) -> list[str]:
    """The lines `run` prints through a real pipe (160 columns), or as on a terminal of ``columns``."""
    environment = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    if columns is not None:
        environment["COLUMNS"] = columns
    result = subprocess.run(
        [sys.executable, "-m", "coyuntura.cli", "run", "bolivia-1952", *span, "--out", str(tmp_path / f"rep{columns}{len(span)}")],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _values(lines: list[str], label: str) -> list[str]:
    """Every number or n/a on the lines starting with ``label`` (a row printed whole, or in blocks of columns)."""
    return [value for line in lines if line.lstrip().startswith(label) for value in re.findall(r"\d[\d,]*(?:\.\d+)?|n/a", line[len(label) + 1 :])]


def test_printed_tables_keep_every_column(tmp_path):
    """Piped (160 columns) or on a narrow terminal (90), every table keeps every column: the event table's rows
    carry the same values (at 90 in blocks of columns), and the table of what happens under each regime type keeps
    its last column, repression waves per run-year (at 90 turned, one column per regime type)."""
    wide, narrow = _printed_run(tmp_path, None), _printed_run(tmp_path, "90")
    whole, edge = _printed_run(tmp_path, None, ("--runs", "100")), _printed_run(tmp_path, "72", ("--runs", "100"))
    for lines, width in ((wide, 160), (narrow, 90), (whole, 160), (edge, 72)):
        start = next(i for i, line in enumerate(lines) if line.startswith("Regime type at the end of each"))
        end = next(i for i, line in enumerate(lines) if line.startswith("Report written to") and i > start)
        rows = [line for line in lines[start:end] if line.startswith(" ")]  # the tables' rows (notes are not wrapped)
        assert len(rows) > 20 and all(len(line) <= width for line in rows)
    coups = _values(wide, "Coup attempt")
    assert len(coups) >= 8 and _values(narrow, "Coup attempt") == coups
    assert _values(edge, "Coup attempt") == _values(whole, "Coup attempt")  # at 72 columns its last column was once cut ("99.0 ±1")
    assert any(line.startswith("Runs with 3 or more successful coups:") for line in wide)  # the tables' notes are printed
    assert any("whole" in line for line in narrow)
    dynamics = wide[next(i for i, line in enumerate(wide) if line.startswith("What happens under each regime type")):]
    row = next(line for line in dynamics if line.lstrip().startswith("Civilian revolutionary"))
    assert re.search(r"\d+(\.\d+)?\s*$", row), row  # the row ends with the last column's number
    turned = narrow[next(i for i, line in enumerate(narrow) if line.startswith("What happens under each regime type")):]
    repression = next(line for line in turned if line.lstrip().startswith("Repression"))
    assert len(re.findall(r"\d+(?:\.\d+)?|n/a", repression)) == len(REGIME_KEYS), repression  # turned: one value per regime type


def test_run_json_writes_the_report_and_prints_probabilities(tmp_path):
    out = tmp_path / "rep"
    result = invoke("run", "bolivia-1952", "--runs", "200", "--seed", "3", "--until", "1960-12", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # JSON only on stdout: no progress bar, no markup
    assert data["runs"] == 200 and data["seed"] == 3 and data["until"] == "1960-12"
    assert data["report"] == str(out.absolute())
    for name in ("regimes.png", "strength.png", "regime_probabilities.csv", "regime_probabilities.md",
                 "event_probabilities.csv", "event_probabilities.md", "README.md", "report.json"):
        assert (out / name).is_file(), name
    assert (out / "strength.png").read_bytes()[:4] == b"\x89PNG"
    regimes, events = data["regime_table"], data["event_table"]
    assert [row["regime"] for row in regimes["rows"]] == list(REGIME_KEYS)
    assert [row["outcome"] for row in events["rows"]] == [o.key for o in OUTCOMES]
    assert regimes["columns"][-2]["label"] == "1960-12"
    for table in (regimes, events):
        groups = [c["group"] for c in table["columns"] if c["kind"] == "probability"]
        assert groups
        for row in table["rows"]:
            for group in groups:
                p, se = row[f"p {group}"], row[f"se {group}"]
                assert 0.0 <= p <= 1.0
                assert se == pytest.approx(math.sqrt(p * (1 - p) / 200))
    for group in [c["group"] for c in regimes["columns"] if c["kind"] == "probability"]:
        assert sum(row[f"p {group}"] for row in regimes["rows"]) == pytest.approx(1.0)
    csv_header = (out / "event_probabilities.csv").read_text().splitlines()[0]
    assert csv_header.startswith("outcome,label,p 1952-04..")


def test_run_prints_tables_and_where_the_report_went(tmp_path):
    out = tmp_path / "human"
    result = invoke("run", "bolivia-1952", "--runs", "200", "--until", "1956-12", "--out", str(out), width=160)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Regime type" in text and "Probability of at least one occurrence" in text
    assert "Civilian revolutionary-nationalist" in text and "Coup attempt" in text
    assert re.search(r"\d+\.\d ±\d+\.\d", text), "percentages with a standard error"
    assert f"Report written to {out.absolute()}" in text
    assert (out / "README.md").is_file()


def test_run_is_reproducible_and_independent_of_batch_size(tmp_path):
    first = invoke("run", "bolivia-1952", "--runs", "40", "--until", "1955-12", "--out", str(tmp_path / "a"), "--json", "--batch-size", "15")
    second = invoke("run", "bolivia-1952", "--runs", "40", "--until", "1955-12", "--out", str(tmp_path / "b"), "--json")
    assert first.exit_code == second.exit_code == 0
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["regime_table"]["rows"] == b["regime_table"]["rows"]
    assert a["event_table"]["rows"] == b["event_table"]["rows"]


def test_run_from_a_snapshot(tmp_path):
    snapshot = bundled_model().scenario.snapshots[0]
    result = invoke("run", "bolivia-1952", "--runs", "50", "--from", snapshot.id, "--out", str(tmp_path / "s"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert parse_month(data["start"]) == snapshot.month
    assert json.loads((tmp_path / "s" / "report.json").read_text())["start_snapshot"] == snapshot.id
    # Without --until a snapshot run covers two years (march_1971 is the calendar's last month: not one month only).
    last = bundled_model().scenario.snapshot("march_1971")
    result = invoke("run", "bolivia-1952", "--runs", "20", "--from", "march_1971", "--out", str(tmp_path / "m"))
    assert result.exit_code == 0, result.output
    assert "24 months past the snapshot, to 1973-03" in result.stderr and "1971-03 to 1973-03" in result.stdout
    assert last.month + 24 == parse_month("1973-03")


@pytest.mark.slow
def test_piped_tables_are_not_squeezed_to_80_columns(tmp_path):
    """Without a terminal and without COLUMNS (a pipe, a file, CI), tables get room for their labels."""
    args = ["run", "bolivia-1952", "--runs", "20", "--out", str(tmp_path / "r")]  # four periods: a wide table
    piped = runner.invoke(app, args, env={"COLUMNS": None})
    assert piped.exit_code == 0, piped.output
    assert "Right military government / police state" in piped.stdout  # the whole label on one line
    narrow = runner.invoke(app, args[:-1] + [str(tmp_path / "n")], env={"COLUMNS": "40"})
    assert narrow.exit_code == 0 and "Right military government / police state" not in narrow.stdout  # an explicit width is kept


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"coyuntura {version('coyuntura')}"


# --- chronicle --------------------------------------------------------------------------------


def test_chronicle_prints_dated_lines_naming_mechanisms():
    model = bundled_model()
    result = invoke("chronicle", "bolivia-1952", "--run", "4", "--seed", "2", "--until", "1962-12")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("Run 4 of ")
    body = lines[1:]
    assert body, "twelve years of a run record events"
    mechanisms = set(model.mechanism_names)
    for line in body:
        match = DATED_LINE.match(line)
        assert match, line
        assert 1952 <= int(match.group(1)) <= 1962
        assert match.group(4) in mechanisms
    assert len(body) == len(chronicle(model, 4, seed=2, until=parse_month("1962-12")))
    assert "events" in lines[0] and str(len(body)) in lines[0]


def test_chronicle_json_matches_the_library():
    model = bundled_model()
    result = invoke("chronicle", "bolivia-1952", "--run", "4", "--seed", "2", "--until", "1962-12", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = chronicle(model, 4, seed=2, until=parse_month("1962-12"))
    assert [line["text"] for line in data["lines"]] == [line.text for line in expected]
    assert data["lines"][0]["mechanism"] == expected[0].mechanism
    assert all(re.fullmatch(r"\d{4}-\d{2}", line["date"]) for line in data["lines"])
    tagged = [line for line in data["lines"] if line["covers"]]
    assert tagged and all(re.fullmatch(r"[AM]\d+|[a-z_]+", c) for line in tagged for c in line["covers"])
    assert any(line["locators"] and line["locators"][0]["start"] >= 1 for line in data["lines"])


def test_chronicle_from_a_snapshot_tells_the_span_run_simulates():
    """From a snapshot without --until, chronicle covers the two years `run` simulates, not the snapshot's month alone."""
    result = invoke("chronicle", "bolivia-1952", "--run", "7", "--from", "march_1971", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["start"], data["until"]) == ("1971-03", "1973-03")
    expected = chronicle(bundled_model(), 7, seed=0, start="march_1971", until=parse_month("1973-03"))
    assert [line["text"] for line in data["lines"]] == [line.text for line in expected] and expected


# --- check ------------------------------------------------------------------------------------


def test_check_the_bundled_file():
    path = bundled_scenarios()["bolivia-1952"]
    scenario = bundled_model().scenario
    result = invoke("check", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid ")
    assert re.search(r"Actors\s+22\b", result.stdout)
    assert re.search(r"Scheduled events\s+2\b", result.stdout)
    data = json.loads(invoke("check", str(path), "--json").stdout)
    assert data["valid"] is True
    counts = data["counts"]
    assert {key: counts[key] for key in BOLIVIA_COUNTS} == BOLIVIA_COUNTS
    assert counts["mechanisms"] == len(MECHANISMS)
    assert [e["id"] for e in data["events"]] == ["che_guerrilla_arrives", "barrientos_dies"]
    assert data["calendar"] == {"start": "1952-04", "end": "1971-03", "horizon": "1980-12"}
    assert counts["free_parameters_with_priors"] == sum(1 for _, q in quantities(scenario) if q.prior is not None) > 0


def test_check_a_broken_file_names_file_and_line(tmp_path):
    lines = bundled_scenarios()["bolivia-1952"].read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("start:"))
    lines[index] = '  start: "1952-13"'
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n")
    result = invoke("check", str(broken))
    assert_clean_failure(result, f"{broken}:{index + 1}", "calendar.start", "between 01 and 12")


def test_check_malformed_yaml_json_mode(tmp_path):
    broken = tmp_path / "bad.yaml"
    broken.write_text("id: x\ntitle: [unclosed\nactors: 3\n")
    result = invoke("check", str(broken), "--json")
    assert_clean_failure(result, str(broken), "malformed YAML")
    assert "malformed YAML" in json.loads(result.stdout)["error"]


# --- sources ----------------------------------------------------------------------------------


def test_sources_lists_every_mechanism_and_the_coverage():
    result = invoke("sources", "bolivia-1952")
    assert result.exit_code == 0, result.output
    for name, _ in MECHANISMS:
        assert name in result.stdout, name
    assert "Checklist coverage:" in result.stdout
    assert "Introduction, L" in result.stdout
    data = json.loads(invoke("sources", "bolivia-1952", "--json").stdout)
    assert [(m["name"], tuple(m["covers"])) for m in data["mechanisms"]] == list(MECHANISMS)
    assert all(m["locators"] for m in data["mechanisms"])
    assert len(data["quantities"]) == len(list(quantities(bundled_model().scenario)))
    assert set(data["coverage"]["checklist"]) == {f"A{i}" for i in range(1, 18)} | {f"M{i}" for i in range(1, 18)}


def test_sources_of_another_analysis_reports_no_checklist_coverage():
    countryside = str(Path(__file__).resolve().parents[1] / "docs" / "examples" / "countryside-1971.yaml")
    result = invoke("sources", countryside)
    assert result.exit_code == 0, result.output
    assert "Checklist coverage: no checklist is declared for this scenario's analysis." in result.stdout
    assert "/34 items" not in result.stdout and "Not covered:" not in result.stdout
    assert json.loads(invoke("sources", countryside, "--json").stdout)["coverage"]["checklist"] == []


def test_sources_counts_a_scenario_s_own_checklist():
    result = invoke("sources", "chile-1970")
    assert result.exit_code == 0, result.output
    assert "Checklist coverage: 10/11 items (the scenario's own)" in result.stdout
    assert "/34 items" not in result.stdout
    assert "Not covered: C11 Congress, the courts and the elections of the period (" in " ".join(result.stdout.split())
    assert json.loads(invoke("sources", "chile-1970", "--json").stdout)["coverage"]["missing"] == ["C11"]


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments", "code"),
    [
        (("run", "no-such-scenario", "--runs", "5"), ("no-such-scenario", "not a bundled scenario"), EXIT_FAILURE),
        (("run", "bolivia-1952", "--runs", "5", "--until", "1971-13"), ("--until", "not between 01 and 12"), EXIT_USAGE),
        (("run", "bolivia-1952", "--runs", "5", "--until", "March 1971"), ("--until", "YYYY-MM"), EXIT_USAGE),
        (("run", "bolivia-1952", "--runs", "5", "--until", "1999-01"), ("--until 1999-01", "horizon"), EXIT_USAGE),
        (("run", "bolivia-1952", "--runs", "5", "--until", "1950-01"), ("--until 1950-01", "before the start"), EXIT_USAGE),
        (("run", "bolivia-1952", "--runs", "5", "--from", "nowhere"), ("no snapshot 'nowhere'",), EXIT_USAGE),
        (("run", "bolivia-1952", "--runs", "0"), ("--runs must be at least 1",), EXIT_USAGE),
        (("run", "bolivia-1952", "--runs", "5", "--batch-size", "0"), ("--batch-size must be at least 1",), EXIT_USAGE),
        (("chronicle", "bolivia-1952", "--run", "-1"), ("--run must be at least 0",), EXIT_USAGE),
        (("chronicle", "bolivia-1952", "--run", "0", "--from", "1999-01"), ("no snapshot",), EXIT_USAGE),
        (("sources", "no-such-scenario"), ("no-such-scenario",), EXIT_FAILURE),
        (("run", "", "--runs", "5"), ("the scenario's name is empty",), EXIT_FAILURE),
    ],
)
def test_bad_input_is_one_red_message_and_its_exit_code(args, fragments, code, tmp_path):
    """Exit 2 for a bad option value (found before any work), 1 for a scenario that cannot be loaded."""
    result = invoke(*args, "--out", str(tmp_path / "x")) if args[0] == "run" else invoke(*args)
    assert_clean_failure(result, *fragments, code=code)
    assert not (tmp_path / "x").exists()


def test_describe_refuses_a_file_name_that_says_another_format(tmp_path):
    """HTML written into notes.md (or Markdown into page.html) would replace a document with one of another kind."""
    result = invoke("describe", "bolivia-1952", "--format", "html", "--out", str(tmp_path / "notes.md"))
    assert_clean_failure(result, "--out notes.md names a Markdown file but --format is html", code=EXIT_USAGE)
    assert not (tmp_path / "notes.md").exists()
    inferred = invoke("describe", "bolivia-1952", "--out", str(tmp_path / "page.html"))  # no --format: the suffix decides
    assert inferred.exit_code == 0 and (tmp_path / "page.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_usage_error_exits_with_2():
    """The command line is wrong: the command's own checks and Click's parsing both exit with 2, before any work."""
    ours = invoke("describe", "bolivia-1952", "--format", "pdf")
    assert_clean_failure(ours, "--format must be md or html, got 'pdf'", code=EXIT_USAGE)
    clicks = invoke("run", "bolivia-1952", "--runs", "many")
    assert clicks.exit_code == EXIT_USAGE and "Invalid value" in clicks.stderr, clicks.output


@pytest.mark.parametrize(("address", "fragment"), [("http://127.0.0.1:8786", "unknown transport 'http'"), ("tcp://localhost:port", "the port"), ("", "empty")])
def test_a_malformed_scheduler_address_is_a_usage_error(address, fragment, tmp_path):
    """A mistyped --scheduler is the command line's fault (exit 2, naming the option), not a failed connection (exit 1)."""
    result = invoke("score", "bolivia-1952", "--runs", "4", "--replications", "2", "--out", str(tmp_path / "s"), "--scheduler", address)
    assert_clean_failure(result, "--scheduler", fragment, code=EXIT_USAGE)
    assert not (tmp_path / "s").exists()


def test_workers_and_a_scheduler_together_are_a_usage_error(tmp_path):
    """The two say where the work runs: both at once is refused at once, not after a 30 s wait to connect."""
    result = invoke("score", "bolivia-1952", "--runs", "4", "--replications", "2", "--out", str(tmp_path / "s"),
                    "--workers", "0", "--scheduler", "tcp://127.0.0.1:1")
    assert_clean_failure(result, "give --workers or --scheduler, not both", code=EXIT_USAGE)


def test_a_backtest_origin_outside_the_record_is_refused_before_any_calibration(tmp_path):
    """Every origin is checked up front (exit 2, naming --origins): a bad second origin no longer waits for the first's calibration."""
    result = invoke("backtest", "bolivia-1952", "--origins", "1963-06,1999-01", "--runs", "16", "--replications", "2", "--out", str(tmp_path / "b"))
    assert_clean_failure(result, "--origins", "origin 1999-01 must lie after the start and within the record (1952-04..1971-03)", code=EXIT_USAGE)
    assert not (tmp_path / "b").exists()


@pytest.mark.integration
def test_an_in_sample_score_over_a_one_step_ahead_one_leaves_no_file_of_the_other(tmp_path):
    """The folder holds one score: the one-step-ahead tables and chart do not linger beside an in-sample score."""
    folder = tmp_path / "score"
    common = ("score", str(TOY), "--runs", "16", "--replications", "2", "--out", str(folder))
    assert invoke(*common, "--filtered").exit_code == 0 and (folder / "joint.csv").exists()
    (folder / "mine.txt").write_text("keep me", encoding="utf-8")
    assert invoke(*common).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["mine.txt", "reliability.png", *(f"{stem}.{ext}" for stem in ("cells", "totals", "kinds") for ext in ("csv", "md", "json"))]
    )


def test_a_failure_exits_with_1(tmp_path):
    """The command could not do its work: a scenario file that is not there, a record the run store does not hold."""
    missing = invoke("check", str(tmp_path / "missing.yaml"), "--json")
    assert_clean_failure(missing, "missing.yaml", code=EXIT_FAILURE)
    assert "missing.yaml" in json.loads(missing.stdout)["error"]
    no_store = invoke("runs", "show", "abc123", "--store", str(tmp_path / "runs.duckdb"))
    assert_clean_failure(no_store, "no run store at", code=EXIT_FAILURE)
    assert not (tmp_path / "runs.duckdb").exists()  # a mistyped --store is not created by reading it
    RunStore(tmp_path / "runs.duckdb").records()
    no_record = invoke("runs", "show", "abc123", "--store", str(tmp_path / "runs.duckdb"))
    assert_clean_failure(no_record, "no record 'abc123'", code=EXIT_FAILURE)
    empty = invoke("runs", "list", "--kind", "nosuch", "--store", str(tmp_path / "runs.duckdb"))
    assert empty.exit_code == 0 and "No records of kind 'nosuch'; this store holds none yet." in empty.stdout


def test_run_refuses_to_overwrite_a_folder_that_is_not_a_report(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    result = invoke("run", "bolivia-1952", "--runs", "5", "--until", "1953-01", "--out", str(tmp_path), "--json")
    assert_clean_failure(result, "--out", "not a coyuntura report", code=EXIT_USAGE)  # refused before simulating
    assert json.loads(result.stdout)["error"]
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(("option", "value"), [("--threshold", "1.5"), ("--min-density", "-1")])
def test_discover_refuses_settings_out_of_range_as_usage_errors(option, value):
    result = invoke("discover", "bolivia-1952", "--outcome", "coup_success", "--samples", "10", "--runs", "2", option, value)
    assert_clean_failure(result, option, code=EXIT_USAGE)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("discover", "bolivia-1952", "--outcome", "coup_success", "--samples", "9", "--runs", "2"), ("--samples must be at least 10, got 9",)),
        (("discover", "bolivia-1952", "--outcome", "coup_success", "--samples", "10", "--runs", "2", "--params", ""), ("--params is empty",)),
        (("sensitivity", "bolivia-1952", "--outcome", "coup_success", "--samples", "8", "--runs", "2", "--params", "mechanisms.coup.decisiveness"),
         ("sensitivity needs at least 2 free parameters (--params); the patterns mechanisms.coup.decisiveness match 1",)),
        (("whatif", "bolivia-1952", "--runs", "4", "--set", "actors.miners.arms=0.9", "--set", "actors.miners.arms=0.1"),
         ("--set gives actors.miners.arms twice (0.9 and 0.1)",)),
        (("whatif", "bolivia-1952", "--runs", "4", "--experiment", ""), ("no experiment ''",)),
    ],
)
def test_an_option_the_work_cannot_use_is_refused_as_a_usage_error(args, fragments, tmp_path):
    """Found before any work (exit 2): too few points for PRIM, an empty --params (not read as 'all'), one
    parameter for a sensitivity, a --set path given twice (not decided by its last value), an empty experiment name."""
    out = ("--out", str(tmp_path / "x")) if args[0] != "whatif" else ()
    assert_clean_failure(invoke(*args, *out, "--workers", "0"), *fragments, code=EXIT_USAGE)
    assert not (tmp_path / "x").exists()


def test_score_needs_runs_for_every_replicate():
    """Fewer runs than replicates: refused with the same message in-sample and one step ahead, as forecast does."""
    for extra in ((), ("--filtered",)):
        result = invoke("score", "bolivia-1952", "--runs", "4", "--replications", "8", *extra)
        assert_clean_failure(result, "--runs (4) must be at least --replications (8)", code=EXIT_USAGE)


@pytest.mark.parametrize(
    "command",
    [
        ("score", "bolivia-1952", "--runs", "20", "--draws", "10"),
        ("forecast", "bolivia-1952", "--as-of", "1971-03", "--horizon", "2", "--runs", "40", "--scenario-values", "--draws", "5"),
    ],
    ids=lambda command: command[0],
)
def test_draws_without_a_posterior_is_refused(command):
    """--draws picks posterior draws; on the scenario's own values it would be silently ignored."""
    result = invoke(*command)
    assert_clean_failure(result, "--draws", "give --posterior", code=EXIT_USAGE)


@pytest.mark.parametrize(
    "command",
    [
        ("run", "bolivia-1952", "--runs", "5"),
        ("forecast", "bolivia-1952", "--as-of", "1971-03", "--horizon", "2", "--runs", "40", "--replications", "2"),
        ("score", "bolivia-1952", "--runs", "20"),
        ("sensitivity", "bolivia-1952", "--outcome", "coup_success", "--samples", "2", "--runs", "5"),
        ("describe", "bolivia-1952"),
    ],
    ids=lambda command: command[0],
)
def test_an_out_that_cannot_be_written_is_refused_before_any_work(tmp_path, command):
    """A file where the output folder should go (or a file on the way to a description) is a usage error, found
    before anything is simulated, and the file is left as it was."""
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    out = blocker / "page.html" if command[0] == "describe" else blocker
    result = invoke(*command, "--out", str(out))
    assert_clean_failure(result, "--out", str(blocker), code=EXIT_USAGE)
    assert blocker.read_text() == "keep me"


def test_runs_export_refuses_a_folder_that_is_not_empty_before_reading_the_store(tmp_path):
    store = tmp_path / "runs.duckdb"
    RunStore(store).records()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("keep me")
    result = invoke("runs", "export", "abc", "--out", str(tmp_path / "full"), "--store", str(store))
    assert_clean_failure(result, "--out", "exists and is not empty", code=EXIT_USAGE)  # before looking for the record
    assert (tmp_path / "full" / "keep.txt").read_text() == "keep me"


def test_the_default_out_is_checked_before_any_work_too(tmp_path, monkeypatch):
    """Without --out, run writes reports/<scenario>: a folder there holding something else is refused up front."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports" / "bolivia-1952").mkdir(parents=True)
    (tmp_path / "reports" / "bolivia-1952" / "notes.txt").write_text("keep me")
    result = invoke("run", "bolivia-1952", "--runs", "5", "--until", "1953-01")
    assert_clean_failure(result, "--out (not given: its default)", "not a coyuntura report", code=EXIT_USAGE)
    assert (tmp_path / "reports" / "bolivia-1952" / "notes.txt").read_text() == "keep me"


def test_out_under_home_is_written_where_it_was_checked(tmp_path, monkeypatch):
    """A quoted --out '~/...' is expanded once, and the command writes where it checked."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "home").mkdir()
    result = invoke("forecast", "bolivia-1952", "--as-of", "1971-03", "--horizon", "2", "--runs", "40", "--replications", "2",
                    "--scenario-values", "--out", "~/fc")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "fc").is_dir() and any((tmp_path / "home" / "fc").iterdir())
    assert not (tmp_path / "~").exists()


def test_describe_chile_1970_cites_no_passage_of_the_bolivian_analysis(tmp_path):
    """The second bundled scenario's model description cites its own notes, never the Bolivian source's sections."""
    result = invoke("describe", "chile-1970", "--out", str(tmp_path / "chile.md"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "chile.md").read_text(encoding="utf-8")
    bolivian = ("Introduction", "President Torres and the Miners", "Popular Assembly", "The Miners", "The Peasantry", "University and Church",
                "The Role of the Military", "U.S. Imperialism", "The Guerrilla Movement", "Torres: National Capitalism")
    assert not re.findall(rf"(?:{'|'.join(re.escape(title) for title in bolivian)}), L\d", text)
    assert "The Crisis of 1972-1973, L70-71" in text  # its own mechanism cites the notes
