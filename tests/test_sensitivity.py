"""Sensitivity (SALib Sobol and Morris), scenario discovery (PRIM), and their results on Dask."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.tables import to_dict
from coyuntura.executor import DaskExecutor
from coyuntura.experiments.discovery import discovery_table, run_discovery, tradeoff_table
from coyuntura.experiments.measures import OUTCOME_NAMES
from coyuntura.experiments.sensitivity import free_parameters, run_sensitivity, sample, sensitivity_table
from coyuntura.experiments.sweeps import PointSweep, Sweep, point_batches, run_point_sweep, run_sweep
from coyuntura.experiments.whatif import experiment_intervention, run_whatif
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario
from coyuntura.store import RunStore

runner = CliRunner()
UNTIL = parse_month("1972-03")
# From March 1971 the MNR is out of power: the new-class split hazard cannot fire, so it can get no index beyond noise.
PARAMS = ["mechanisms.coup.plot_intercept", "mechanisms.coup.army_force_scale", "mechanisms.new_class.split_intercept"]


@lru_cache(maxsize=1)
def scenario():
    return load_scenario("bolivia-1952")


def test_free_parameters_are_the_quantities_with_priors():
    every = free_parameters(scenario())
    assert len(every) >= 10 and all(p.low < p.high and p.low <= p.value <= p.high for p in every)
    coup = free_parameters(scenario(), ["mechanisms.coup.*"])
    assert {p.path for p in coup} >= {"mechanisms.coup.decisiveness", "mechanisms.coup.plot_intercept"}
    assert all(p.path.startswith("mechanisms.coup.") for p in coup)
    with pytest.raises(KeyError, match="no free parameter matches 'mechanisms.cop.*'"):
        free_parameters(scenario(), ["mechanisms.cop.*"])
    with pytest.raises(ValueError, match="power of two"):
        sample(coup, "sobol", 100, 0)


def test_sobol_finds_the_driver_and_gives_an_inert_parameter_only_the_noise_floor(tmp_path):
    result = run_sensitivity(scenario(), "coup_success", "sobol", samples=16, n_runs=60, start="march_1971", until=UNTIL, patterns=PARAMS)
    assert result.points == 16 * (3 + 2) and result.Y.shape == (80,)
    st = dict(zip((p.path for p in result.parameters), result.indices["ST"]))
    # Every point has its own runs, so the inert parameter's ST is the Monte Carlo noise's share of the variance (~0.03 here).
    assert 0.0 < result.noise_share < 0.1
    assert st["mechanisms.new_class.split_intercept"] == pytest.approx(result.noise_share, abs=0.05)
    assert st["mechanisms.coup.plot_intercept"] > st["mechanisms.new_class.split_intercept"] + 0.3
    assert any("sample too small" in w for w in result.warnings)
    table = sensitivity_table(result)
    assert table.rows[-1][0] == "mechanisms.new_class.split_intercept"  # most influential first
    assert [c.key for c in table.columns][-4:] == ["S1", "S1_conf", "ST", "ST_conf"]
    drawn = result.plot(tmp_path / "indices.png")  # a Path, as every result's plot returns
    assert isinstance(drawn, Path) and drawn.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(json.dumps(result.to_dict()))  # JSON-ready as it stands
    assert data["table"] == json.loads(json.dumps(to_dict(table))) and data["summary"]["points"] == 80


def test_morris_ranks_the_inert_parameter_last():
    result = run_sensitivity(scenario(), "coup_success", "morris", samples=4, n_runs=60, start="march_1971", until=UNTIL, patterns=PARAMS)
    mu_star = dict(zip((p.path for p in result.parameters), result.indices["mu_star"]))
    inert = mu_star.pop("mechanisms.new_class.split_intercept")
    assert inert < min(mu_star.values()) and max(mu_star.values()) > 0.3
    assert any("4 trajectories" in w for w in result.warnings)


def test_indices_do_not_depend_on_how_points_are_batched():
    """Point i runs on runs i x n_runs .. of the one seed, whatever batch it falls in."""
    options = dict(samples=4, n_runs=20, start="march_1971", until=parse_month("1971-09"), patterns=PARAMS)
    one = run_sensitivity(scenario(), "coup_success", "sobol", points_per_batch=1, **options)
    seven = run_sensitivity(scenario(), "coup_success", "sobol", points_per_batch=7, **options)
    default = run_sensitivity(scenario(), "coup_success", "sobol", **options)
    assert one.Y.std() > 0
    for other in (seven, default):
        assert np.array_equal(one.Y, other.Y)
        for name in ("S1", "S1_conf", "ST", "ST_conf"):
            assert np.array_equal(one.indices[name], other.indices[name]), name
    assert point_batches(np.array([1, 1, 0, 1, 1, 1, 1, 1], dtype=bool), 3) == [(0, 2), (3, 6), (6, 8)]


def _point_sweep(n_points: int = 9, n_runs: int = 15) -> PointSweep:
    values = np.linspace(-16.0, -10.0, n_points)[:, None]
    return PointSweep(scenario(), ("mechanisms.coup.plot_intercept",), values, n_runs, seed=3, start="march_1971",
                      until=parse_month("1971-12"), kind="sensitivity")


def test_an_interrupted_point_sweep_resumes_with_the_batches_it_stored(tmp_path):
    store = RunStore(tmp_path / "runs.duckdb")
    sweep = _point_sweep()
    whole = run_point_sweep(sweep, points_per_batch=4)

    def stop(done: int) -> None:
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_point_sweep(sweep, store, points_per_batch=2, progress=stop)  # two batches done, committed on the way out
    [record] = RunStore(store.path).records(kind="sensitivity")
    assert record["items"] == 2 and record["status"] == "running"
    resumed = run_point_sweep(sweep, store, resume=True, points_per_batch=3)
    assert resumed.record_id == record["id"] and resumed.computed == 5
    assert np.array_equal(resumed.counts, whole.counts)
    assert resumed.probability("coup_success")[-1] > resumed.probability("coup_success")[0]  # plotting more, more coups
    points = store.read_artifact(record["id"], "points")
    assert np.array_equal(points["mechanisms.coup.plot_intercept"], sweep.X[:, 0])
    assert np.array_equal(points["coup_success"], whole.counts[:, OUTCOME_NAMES.index("coup_success")])
    again = run_point_sweep(sweep, store, resume=True)
    assert again.computed == 0 and np.array_equal(again.counts, whole.counts)


@pytest.mark.integration  # end to end: 48 sample points, then PRIM
@pytest.mark.slow
def test_prim_finds_the_plotting_intercept_behind_successful_coups(tmp_path):
    # From March 1971 a successful coup within a year is likely over much of the space (above 0.6 in two thirds of it):
    # the interesting runs are those that make it likelier still.
    result = run_discovery(scenario(), "coup_success", samples=48, n_runs=60, threshold=0.7, start="march_1971", until=UNTIL, patterns=PARAMS)
    box = result.box
    assert 0 < box["coverage"] <= 1 and 0 < box["density"] <= 1 and box["mass"] <= 1
    assert box["density"] >= result.min_density or result.warnings
    assert result.trajectory[0]["coverage"] == 1.0 and result.trajectory[0]["res_dim"] == 0
    limits = {limit.path: limit for limit in result.limits}
    assert "mechanisms.new_class.split_intercept" not in limits
    drivers = [limits[p] for p in PARAMS[:2] if p in limits]
    assert drivers, f"the box should restrict a driver of coups, got {sorted(limits)}"
    low_of_sample = result.X.min(axis=0)
    for limit in drivers:  # likely coups need more plotting or a stronger army, never less: restricted from below only
        position = [p.path for p in result.parameters].index(limit.path)
        assert limit.low > low_of_sample[position] and limit.qp_low is not None and limit.qp_high is None
    assert len(tradeoff_table(result).rows) == len(result.trajectory)
    assert {row[0] for row in discovery_table(result).rows} == set(limits)
    data = json.loads(json.dumps(result.to_dict()))  # JSON-ready as it stands
    assert data["box"] == box and len(data["tradeoff"]["rows"]) == len(result.trajectory)
    drawn = result.plot(tmp_path / "tradeoff.png")
    assert isinstance(drawn, Path) and drawn.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="never reaches 0.999"):
        run_discovery(scenario(), "workers_government", samples=12, n_runs=20, threshold=0.999, start="march_1971", until=UNTIL, patterns=PARAMS)


def test_a_discovery_that_finds_nothing_says_where_its_simulated_points_are_and_resumes_from_them(tmp_path):
    """PRIM needs some points of interest; without them the points stay stored, the message names the record, and
    --resume with another threshold reuses them rather than simulating again."""
    store = RunStore(tmp_path / "runs.duckdb")
    settings = dict(samples=12, n_runs=20, start="march_1971", until=UNTIL, patterns=PARAMS, store=store)
    with pytest.raises(ValueError, match=r"never reaches 0.999.*kept in the run store as record (\w+): --resume") as refused:
        run_discovery(scenario(), "coup_success", threshold=0.999, **settings)
    record = refused.value.args[0].split("as record ")[1].split(":")[0]
    found = run_discovery(scenario(), "coup_success", threshold=0.5, resume=True, **settings)
    assert found.record_id == record and found.box["coverage"] > 0


@pytest.mark.integration
@pytest.mark.slow
def test_results_do_not_depend_on_dask_or_the_number_of_workers():
    intervention = experiment_intervention(scenario(), "mnr-unionists-in-assembly")
    points = tuple({"mechanisms.coup.decisiveness": 1.0 + 0.5 * i} for i in range(5))
    sweep = Sweep(scenario(), points, n_runs=80, seed=7, start="march_1971", until=UNTIL)
    local_whatif = run_whatif(scenario(), intervention, 700, seed=2, chunk_runs=700)
    local_sweep = run_sweep(sweep, points_per_task=5)
    point_sweep = _point_sweep()
    local_points = run_point_sweep(point_sweep, points_per_batch=9)
    with DaskExecutor.local(workers=2) as executor:
        client = executor.client
        remote_whatif = run_whatif(scenario(), intervention, 700, seed=2, executor=executor, chunk_runs=250)
        remote_sweep = run_sweep(sweep, executor=client, points_per_task=2)  # a bare Dask client works too
        remote_points = run_point_sweep(point_sweep, executor=executor)
        command = runner.invoke(app, ["whatif", "bolivia-1952", "-e", "mnr-unionists-in-assembly", "--runs", "700", "--seed", "2",
                                      "--scheduler", client.scheduler.address, "--json"])
    assert np.array_equal(local_whatif.baseline, remote_whatif.baseline) and np.array_equal(local_whatif.treated, remote_whatif.treated)
    assert np.array_equal(local_sweep.counts, remote_sweep.counts)
    assert np.array_equal(local_points.counts, remote_points.counts)
    # results as data: tidy, one row per point and outcome, its value and the share with its Monte Carlo SE
    frame = local_sweep.to_frame()
    assert len(frame) == 5 * len(local_sweep.outcomes) and list(frame.columns) == [
        "point", "mechanisms.coup.decisiveness", "outcome", "probability", "se", "runs"]
    success = frame[frame.outcome == "coup_success"]
    assert np.allclose(success.probability, local_sweep.probability("coup_success"))
    assert list(success["mechanisms.coup.decisiveness"]) == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert np.allclose(success.se, np.sqrt(success.probability * (1 - success.probability) / 80))
    by_point = local_points.to_frame()
    assert len(by_point) == local_points.counts.size and "mechanisms.coup.plot_intercept" in by_point.columns
    assert command.exit_code == 0, command.output
    rows = {row["outcome"]: row for row in json.loads(command.stdout)["table"]["rows"]}
    assert rows["popular_assembly"]["difference"] == pytest.approx(float(local_whatif.difference[OUTCOME_NAMES.index("popular_assembly")]))


@pytest.mark.integration
def test_sensitivity_command_writes_chart_tables_and_record(tmp_path):
    store = tmp_path / "runs.duckdb"
    args = ["sensitivity", "bolivia-1952", "--outcome", "coup_success", "--samples", "4", "--runs", "30", "--from", "march_1971",
            "--until", "1971-09", "--params", "mechanisms.coup.plot_intercept,mechanisms.coup.decisiveness", "--workers", "0",
            "--out", str(tmp_path / "out"), "--store", str(store), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (tmp_path / "out" / "coup_success-sobol.png").read_bytes()[:4] == b"\x89PNG"
    assert {row["parameter"] for row in data["table"]["rows"]} == {"mechanisms.coup.plot_intercept", "mechanisms.coup.decisiveness"}
    assert any("sample too small" in w for w in data["warnings"])
    record = RunStore(store).show(data["record"])
    assert record["kind"] == "sensitivity" and record["status"] == "complete"
    assert record["items"] >= 1 and [(a["name"], a["rows"]) for a in record["artifacts"]] == [("points", 4 * 4)]  # an item per batch
    again = json.loads(runner.invoke(app, args + ["--resume"]).stdout)
    assert again["record"] == data["record"] and again["table"] == data["table"]
    listed = runner.invoke(app, ["runs", "list", "--store", str(store)], env={"COLUMNS": "200"})
    assert re.search(rf"{data['record']}\s.*\s16x30\s", listed.stdout), listed.stdout  # points x runs, not batches x runs
    bad = runner.invoke(app, ["sensitivity", "bolivia-1952", "--outcome", "coup_sucess", "--workers", "0"])
    assert bad.exit_code == 2 and "did you mean 'coup_success'" in bad.stderr


@pytest.mark.unit
def test_a_sweep_past_the_horizon_is_refused_before_a_record_is_opened(tmp_path):
    """The span is checked first (Scenario.span): no run-store record is left behind by a sweep that could not run."""
    store = RunStore(tmp_path / "runs.duckdb")
    past = scenario().calendar.horizon + 5
    with pytest.raises(ValueError, match="past the scenario's horizon"):
        run_sensitivity(scenario(), "coup_success", "sobol", 2, 2, start="march_1971", until=past, patterns=PARAMS[:2], store=store)
    with pytest.raises(ValueError, match="past the scenario's horizon"):
        run_discovery(scenario(), "coup_success", samples=10, n_runs=2, start="march_1971", until=past, patterns=PARAMS, store=store)
    assert store.records() == []
