"""The one-step-ahead (filtered) score: one filter pass, the same numbers as a filter from scratch, no look-ahead,
no dependence on batches or workers, honest Monte Carlo errors, and the CLI."""

from __future__ import annotations

import io
import json
import math
from functools import lru_cache

import numpy as np
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.simulate import merge_ensembles, simulate
from coyuntura.history.backtest import joint_log_evidence
from coyuntura.history.baselines import Persistence
from coyuntura.history.filtered import filter_pass, filtered_score, joint_table, score_periods, segment_ends
from coyuntura.history.forecast import forecast
from coyuntura.history.observations import Cell, cells_before, cells_within, timeline_cells
from coyuntura.history.particles import LocalSimulator, simulate_histories
from coyuntura.history.scores import CellForecast, Replicates, blurred_log_probability, kind_table, score_scenario, totals_table
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import parse_scenario

from helpers import bundled_model

runner = CliRunner()
M = parse_month
SOURCE = {"description": "d", "source": "Introduction, L1-10", "says": "s"}


@lru_cache(maxsize=None)
def short_record_yaml(flip_early: bool = False, flip_late: bool = False) -> str:
    """The bundled scenario with a short observed timeline (1952-04..1954-09, five periods): cells ending at every
    period's end, one window longer than a period (1952-06..1953-11, ending inside a later period), and two
    one-month cells to flip (1952-05 in the first period, 1954-02 in the fourth)."""
    observations = [
        {"id": "mnr", "regime": "civilian_nationalist", "window": ["1952-04", "1954-09"], "observed": True},
        {"id": "no_coup", "outcome": "coup_success", "window": ["1952-04", "1954-09"], "observed": False},
        {"id": "no_strike", "outcome": "general_strike", "window": ["1952-04", "1953-12"], "observed": False},
        {"id": "long", "outcome": "repression_wave", "window": ["1952-06", "1953-11"], "observed": True},
        {"id": "early", "outcome": "mass_mobilization", "month": "1952-05", "observed": not flip_early},
        {"id": "late", "outcome": "general_strike", "month": "1954-02", "observed": not flip_late},
    ]
    data = bundled_model().scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["observations"] = [{**item, **SOURCE} for item in observations]
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


@lru_cache(maxsize=None)
def short_record(flip_early: bool = False, flip_late: bool = False):
    """:func:`short_record_yaml`, parsed (once per process: a scenario is immutable)."""
    return parse_scenario(short_record_yaml(flip_early, flip_late), "short.yaml")


def probabilities(result) -> dict[str, list[float]]:
    """Each cell's probability in every filter, by cell name."""
    return {f.cell.name: [r.probabilities[f.cell] for r in result.replications] for f in result.forecasts}


def test_periods_follow_the_grid_from_the_start_and_hold_each_cell_by_its_first_month():
    s = short_record()
    cells = timeline_cells(s)
    periods = score_periods(cells, s.calendar.start)
    assert [p.label for p in periods] == ["1952-04..1952-09", "1952-10..1953-03", "1953-04..1953-09", "1953-10..1954-03", "1954-04..1954-09"]
    assert sorted(c.name for p in periods for c in p.cells) == sorted(c.name for c in cells)
    for p in periods:
        assert all(p.first <= c.first <= p.last for c in p.cells)
    long = next(c for c in cells if c.key == "repression_wave")
    assert long in periods[0].cells and periods[0].until == M("1953-11")  # forecast to its end from 1952-04


@pytest.mark.integration  # end to end: filtered scores and forecasts over the record
def test_filtered_probability_is_the_filter_from_scratch_at_the_period_start():
    s = short_record()
    cells = timeline_cells(s)
    periods = score_periods(cells, s.calendar.start)
    ends = segment_ends(cells, periods, s.calendar.start)
    n, seed = 40, 11
    result = filtered_score(s, runs=3 * n, seed=seed, replications=3)
    assert result.runs == 3 * n and [r.first_run for r in result.replications] == [0, n, 2 * n]
    filter0 = result.replications[0]
    for period in periods:  # filter 0 = simulate_histories conditioned on the cells ended before the period, same seed
        alone = simulate_histories(
            s, n, seed, period.until, condition=cells_before(cells, period.first), record=period.cells, extra_ends=ends
        )
        for cell in period.cells:
            assert filter0.probabilities[cell] == alone.cell_probability(cell)[0], cell.name
            assert filter0.effective_runs[cell] == alone.ess
    # and = `coyuntura forecast --as-of <period start> --horizon 6` with the same seed and runs where the segments agree
    for period in periods[1:3]:
        table = forecast(s, period.first, 6, runs=n, seed=seed, replications=1).table
        coup = next(c for c in period.cells if c.key == "coup_success")
        regime = next(c for c in period.cells if c.kind == "regime")
        window = f"{period.label}"
        assert table.row("coup_success")[f"p {window}"] == filter0.probabilities[coup]
        assert table.row("regime:civilian_nationalist")[f"p {window}"] == filter0.probabilities[regime]
    # the pooled probability is the filters' mean, its SE their spread over sqrt(K)
    for f in result.forecasts:
        values = [r.probabilities[f.cell] for r in result.replications]
        assert f.probabilities["model"] == pytest.approx(np.mean(values))
        assert f.model_se == pytest.approx(np.std(values, ddof=1) / math.sqrt(3))
    # by period: one row per period holding its own cells' log scores, and the same total as the whole score
    by_period = result.by_period
    assert [row[1] for row in by_period.rows[:-1]] == [p.label for p in periods]
    for period, row in zip(periods, by_period.rows):
        mine = [f for f in result.forecasts if f.cell in period.cells]
        assert row[2] == len(mine)
        assert by_period.row(row[0])["log model"] == pytest.approx(sum(f.log_score("model") for f in mine), abs=1e-3)
    overall = dict(zip([c.key for c in result.totals.columns], result.totals.rows[0]))
    assert by_period.row("total")["log model"] == overall["log model"]


@pytest.mark.integration  # end to end: three filtered scores
def test_a_cell_is_never_filtered_on_itself_or_on_later_cells():
    s = short_record()
    periods = score_periods(timeline_cells(s), s.calendar.start)
    names = [{c.name for c in p.cells} for p in periods]
    base = filtered_score(s, runs=90, seed=4, replications=3)
    for flip, where in ((dict(flip_early=True), 0), (dict(flip_late=True), 3)):  # the flipped cell's period
        flipped = filtered_score(short_record(**flip), runs=90, seed=4, replications=3)
        assert probabilities(flipped).keys() == probabilities(base).keys()
        before = set().union(*names[: where + 1])  # its period (itself included) and every earlier one
        assert all(probabilities(flipped)[name] == probabilities(base)[name] for name in before), flip
        # ... although the filter did assimilate the flipped cell before the next period
        assert all(a.log_evidence != b.log_evidence for a, b in zip(flipped.replications, base.replications)), flip


class ChunkedSimulator(LocalSimulator):
    """In-process, but every job cut into odd chunks (``chunk`` runs) simulated in small batches (``batch`` runs)."""

    def __init__(self, chunk: int = 7, batch: int = 3):
        super().__init__()
        self.chunk, self.batch = chunk, batch

    def run(self, scenario, jobs, seed, until):
        results = []
        for job in jobs:
            parts = []
            for offset in range(0, job.n_runs, self.chunk):
                count = min(self.chunk, job.n_runs - offset)
                resume = job.resume.select(np.arange(offset, offset + count)) if job.resume is not None else None
                parts.append(
                    simulate(self._model(scenario), count, seed=seed, until=until, first_run=job.first_run + offset,
                             resume=resume, keep_events=True, keep_state=True, batch_size=self.batch,
                             parameters=job.parameters.slice(offset, offset + count) if job.parameters else None)
                )
            results.append(merge_ensembles(parts))
        return results


@pytest.mark.integration
@pytest.mark.slow
def test_filtered_score_is_the_same_whatever_the_batches_and_workers():
    from coyuntura.executor import DaskExecutor
    from coyuntura.history.particles import ExecutorSimulator

    s = short_record()
    plain = filtered_score(s, runs=48, seed=2, replications=4)
    chunked = filtered_score(s, runs=48, seed=2, replications=4, simulator=ChunkedSimulator())
    with DaskExecutor.local(workers=2) as executor:
        on_dask = filtered_score(s, runs=48, seed=2, replications=4, simulator=ExecutorSimulator(executor, chunk_runs=10))
    for other in (chunked, on_dask):
        assert probabilities(other) == probabilities(plain)
        assert other.cells.rows == plain.cells.rows and other.totals.rows == plain.totals.rows and other.kinds.rows == plain.kinds.rows
        assert other.joint.rows == plain.joint.rows  # the filters' evidence too


def test_one_pass_simulates_about_the_record_not_a_filter_per_period():
    s = short_record()
    cells = timeline_cells(s)
    periods = score_periods(cells, s.calendar.start)
    done = filter_pass(s, 30, 1, cells, periods, replications=2)
    from_scratch = sum(p.until - s.calendar.start + 1 for p in periods)  # a filter from the start for each period
    forks = sum(p.until - p.first + 1 for p in periods)  # each period's look-ahead
    assert done.record_months <= done.simulated_months <= forks + done.record_months < from_scratch
    # A filter whose runs all contradict a closing cell simulates that segment again for its offspring, counted apart.
    assert done.offspring_months > 0


def test_jackknife_by_hand():
    cells = tuple(timeline_cells(short_record())[:2])
    p = np.array([[0.1, 0.3, 0.2, 0.2], [0.5, 0.5, 0.7, 0.3]])
    replicates = Replicates(cells, p, np.full((2, 4), 100.0), np.full(4, 100.0), "test")
    assert replicates.cell_se(cells[0]) == pytest.approx(np.std(p[0], ddof=1) / 2)
    loo = [(p.sum(axis=1) - p[:, r]) / 3 for r in range(4)]
    logs = []
    for q in loo:
        smoothed = (q * 300 + 0.5) / 301
        logs.append(sum(math.log(x) if c.observed else math.log(1 - x) for c, x in zip(cells, smoothed)))
    assert replicates.totals_se(cells)[0] == pytest.approx(math.sqrt(3 / 4 * sum((v - np.mean(logs)) ** 2 for v in logs)))


def test_a_forecast_is_read_through_the_record_noise():
    assert blurred_log_probability(1.0, True, 0.05) == pytest.approx(math.log(0.95))
    assert blurred_log_probability(1.0, False, 0.05) == pytest.approx(math.log(0.05))  # ruled out, yet not minus infinity
    assert blurred_log_probability(0.2, False, 0.05) == pytest.approx(math.log(0.95 * 0.8 + 0.05 * 0.2))
    assert blurred_log_probability(0.5, True, 0.01) == pytest.approx(math.log(0.5))


def test_joint_scores_are_the_evidence_gathered_in_each_period_and_the_baselines_summed():
    start = M("1952-04")
    cells = [
        Cell("event", "coup_failed", M("1952-05"), M("1952-05"), True, ("a",)),
        Cell("event", "general_strike", M("1952-04"), M("1952-11"), False, ("b",)),  # begins in the first period, closes in the second
        Cell("event", "coup_success", M("1953-05"), M("1953-05"), False, ("c",)),
    ]
    evidence = [(M("1952-05"), np.array([-2.0, -3.0])), (M("1952-11"), np.array([-2.5, -3.1])), (M("1953-05"), np.array([-2.6, -3.3]))]
    alone = {
        cells[0]: {"model": 0.05, "constant": 0.1, "persistence": 0.2},
        cells[1]: {"model": 0.0, "constant": 0.3, "persistence": 0.4},
        cells[2]: {"model": 0.0, "constant": 0.05, "persistence": 0.0},
    }
    table = joint_table(cells, start, 6, evidence, alone, 0.05, "t")
    assert [row[1] for row in table.rows] == ["1952-04..1952-09", "1952-10..1953-03", "1953-04..1953-09", "whole record"]
    assert [row[2] for row in table.rows] == [1, 1, 1, 3]  # a cell counts in the period it closes in
    assert [row[3] for row in table.rows] == [-2.5, -0.3, -0.15, -2.95]  # each filter's evidence gathered in the period, averaged
    assert table.row("1952-04..1952-09")["se log model"] == pytest.approx(np.std([-2.0, -3.0], ddof=1) / math.sqrt(2), abs=1e-3)
    second = table.row("1952-10..1953-03")
    assert second["log constant"] == pytest.approx(math.log(0.95 * 0.7 + 0.05 * 0.3), abs=1e-3)
    assert second["log persistence"] == pytest.approx(math.log(0.95 * 0.6 + 0.05 * 0.4), abs=1e-3)
    total = table.row("total")
    assert total["log persistence"] == pytest.approx(sum(table.row(row[0])["log persistence"] for row in table.rows[:-1]), abs=2e-3)
    assert total["log persistence"] == pytest.approx(math.log(0.23) + math.log(0.59) + math.log(0.95), abs=2e-3)
    assert "Best joint log score over all the cells: persistence." in table.notes
    assert total["log model alone"] == pytest.approx(math.log(0.95 * 0.05 + 0.05 * 0.95) + 2 * math.log(0.95), abs=2e-3)
    with pytest.raises(ValueError, match="no filter evidence"):
        joint_table(cells, start, 6, (), alone, 0.05, "t")
    one_filter = joint_table(cells, start, 6, [(month, values[:1]) for month, values in evidence], alone, 0.05, "t")
    assert one_filter.row("total")["log model"] == -2.6 and math.isnan(one_filter.row("total")["se log model"])
    assert any("no SE from one filter" in note for note in one_filter.notes)


@pytest.mark.integration  # end to end: a filtered score and 4,000 unconditioned histories
def test_the_joint_score_is_the_probability_of_the_whole_record():
    """The filters' evidence agrees with the record's probability counted straight from unconditioned histories (each
    weighted by its agreement with every cell, as the filter weighs runs): the chain rule, not a sum of cells."""
    s = short_record()
    cells = timeline_cells(s)
    mismatch = 0.05
    result = filtered_score(s, runs=2000, seed=3, replications=4, mismatch=mismatch)
    joint = result.joint
    total = joint.row("total")
    # These two hold by construction once the filter walks to the record's end (the periods' evidence telescopes):
    assert total["cells"] == len(cells) and total["log model"] == pytest.approx(sum(row[3] for row in joint.rows[:-1]), abs=0.01)
    assert total["log model"] == pytest.approx(np.mean([r.log_evidence for r in result.replications]), abs=1e-3)
    running = result.running_scores()
    assert [month for month, _ in running["joint"]][-1] == max(c.last for c in cells)
    assert sum(scores["model"] for _, scores in running["joint"]) == pytest.approx(total["log model"], abs=0.01)
    # This one can fail: the record's probability counted straight from unconditioned histories.
    histories = simulate_histories(s, 4000, 5, max(c.last for c in cells), record=cells)
    agreement = sum(np.where(histories.flags[c] == c.observed, math.log1p(-mismatch), math.log(mismatch)) for c in cells)
    counted = math.log(float(np.mean(np.exp(agreement))))
    assert abs(total["log model"] - counted) < 0.3, (total["log model"], counted)
    persistence = Persistence.fit(cells)
    by_hand = sum(blurred_log_probability(persistence.probability(c, c.first), c.observed, mismatch) for c in cells)
    assert total["log persistence"] == pytest.approx(by_hand, abs=1e-3)


def test_a_filtered_score_draws_its_running_scores(tmp_path):
    """plot() draws the running scores to the path it is given and returns it, as the other results' plot()."""
    result = filtered_score(short_record(), runs=200, seed=1, replications=2)
    drawn = result.plot(tmp_path / "running.png")
    assert drawn == tmp_path / "running.png" and drawn.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.integration  # end to end: two filters and 4,000 unconditioned histories
def test_the_backtest_joint_score_is_what_followed_given_what_came_before():
    """What the backtest scores jointly at an origin - the filter told everything less the filter told the past - is the
    probability of the record after the origin given the record before it, counted straight from histories."""
    s = short_record()
    vantage, mismatch = M("1953-04"), 0.05
    cells = timeline_cells(s, vantage)
    known, scored = cells_before(cells, vantage), cells_within(cells, vantage, M("1954-09"))
    assert known and scored
    until = max(c.last for c in scored)
    told_known = simulate_histories(s, 2000, 4, until, condition=known, record=scored, blocks=4, mismatch=mismatch)
    joint = joint_log_evidence(s, 2000, 4, until, known, scored, told_known, None, mismatch, None, 4)
    histories = simulate_histories(s, 4000, 9, until, record=cells_before(cells, until + 1))

    def log_probability(record):
        agreement = sum(np.where(histories.flags[c] == c.observed, math.log1p(-mismatch), math.log(mismatch)) for c in record)
        return math.log(float(np.mean(np.exp(agreement))))

    counted = log_probability(list(known) + list(scored)) - log_probability(known)
    assert joint.shape == (4,) and abs(float(np.mean(joint)) - counted) < 0.3, (joint, counted)


def test_tables_by_kind_and_by_period_end_with_their_total_even_for_one_group():
    """A script reading the total row finds it however short the record (the totals table itself is one row)."""
    cell = Cell("event", "coup_failed", M("1952-05"), M("1952-05"), True, ("a",))
    forecast = CellForecast(cell, {"model": 0.2, "constant": 0.1, "persistence": 0.3}, 0.01, 100.0)
    by_kind = kind_table([forecast], "k")
    assert [row[0] for row in by_kind.rows] == ["coup_failed", "total"] and by_kind.rows[0][2:] == by_kind.rows[1][2:]
    assert [row[0] for row in totals_table([("one", "one", [forecast])], "t").rows] == ["one"]


def test_filtered_score_refuses_bad_settings():
    s = short_record()
    with pytest.raises(ValueError, match="--replications must be at least 2"):
        filtered_score(s, runs=10, replications=1)
    with pytest.raises(ValueError, match="must be at least --replications"):
        filtered_score(s, runs=3, replications=4)
    with pytest.raises(ValueError, match="--baselines"):
        filtered_score(s, runs=8, replications=2, baselines="future")  # type: ignore[arg-type]


@pytest.mark.integration  # end to end: two filtered scores and a score
def test_baselines_stand_at_the_period_start_and_past_ones_know_only_the_past():
    s = short_record()
    cells = timeline_cells(s)
    insample = filtered_score(s, runs=8, seed=1, replications=2)
    past = filtered_score(s, runs=8, seed=1, replications=2, baselines="past")
    unconditioned = score_scenario(s, runs=8, seed=1)
    constant = {f.cell: f.probabilities["constant"] for f in unconditioned.forecasts}
    for f in insample.forecasts:
        assert f.probabilities["constant"] == constant[f.cell]  # fitted on the whole record, as in-sample
    first = [f for f in past.forecasts if f.cell.first < M("1952-10")]
    assert first and all(f.probabilities["constant"] != constant[f.cell] for f in first if f.cell.kind == "event")
    assert "prequential" in " ".join(past.cells.notes) and past.baselines == "past"
    frame = insample.to_frame()
    assert len(frame) == len(cells) and {"period", "p_model", "se_model", "p_model_0", "p_model_1", "log_persistence"} <= set(frame.columns)


@pytest.mark.integration
def test_score_cli_prints_cells_totals_and_kinds_and_json_parses(tmp_path):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(short_record_yaml(), encoding="utf-8")
    common = ["score", str(scenario), "--filtered", "--runs", "64", "--replications", "4", "--out", str(tmp_path / "f")]
    filtered = runner.invoke(app, common)
    assert filtered.exit_code == 0, filtered.output
    assert "one step ahead (filtered)" in filtered.stdout and "by kind of cell" in filtered.stdout
    assert "jackknife over 4 independent particle filters" in filtered.stdout
    assert (tmp_path / "f" / "reliability.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "f" / "kinds.csv").is_file()
    assert "by period" in filtered.stdout and (tmp_path / "f" / "by_period.csv").is_file()
    assert "joint log scores by period" in filtered.stdout and (tmp_path / "f" / "joint.csv").is_file()
    assert (tmp_path / "f" / "running_scores.png").read_bytes()[:4] == b"\x89PNG"
    as_json = runner.invoke(app, common + ["--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["mode"].startswith("filtered") and len(data["replications"]) == 4 and "jackknife" in data["mc_error"]
    assert {"cells", "totals", "kinds", "periods", "by_period", "joint"} <= data.keys()
    assert data["joint"]["rows"][-1]["group"] == "total" and data["joint"]["rows"][-1]["cells"] == len(data["cells"]["rows"])
    assert data["by_period"]["rows"][-1]["group"] == "total" and data["by_period"]["rows"][-1]["cells"] == len(data["cells"]["rows"])
    assert len(data["cells"]["rows"]) == len(timeline_cells(short_record()))
    assert {"se log model", "log constant", "log persistence"} <= {c["key"] for c in data["totals"]["columns"]}
    assert data["kinds"]["rows"][-1]["group"] == "total" and data["kinds"]["rows"][-1]["cells"] == len(data["cells"]["rows"])

    plain = runner.invoke(app, ["score", str(scenario), "--runs", "64", "--out", str(tmp_path / "p")])
    assert plain.exit_code == 0, plain.output
    assert "total scores, in-sample" in plain.stdout and "by kind of cell, in-sample" in plain.stdout
    plain_json = json.loads(runner.invoke(app, ["score", str(scenario), "--runs", "64", "--out", str(tmp_path / "p"), "--json"]).stdout)
    assert plain_json["mode"] == "in-sample" and {"cells", "totals", "kinds"} <= plain_json.keys() and "by_period" not in plain_json
    bad = runner.invoke(app, ["score", str(scenario), "--baselines", "past", "--runs", "8"])
    assert bad.exit_code == 2 and "--filtered" in bad.stderr
