"""Posterior checks: did calibration move the model toward the record it was calibrated on?

For every observed cell before the calibration's vantage, the probability the model
gives to what was observed, simulated (unfiltered, from the scenario's start) with
parameters drawn from the prior and with parameters drawn from the posterior: the
prior and posterior predictive checks (Gelman, Meng & Stern 1996). A calibration
that learned something raises the posterior column where the record is informative;
cells it leaves at zero are what the model cannot produce under any parameter
value the prior allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..defaults import DEFAULT_CHECK_RUNS
from ..engine.tables import Column, Table
from ..extras import require
from ..scenario.calendar import parse_month
from ..scenario.schema import Scenario
from .calibration import Posterior, free_parameters, prior_variable
from .observations import Cell, cells_before, smoothed_probability, timeline_cells
from .particles import simulate_histories


def prior_values(scenario: Scenario, paths: list[str], n_runs: int, seed: int) -> dict[str, np.ndarray]:
    """One prior draw per run for each of ``paths`` (the free parameters' priors), seeded."""
    free = {p.path: p for p in free_parameters(scenario, paths)}
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, 0, 3))))
    saved = np.random.get_state()
    np.random.seed(generator.integers(0, 2**32 - 1))  # the priors' random variables read numpy's global generator
    try:
        return {path: np.array([float(prior_variable(free[path].prior).rvs()) for _ in range(n_runs)]) for path in paths}
    finally:
        np.random.set_state(saved)


@dataclass
class PosteriorChecks:
    """Per cell, the prior and posterior predictive probability of what was observed."""

    cells: list[Cell]
    prior: np.ndarray
    posterior: np.ndarray
    runs: int
    table: Table

    def mean_log_score(self, which: str) -> float:
        """Mean log probability of the observed outcomes (half-run smoothing, as the scores use)."""
        p = getattr(self, which)
        return float(np.mean(np.log(smoothed_probability(p, self.runs))))

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Draw each cell's predictive probability of the record, prior against posterior, to ``path`` (PNG)."""
        return checks_chart(self, path, title or "Predictive checks")

    def to_frame(self) -> Any:
        pd = require("data", "pandas")

        return pd.DataFrame(
            {"cell": [c.name for c in self.cells], "observed": [c.observed for c in self.cells], "prior": self.prior, "posterior": self.posterior}
        )


def posterior_checks(scenario: Scenario, posterior: Posterior, runs: int = DEFAULT_CHECK_RUNS, seed: int = 0) -> PosteriorChecks:
    """Prior and posterior predictive probability of every observed cell before the posterior's vantage."""
    if runs < 1:
        raise ValueError(f"the number of runs must be at least 1, got {runs}")
    vantage = parse_month(posterior.as_of)
    cells = cells_before(timeline_cells(scenario, vantage, int(posterior.settings.get("period", 6))), vantage)
    until = max(c.last for c in cells)
    agree = {}
    for name, values in (("prior", prior_values(scenario, posterior.paths, runs, seed)), ("posterior", posterior.run_values(scenario, runs, seed))):
        histories = simulate_histories(scenario, runs, seed, until, record=cells, parameters=values)
        agree[name] = np.array([np.mean(histories.flags[c] == c.observed) for c in cells])
    rows = tuple(
        (c.name, c.label, c.window, "yes" if c.observed else "no", round(float(p), 4), round(float(q), 4), round(float(q - p), 4))
        for c, p, q in zip(cells, agree["prior"], agree["posterior"])
    )
    se = 0.5 / math.sqrt(runs)
    table = Table(
        title=f"{scenario.id}: prior and posterior predictive checks on the record before {posterior.as_of} ({runs:,} runs each)",
        columns=(
            Column("cell", "Cell", "key"), Column("label", "Event", "label"), Column("window", "Window", "label"),
            Column("observed", "Observed", "label"), Column("prior", "P(observed), prior draws", "probability"),
            Column("posterior", "P(observed), posterior draws", "probability"), Column("change", "Change", "label"),
        ),
        rows=rows,
        notes=(
            "Each column: the share of unfiltered histories from the scenario's start, one parameter draw per run, in which the cell came out as observed.",
            f"Monte Carlo standard error at most {se:.3f} per probability ({runs:,} runs).",
        ),
    )
    return PosteriorChecks(list(cells), agree["prior"], agree["posterior"], runs, table)


def checks_chart(checks: PosteriorChecks, path: str | Path, title: str) -> Path:
    """Each cell's probability of what was observed: prior draws (x) against posterior draws (y)."""
    Figure = require("charts", "matplotlib.figure").Figure
    from ..experiments.files import save_figure

    figure = Figure(figsize=(6.2, 6.0), dpi=120)
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="#999999", linewidth=1, linestyle="--", label="no change")
    happened = np.array([c.observed for c in checks.cells])
    for mask, label, color in ((happened, "events that happened / regimes that held", "#c0392b"), (~happened, "quiet cells (did not happen)", "#4a5a78")):
        ax.scatter(checks.prior[mask], checks.posterior[mask], s=18, alpha=0.75, color=color, label=label)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("P(observed) with prior draws")
    ax.set_ylabel("P(observed) with posterior draws")
    ax.set_title(
        f"{title}\nmean log score: prior {checks.mean_log_score('prior'):.3f}, posterior {checks.mean_log_score('posterior'):.3f}", fontsize=10
    )
    ax.grid(True, color="#dddddd", linewidth=0.5)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    figure.tight_layout()
    save_figure(figure, path)
    return Path(path)
