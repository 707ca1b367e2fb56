"""The scenario as an EMA Workbench model: uncertainties, levers and outcomes for exploratory modelling.

``model(scenario)`` returns an ``ema_workbench.Model`` whose *uncertainties* are
the scenario's free parameters (every quantity with a ``prior:``, its range the
prior's), whose *lever* is the scenario's named experiments (``experiment``:
``baseline`` or an experiment id; no lever where it names none), and whose *outcomes*
are the probabilities of outcomes over a window (the scenario's outcomes,
``coyuntura.experiments.measures.scenario_outcomes``: event outcomes, its plug-ins'
own kinds of event and ``end_<regime>``). Each EMA experiment simulates ``runs`` runs with
the same seed, so all of them share their random numbers (common random
numbers): a difference between two experiments comes from the parameters and
levers, not from the draws. Use it with ``perform_experiments`` and the
workbench's analyses (PRIM, feature scoring); ``coyuntura discover`` and
``coyuntura sensitivity`` are the batteries-included versions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from ..engine.model import Model as CompiledModel
from ..engine.model import compile_scenario
from ..engine.simulate import simulate
from ..extras import require
from ..scenario.calendar import parse_month
from ..scenario.schema import Scenario
from .measures import check_outcome, outcome_counts
from .sensitivity import FreeParameter, free_parameters
from .whatif import apply_intervention, experiment_intervention, extend

BASELINE = "baseline"
"""The lever value that applies no experiment."""


class _Simulator:
    """Runs one EMA experiment: the lever's scenario compiled once, the uncertainties as per-run values."""

    def __init__(self, scenario: Scenario, outcomes: tuple[str, ...], runs: int, seed: int, start: str | None, until: int,
                 uncertain: tuple[FreeParameter, ...]):
        self.scenario, self.outcomes, self.runs, self.seed = scenario, outcomes, runs, seed
        self.start, self.until, self.uncertain = start, until, uncertain
        self.compiled = lru_cache(maxsize=None)(self._compile)

    def _compile(self, experiment: str) -> CompiledModel:
        if experiment == BASELINE:
            return compile_scenario(self.scenario)
        # The experiment's changes over this model's window: every lever is compared on the same months and draws.
        intervention = extend(experiment_intervention(self.scenario, experiment), start=self.start, until=self.until)
        changed, _ = apply_intervention(self.scenario, intervention)
        return compile_scenario(changed)

    def __call__(self, **values: Any) -> dict[str, float]:
        model = self.compiled(str(values.get("experiment", BASELINE)))
        per_run = {p.path: np.full(self.runs, float(values[p.path])) for p in self.uncertain if p.path in values}
        ensemble = simulate(model, self.runs, seed=self.seed, start=self.start, until=self.until, parameters=per_run)
        counts = outcome_counts(ensemble)
        return {name: counts[name] / self.runs for name in self.outcomes}


def model(
    scenario: Scenario,
    outcomes: Sequence[str] = ("coup_success",),
    runs: int = 200,
    seed: int = 0,
    start: str | None = None,
    until: str | int | None = None,
    parameters: Sequence[str] | None = None,
    name: str | None = None,
) -> Any:
    """An ``ema_workbench.Model`` of the scenario (see the module docstring).

    ``outcomes`` are names of the scenario's outcomes (``measures.scenario_outcomes``: a wrong one gets an error naming
    them); ``parameters`` are glob patterns over value paths that choose the uncertainties (default: every free
    parameter); ``start`` a snapshot id and ``until`` a month (default: two years past the snapshot, else the
    calendar's end); ``runs`` the runs behind each probability.
    """
    workbench = require("explore", "ema_workbench")
    if runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {runs}")
    chosen = tuple(check_outcome(outcome, scenario) for outcome in outcomes)
    if not chosen:
        raise ValueError("give at least one outcome")
    _, last = scenario.span(start, parse_month(until) if isinstance(until, str) else until)
    uncertain = free_parameters(scenario, parameters)
    workbench_model = workbench.Model(name or "".join(c for c in scenario.id if c.isalnum()), function=_Simulator(scenario, chosen, runs, seed, start, last, uncertain))
    workbench_model.uncertainties = [workbench.RealParameter(p.path, p.low, p.high) for p in uncertain]
    if scenario.experiments:  # the workbench refuses a lever of one category: without experiments there is no lever
        workbench_model.levers = [workbench.CategoricalParameter("experiment", [BASELINE] + [e.id for e in scenario.experiments])]
    workbench_model.outcomes = [workbench.ScalarOutcome(outcome) for outcome in chosen]
    return workbench_model
