"""Results as labelled data: the ensemble as an xarray Dataset, its events as a tidy table, and both through the store.

On the toy scenario (tests/data/toy.yaml): nothing here depends on what bolivia-1952 says.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from coyuntura.cli import app
from coyuntura.engine.events import EventType
from coyuntura.engine.labelled import dataset_from_tables, dataset_tables
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.paths import with_values
from coyuntura.store import RunStore, StoreError
from coyuntura.store.records import record_run, stored_dataset

from helpers import toy_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def scenario():
    return toy_scenario()


@pytest.fixture(scope="module")
def ensemble(scenario):
    return simulate(compile_scenario(scenario), 150, seed=3, start="march_1971", until=parse_month("1972-08"), keep_events=True, series_every=6)


def test_the_dataset_names_its_dimensions_and_labels_months_and_ids(ensemble):
    data = ensemble.to_xarray()
    assert list(data["month"].values[:2]) == ["1971-03", "1971-04"] and data.sizes["month"] == ensemble.until - ensemble.start + 1
    assert list(data["regime"].values) == list(REGIME_KEYS) and list(data["actor"].values) == list(ensemble.actor_ids)
    assert data["regime_runs"].dims == ("month", "regime") and data["strength_runs"].dims == ("month", "actor", "strength_bin")
    # The counts are the engine's, now addressable by label.
    np.testing.assert_array_equal(data["regime_runs"].values, ensemble.regime_counts)
    np.testing.assert_array_equal(data["regime_runs"].sum("regime").values, np.full(data.sizes["month"], 150))
    assert int(data["outcome_runs_total"].sel(outcome="coup_success")) == int(ensemble.outcome_counts_total[1])
    assert int(data["strength_runs"].sel(month="1971-06", actor="miners").sum()) == 150
    final = data["final_regime"].values
    assert set(final) <= set(REGIME_KEYS) and int((final == REGIME_KEYS[0]).sum()) == int((ensemble.final_regime == 0).sum())
    assert data.attrs["seed"] == 3 and data.attrs["start"] == "1971-03" and data.attrs["n_runs"] == 150
    assert data["series_policy"].dims == ("series_month", "run") and list(data["series_month"].values[:2]) == ["1971-03", "1971-09"]


def test_the_event_table_is_tidy_and_complete(ensemble):
    frame = ensemble.to_dataframe()
    assert list(frame.columns) == ["run", "month", "event", "outcome", "mechanism", "actors"]
    assert len(frame) == ensemble.events["run"].size
    attempts = frame[frame["event"] == "coup_attempt"]
    assert len(attempts) == int((ensemble.events["event"] == int(EventType.COUP_ATTEMPT)).sum()) > 0
    assert set(attempts["outcome"]) <= {"success", "failure", "defeated_by_mobilization"}
    assert set(attempts["mechanism"]) == {"coup"}
    assert frame["month"].str.fullmatch(r"19\d\d-\d\d").all()
    assert attempts["actors"].str.split(";").map(lambda ids: set(ids) <= set(ensemble.actor_ids)).all()
    # a nationalization's outcome is the holding it took, by id
    likely = with_values(toy_scenario(), {"mechanisms.nationalization.nationalization_intercept": -3.0}, "likely")
    taken = simulate(compile_scenario(likely), 40, seed=1, until=parse_month("1971-12"), keep_events=True).to_dataframe()
    taken = taken[taken["event"] == "nationalization"]
    assert len(taken) > 0 and set(taken["outcome"]) <= set(likely.holdings[i].id for i in range(len(likely.holdings)))
    with pytest.raises(ValueError, match="keep_events=True"):
        simulate(compile_scenario(toy_scenario()), 5, seed=0, start="march_1971", until=parse_month("1971-05")).to_dataframe()


def test_the_flat_tables_rebuild_the_dataset_exactly(ensemble):
    data = ensemble.to_xarray()
    tables = dataset_tables(data)
    # counts are stored sparsely: far fewer rows than cells
    assert tables["var-strength_runs"]["value"].size < data["strength_runs"].size / 4
    xr.testing.assert_identical(dataset_from_tables(tables), data)


@pytest.mark.integration
def test_a_recorded_run_round_trips_through_netcdf_export(tmp_path, scenario, ensemble):
    store = RunStore(tmp_path / "runs.duckdb")
    record = record_run(store, "run", scenario, ensemble, 1.0)
    expected = stored_dataset(ensemble)
    assert "series_policy" not in expected and "final_regime" in expected  # per-run series stay out of the store
    xr.testing.assert_identical(store.dataset(record), expected)
    result = runner.invoke(app, ["runs", "export", record, "--out", str(tmp_path / "nc"), "--format", "netcdf", "--store", str(tmp_path / "runs.duckdb"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == ["ensemble.nc", "record.json"]
    with xr.open_dataset(tmp_path / "nc" / "ensemble.nc", engine="scipy") as written:
        xr.testing.assert_equal(written.load(), expected)
        assert written.attrs["scenario"] == "toy" and int(written.attrs["seed"]) == 3
    csv = runner.invoke(app, ["runs", "export", record, "--out", str(tmp_path / "csv"), "--format", "csv", "--store", str(tmp_path / "runs.duckdb")])
    assert csv.exit_code == 0, csv.output
    assert (tmp_path / "csv" / "final_regime.csv").read_text().splitlines()[0] == '"run","regime"'
    bad = runner.invoke(app, ["runs", "export", record, "--out", str(tmp_path / "x"), "--format", "hdf5", "--store", str(tmp_path / "runs.duckdb")])
    assert bad.exit_code == 2 and "unknown export format 'hdf5'" in bad.stderr and not (tmp_path / "x").exists()


def test_a_record_without_an_ensemble_cannot_be_exported_as_netcdf(tmp_path):
    store = RunStore(tmp_path / "runs.duckdb")
    record = store.record("sweep", 1.0, {}, {"points": {"point": np.arange(3)}})
    with pytest.raises(StoreError, match="holds no labelled ensemble.*parquet or csv"):
        store.export(record, tmp_path / "out", format="netcdf")
    assert not (tmp_path / "out").exists()


def test_result_objects_are_data_first(tmp_path, scenario):
    """Tables and results become pandas DataFrames; results with a chart draw it."""
    from coyuntura.engine.tables import regime_table
    from coyuntura.experiments.whatif import Intervention, run_whatif

    ensemble = simulate(compile_scenario(scenario), 100, seed=1, start="march_1971", until=parse_month("1971-09"))
    table = regime_table(ensemble)
    frame = table.to_frame()
    assert list(frame.columns) == [c.key for c in table.columns] and len(frame) == len(table.rows)
    assert frame.attrs["title"] == table.title
    result = run_whatif(scenario, Intervention(changes={"mechanisms.coup.decisiveness": 3.0}, start="march_1971",
                                               until=parse_month("1971-09")), n_runs=60, seed=0)
    whatif = result.to_frame()
    assert "coup_success" in set(whatif.iloc[:, 0]) and len(whatif) == len(result.outcomes)
