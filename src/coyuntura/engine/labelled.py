"""An ensemble as labelled data: an xarray Dataset with named dimensions, and tidy tables of its events.

The engine keeps its summaries as plain count arrays (fast to stream and merge);
this module names their dimensions and labels their coordinates so they can be
analysed with xarray and pandas, written to netCDF, and stored and rebuilt
exactly (:func:`dataset_tables` / :func:`dataset_from_tables`).

Dimensions: ``month`` (ISO ``YYYY-MM``), ``regime`` (regime keys), ``period``
(``YYYY-MM..YYYY-MM``), ``outcome`` (outcome keys), ``actor`` (actor ids),
``strength_bin`` (bin centres of actor strength in [0, 1]), ``run`` (run
indices, for per-run variables) and ``series_month`` (the months of kept series,
whose variables are named ``series_<variable>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from ..extras import require
from ..scenario.calendar import format_month
from .events import EventType, Outcome, holding_outcome
from .state import REGIME_KEYS

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from xarray import Dataset

    from .simulate import Ensemble

COORDS_TABLE = "coords"
"""The table that lists every dimension's coordinate labels in order."""
ATTRS_TABLE = "attrs"
"""The table of the dataset's attributes (key, JSON value; a variable's as ``<variable>/<attribute>``)."""
VARIABLE_PREFIX = "var-"
"""Each data variable's table is named ``var-<variable>``."""
STORE_PREFIX = "dataset-"
"""A run record's artifacts that hold its labelled ensemble are named ``dataset-<table>``."""


def _period_label(first: int, last: int) -> str:
    return f"{format_month(first)}..{format_month(last)}"


Variables = dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, Any]]]
"""Each variable's dimensions, values and attributes, as :func:`_dataset_parts` gives them to xarray or to the store."""


def ensemble_dataset(ensemble: "Ensemble") -> "xr.Dataset":
    """The ensemble's summaries with named dimensions and labelled coordinates (see the module docstring)."""
    xr = require("data", "xarray")
    variables, coords, attrs = _dataset_parts(ensemble, series=True)
    dataset: Dataset = xr.Dataset(variables, coords=coords, attrs=attrs)
    return dataset


def ensemble_tables(ensemble: "Ensemble") -> dict[str, dict[str, np.ndarray]]:
    """The flat tables of :func:`dataset_tables` for the ensemble less its per-run series, built without xarray:
    what a run record keeps (``runs export --format netcdf`` rebuilds the dataset from them)."""
    return _flat_tables(*_dataset_parts(ensemble, series=False))


def _dataset_parts(ensemble: "Ensemble", series: bool) -> tuple[Variables, dict[str, np.ndarray], dict[str, Any]]:
    """The dataset's variables, coordinates and attributes; ``series``: with the per-run series, if kept."""
    from .simulate import STRENGTH_BINS

    edges = np.linspace(0.0, 1.0, STRENGTH_BINS + 1)
    variables: Variables = {
        "regime_runs": (("month", "regime"), ensemble.regime_counts, {"long_name": "runs in each regime type at the end of the month"}),
        "outcome_runs": (("period", "outcome"), ensemble.outcome_counts, {"long_name": "runs with at least one occurrence in the period"}),
        "outcome_runs_total": (("outcome",), ensemble.outcome_counts_total, {"long_name": "runs with at least one occurrence in the whole span"}),
        "strength_runs": (("month", "actor", "strength_bin"), ensemble.strength_histogram,
                          {"long_name": "runs whose actor strength (organization x arms factor) falls in the bin at the end of the month"}),
        "actor_name": (("actor",), np.array(ensemble.actor_names, dtype=object), {}),
    }
    coords: dict[str, np.ndarray] = {
        "month": _labels(format_month(m) for m in ensemble.months),
        "regime": _labels(REGIME_KEYS),
        "period": _labels(_period_label(a, b) for a, b in ensemble.periods),
        "outcome": _labels(ensemble.outcome_keys),
        "actor": _labels(ensemble.actor_ids),
        "strength_bin": 0.5 * (edges[:-1] + edges[1:]),
    }
    runs = np.arange(ensemble.first_run, ensemble.first_run + ensemble.n_runs, dtype=np.int64)
    if ensemble.final_regime is not None:
        coords["run"] = runs
        regimes = np.array(REGIME_KEYS, dtype=object)
        variables["final_regime"] = (("run",), regimes[ensemble.final_regime], {"long_name": "regime type at the end of the last month"})
    if ensemble.series is not None:
        coords.setdefault("run", runs)  # kept in the record too: the run index of each run, even without its series
    if ensemble.series is not None and series:
        coords["series_month"] = _labels(format_month(m) for m in ensemble.series_months)
        for name, values in ensemble.series.items():
            dims = ("series_month", "run") if values.ndim == 2 else ("series_month", "actor", "run")
            if name == "regime":
                values = np.array(REGIME_KEYS, dtype=object)[values]
            variables[f"series_{name}"] = (dims, values, {})
    attrs = {
        "scenario": ensemble.scenario_id,
        "seed": int(ensemble.seed),
        "n_runs": int(ensemble.n_runs),
        "first_run": int(ensemble.first_run),
        "start": format_month(ensemble.start),
        "until": format_month(ensemble.until),
    }
    return variables, coords, attrs


def _labels(values: Iterable[str]) -> np.ndarray:
    """String labels as xarray keeps a coordinate of strings: an object array."""
    return np.array(list(values), dtype=object)


def events_frame(ensemble: "Ensemble") -> "pd.DataFrame":
    """The event log as a tidy table, one row per event: run, month (YYYY-MM), event kind, outcome, mechanism,
    and the actors involved by id (``;``-separated). Needs an ensemble simulated with ``keep_events=True``."""
    pd = require("data", "pandas")

    if ensemble.events is None:
        raise ValueError("this ensemble kept no event log: simulate with keep_events=True")
    events = ensemble.events
    mechanisms = ensemble.mechanism_names  # the codes compile_scenario gave
    kinds = {int(kind): kind.key for kind in EventType}
    outcomes = {int(item): item.name.lower() for item in Outcome}
    ids = ensemble.actor_ids
    holdings = {holding_outcome(index): holding for index, holding in enumerate(ensemble.holding_ids)}  # what a nationalization took

    def labels(values: np.ndarray, name: Any) -> np.ndarray:
        """Each distinct value named once, then spread back over the rows (logs have millions of rows)."""
        distinct, position = np.unique(values, return_inverse=True)
        return np.array([name(int(v)) for v in distinct], dtype=object)[position.reshape(-1)]

    outcome = labels(events["outcome"], lambda o: outcomes.get(o, str(o)))
    nationalization = events["event"] == int(EventType.NATIONALIZATION)  # its outcome names the holding taken
    if nationalization.any():
        outcome[nationalization] = labels(events["outcome"][nationalization], lambda o: holdings.get(o, outcomes.get(o, str(o))))
    return pd.DataFrame({
        "run": events["run"].astype(np.int64),
        "month": labels(events["month"], format_month),
        "event": labels(events["event"], lambda e: kinds.get(e, str(e))),
        "outcome": outcome,
        "mechanism": labels(events["mechanism"], lambda c: mechanisms[c] if 0 <= c < len(mechanisms) else str(c)),
        "actors": labels(events["actors"], lambda mask: ";".join(ids[a] for a in range(len(ids)) if (mask >> a) & 1)),
    })


def dataset_tables(dataset: "xr.Dataset") -> dict[str, dict[str, np.ndarray]]:
    """The dataset as flat tables (columns of numpy arrays) that :func:`dataset_from_tables` rebuilds exactly.

    One table per variable in long form, coordinates as positions, numeric zeros left out (counts are sparse);
    a ``coords`` table with every dimension's labels in order; an ``attrs`` table of JSON values."""
    variables: Variables = {str(name): (tuple(map(str, v.dims)), v.values, dict(v.attrs)) for name, v in dataset.data_vars.items()}
    coords = {str(dim): dataset[dim].values for dim in dataset.dims}
    attrs = dict(dataset.attrs)
    for name, variable in dataset.coords.items():  # the data variables' attributes are in ``variables``
        attrs.update({f"{name}/{key}": value for key, value in variable.attrs.items()})
    return _flat_tables(variables, coords, attrs)


def _flat_tables(variables: Variables, coords: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """:func:`dataset_tables` of the dataset these parts make (a variable's attributes become ``<variable>/<attribute>``)."""
    import json

    tables: dict[str, dict[str, np.ndarray]] = {}
    dims, positions, labels, kinds = [], [], [], []
    for dim, values in coords.items():
        for k, value in enumerate(values):
            dims.append(dim)
            positions.append(k)
            labels.append(json.dumps(value.item() if hasattr(value, "item") else value))
            kinds.append(str(values.dtype.kind))
    tables[COORDS_TABLE] = {"dim": np.array(dims, dtype=object), "position": np.array(positions, dtype=np.int64),
                            "label": np.array(labels, dtype=object), "kind": np.array(kinds, dtype=object)}
    every = dict(attrs)
    for name, (_, _, variable_attrs) in variables.items():
        every.update({f"{name}/{key}": value for key, value in variable_attrs.items()})
    tables[ATTRS_TABLE] = {"key": np.array(list(every), dtype=object),
                           "value": np.array([json.dumps(v) for v in every.values()], dtype=object)}
    for name, (variable_dims, values, _) in variables.items():
        index = np.indices(values.shape).reshape(values.ndim, -1)
        flat = values.reshape(-1)
        keep = flat != 0 if values.dtype.kind in "iuf" else np.ones(flat.size, dtype=bool)
        columns = {f"{dim}": index[axis][keep].astype(np.int64) for axis, dim in enumerate(variable_dims)}
        columns["value"] = flat[keep]
        tables[f"{VARIABLE_PREFIX}{name}"] = columns
    return tables


def dataset_from_tables(tables: Mapping[str, Mapping[str, np.ndarray]]) -> "xr.Dataset":
    """Rebuild the dataset :func:`dataset_tables` flattened."""
    import json

    xr = require("data", "xarray")
    coords_table = tables[COORDS_TABLE]
    coords: dict[str, list[tuple[int, Any]]] = {}
    kinds: dict[str, str] = {}
    for dim, position, label, kind in zip(coords_table["dim"], coords_table["position"], coords_table["label"], coords_table["kind"]):
        coords.setdefault(str(dim), []).append((int(position), json.loads(str(label))))
        kinds[str(dim)] = str(kind)
    ordered = {dim: [label for _, label in sorted(values)] for dim, values in coords.items()}
    coordinates = {dim: (np.array(labels, dtype=object) if kinds[dim] == "O" else np.array(labels)) for dim, labels in ordered.items()}
    data = {}
    for key, columns in tables.items():
        if not key.startswith(VARIABLE_PREFIX):
            continue
        name = key[len(VARIABLE_PREFIX):]
        dims = [column for column in columns if column != "value"]
        shape = tuple(len(coordinates[dim]) for dim in dims)
        value = np.asarray(columns["value"])
        array = np.zeros(shape, dtype=value.dtype) if value.dtype.kind in "iuf" else np.empty(shape, dtype=object)
        array[tuple(np.asarray(columns[dim], dtype=np.int64) for dim in dims)] = value
        data[name] = (tuple(dims), array)
    attrs: dict[str, Any] = {}
    variable_attrs: dict[str, dict[str, Any]] = {}
    for key, value in zip(tables[ATTRS_TABLE]["key"], tables[ATTRS_TABLE]["value"]):
        name, _, attribute = str(key).rpartition("/")
        (variable_attrs.setdefault(name, {}) if name else attrs)[attribute] = json.loads(str(value))
    dataset: Dataset = xr.Dataset(data, coords=coordinates, attrs=attrs)
    for name, values in variable_attrs.items():
        dataset[name].attrs.update(values)
    return dataset
