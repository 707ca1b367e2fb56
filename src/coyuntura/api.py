"""The public Python API of coyuntura.

Typical use::

    from coyuntura import load_scenario, compile_scenario, simulate, regime_table, event_table, write_report, chronicle

    scenario = load_scenario("bolivia-1952")        # bundled name or path; raises ScenarioError if invalid
    model = compile_scenario(scenario)              # arrays and numbers for the engine
    ensemble = simulate(model, 10_000, seed=0)      # summaries of 10,000 runs (an Ensemble)
    regimes = regime_table(ensemble)                # Table: regime probabilities with standard errors
    events = event_table(ensemble)                  # Table: outcome probabilities per period
    write_report(ensemble, "reports/bolivia_1952", scenario)   # PNG charts, CSV/Markdown tables, README
    for line in chronicle(model, run=42, seed=0):   # one run as dated sentences, each with its mechanism
        print(line.render())

- :func:`load_scenario` (name or path) -> :class:`~coyuntura.scenario.schema.Scenario`
- :func:`compile_scenario` (scenario) -> :class:`~coyuntura.engine.model.Model`
- :func:`simulate` (model, n_runs, seed, start=snapshot id, until=month index, ...) -> :class:`Ensemble`
- :func:`regime_table`, :func:`event_table` (ensemble) -> :class:`~coyuntura.report.tables.Table`
  (write it with :func:`to_csv`, :func:`to_markdown`, :func:`to_dict`)
- :func:`chronicle` (model, run, seed, start, until) -> list of :class:`ChronicleLine`
- :func:`sources` (scenario) -> :class:`~coyuntura.report.sources.Sources`
- :func:`write_report` (ensemble, out_dir, scenario) -> the folder's path
- :func:`describe_scenario` (scenario) -> the ODD+D :class:`Description`; :func:`render_html`,
  :func:`render_markdown`, :func:`write_description` (description, path, "html" or "md")
- :func:`run_whatif` (scenario, :class:`Intervention`, n_runs, seed) -> :class:`WhatIfResult` (paired, common random
  numbers); :func:`experiment_intervention` (scenario, id) gives a named experiment; :func:`whatif_table`
- :func:`run_sensitivity` (SALib Sobol/Morris), :func:`run_discovery` (PRIM), :func:`run_sweep` (a resumable :class:`Sweep`)
- :class:`RunStore`: the DuckDB run store (``records``, ``show``, ``items``, ``export``)
- :func:`parse_month` / :func:`format_month`: ``YYYY-MM`` <-> month index
- :func:`timeline_cells` (scenario) -> the observed timeline's cells; :func:`score_scenario` -> in-sample scores
  against a constant-hazard and a persistence baseline; :func:`filtered_score` -> one-step-ahead scores (each
  period forecast from one particle filter's cloud at its start, jackknife Monte Carlo errors); :func:`calibrate` (scenario, :class:`CalibrationSettings`,
  out_dir) -> ABC-SMC posterior (pyabc); :func:`load_posterior`; :func:`forecast` (scenario, vantage month index,
  horizon) -> outcome probabilities conditioned on the record by particle filtering; :func:`backtest` (rolling origins)
- :class:`ScenarioError`: a bad scenario, with file, line and field path of each problem
"""

from __future__ import annotations

from .engine.model import Model, compile_scenario
from .engine.simulate import Ensemble, simulate
from .experiments.discovery import run_discovery
from .experiments.sensitivity import run_sensitivity
from .experiments.sweeps import Sweep, run_sweep
from .experiments.whatif import Intervention, WhatIfResult, experiment_intervention, run_whatif, whatif_table
from .history.backtest import backtest
from .history.calibration import CalibrationSettings, calibrate, load_posterior
from .history.filtered import filtered_score
from .history.forecast import forecast
from .history.observations import timeline_cells
from .history.scores import score_scenario
from .report.chronicle import ChronicleLine, Locator, chronicle, chronicle_from_events
from .report.describe import Description, describe_scenario, render_html, render_markdown, write_description
from .report.folder import write_report
from .report.sources import Sources, sources
from .report.tables import Table, event_table, regime_table, standard_error, to_csv, to_dict, to_markdown
from .scenario.calendar import format_month, parse_month
from .scenario.errors import ScenarioError
from .scenario.loader import bundled_scenarios, load_scenario
from .store import RunStore

__all__ = [
    "ChronicleLine",
    "Description",
    "Ensemble",
    "Intervention",
    "Locator",
    "Model",
    "RunStore",
    "ScenarioError",
    "Sources",
    "Sweep",
    "Table",
    "bundled_scenarios",
    "chronicle",
    "chronicle_from_events",
    "compile_scenario",
    "describe_scenario",
    "event_table",
    "experiment_intervention",
    "format_month",
    "load_scenario",
    "parse_month",
    "regime_table",
    "render_html",
    "render_markdown",
    "run_discovery",
    "run_sensitivity",
    "run_sweep",
    "run_whatif",
    "simulate",
    "sources",
    "standard_error",
    "to_csv",
    "to_dict",
    "to_markdown",
    "whatif_table",
    "WhatIfResult",
    "write_description",
    "write_report",
    "CalibrationSettings",
    "backtest",
    "calibrate",
    "filtered_score",
    "forecast",
    "load_posterior",
    "score_scenario",
    "timeline_cells",
]
