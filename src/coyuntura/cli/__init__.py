"""The ``coyuntura`` command line: thin - parse, call the library, print.

One module per area, each adding its commands to the one Typer ``app``
(:mod:`.common`): :mod:`.simulation` (run, chronicle, check, sources,
describe), :mod:`.experiments` (whatif, sensitivity, discover), :mod:`.history`
(score, calibrate, forecast, backtest), :mod:`.store` (the ``runs`` commands)
and :mod:`.web` (serve). Every error prints one red message, and the exit code
says which kind it is (:mod:`.common` is the one place that decides): 2 for a
usage error (a bad option value or options that contradict each other, found
before any work, as Click does for its own), 1 for a failure (a scenario or file
that is missing or invalid, a missing record, a damaged store, a missing extra,
an error while working; also ``runs verify`` and ``runs repair`` when the store
has problems). ``--json`` prints only JSON on standard output. Work the run store
could not record still prints its results, then the reason in red, and exits
with code 3.
"""

from __future__ import annotations

from .common import app, load_scenario

# Each module adds its commands to ``app``, in the order ``coyuntura --help`` lists them.
# isort: off
from . import simulation, experiments, store, web, history  # noqa: E402,F401
# isort: on

__all__ = ["app", "load_scenario", "main"]


def main() -> None:  # pragma: no cover - console entry point alternative
    app()
