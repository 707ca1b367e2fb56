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
- :func:`parse_month` / :func:`format_month`: ``YYYY-MM`` <-> month index
- :class:`ScenarioError`: a bad scenario, with file, line and field path of each problem
"""

from __future__ import annotations

from .engine.model import Model, compile_scenario
from .engine.simulate import Ensemble, simulate
from .report.chronicle import ChronicleLine, Locator, chronicle, chronicle_from_events
from .report.folder import write_report
from .report.sources import Sources, sources
from .report.tables import Table, event_table, regime_table, standard_error, to_csv, to_dict, to_markdown
from .scenario.calendar import format_month, parse_month
from .scenario.errors import ScenarioError
from .scenario.loader import bundled_scenarios, load_scenario

__all__ = [
    "ChronicleLine",
    "Ensemble",
    "Locator",
    "Model",
    "ScenarioError",
    "Sources",
    "Table",
    "bundled_scenarios",
    "chronicle",
    "chronicle_from_events",
    "compile_scenario",
    "event_table",
    "format_month",
    "load_scenario",
    "parse_month",
    "regime_table",
    "simulate",
    "sources",
    "standard_error",
    "to_csv",
    "to_dict",
    "to_markdown",
    "write_report",
]
