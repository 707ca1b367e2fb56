"""The observed timeline, scores and baselines, the particle filter, calibration, forecasts and backtests.

Everything here runs small: few runs, early vantages, two-parameter calibrations.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import merge_ensembles, simulate
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.history.baselines import ConstantHazard, Persistence
from coyuntura.history.calibration import CalibrationSettings, FilteredTimelineModel, abc_distance, calibrate, generations_table, load_posterior
from coyuntura.history.forecast import forecast
from coyuntura.history.observations import Cell, cells_before, cells_within, grid_boundaries, record_end, timeline_cells
from coyuntura.history.particles import DEFAULT_MISMATCH, simulate_histories, systematic_resample
from coyuntura.history.priors import free_parameters
from coyuntura.history.scores import CONSTANT, MODEL, PERSISTENCE, CellForecast, reliability, totals
from coyuntura.scenario.calendar import format_month, parse_month
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import parse_scenario

from helpers import bundled_model, toy_scenario

runner = CliRunner()
M = parse_month
TWO = ("mechanisms.coup.plot_intercept", "mechanisms.repression.intercept")


def scenario():
    return bundled_model().scenario


def with_observations(observations: list[dict]) -> str:
    """The toy scenario (tests/data/toy.yaml, 1970-09..1973-12) as YAML text, its observed timeline replaced."""
    data = toy_scenario().model_dump(mode="json", by_alias=True, exclude_none=True)
    data["observations"] = observations
    import io

    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


OK = {"id": "x", "outcome": "coup_success", "month": "1971-01", "observed": True, "description": "d", "source": "Introduction, L62-67", "says": "s"}


# --- the observed timeline -------------------------------------------------------------------------


def test_bundled_timeline_is_valid_and_sourced():
    s = scenario()
    assert len(s.observations) >= 40
    assert all(o.source and o.says for o in s.observations)
    assert {o.outcome for o in s.observations} >= {"coup_success", "coup_failed", "general_strike", "repression_wave", "popular_assembly", "workers_government"}
    assert any(not o.observed for o in s.observations)  # quiet periods count
    assert record_end(s) == M("1971-03")


BAD = [
    ({"regime": "right_military"}, "exactly one of 'outcome'"),
    ({"outcome": "coup"}, "coup_success"),
    ({"month": None, "window": ["1965-01", "1964-01"]}, "window must run forward"),
    ({"window": ["1964-01", "1964-12"]}, "exactly one of 'month'"),
    ({"source": None}, "exactly one of 'source'"),
]


def test_bad_observations_are_refused_each_with_its_path():
    items = [{k: v for k, v in {**OK, **change, "id": f"bad{i}"}.items() if v is not None} for i, (change, _) in enumerate(BAD)]
    with pytest.raises(ScenarioError) as error:
        parse_scenario(with_observations(items), "t.yaml")
    lines = str(error.value).splitlines()
    for index, (_, fragment) in enumerate(BAD):
        assert any(f"observations.{index}" in line and fragment in line for line in lines), (index, fragment, lines)
    with pytest.raises(ScenarioError, match=r"observations\.0\.month: 1990-01\.\.1990-01 is outside the calendar"):
        parse_scenario(with_observations([{**OK, "month": "1990-01"}]), "t.yaml")


def test_an_observation_may_rest_on_an_assumption_instead_of_the_analysis():
    item = {k: v for k, v in {**OK, "source": None, "says": None, "assumption": "A failed coup the analysis does not mention, from another history."}.items() if v is not None}
    parsed = parse_scenario(with_observations([item]), "t.yaml")
    [observation] = [o for o in parsed.observations if o.id == OK["id"]]
    assert observation.source is None and observation.assumption.startswith("A failed coup")


def test_contradicting_and_duplicate_observations_are_refused():
    quiet = {**OK, "id": "q", "month": None, "window": ["1970-10", "1971-03"], "observed": False}
    with pytest.raises(ScenarioError, match="quiet periods of the same kind cover"):
        parse_scenario(with_observations([{k: v for k, v in quiet.items() if v is not None}, OK]), "t.yaml")
    with pytest.raises(ScenarioError, match="duplicate id 'x'"):
        parse_scenario(with_observations([OK, OK]), "t.yaml")


def test_an_observation_the_record_s_quiet_periods_rule_out_by_its_meaning_is_refused():
    """A coup the masses defeated is a failed coup, the army splits in a coup, and an attempt succeeded or failed: a
    record with no failed coup, or no coup at all, in a month cannot have them there (vocabulary.OUTCOME_NEEDS,
    OUTCOME_PARTS)."""
    def quiet(identifier: str, outcome: str, window: tuple[str, str] = ("1970-10", "1971-03")) -> dict:
        return {**OK, "id": identifier, "outcome": outcome, "month": None, "window": list(window), "observed": False}

    defeated = {**OK, "id": "d", "outcome": "coup_defeated_by_mobilization"}
    with pytest.raises(ScenarioError, match=r"observations\.1: 'coup_defeated_by_mobilization' is observed in 1971-01, where the "
                                            r"record's quiet periods \(q\) leave no 'coup_failed', without which it cannot happen"):
        parse_scenario(with_observations([quiet("q", "coup_failed"), defeated]), "t.yaml")
    split = {**OK, "id": "s", "outcome": "army_split"}
    with pytest.raises(ScenarioError, match=r"observations\.2: 'army_split' is observed in 1971-01, where the record's quiet "
                                            r"periods \(r, q\) leave no 'coup_attempt', without which it cannot happen"):
        parse_scenario(with_observations([quiet("q", "coup_failed"), quiet("r", "coup_success"), split]), "t.yaml")
    attempt = {**OK, "id": "a", "outcome": "coup_attempt"}
    with pytest.raises(ScenarioError, match=r"observations\.2: 'coup_attempt' is observed in 1971-01, where the record's quiet "
                                            r"periods \(r, q\) leave neither 'coup_success' nor 'coup_failed', of which it is made"):
        parse_scenario(with_observations([quiet("q", "coup_failed"), quiet("r", "coup_success"), attempt]), "t.yaml")
    # a window ruled out partly by its own kind's quiet period and partly by what it needs
    wide = {**defeated, "month": None, "window": ["1970-10", "1970-12"]}
    with pytest.raises(ScenarioError, match=r"observations\.2: 'coup_defeated_by_mobilization' is observed in 1970-10\.\.1970-12, "
                                            r"where the record's quiet periods \(q\) leave no 'coup_failed', without which it "
                                            r"cannot happen: quiet periods of the same kind cover the rest"):
        parse_scenario(with_observations([quiet("q", "coup_failed", ("1970-11", "1970-12")),
                                          quiet("r", "coup_defeated_by_mobilization", ("1970-10", "1970-10")), wide]), "t.yaml")
    # one part of the attempt quiet leaves the other open: no contradiction
    parsed = parse_scenario(with_observations([quiet("q", "coup_failed"), split]), "t.yaml")
    assert [o.id for o in parsed.observations] == ["q", "s"]


def test_a_nationalization_observation_may_name_the_holding_taken_and_is_checked():
    named = {**OK, "outcome": "nationalization", "holding": "gulf_oil"}
    with pytest.raises(ScenarioError, match=r"observations\.0: .*'holding' names what a nationalization took: it goes with outcome nationalization, not coup_success"):
        parse_scenario(with_observations([{**OK, "holding": "gulf_oil"}]), "t.yaml")
    with pytest.raises(ScenarioError, match=r"observations\.0\.holding: unknown holding 'oil'; holdings: foreign_concessions, gulf_oil"):
        parse_scenario(with_observations([{**named, "holding": "oil"}]), "t.yaml")
    quiet = {k: v for k, v in {**named, "id": "q", "month": None, "window": ["1970-10", "1971-03"], "observed": False}.items() if v is not None}
    with pytest.raises(ScenarioError, match="'nationalization' of 'gulf_oil' is observed in 1971-01, which quiet periods of the same kind cover"):
        parse_scenario(with_observations([quiet, named]), "t.yaml")
    # a quiet period of one holding says nothing of another's, nor of the kind
    other = {**named, "id": "y", "holding": "foreign_concessions"}
    parsed = parse_scenario(with_observations([quiet, other, {**OK, "id": "z", "outcome": "nationalization"}]), "t.yaml")
    names = {c.name: c for c in timeline_cells(parsed)}
    assert {"event:nationalization[foreign_concessions]:1971-01", "event:nationalization:1971-01"} <= set(names)
    gulf = [c for c in names.values() if c.holding == "gulf_oil"]
    assert gulf and all(not c.observed and c.label == "Nationalization: Gulf Oil's holdings" for c in gulf)
    assert {m for c in gulf for m in range(c.first, c.last + 1)} == set(range(M("1970-10"), M("1971-03") + 1))


def test_a_cell_naming_a_holding_asks_for_that_holdings_nationalization_only():
    """A cell naming a holding (as a record may: the source names Gulf under Ovando, sugar and tin by-products under
    Torres) asks for that holding's nationalization only: a run that took another holding does not answer it."""
    from coyuntura.engine.events import EventType, holding_index
    from coyuntura.scenario.paths import with_values

    # likely enough that every holding is taken in some runs, not so likely that Gulf (the patron's, pulled by the
    # nationalist current since M14 reads it) is gone in every run before the window opens
    s = with_values(scenario(), {"mechanisms.nationalization.nationalization_intercept": -4.0}, "nationalizations likely")
    first, last = M("1962-02"), M("1963-12")  # the MNR's last years: sugar exists (from 1962-01), concessions have opened holdings
    holdings = [h.id for h in s.holdings]
    cells = [Cell("event", "nationalization", first, last, True, ("t",), holding=h) for h in holdings]
    any_cell = Cell("event", "nationalization", first, last, True, ("t",))
    assert len(set(cells + [any_cell])) == len(cells) + 1  # the holding tells cells apart
    histories = simulate_histories(s, 300, 2, last, record=cells + [any_cell])
    model = compile_scenario(s)
    before = simulate(model, 300, seed=2, until=first - 1, keep_state=True).final_state
    ensemble = simulate(model, 300, seed=2, until=last, keep_events=True, keep_state=True)
    events = ensemble.events
    in_window = (events["event"] == int(EventType.NATIONALIZATION)) & (events["month"] >= first)
    for h, cell in enumerate(cells):
        expected = np.zeros(300, dtype=bool)
        expected[events["run"][in_window & np.array([holding_index(o) == h for o in events["outcome"]])]] = True
        assert np.array_equal(histories.flags[cell], expected)
        # taken in the window exactly where the state holds it at the end and did not before (what it took it keeps)
        assert np.array_equal(histories.flags[cell], ensemble.final_state.holdings_taken[h] & ~before.holdings_taken[h])
    flagged = np.array([histories.flags[c] for c in cells])
    assert np.array_equal(flagged.any(axis=0), histories.flags[any_cell])
    counts = flagged.sum(axis=1)
    assert (counts > 0).sum() >= 3 and counts.max() < 300  # several holdings taken, each in some runs only


@pytest.mark.parametrize("vantage", ["1963-06", "1969-06", "1970-09", "1971-03"])
def test_cells_never_straddle_the_vantage_and_cover_the_quiet_periods(vantage):
    s, v = scenario(), M(vantage)
    cells = timeline_cells(s, v, 6)
    before, after = cells_before(cells, v), cells_within(cells, v, M("1971-03"))
    straddling = [c for c in cells if c.first < v <= c.last]
    assert all(c.observed for c in straddling), "only an observed event keeps a window over the vantage"
    assert all(c.last < v for c in before) and all(c.first >= v for c in after)
    quiet = [c for c in cells if c.kind == "event" and not c.observed]
    assert all(c.months <= 6 for c in quiet)
    assert all(not (c.first < b <= c.last) for c in quiet for b in grid_boundaries(v, c.first, c.last, 6))
    covered = {(c.key, m) for c in quiet for m in range(c.first, c.last + 1)}
    declared = {(o.outcome, m) for o in s.observations if o.outcome and not o.observed for m in range(o.first, o.last + 1)}
    assert covered == declared


def test_regime_cells_at_period_ends():
    cells = [c for c in timeline_cells(scenario(), M("1952-04"), 12) if c.kind == "regime" and c.key == "right_military"]
    assert [c.window for c in cells] == ["1965-03", "1966-03", "1967-03", "1968-03", "1968-12"]


# --- engine: resuming from a state ----------------------------------------------------------------


def test_resume_is_independent_of_batches_and_chunks():
    model = bundled_model()
    head = simulate(model, 300, seed=5, until=M("1953-12"), keep_state=True)
    whole = simulate(model, 300, seed=5, until=M("1955-06"), resume=head.final_state, keep_events=True, keep_state=True, batch_size=300)
    split = simulate(model, 300, seed=5, until=M("1955-06"), resume=head.final_state, keep_events=True, keep_state=True, batch_size=70)
    parts = merge_ensembles(
        [
            simulate(model, 100, seed=5, until=M("1955-06"), first_run=0, resume=head.final_state.select(np.arange(0, 100)), keep_events=True, keep_state=True),
            simulate(model, 200, seed=5, until=M("1955-06"), first_run=100, resume=head.final_state.select(np.arange(100, 300)), keep_events=True, keep_state=True),
        ]
    )
    assert whole.start == M("1954-01")
    for other in (split, parts):
        assert np.array_equal(whole.regime_counts, other.regime_counts)
        assert np.array_equal(whole.outcome_counts_total, other.outcome_counts_total)
        assert np.array_equal(whole.final_state.organization, other.final_state.organization)
        assert all(np.array_equal(whole.events[k], other.events[k]) for k in whole.events)
    with pytest.raises(ValueError, match="not both"):
        simulate(model, 300, start="march_1971", resume=head.final_state)
    with pytest.raises(ValueError, match="holds 300 runs, not 10"):
        simulate(model, 10, resume=head.final_state)


# --- particle filter ------------------------------------------------------------------------------


def test_systematic_resampling_keeps_order_and_proportions():
    weights = np.array([0.5, 0.0, 0.25, 0.25])
    ancestors = systematic_resample(weights, 0.3)
    assert list(ancestors) == sorted(ancestors)
    assert np.bincount(ancestors, minlength=4).tolist() == [2, 0, 1, 1]


@pytest.mark.integration  # end to end: particle filters over the record from 1952
def test_filtering_on_the_1964_coup_changes_what_follows():
    s = scenario()
    coup = Cell("event", "coup_success", M("1964-01"), M("1964-12"), True, ("t",))
    later = Cell("regime", "right_military", M("1965-06"), M("1965-06"), True, ("t",))
    free = simulate_histories(s, 400, 2, M("1965-06"), record=[coup, later])
    filtered = simulate_histories(s, 400, 2, M("1965-06"), condition=[coup], record=[later], mismatch=0.01)
    p_free, _ = free.cell_probability(later)
    p_filtered, se = filtered.cell_probability(later)
    assert filtered.resamplings >= 1 and filtered.ess <= 400
    assert filtered.log_evidence < 0
    assert p_filtered > p_free + 3 * se  # runs with the 1964 coup are under the right military in 1965
    assert np.isclose(filtered.weights.sum(), 1.0)


def test_a_front_cell_counts_every_month_the_front_stands_not_only_its_forming():
    """``left_front`` in a window: the front formed or broke up there, or stands at its end - so a front that formed
    before the window and still stands counts, as a month-by-month reading of the state says (a front that broke up in
    the window's first month stood as it opened)."""
    from coyuntura.scenario.paths import with_values

    s = with_values(scenario(), {"system.left_unity": 0.62, "mechanisms.left_unity.noise_scale": 0.2}, "a Left near its bar")
    first, last = M("1952-07"), M("1952-09")
    cell = Cell("event", "left_front", first, last, False, ("t",))
    formed = Cell("event", "left_unity", first, last, False, ("t",))
    histories = simulate_histories(s, 300, 5, last, record=[cell, formed])
    model = compile_scenario(s)
    by_month = np.zeros(300, dtype=bool)
    for month in range(first - 1, last + 1):  # standing as the window opens, or at the end of one of its months
        by_month |= simulate(model, 300, seed=5, until=month, keep_state=True).final_state.left_united == 1
    assert np.array_equal(histories.flags[cell], by_month)
    standing_only = histories.flags[cell] & ~histories.flags[formed]
    assert standing_only.sum() >= 30  # fronts that stood before the window: an events-only reading misses them
    assert 0 < by_month.mean() < 1


def test_run_tables_count_a_front_that_stands_from_the_start_in_every_period_it_stands():
    """A run's tables (outcome counts per period and over the run, per-run outcomes for what-ifs) read ``left_front`` as
    the record does: a front standing from the first month, with no union in the log, counts wherever it stands."""
    from coyuntura.engine.mechanisms.m11_left_unity import begin
    from coyuntura.engine.outcomes import OUTCOME_KEYS
    from coyuntura.engine.parameters import batch_params
    from coyuntura.engine.tables import event_table
    from coyuntura.experiments.measures import outcome_matrix
    from coyuntura.scenario.paths import with_values

    s = with_values(scenario(), {"system.left_unity": 0.7, "mechanisms.left_unity.noise_scale": 0.3}, "a united Left")
    model = compile_scenario(s)
    until = M("1953-11")
    ensemble = simulate(model, 200, seed=3, until=until, keep_events=True, periods=((M("1952-04"), M("1952-12")), (M("1953-01"), until)))
    stands = np.stack([simulate(model, 200, seed=3, until=m, keep_state=True).final_state.left_united == 1 for m in range(M("1952-04"), until + 1)])
    start = model.initial_state(200)
    begin(start, batch_params(model, None)["left_unity"])  # as the runs start, before their first month
    stands = np.vstack([start.left_united == 1, stands])
    key = OUTCOME_KEYS.index("left_front")
    first_year, second_year = stands[:10].any(axis=0), stands[9:].any(axis=0)  # a period opens with the month before's state
    assert ensemble.outcome_counts[:, key].tolist() == [first_year.sum(), second_year.sum()]
    assert ensemble.outcome_counts_total[key] == stands.any(axis=0).sum()
    assert np.array_equal(outcome_matrix(ensemble)[:, key], stands.any(axis=0))
    assert 0 < second_year.sum() < first_year.sum() <= 200  # some fronts break up, and the first year's stood with no union logged
    assert ensemble.outcome_counts_total[OUTCOME_KEYS.index("left_unity")] < first_year.sum()
    notes = " ".join(event_table(ensemble).notes)  # the table says how it reads the front
    assert "The Left's united front stands: a standing condition, counted in every period in which it held in at least one month" in notes


def test_the_forecast_counts_a_front_that_stands_in_its_window_not_only_one_that_forms():
    """The forecast's ``left_front`` row is the share of runs whose front stood at some month of the forecast window
    (as it opened included), as a month-by-month reading of the state says; a front formed before the window counts."""
    from coyuntura.scenario.paths import with_values

    s = with_values(scenario(), {"system.left_unity": 0.62, "mechanisms.left_unity.noise_scale": 0.2}, "a Left near its bar")
    vantage, horizon, runs = M("1952-06"), 3, 200
    result = forecast(s, vantage, horizon, runs=runs, seed=5, replications=1)
    assert result.resamplings == 0  # the runs are the plain simulation's, weighted by the few cells before the vantage
    model = compile_scenario(s)
    # The filter's segment ends as the vantage opens; its runs go on from there on streams keyed on the vantage month.
    opening = simulate(model, runs, seed=5, until=vantage - 1, keep_state=True).final_state
    later = [simulate(model, runs, seed=5, resume=opening, until=month, keep_state=True).final_state for month in range(vantage, result.until + 1)]
    np.testing.assert_array_equal(later[-1].left_unity, result.histories.final_state.left_unity)
    standing = [state.left_united == 1 for state in [opening, *later]]
    stood = np.any(standing, axis=0)
    window = f"{format_month(vantage)}..{format_month(result.until)}"
    assert result.table.row("left_front")[f"p {window}"] == pytest.approx(np.sum(result.histories.weights * stood))
    assert np.sum(result.histories.weights * standing[0]) > 0.0 and stood.mean() < 1.0  # fronts standing as it opened count
    assert any("The Left's united front stands: a standing condition" in note for note in result.table.notes)


# --- baselines and scores -------------------------------------------------------------------------


def test_baselines_by_hand():
    cells = [
        Cell("event", "coup_success", 0, 9, False, ("a",)),
        Cell("event", "coup_success", 10, 10, True, ("b",)),
        Cell("event", "coup_success", 11, 11, False, ("c",)),
        Cell("event", "coup_success", 12, 12, True, ("c",)),  # events cluster: the second follows the first
        Cell("event", "coup_success", 13, 19, False, ("c",)),
        Cell("regime", "right_military", 5, 5, True, ("d",)),
        Cell("regime", "right_military", 15, 15, True, ("d",)),
        Cell("regime", "nationalist_military", 25, 25, True, ("e",)),
    ]
    constant = ConstantHazard.fit(cells)
    h = (2 + 0.5) / (20 + 1)
    assert constant.hazards["coup_success"] == pytest.approx(h)
    assert constant.probability(Cell("event", "coup_success", 30, 35, True, ())) == pytest.approx(1 - (1 - h) ** 6)
    assert constant.regime_shares["right_military"] == pytest.approx(2.5 / (3 + 0.5 * len(REGIME_KEYS)))
    assert constant.probability(Cell("event", "repression_wave", 30, 30, True, ())) == pytest.approx(2.5 / 21)  # pooled over kinds
    persistence = Persistence.fit(cells, memory=6)
    assert persistence.recent["coup_success"] > persistence.calm["coup_success"]
    soon, late = Cell("event", "coup_success", 12, 12, True, ()), Cell("event", "coup_success", 30, 30, True, ())
    assert persistence.probability(soon) > persistence.probability(late)
    stay = 1 - (1 + 0.5) / (20 + 1)
    assert persistence.probability(Cell("regime", "nationalist_military", 27, 27, True, ())) == pytest.approx(stay**2)
    assert persistence.probability(Cell("regime", "right_military", 27, 27, True, ())) == pytest.approx((1 - stay**2) / (len(REGIME_KEYS) - 1))


def test_scores_are_proper_and_smoothed():
    cell = Cell("event", "coup_success", 0, 0, True, ())
    sure_wrong = CellForecast(cell, {MODEL: 0.0, CONSTANT: 0.2, PERSISTENCE: 0.9}, 0.0, 99.0)
    assert sure_wrong.log_score(MODEL) == pytest.approx(math.log(0.5 / 100))  # half a run, not -inf
    assert sure_wrong.brier(MODEL) == 1.0 and sure_wrong.brier(PERSISTENCE) == pytest.approx(0.01)
    quiet = CellForecast(Cell("event", "coup_success", 1, 1, False, ()), {MODEL: 0.3, CONSTANT: 0.2, PERSISTENCE: 0.9}, 0.0, 1e9)
    assert quiet.log_score(CONSTANT) == pytest.approx(math.log(0.8))
    by_name = {t.forecaster: t for t in totals([sure_wrong, quiet])}
    assert by_name[CONSTANT].log_score == pytest.approx(math.log(0.2) + math.log(0.8))
    bins = reliability([sure_wrong, quiet], PERSISTENCE, bins=5)
    assert [(b.count, b.frequency) for b in bins] == [(2, 0.5)]


def test_a_kinds_score_row_is_named_for_the_kind_even_when_its_first_cell_names_a_holding():
    from coyuntura.history.scores import kind_table

    probabilities = {MODEL: 0.3, CONSTANT: 0.2, PERSISTENCE: 0.4}
    named = CellForecast(Cell("event", "nationalization", 0, 5, True, (), "Nationalization: Gulf Oil's holdings", "gulf_oil"), probabilities, 0.0, 1e3)
    only_named = kind_table([named], "t")
    assert only_named.rows[0][1] == "Nationalization"
    unnamed = CellForecast(Cell("event", "nationalization", 6, 11, False, ()), probabilities, 0.0, 1e3)
    assert kind_table([named, unnamed], "t").rows[0][1] == "Nationalization"


# --- Dask: 1 and 2 workers give the same numbers -------------------------------------------------------


@pytest.mark.integration
@pytest.mark.slow
def test_run_forecast_and_calibration_agree_on_1_and_2_dask_workers(tmp_path):
    from coyuntura.executor import DaskExecutor
    from coyuntura.history.particles import ExecutorSimulator
    from coyuntura.parallel import simulate_parallel

    s = scenario()
    settings = CalibrationSettings(as_of="1954-01", population=4, generations=2, runs_per_particle=2, seed=7, parameters=TWO)
    local_forecast = forecast(s, M("1954-07"), 6, runs=300, seed=3)
    local_posterior = calibrate(s, settings, tmp_path / "local")
    results = {}
    for workers in (1, 2):
        with DaskExecutor.local(workers=workers) as executor:
            client = executor.client
            ensemble = simulate_parallel(executor, s, 400, seed=3, chunk_runs=150, until=M("1955-12"))
            result = forecast(s, M("1954-07"), 6, runs=300, seed=3, simulator=ExecutorSimulator(executor, chunk_runs=120))
            posterior = calibrate(s, settings, tmp_path / f"dask{workers}", executor=executor)
            if workers == 2:  # the `run` command on this cluster gives the same tables as in-process
                common = ["run", "bolivia-1952", "--runs", "300", "--seed", "4", "--until", "1955-12", "--json", "--store", str(tmp_path / "s.duckdb")]
                plain = runner.invoke(app, common + ["--out", str(tmp_path / "a")])
                on_dask = runner.invoke(app, common + ["--out", str(tmp_path / "b"), "--scheduler", client.scheduler.address])
                assert plain.exit_code == 0 and on_dask.exit_code == 0, plain.output + on_dask.output
                a, b = json.loads(plain.stdout), json.loads(on_dask.stdout)
                assert a["regime_table"] == b["regime_table"] and a["event_table"] == b["event_table"]
        results[workers] = (ensemble, result, posterior)
    (e1, f1, p1), (e2, f2, p2) = results[1], results[2]
    assert np.array_equal(e1.regime_counts, e2.regime_counts) and np.array_equal(e1.outcome_counts, e2.outcome_counts)
    assert f1.table.rows == f2.table.rows == local_forecast.table.rows
    assert np.array_equal(p1.values, p2.values) and np.array_equal(p1.weights, p2.weights)
    assert np.array_equal(p1.values, local_posterior.values)
    for k in range(len(TWO)):  # and so, a fortiori, within Monte Carlo error of each other
        means = [float(np.sum(p.weights * p.values[:, k])) for p in (p1, p2)]
        sd = math.sqrt(float(np.sum(p1.weights * (p1.values[:, k] - means[0]) ** 2)))
        assert abs(means[0] - means[1]) <= 2 * sd / math.sqrt(len(p1.weights)) + 1e-12


# --- calibration ------------------------------------------------------------------------------------


@pytest.mark.integration  # end to end: four calibrations
@pytest.mark.slow
def test_calibration_resumes_after_an_interruption_to_the_same_posterior(tmp_path):
    s = scenario()
    settings = CalibrationSettings(as_of="1965-01", population=4, generations=2, runs_per_particle=2, seed=1, parameters=TWO)

    def interrupt(t, accepted, population):
        if t == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate(s, settings, tmp_path / "cut", progress=interrupt)
    assert not (tmp_path / "cut" / "posterior.json").exists()
    with pytest.raises(ValueError, match="already exists: pass --resume"):
        calibrate(s, settings, tmp_path / "cut")
    with pytest.raises(ValueError, match="other settings: population 4"):
        calibrate(s, CalibrationSettings(**{**settings.__dict__, "population": 5}), tmp_path / "cut", resume=True)
    resumed = calibrate(s, settings, tmp_path / "cut", resume=True)
    straight = calibrate(s, settings, tmp_path / "straight")
    assert [g["t"] for g in resumed.generations] == [0, 1]
    assert np.array_equal(resumed.values, straight.values) and np.allclose(resumed.weights, straight.weights)
    loaded = load_posterior(tmp_path / "cut" / "posterior.json")
    assert loaded.paths == list(TWO) and loaded.as_of == "1965-01" and loaded.cells == len(cells_before(timeline_cells(s, M("1965-01")), M("1965-01")))
    for p in loaded.parameters:  # posterior inside the prior
        assert p["prior"]["low"] <= p["posterior"]["q05"] <= p["posterior"]["q95"] <= p["prior"]["high"]
    assert loaded.draws(5, seed=2) == loaded.draws(5, seed=2)
    g0 = loaded.generations[0]
    assert g0["accepted"] == 4 and g0["evaluations"] >= 4 and 0 < g0["acceptance_rate"] <= 1 and 1 <= g0["ess"] <= 4


def test_calibration_refuses_bad_settings(tmp_path):
    s = scenario()
    with pytest.raises(ValueError, match="--population must be at least 2"):
        calibrate(s, CalibrationSettings(as_of="1960-01", population=1), tmp_path)
    with pytest.raises(KeyError, match="no free parameter matches 'nothing.*'"):
        calibrate(s, CalibrationSettings(as_of="1960-01", parameters=("nothing.*",)), tmp_path)
    with pytest.raises(ValueError, match="leaves no observed history"):
        calibrate(s, CalibrationSettings(as_of="1952-01"), tmp_path)
    with pytest.raises(ValueError, match="nothing to resume"):
        calibrate(s, CalibrationSettings(as_of="1960-01", parameters=TWO), tmp_path / "empty", resume=True)
    with pytest.raises(ValueError, match="--distance must be one of brier, log, evidence, got 'kl'"):
        calibrate(s, CalibrationSettings(as_of="1960-01", parameters=TWO, distance="kl"), tmp_path / "kl")


@pytest.mark.integration  # end to end: three calibrations
@pytest.mark.slow
def test_calibration_stops_when_the_weights_collapse_and_keeps_the_generation_before(tmp_path):
    s = scenario()
    # With a floor equal to the population, any generation whose weights are not all equal is "collapsed".
    settings = CalibrationSettings(as_of="1965-01", population=4, generations=3, runs_per_particle=2, seed=1, parameters=TWO, distance="log", min_ess=4)
    posterior = calibrate(s, settings, tmp_path / "floor")
    assert [g["t"] for g in posterior.generations] == [0, 1]  # stopped after the first collapsed generation
    assert posterior.generations[1]["ess"] < 4 and posterior.generation == 0
    assert np.allclose(posterior.weights, 0.25)  # generation 0: prior draws, equal weights
    assert load_posterior(tmp_path / "floor" / "posterior.json").generation == 0
    assert "The posterior is generation 0. Later generations fell below --min-ess 4." in generations_table(posterior).notes[1]
    everything = calibrate(s, CalibrationSettings(**{**settings.__dict__, "min_ess": 0.0}), tmp_path / "all")
    assert [g["t"] for g in everything.generations] == [0, 1, 2] and everything.generation == 2
    with pytest.raises(ValueError, match=r"--min-ess must lie between 0 and --population \(4\), got 5"):
        calibrate(s, CalibrationSettings(**{**settings.__dict__, "min_ess": 5.0}), tmp_path / "five")


@pytest.mark.integration  # end to end: one small calibration on the filter's likelihood
@pytest.mark.slow
def test_calibration_on_the_filters_likelihood_runs_through_pyabc(tmp_path):
    s = scenario()
    settings = CalibrationSettings(as_of="1965-01", population=4, generations=2, runs_per_particle=4, seed=1, parameters=TWO, distance="evidence")
    posterior = calibrate(s, settings, tmp_path / "evidence")
    assert [g["t"] for g in posterior.generations] == [0, 1] and posterior.settings["distance"] == "evidence"
    epsilons = [g["epsilon"] for g in posterior.generations]
    assert epsilons[1] <= epsilons[0] and -math.log1p(-DEFAULT_MISMATCH) <= epsilons[1] <= -math.log(DEFAULT_MISMATCH)
    assert "filtered log loss (minus the particle filter's log likelihood of the record, per cell)" in generations_table(posterior).notes[0]
    for p in load_posterior(tmp_path / "evidence" / "posterior.json").parameters:
        assert p["prior"]["low"] <= p["posterior"]["q05"] <= p["posterior"]["q95"] <= p["prior"]["high"]


def test_the_log_distance_rewards_seeing_a_rare_event_and_stays_finite():
    record = {"happened": np.array([1.0] + [0.0] * 99)}  # one rare event that happened, 99 quiet cells
    blind = {"happened": np.zeros(100)}
    seeing = {"happened": np.array([0.125] + [0.0] * 99)}  # 1 of 8 histories reproduces the event
    noisy = {"happened": np.array([0.125] + [0.125] * 99)}  # ...at the price of false alarms everywhere
    log, brier = abc_distance("log", 8), abc_distance("brier", 8)
    assert log(seeing, record) < log(blind, record) < log(noisy, record)
    assert log(blind, record) - log(seeing, record) == pytest.approx((math.log(1.5 / 9) - math.log(0.5 / 9)) / 100)
    assert brier(seeing, record) < brier(blind, record) < brier(noisy, record)  # both proper; they weigh the cells differently
    assert math.isfinite(log({"happened": np.ones(100)}, {"happened": np.zeros(100)}))  # half a run: never infinite
    assert log(record, record) == pytest.approx(-math.log(8.5 / 9))



@pytest.mark.integration  # three particle filters over thirteen years
def test_the_evidence_distance_prefers_parameters_under_which_the_record_is_likely():
    s = scenario()
    vantage = M("1965-01")
    cells = tuple(cells_before(timeline_cells(s, vantage), vantage))
    bounds = tuple((p.prior.low, p.prior.high) for p in free_parameters(s, TWO))
    model = FilteredTimelineModel(s, TWO, cells, 16, vantage - 1, bounds)
    # On the probit scale: the coup intercept near the bottom of its prior, or near its top (coups almost every month,
    # which the record's quiet MNR years refute); the repression intercept at its prior's middle.
    quiet, restless = {TWO[0]: -1.0, TWO[1]: 0.0}, {TWO[0]: 2.5, TWO[1]: 0.0}
    distance = abc_distance("evidence", 16, len(cells))
    together = [distance(x, {}) for x in model.batch([quiet, restless, quiet], seed=3)]
    assert together[0] < together[1] and together[2] < together[1]
    # A run that agrees with every cell still pays the record's noise; one that agrees with none keeps mismatch's weight.
    assert -math.log1p(-DEFAULT_MISMATCH) <= min(together) and max(together) <= -math.log(DEFAULT_MISMATCH)
    with pytest.raises(ValueError, match="needs the number of cells"):
        abc_distance("evidence", 16)
    # Each particle is a filter of its own: the first one's evidence does not depend on what is filtered beside it.
    alone = distance(model.batch([quiet], seed=3)[0], {})
    assert alone == together[0]

# --- command line -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_forecast_cli_prints_every_outcome_with_errors_and_says_how_it_conditioned():
    result = runner.invoke(app, ["forecast", "bolivia-1952", "--as-of", "1958-01", "--horizon", "12", "--runs", "300", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "sequential importance resampling" in data["conditioning"] and data["window"] == "1958-01..1958-12"
    lowest = re.search(r"at its lowest ([\d,]+), on the cells ending (\d{4}-\d\d)\)", data["conditioning"])  # before any resampling restored it
    assert lowest is not None and 0 < int(lowest.group(1).replace(",", "")) < 300 and lowest.group(2) < "1958-01"
    rows = {row["outcome"]: row for row in data["table"]["rows"]}
    p = "p 1958-01..1958-12"
    assert sum(rows[f"regime:{k}"][p] for k in REGIME_KEYS) == pytest.approx(1.0)
    for key in ("coup_success", "coup_failed", "general_strike", "repression_wave", "popular_assembly", "workers_government"):
        assert 0.0 <= rows[key][p] <= 1.0 and rows[key]["se 1958-01..1958-12"] >= 0.0
    by_coalition = [row[p] for key, row in rows.items() if key.startswith("coup_success:")]
    assert sum(by_coalition) >= rows["coup_success"][p] - 1e-9


@pytest.mark.integration
@pytest.mark.parametrize(
    "args, fragment, code",
    [
        (["--as-of", "1950-01", "--horizon", "12"], "must come after the scenario's start", 2),
        (["--as-of", "1980-06", "--horizon", "12"], "past the scenario's horizon", 2),
        (["--as-of", "1971-13", "--horizon", "12"], "--as-of", 2),
        (["--as-of", "1971-03", "--horizon", "0"], "--horizon must be at least 1", 2),
        (["--as-of", "1971-03", "--horizon", "12", "--posterior", "nope.json"], "does not exist", 1),  # a missing file: a failure
    ],
)
def test_forecast_cli_bad_input(args, fragment, code):
    result = runner.invoke(app, ["forecast", "bolivia-1952", *args])
    assert result.exit_code == code and fragment in result.stderr, result.output


@pytest.mark.integration
@pytest.mark.slow
def test_score_calibrate_forecast_backtest_cli_end_to_end(tmp_path):
    score = runner.invoke(app, ["score", "bolivia-1952", "--runs", "200", "--out", str(tmp_path / "score"), "--json"])
    assert score.exit_code == 0, score.output
    data = json.loads(score.stdout)
    assert (tmp_path / "score" / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    assert len(data["cells"]["rows"]) == len(timeline_cells(scenario()))
    assert {c["key"] for c in data["totals"]["columns"]} >= {"log model", "log constant", "log persistence", "brier model"}

    calibration = runner.invoke(
        app, ["calibrate", "bolivia-1952", "--as-of", "1955-01", "--population", "3", "--generations", "1", "--runs-per-particle", "2",
              "--parameters", ",".join(TWO), "--workers", "0", "--out", str(tmp_path / "cal"), "--json"],
    )
    assert calibration.exit_code == 0, calibration.output
    for name in ("posterior.json", "posterior.png", "epsilon.png", "calibration.db", "generations.md", "parameters.csv"):
        assert (tmp_path / "cal" / name).is_file(), name
    again = runner.invoke(app, ["calibrate", "bolivia-1952", "--as-of", "1955-01", "--workers", "0", "--out", str(tmp_path / "cal")])
    assert again.exit_code == 1 and "--resume" in again.stderr

    with_posterior = runner.invoke(
        app, ["forecast", "bolivia-1952", "--as-of", "1956-01", "--horizon", "6", "--runs", "120", "--draws", "3",
              "--posterior", str(tmp_path / "cal" / "posterior.json"), "--json"],
    )
    assert with_posterior.exit_code == 0, with_posterior.output
    assert "3 draws from the posterior" in json.loads(with_posterior.stdout)["parameters"]

    backtest = runner.invoke(
        app, ["backtest", "bolivia-1952", "--origins", "1956-01", "--horizon", "12", "--runs", "100", "--draws", "2", "--population", "3",
              "--generations", "1", "--runs-per-particle", "2", "--parameters", TWO[0], "--workers", "0", "--out", str(tmp_path / "bt"), "--json"],
    )
    assert backtest.exit_code == 0, backtest.output
    summary = json.loads(backtest.stdout)["summary"]
    row = summary["rows"][0]
    assert row["group"] == "1956-01" and row["label"] == "1956-01..1956-12" and row["cells"] > 0
    assert row["se log model"] >= 0 and "independent particle filters" in " ".join(summary["notes"])
    assert list(row).index("log scenario_values") == list(row).index("se log model") + 1
    posterior = json.loads((tmp_path / "bt" / "1956-01" / "posterior.json").read_text())
    assert posterior["as_of"] == "1956-01"  # calibrated only on the record before the origin
    assert (tmp_path / "bt" / "reliability.png").is_file()
    printed = json.loads(backtest.stdout)
    joint = printed["joint"]
    assert printed["model_beats_baselines"] == ("does NOT" not in printed["verdict"]) and printed["draws"] == 2
    assert list(printed["generations"]) == ["1956-01"] and len(printed["cells"]["rows"]) == row["cells"]
    assert [r["group"] for r in joint["rows"]] == ["1956-01", "total"] and joint["rows"][0]["cells"] == row["cells"]
    assert joint["rows"][1]["log model"] == joint["rows"][0]["log model"] and (tmp_path / "bt" / "joint.csv").is_file()


@pytest.mark.integration
def test_score_and_backtest_results_are_data(tmp_path):
    """The in-sample score and the backtest, as data: to_dict() is JSON-ready and holds the tables; the backtest's
    to_frame() has one row per scored cell with its origin, its probabilities unrounded."""
    from coyuntura.history.backtest import backtest
    from coyuntura.history.scores import score_scenario

    scored = score_scenario(scenario(), runs=200, seed=1)
    data = json.loads(json.dumps(scored.to_dict()))
    assert data["mode"] == "in-sample" and data["runs"] == 200 and len(data["cells"]["rows"]) == len(timeline_cells(scenario()))
    settings = CalibrationSettings(as_of="1956-01", population=3, generations=1, runs_per_particle=2, parameters=(TWO[0],))
    result = backtest(scenario(), ["1956-01"], horizon=12, runs=100, draws=2, settings=settings, out_dir=tmp_path / "bt")
    frame = result.to_frame()
    assert len(frame) == len(result.forecasts) > 0 and set(frame["origin"]) == {"1956-01..1956-12"}
    assert frame["p_model"].tolist() == [f.probabilities[MODEL] for f in result.forecasts]
    printed = json.loads(json.dumps(result.to_dict()))
    assert printed["model_beats_baselines"] == result.model_beats_baselines() and list(printed["generations"]) == ["1956-01"]
    drawn = result.plot(tmp_path / "reliability.png")
    assert drawn == tmp_path / "reliability.png" and drawn.read_bytes()[:4] == b"\x89PNG"


# --- honest Monte Carlo errors, posterior draws per run, the shipped posterior ------------------------


def test_forecast_errors_come_from_the_spread_of_independent_filters():
    s = scenario()
    result = forecast(s, M("1958-01"), 12, runs=240, seed=5, replications=4)
    histories = result.histories
    assert histories.blocks == 4 and "4 independent particle filters of 60 runs" in histories.se_method
    row = result.table.row("regime:civilian_nationalist")
    holds = histories.final_state.regime == REGIME_KEYS.index("civilian_nationalist")
    shares = (histories.weights * holds).reshape(4, 60).sum(axis=1)
    assert row["p 1958-01..1958-12"] == pytest.approx(np.mean(shares))
    assert row["se 1958-01..1958-12"] == pytest.approx(np.std(shares, ddof=1) / 2.0)
    single = forecast(s, M("1958-01"), 12, runs=240, seed=5, replications=1)
    p = single.table.row("coup_success")["p 1958-01..1958-12"]
    assert single.table.row("coup_success")["se 1958-01..1958-12"] == pytest.approx(math.sqrt(p * (1 - p) / single.ess))
    assert "effective sample size" in single.histories.se_method
    with pytest.raises(ValueError, match="must be at least --replications"):
        forecast(s, M("1958-01"), 12, runs=3, replications=4)


@pytest.mark.integration  # end to end: a calibration
def test_posterior_run_values_give_each_filter_its_own_draws(tmp_path):
    s = scenario()
    posterior = calibrate(s, CalibrationSettings(as_of="1965-01", population=6, generations=1, runs_per_particle=1, seed=3, parameters=TWO), tmp_path)
    values = posterior.run_values(s, 40, seed=1, blocks=2)
    assert set(values) == set(TWO) and all(v.shape == (40,) for v in values.values())
    rows = {tuple(np.round(posterior.values[k], 12)) for k in range(len(posterior.weights))}
    assert all(tuple(np.round([values[p][i] for p in TWO], 12)) in rows for i in range(40))  # every run carries a particle
    assert np.array_equal(values[TWO[0]][:20], posterior.run_values(s, 20, seed=1)[TWO[0]])  # block 0 = one block alone
    shared = posterior.run_values(s, 40, seed=1, draws=2)
    assert len(set(shared[TWO[0]][:20])) <= 1 and len(set(shared[TWO[0]][20:])) <= 1  # 2 vectors in 2 contiguous halves
    with pytest.raises(ValueError, match="calibrated for scenario"):
        posterior.run_values(s.model_copy(update={"id": "other"}), 10, seed=0)


@pytest.mark.integration
def test_forecast_cli_writes_its_report(tmp_path):
    result = runner.invoke(
        app, ["forecast", "bolivia-1952", "--as-of", "1958-01", "--horizon", "6", "--runs", "80", "--replications", "2",
              "--scenario-values", "--out", str(tmp_path / "fc"), "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["replications"] == 2 and "independent particle filters" in data["se_method"]
    for name in ("forecast.csv", "forecast.md", "forecast.json", "forecast.png"):
        assert (tmp_path / "fc" / name).stat().st_size > 0, name
    both = runner.invoke(app, ["forecast", "bolivia-1952", "--as-of", "1958-01", "--horizon", "6", "--scenario-values", "--posterior", "x.json"])
    assert both.exit_code == 2 and "not both" in both.output


@pytest.mark.integration  # end to end: a calibration and its predictive checks
@pytest.mark.slow
def test_predictive_checks_see_a_posterior_that_rules_coups_out(tmp_path):
    import dataclasses

    from coyuntura.history.checks import posterior_checks

    s = scenario()
    posterior = calibrate(s, CalibrationSettings(as_of="1965-01", population=4, generations=1, runs_per_particle=1, seed=2, parameters=TWO), tmp_path)
    no_coups = dataclasses.replace(posterior, values=np.column_stack([np.full(4, -16.0), posterior.values[:, 1]]))  # plot intercept at its floor
    checks = posterior_checks(s, no_coups, runs=200, seed=1)
    assert len(checks.table.rows) == len(checks.cells) == len(cells_before(timeline_cells(s, M("1965-01")), M("1965-01")))
    assert np.all((checks.prior >= 0) & (checks.prior <= 1) & (checks.posterior >= 0) & (checks.posterior <= 1))
    quiet_coups = [k for k, c in enumerate(checks.cells) if c.key == "coup_success" and not c.observed]
    coups = [k for k, c in enumerate(checks.cells) if c.key == "coup_success" and c.observed]
    assert quiet_coups and coups
    assert np.mean(checks.posterior[quiet_coups]) > np.mean(checks.prior[quiet_coups])  # quiet periods: likelier without coups
    assert np.all(checks.posterior[coups] <= checks.prior[coups])  # coups that happened: less likely


@pytest.mark.integration
def test_the_shipped_posterior_serves_only_its_scenario_and_later_vantages():
    from coyuntura.history.calibration import bundled_posterior
    from coyuntura.scenario.paths import with_values

    s = scenario()
    shipped = bundled_posterior(s)
    assert shipped is not None and shipped.as_of == "1971-03" and len(shipped.weights) == shipped.settings["population"] >= 1000
    assert all(path.startswith("mechanisms.") for path in shipped.paths)
    assert len(shipped.generations) >= 8 and all(g["ess"] > 1 for g in shipped.generations)
    edited = with_values(s, {"mechanisms.coup.decisiveness": 2.5}, reason="test")
    assert bundled_posterior(edited) is None  # an edited copy does not inherit the calibration
    early = runner.invoke(app, ["forecast", "bolivia-1952", "--as-of", "1958-01", "--horizon", "3", "--runs", "40", "--replications", "2", "--json"])
    assert early.exit_code == 0, early.output
    assert json.loads(early.stdout)["parameters"].startswith("the scenario's values (its shipped posterior was calibrated on the record before 1971-03")
    late = runner.invoke(app, ["forecast", "bolivia-1952", "--as-of", "1971-03", "--horizon", "2", "--runs", "40", "--replications", "2", "--json"])
    assert late.exit_code == 0, late.output
    assert "from the posterior shipped with the scenario, calibrated on the record before 1971-03" in json.loads(late.stdout)["parameters"]


def test_filter_replicates_are_the_independent_filters():
    from coyuntura.history.scores import filter_replicates

    s = scenario()
    cells = cells_within(timeline_cells(s), M("1952-04"), M("1955-12"))
    histories = simulate_histories(s, 80, 4, M("1955-12"), condition=cells[:3], record=cells, blocks=4)
    replicates = filter_replicates(cells, histories)
    assert replicates.k == 4 and replicates.probabilities.shape == (len(cells), 4)
    for k, cell in enumerate(cells):
        p, se = histories.cell_probability(cell)
        assert np.mean(replicates.probabilities[k]) == pytest.approx(p)
        assert replicates.cell_se(cell) == pytest.approx(se)  # jackknife of a mean = SD / sqrt(K)


@pytest.mark.unit
def test_runs_that_do_not_divide_among_the_filters_are_announced():
    from coyuntura.history.particles import runs_used, uneven_runs_notice

    assert runs_used(500, 8) == 496 and runs_used(496, 8) == 496
    assert uneven_runs_notice(496, 8) is None and uneven_runs_notice(7, 1) is None
    assert uneven_runs_notice(500, 8) == (
        "note: using 496 of the 500 runs asked for: they are shared evenly among 8 independent filters (--replications) "
        "of 62 runs each; give a multiple of 8 to use them all"
    )


@pytest.mark.integration
def test_forecast_cli_says_when_it_uses_fewer_runs_than_asked():
    args = ["forecast", "bolivia-1952", "--as-of", "1958-01", "--horizon", "3", "--replications", "3", "--scenario-values", "--json"]
    uneven = runner.invoke(app, [*args, "--runs", "20"])
    assert uneven.exit_code == 0, uneven.output
    assert "note: using 18 of the 20 runs asked for" in uneven.stderr and "6 runs each" in uneven.stderr
    assert json.loads(uneven.stdout)["runs"] == 18  # the notice is on standard error: the JSON stays whole
    even = runner.invoke(app, [*args, "--runs", "18"])
    assert even.exit_code == 0 and "note:" not in even.stderr
    # The same numbers as the 18 runs the 20 asked for came to: nothing but the notice changed.
    assert json.loads(even.stdout)["table"] == json.loads(uneven.stdout)["table"]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("counts", "message"),
    [({"runs": 0}, "--runs must be at least 1, got 0"), ({"draws": 0}, "--draws must be at least 1, got 0"),
     ({"runs": 16, "replications": 2, "draws": 9}, "--draws 9 is more than the 8 runs each of the 2 filters holds")],
)
def test_the_backtest_refuses_counts_before_any_work(counts, message):
    """The library refuses what the command line would, with one message per count (the draws: posterior.check_draws)."""
    from coyuntura.history.backtest import backtest

    with pytest.raises(ValueError, match=re.escape(message)):
        backtest(toy_scenario(), **counts)
