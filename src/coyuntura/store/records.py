"""What the commands record in the run store, and how two records compare."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..engine.labelled import STORE_PREFIX, ensemble_tables
from ..engine.simulate import Ensemble
from ..engine.tables import Column, Table, standard_error
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from .runstore import RunStore, StoreError

if TYPE_CHECKING:
    import xarray as xr


def ensemble_summary(ensemble: Ensemble) -> dict[str, Any]:
    """Each outcome's probability (whole run; regime at the end) with its Monte Carlo SE."""
    from ..experiments.measures import outcome_counts, outcome_labels

    n = ensemble.n_runs
    labels = outcome_labels(ensemble)
    return {
        "outcomes": {
            name: {"label": labels[name], "p": count / n, "se": standard_error(count / n, n)} for name, count in outcome_counts(ensemble).items()
        },
    }


def stored_dataset(ensemble: Ensemble) -> "xr.Dataset":
    """What a run record keeps of an ensemble as labelled data: :meth:`Ensemble.to_xarray` without the per-run series
    (kept series are for charts; a record would grow by runs x months x actors)."""
    dataset = ensemble.to_xarray()
    series = [name for name in dataset.data_vars if str(name).startswith("series_")]
    return dataset.drop_vars(series + (["series_month"] if "series_month" in dataset.coords else []))


def record_run(store: RunStore, kind: str, scenario: Scenario, ensemble: Ensemble, wall_time: float,
               parameters: Mapping[str, Any] | None = None, name: str | None = None) -> str:
    """Record a finished simulation (``run``, ``forecast``): its summary, each run's final regime, and its labelled
    summaries (:func:`stored_dataset`, as ``dataset-*`` Parquet tables that ``runs export --format netcdf`` rebuilds;
    written without xarray, which only the ``data`` extra installs)."""
    artifacts: dict[str, dict[str, np.ndarray]] = {}
    if ensemble.final_regime is not None:
        artifacts["final_regime"] = {"run": np.arange(ensemble.n_runs, dtype=np.int64), "regime": ensemble.final_regime.astype(np.int8)}
    for table, columns in ensemble_tables(ensemble).items():
        artifacts[STORE_PREFIX + table] = columns
    return store.record(
        kind, wall_time, ensemble_summary(ensemble), artifacts, scenario=scenario, parameters=parameters, seed=ensemble.seed,
        n_runs=ensemble.n_runs, start=format_month(ensemble.start), until=format_month(ensemble.until), name=name,
    )


def outcome_probabilities(record: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """(probability, SE) of each outcome a record summarizes: a run's, or a what-if's intervention."""
    from ..experiments.measures import OUTCOME_NAMES

    outcomes = record.get("summary", {}).get("outcomes", {})
    n = record.get("n_runs") or 0
    found = {}
    for name, row in outcomes.items():
        if "p" in row:
            found[name] = (float(row["p"]), float(row["se"]))
        elif "intervention" in row and n:
            found[name] = (float(row["intervention"]), float(standard_error(float(row["intervention"]), n)))
    if not found:
        raise StoreError(f"record {record['id']} ({record['kind']}) holds no outcome probabilities to compare")
    order = {name: position for position, name in enumerate(OUTCOME_NAMES)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def outcome_label(record: Mapping[str, Any], name: str) -> str:
    """An outcome's label as the record's scenario names it (its own regime labels, its plug-ins' kinds of event); the
    engine's for records that kept none."""
    from ..experiments.measures import OUTCOME_LABELS

    row = record.get("summary", {}).get("outcomes", {}).get(name, {})
    label = row.get("label") if isinstance(row, Mapping) else None
    return str(label) if label else OUTCOME_LABELS.get(name, name)


def compare_records(first: Mapping[str, Any], second: Mapping[str, Any]) -> Table:
    """Each outcome both records report: the two probabilities and their difference (second - first) with its SE."""
    a, b = outcome_probabilities(first), outcome_probabilities(second)
    shared = [name for name in a if name in b]
    if not shared:
        raise StoreError(f"records {first['id']} and {second['id']} report no outcome in common")
    columns = (
        Column("outcome", "Outcome key", "key"),
        Column("label", "Outcome", "label"),
        Column("p first", first["id"], "probability", "first"),
        Column("se first", f"SE {first['id']}", "se", "first"),
        Column("p second", second["id"], "probability", "second"),
        Column("se second", f"SE {second['id']}", "se", "second"),
        Column("difference", "Difference", "probability", "difference"),
        Column("se difference", "SE difference", "se", "difference"),
    )
    rows = []
    for name in shared:
        (pa, sa), (pb, sb) = a[name], b[name]
        rows.append((name, outcome_label(second, name), pa, sa, pb, sb, pb - pa, math.sqrt(sa * sa + sb * sb)))
    notes = [
        "SE of the difference sqrt(SE1^2 + SE2^2), as for independent runs.",
    ]
    same = all(first.get(k) == second.get(k) for k in ("scenario_hash", "seed", "start_month", "until_month"))
    if first.get("scenario_hash") != second.get("scenario_hash"):
        notes.append("The records come from different scenario contents.")
    spans = [f"{record.get('start_month') or '?'}..{record.get('until_month') or '?'}" for record in (first, second)]
    if spans[0] != spans[1]:
        notes.append(f"The records cover different months ({spans[0]} and {spans[1]}): each probability is over its own span.")
    elif same:
        notes.append("Same scenario content, seed and span: the two records are the same runs.")
    return Table(
        title=f"Comparison of records {first['id']} ({first['kind']}) and {second['id']} ({second['kind']})",
        columns=columns,
        rows=tuple(rows),
        notes=tuple(notes),
    )
