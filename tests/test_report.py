"""The report layer: tables and their standard errors, chronicles, sources, the report folder."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from coyuntura import chronicle, chronicle_from_events, event_table, regime_table, simulate, sources, write_report
from coyuntura.engine.events import EventType, Outcome, actor_mask, holding_outcome
from coyuntura.engine.mechanisms import SCHEDULE
from coyuntura.engine.model import EVENTS_MECHANISM
from coyuntura.engine.outcomes import OUTCOMES
from coyuntura.engine.simulate import STRENGTH_BINS, Ensemble
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.engine.tables import Column, Table, standard_error, to_csv, to_dict, to_markdown
from coyuntura.engine.tally import RegimeTally
from coyuntura.report import folder as folder_module
from coyuntura.report.chronicle import TEMPLATES, Locator, actor_phrase, sentence
from coyuntura.report.sources import CHECKLIST, CHECKLIST_ANALYSIS, declares_checklist
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.checks import quantities
from coyuntura.scenario.loader import load_scenario

from helpers import bundled_model, toy_model

pytestmark = pytest.mark.unit


def synthetic_ensemble(n_runs: int = 10) -> Ensemble:
    """Three months, two periods, counts chosen by hand."""
    start = parse_month("1960-01")
    regime_counts = np.array([[10, 0, 0, 0, 0], [7, 3, 0, 0, 0], [5, 2, 2, 1, 0]])
    outcome_counts = np.zeros((2, len(OUTCOMES)), dtype=np.int64)
    outcome_counts[0, 0] = 3  # coup_attempt in the first period: 3 of 10 runs
    outcome_counts[1, 0] = 1
    totals = np.zeros(len(OUTCOMES), dtype=np.int64)
    totals[0] = 4
    totals[1] = 10
    histogram = np.zeros((3, 2, STRENGTH_BINS), dtype=np.int64)
    histogram[:, :, 10] = n_runs
    return Ensemble(
        scenario_id="synthetic",
        seed=7,
        n_runs=n_runs,
        start=start,
        until=start + 2,
        actor_ids=("a", "b"),
        actor_names=("Actor A", "Actor B"),
        periods=((start, start + 1), (start + 2, start + 2)),
        regime_counts=regime_counts,
        strength_histogram=histogram,
        outcome_counts=outcome_counts,
        outcome_counts_total=totals,
        regime_tally=RegimeTally.empty(),
    )


@lru_cache(maxsize=1)
def small_ensemble() -> Ensemble:
    """The toy scenario's runs to its horizon (tests/data/toy.yaml: 1970-09..1973-12)."""
    model = toy_model()
    return simulate(model, 60, seed=11, until=model.scenario.calendar.horizon, keep_events=True, batch_size=25)


# --- tables -----------------------------------------------------------------------------------


def test_standard_error_is_the_binomial_formula():
    assert standard_error(0.3, 100) == pytest.approx(math.sqrt(0.3 * 0.7 / 100))
    assert standard_error(0.5, 10_000) == pytest.approx(0.005)
    assert standard_error(0.0, 50) == 0.0 and standard_error(1.0, 50) == 0.0
    assert np.allclose(standard_error(np.array([0.1, 0.9]), 4), [0.15, 0.15])
    with pytest.raises(ValueError):
        standard_error(0.5, 0)


def test_regime_table_defaults_to_period_ends_and_has_standard_errors():
    ensemble = synthetic_ensemble()
    table = regime_table(ensemble)
    assert table.groups == ["1960-02", "1960-03"]  # end of each period; until is the last period's end
    assert [row[0] for row in table.rows] == list(REGIME_KEYS)
    right = table.row("right_military")
    assert right["p 1960-02"] == pytest.approx(0.3)
    assert right["se 1960-02"] == pytest.approx(math.sqrt(0.3 * 0.7 / 10))
    workers = table.row("workers_government")
    assert workers["p 1960-03"] == pytest.approx(0.1)
    assert workers["se 1960-03"] == pytest.approx(math.sqrt(0.1 * 0.9 / 10))
    for group in table.groups:
        assert sum(table.column(f"p {group}")) == pytest.approx(1.0)
    chosen = regime_table(ensemble, months=[parse_month("1960-01")])
    assert chosen.groups == ["1960-01"] and chosen.row("civilian_nationalist")["p 1960-01"] == 1.0
    with pytest.raises(ValueError, match="outside the simulated span"):
        regime_table(ensemble, months=[parse_month("1970-01")])


def test_event_table_gives_per_period_and_whole_run_probabilities():
    table = event_table(synthetic_ensemble())
    assert [row[0] for row in table.rows] == [o.key for o in OUTCOMES]
    assert table.groups[:2] == ["1960-01..1960-02", "1960-03..1960-03"]
    assert "whole run" in table.groups[2]
    coup = table.row("coup_attempt")
    assert coup["p 1960-01..1960-02"] == pytest.approx(0.3)
    assert coup["se 1960-01..1960-02"] == pytest.approx(math.sqrt(0.21 / 10))
    assert coup["p 1960-03..1960-03"] == pytest.approx(0.1)
    assert coup[f"p {table.groups[2]}"] == pytest.approx(0.4)
    success = table.row("coup_success")
    assert success[f"p {table.groups[2]}"] == 1.0 and success[f"se {table.groups[2]}"] == 0.0


def test_table_writers_keep_numbers_and_format_only_at_output():
    table = event_table(synthetic_ensemble())
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert len(rows) == len(OUTCOMES)
    assert float(rows[0]["p 1960-01..1960-02"]) == pytest.approx(0.3)
    assert float(rows[0]["se 1960-01..1960-02"]) == pytest.approx(math.sqrt(0.21 / 10))
    markdown = to_markdown(table)
    assert "| Coup attempt | 30.0% ± 14.5 |" in markdown
    data = json.loads(json.dumps(to_dict(table)))
    assert data["rows"][0]["outcome"] == "coup_attempt"
    assert data["rows"][0]["p 1960-01..1960-02"] == pytest.approx(0.3)
    assert {c["kind"] for c in data["columns"]} == {"key", "label", "probability", "se"}


def test_csv_writes_numpy_numbers_as_plain_numbers():
    """Tables built from numpy results hold numpy scalars; their CSV must read back as numbers, not as
    ``np.float64(...)`` text."""
    table = Table("numbers", (Column("name", "Name", "label"), Column("share", "Share", "number"), Column("count", "Count", "number")),
                  (("a", np.float64(0.256), np.int64(3)), ("b", np.float32(0.5), 4)))
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows[1] == ["a", "0.256", "3"] and rows[2] == ["b", "0.5", "4"]


def test_tables_of_a_real_ensemble_are_probabilities():
    ensemble = small_ensemble()
    for table in (regime_table(ensemble), event_table(ensemble)):
        for column in table.columns:
            if column.kind == "probability":
                values = table.column(column.key)
                assert all(0.0 <= v <= 1.0 for v in values)
                ses = table.column(f"se {column.group}")
                assert ses == pytest.approx([math.sqrt(p * (1 - p) / ensemble.n_runs) for p in values])


# --- chronicles -------------------------------------------------------------------------------


def test_every_event_type_has_a_sentence_template():
    assert set(TEMPLATES) == set(EventType)


def test_coup_sentence_names_plotter_backers_and_outcome():
    model = bundled_model()
    coup = model.params["coup"]
    mask = actor_mask([coup.right_faction] + list(coup.backers))
    success = sentence(model, EventType.COUP_ATTEMPT, Outcome.SUCCESS, mask, "coup", 0)
    assert success.startswith("Coup attempt by the right-wing army faction, backed by the national bourgeoisie")
    assert "the United States" in success and success.endswith(": it succeeds.")
    change = sentence(model, EventType.GOVERNMENT_CHANGE, Outcome.TO_RIGHT, 0, "coup", 0)
    assert "right-wing military government" in change
    masses = sentence(model, EventType.COUP_ATTEMPT, Outcome.DEFEATED_BY_MOBILIZATION, mask, "coup", 0)
    assert "defeated by a general strike" in masses
    assert sentence(model, EventType.COUP_ATTEMPT, Outcome.FAILURE, mask, "coup", 0).endswith(": it fails.")
    cabinet = sentence(model, EventType.CABINET_OFFER, Outcome.DECLINED, actor_mask([model.index("pcb")]), "left_unity", 0)
    assert "half the cabinet" in cabinet and "decline" in cabinet
    assert actor_phrase("The United States (embassy, business, aid, agencies)") == "the United States"
    assert actor_phrase("Bolivian Communist Party (PCB)") == "the Bolivian Communist Party (PCB)"


def test_a_nationalization_sentence_names_the_holding_taken():
    model = bundled_model()
    miners = actor_mask([model.index("miners")])
    gulf = sentence(model, EventType.NATIONALIZATION, holding_outcome(model.holding_ids.index("gulf_oil")), miners, "nationalization", 0)
    assert gulf == "The government nationalizes Gulf Oil's holdings, to the benefit of the tin miners and their union."
    sugar = sentence(model, EventType.NATIONALIZATION, holding_outcome(model.holding_ids.index("sugar_industry")), 0, "nationalization", 0)
    assert sugar == "The government nationalizes part of the sugar industry."
    assert sentence(model, EventType.NATIONALIZATION, Outcome.NONE, 0, "nationalization", 0) == "The government nationalizes foreign-owned property."
    from coyuntura.engine.model import compile_scenario
    from coyuntura.scenario.paths import with_values

    likely = compile_scenario(with_values(model.scenario, {"mechanisms.nationalization.nationalization_intercept": -3.0}, "likely"))
    ensemble = simulate(likely, 64, seed=1, until=parse_month("1964-12"), keep_events=True)
    with_holding = [line for run in range(64) for line in chronicle_from_events(likely, ensemble.events, run) if line.event == "nationalization"]
    assert with_holding and all(line.outcome in model.holding_ids and "nationalizes" in line.text for line in with_holding)


def test_chronicle_lines_are_dated_and_name_their_mechanism():
    model = toy_model()
    lines = chronicle_from_events(model, small_ensemble().events, 3)
    assert lines, "a run of three years in a crisis records events"
    months = [line.month for line in lines]
    assert months == sorted(months)
    known = set(model.mechanism_names)
    for line in lines:
        assert line.mechanism in known
        rendered = line.render()
        assert rendered.startswith(line.date + "  ")
        assert rendered.endswith(line.tag)
        assert line.tag.startswith("[" + line.mechanism)
        if line.mechanism != EVENTS_MECHANISM:
            assert line.covers and line.locators
            assert all(isinstance(loc, Locator) and loc.start <= loc.end for loc in line.locators)
    data = json.loads(json.dumps([line.to_dict() for line in lines]))
    first = data[0]
    assert first["date"] == lines[0].date and first["text"] == lines[0].text
    if first["mechanism"] != EVENTS_MECHANISM:
        assert set(first["locators"][0]) == {"section", "start", "end", "text"}


def test_chronicle_of_run_k_is_the_same_alone_and_in_a_batch():
    model = toy_model()
    until = model.scenario.calendar.horizon
    batch = simulate(model, 12, seed=9, until=until, keep_events=True, batch_size=5)
    for run in (7, 11):  # in the second and the third batch
        inside = chronicle_from_events(model, batch.events, run)
        alone = chronicle(model, run, seed=9, until=until)
        assert inside, f"run {run} records events"
        assert inside == alone
    other_runs = [chronicle_from_events(model, batch.events, run) for run in range(12)]
    assert len({tuple(lines) for lines in other_runs}) > 1, "runs differ from one another"


def test_exogenous_events_cite_the_scenario_event():
    model = toy_model()
    deaths = [e for e in model.scenario.events if e.kind == "leader_death"]
    ensemble = small_ensemble()
    lines = [line for run in range(ensemble.n_runs) for line in chronicle_from_events(model, ensemble.events, run)]
    deaths_logged = [line for line in lines if line.event == "leader_death" and line.month == deaths[0].month]
    assert deaths, "the toy scenario schedules a leader's death"
    if not deaths_logged:
        pytest.skip("no run was under the regime the death applies to")
    line = deaths_logged[0]
    assert line.mechanism == EVENTS_MECHANISM and line.tag == "[exogenous_events]"
    if deaths[0].source:
        assert line.locators[0].text == deaths[0].source


def test_chronicle_refuses_a_negative_run():
    with pytest.raises(ValueError, match="run index"):
        chronicle(bundled_model(), -1)


# --- sources ----------------------------------------------------------------------------------


def test_sources_list_every_quantity_mechanism_and_actor():
    scenario = bundled_model().scenario
    report = sources(scenario)
    assert len(report.quantities) == len(list(quantities(scenario)))
    for row in report.quantities:
        assert (row.source is None) != (row.assumption is None)
        if row.source:
            assert row.locator is not None and row.provenance.startswith(row.source)
    assert [m.name for m in report.mechanisms] == [module.NAME for module in SCHEDULE]
    coup = next(m for m in report.mechanisms if m.name == "coup")
    assert coup.covers == ("M5",) and coup.locators and coup.title
    assert [a.id for a in report.actors] == [a.id for a in scenario.actors]
    json.dumps(report.to_dict())


def test_coverage_finds_what_is_missing():
    scenario = bundled_model().scenario
    report = sources(scenario)
    assert set(report.coverage.covered) | set(report.coverage.missing) >= set(CHECKLIST)
    assert report.coverage.covered["M5"] == ("coup",)
    # drop every actor's checklist for A1 and switch off the coup mechanism: both items go missing
    actors = [a.model_copy(update={"checklist": [c for c in a.checklist if c != "A1"]}) for a in scenario.actors]
    mechanisms = scenario.mechanisms.model_copy(update={"coup": scenario.mechanisms.coup.model_copy(update={"enabled": False})})
    changed = sources(scenario.model_copy(update={"actors": actors, "mechanisms": mechanisms}))
    assert "A1" in changed.coverage.missing and "M5" in changed.coverage.missing
    assert not changed.coverage.complete


def test_checklist_coverage_is_counted_only_for_the_analysis_the_checklist_belongs_to():
    bolivia = bundled_model().scenario
    assert declares_checklist(bolivia.source_document.title) and bolivia.source_document.title == CHECKLIST_ANALYSIS
    report = sources(bolivia)
    assert report.coverage.declared and report.coverage.checklist == CHECKLIST and report.coverage.complete
    countryside = Path(__file__).resolve().parents[1] / "docs" / "examples" / "countryside-1971.yaml"
    scenario = load_scenario(countryside)
    assert not declares_checklist(scenario.source_document.title)
    coverage = sources(scenario).coverage
    # Another analysis with no checklist of its own: no items of the Bolivian checklist counted as covered or missing.
    assert not coverage.declared and coverage.checklist == () and coverage.covered == {} and coverage.missing == ()
    assert not coverage.complete
    data = sources(scenario).to_dict()["coverage"]
    assert data["checklist"] == [] and data["declared"] is False and data["complete"] is False
    # Another analysis with a checklist of its own is counted against that one only (tests/test_provenance.py).
    chile = sources(load_scenario("chile-1970")).coverage
    assert chile.declared and not set(CHECKLIST) & set(chile.checklist) and not set(CHECKLIST) & set(chile.covered)


# --- report folder ----------------------------------------------------------------------------

EXPECTED_FILES = {
    "README.md",
    "regimes.png",
    "strength.png",
    "regime_probabilities.csv",
    "regime_probabilities.md",
    "event_probabilities.csv",
    "event_probabilities.md",
    "regime_dynamics.csv",
    "regime_dynamics.md",
    "coup_counts.csv",
    "coup_counts.md",
    "report.json",
}


def test_write_report_writes_every_file(tmp_path):
    ensemble = small_ensemble()
    out = write_report(ensemble, tmp_path / "report", toy_model().scenario)
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    for png in ("regimes.png", "strength.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (out / "README.md").read_text()
    assert "![Regime type over time](regimes.png)" in readme and "regime_probabilities.csv" in readme
    data = json.loads((out / "report.json").read_text())
    assert data["runs"] == ensemble.n_runs and data["seed"] == 11
    assert len(data["event_table"]["rows"]) == len(OUTCOMES)
    assert [p.name for p in tmp_path.iterdir()] == ["report"], "no temporary folder is left behind"


def test_write_report_replaces_an_old_report_atomically(tmp_path, monkeypatch):
    ensemble = synthetic_ensemble()
    out = write_report(ensemble, tmp_path / "r")
    before = (out / "report.json").read_text()

    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    import coyuntura.report.charts as charts

    monkeypatch.setattr(charts, "strength_fan_chart", crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_report(ensemble, out)
    assert (out / "report.json").read_text() == before, "the old report is untouched"
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    assert [p.name for p in tmp_path.iterdir()] == ["r"], "the half-built folder is removed"
    monkeypatch.undo()
    write_report(ensemble, out)
    assert json.loads((out / "report.json").read_text())[folder_module.REPORT_MARKER] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_write_report_refuses_to_replace_a_folder_that_is_not_a_report(tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.txt").write_text("years of work")
    with pytest.raises(ValueError, match="not a coyuntura report"):
        write_report(synthetic_ensemble(), precious)
    assert (precious / "chapter1.txt").read_text() == "years of work"


def test_write_report_keeps_other_analyses_folders_beside_it(tmp_path):
    """A score or calibration written under the report folder survives a new run report, and a report can be
    written into a folder that so far holds only such analyses."""
    out = tmp_path / "report"
    (out / "calibration").mkdir(parents=True)
    (out / "calibration" / "posterior.json").write_text("{}", encoding="utf-8")
    write_report(synthetic_ensemble(), out)
    assert (out / "calibration" / "posterior.json").read_text(encoding="utf-8") == "{}"
    write_report(synthetic_ensemble(), out)
    assert (out / "calibration" / "posterior.json").exists() and (out / "report.json").exists()
    stray = tmp_path / "other"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="refusing to replace it"):
        write_report(synthetic_ensemble(), stray)


def test_a_new_report_replaces_only_the_report_s_own_files(tmp_path):
    """A user's file kept in a report folder survives the next report there; the report's own files are new."""
    out = write_report(synthetic_ensemble(), tmp_path / "report")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "regime_probabilities.csv").write_text("stale", encoding="utf-8")
    write_report(synthetic_ensemble(), out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "regime_probabilities.csv").read_text(encoding="utf-8") != "stale"
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES | {"notes.txt"}


def test_a_failed_swap_leaves_the_user_s_files_in_place(tmp_path, monkeypatch):
    """If the old report cannot be moved aside, the user's files carried over to the new one go back, not away."""
    out = write_report(synthetic_ensemble(), tmp_path / "report")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    rename = os.rename

    def refuse_moving_the_report(source, target):
        if Path(source) == out:
            raise OSError("device busy")
        rename(source, target)

    monkeypatch.setattr(folder_module.os, "rename", refuse_moving_the_report)
    with pytest.raises(OSError, match="device busy"):
        write_report(synthetic_ensemble(), out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["report"], "no temporary folder is left behind"


def test_a_share_of_nothing_reads_n_a_not_nan():
    """A regime no run entered has no share of runs with an attempt against it: the tables say n/a."""
    table = Table("shares", (Column("name", "Name", "label"), Column("p", "Share", "probability", "g"), Column("se", "SE", "se", "g")),
                  (("never entered", float("nan"), float("nan")), ("entered", 0.25, 0.01)))
    markdown = to_markdown(table)
    assert "| never entered | n/a |" in markdown and "| entered | 25.0% ± 1.0 |" in markdown
    assert "nan" not in markdown
    assert "n/a" in to_markdown(table, combine=False) and "nan" not in to_markdown(table, combine=False)
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows[1] == ["never entered", "", ""] and rows[2] == ["entered", "0.25", "0.01"]
    assert json.loads(json.dumps(to_dict(table)))["rows"][0]["p"] is None
