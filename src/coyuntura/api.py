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
- :func:`regime_table`, :func:`event_table` (ensemble) -> :class:`~coyuntura.engine.tables.Table`
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

# ruff: noqa: F401  (the imports under TYPE_CHECKING are for type checkers; the program imports through _PUBLIC)

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC: dict[str, tuple[str, ...]] = {
    "engine.model": ("Model", "compile_scenario"),
    "engine.simulate": ("Ensemble", "simulate"),
    "experiments.discovery": ("run_discovery",),
    "experiments.sensitivity": ("run_sensitivity",),
    "experiments.sweeps": ("Sweep", "run_sweep"),
    "experiments.whatif": ("Intervention", "WhatIfResult", "experiment_intervention", "run_whatif", "whatif_table"),
    "history.backtest": ("backtest",),
    "history.calibration": ("CalibrationSettings", "calibrate", "load_posterior"),
    "history.filtered": ("filtered_score",),
    "history.forecast": ("forecast",),
    "history.observations": ("timeline_cells",),
    "history.scores": ("score_scenario",),
    "report.chronicle": ("ChronicleLine", "Locator", "chronicle", "chronicle_from_events"),
    "report.describe": ("Description", "describe_scenario", "render_html", "render_markdown", "write_description"),
    "report.folder": ("write_report",),
    "report.sources": ("Sources", "sources"),
    "engine.tables": ("Table", "event_table", "regime_table", "standard_error", "to_csv", "to_dict", "to_markdown"),
    "scenario.calendar": ("format_month", "parse_month"),
    "scenario.errors": ("ScenarioError",),
    "scenario.loader": ("bundled_scenarios", "load_scenario"),
    "store": ("RunStore",),
}
"""Where each public name lives. A module is imported the first time one of its names is used, so that
``import coyuntura`` stays fast (no numpy, pydantic or scenario schema until they are needed)."""

_MODULE_OF = {name: module for module, names in _PUBLIC.items() for name in names}

__all__ = list(_MODULE_OF)

if TYPE_CHECKING:  # what type checkers and editors see; _PUBLIC is the same list for the running program
    from .engine.model import Model, compile_scenario
    from .engine.simulate import Ensemble, simulate
    from .engine.tables import Table, event_table, regime_table, standard_error, to_csv, to_dict, to_markdown
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
    from .scenario.calendar import format_month, parse_month
    from .scenario.errors import ScenarioError
    from .scenario.loader import bundled_scenarios, load_scenario
    from .store import RunStore


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562) and keep the name here."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"coyuntura.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
