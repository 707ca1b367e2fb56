"""coyuntura: turn an analysis of a political conjuncture into an executable, stochastic model.

The public API (see :mod:`coyuntura.api`)::

    import coyuntura as cy
    model = cy.compile_scenario(cy.load_scenario("bolivia-1952"))
    ensemble = cy.simulate(model, 10_000, seed=0)
    print(cy.to_markdown(cy.regime_table(ensemble)))
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402  (re-exports; __version__ first, report.folder reads it)
    ChronicleLine,
    Ensemble,
    Locator,
    Model,
    ScenarioError,
    Sources,
    Table,
    bundled_scenarios,
    chronicle,
    chronicle_from_events,
    compile_scenario,
    event_table,
    format_month,
    load_scenario,
    parse_month,
    regime_table,
    simulate,
    sources,
    standard_error,
    to_csv,
    to_dict,
    to_markdown,
    write_report,
)

__all__ = [
    "ChronicleLine",
    "Ensemble",
    "Locator",
    "Model",
    "ScenarioError",
    "Sources",
    "Table",
    "__version__",
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
