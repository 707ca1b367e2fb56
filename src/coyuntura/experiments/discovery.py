"""Scenario discovery: which ranges of which free parameters make an outcome likely (PRIM).

The free parameters (quantities with a ``prior:``) are sampled by Latin hypercube over
their prior ranges; every point is simulated (a resumable sweep, on any executor) and
counts as a *case of interest* when the outcome's probability there reaches
``threshold``. PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999; Bryant &
Lempert 2010), as implemented by the EMA Workbench, peels the parameter space down to a
box rich in cases of interest. Each step of the peeling trajectory trades coverage (the
share of all cases of interest inside the box) for density (the share of the box's
points that are cases of interest); the chosen box is the one with the highest coverage
among those whose density reaches ``min_density``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..engine.tables import Column, Table, to_dict
from ..extras import require
from ..scenario.calendar import format_month
from ..scenario.schema import Scenario
from ..store.runstore import RunStore
from .measures import check_outcome, outcome_labels
from .sensitivity import FreeParameter, free_parameters, salib_problem
from .sweeps import DEFAULT_POINTS_PER_TASK, Sweep, SweepResult, run_sweep


@dataclass(frozen=True)
class BoxLimit:
    """One restricted parameter of the box: its range in the box, its prior range, and PRIM's quasi-p values."""

    path: str
    low: float
    high: float
    prior_low: float
    prior_high: float
    qp_low: float | None
    qp_high: float | None


@dataclass(frozen=True)
class DiscoveryResult:
    """The sample, which points are of interest, PRIM's trade-off curve and the chosen box."""

    scenario_id: str
    outcome: str
    threshold: float
    min_density: float
    samples: int
    n_runs: int
    seed: int
    parameters: tuple[FreeParameter, ...]
    X: np.ndarray
    Y: np.ndarray
    trajectory: tuple[dict[str, float], ...]  # coverage, density, mass, res_dim per peeling step
    selected: int
    limits: tuple[BoxLimit, ...]
    warnings: tuple[str, ...]
    record_id: str | None
    wall_time: float
    start: int
    until: int
    outcome_label: str = ""  # the outcome's label in the scenario (outcome_labels)

    def to_frame(self) -> Any:
        """The chosen box: one row per restricted parameter with its limits (a pandas DataFrame)."""
        return discovery_table(self).to_frame()

    def plot(self, path: str | Path) -> Path:
        """Draw PRIM's coverage-density trade-off to ``path`` (PNG); return the path, as the other results' ``plot``."""
        return Path(tradeoff_chart(self, str(path)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the run-store record, the chosen box, the warnings, the summary, the box's table and PRIM's
        trade-off curve, as ``coyuntura discover --json`` prints them."""
        return {"scenario": self.scenario_id, "record": self.record_id, "box": self.box, "warnings": list(self.warnings),
                "summary": self.summary(), "table": to_dict(discovery_table(self)), "tradeoff": to_dict(tradeoff_table(self))}

    @property
    def of_interest(self) -> np.ndarray:
        return self.Y >= self.threshold

    @property
    def box(self) -> dict[str, float]:
        """Coverage, density, mass and restricted dimensions of the chosen box."""
        return dict(self.trajectory[self.selected])

    def summary(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "threshold": self.threshold,
            "min_density": self.min_density,
            "samples": self.samples,
            "runs_per_point": self.n_runs,
            "cases_of_interest": int(self.of_interest.sum()),
            "box": self.box,
            "selected": self.selected,
            "limits": [limit.__dict__ for limit in self.limits],
            "trajectory": list(self.trajectory),
            "warnings": list(self.warnings),
        }


MIN_SAMPLES = 10
"""The fewest sample points a discovery takes: fewer leave PRIM no boxes to peel."""


def latin_sample(parameters: Sequence[FreeParameter], samples: int, seed: int) -> np.ndarray:
    """A Latin hypercube sample over the parameters' prior ranges, (samples, parameters)."""
    latin = require("explore", "SALib.sample.latin")

    if samples < MIN_SAMPLES:
        raise ValueError(f"discovery needs at least {MIN_SAMPLES} sample points (--samples), got {samples}")
    return latin.sample(salib_problem(parameters), samples, seed=seed)


def check_discovery_settings(threshold: float, min_density: float) -> None:
    """Raise ``ValueError`` for a threshold outside (0, 1) or a box density outside (0, 1]."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"--threshold must lie strictly between 0 and 1, got {threshold}")
    if not 0.0 < min_density <= 1.0:
        raise ValueError(f"--min-density must lie in (0, 1], got {min_density}")


def run_discovery(
    scenario: Scenario,
    outcome: str,
    samples: int = 200,
    n_runs: int = 200,
    threshold: float = 0.5,
    min_density: float = 0.8,
    seed: int = 0,
    start: str | None = None,
    until: int | None = None,
    patterns: Sequence[str] | None = None,
    store: RunStore | None = None,
    resume: bool = False,
    executor: Any = None,
    points_per_task: int = DEFAULT_POINTS_PER_TASK,
    progress: Callable[[int, int], None] | None = None,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> DiscoveryResult:
    """Sample, simulate every point (resumable), mark the points where the outcome is likely, and run PRIM."""
    check_outcome(outcome, scenario)
    check_discovery_settings(threshold, min_density)
    parameters = free_parameters(scenario, patterns)
    X = latin_sample(parameters, samples, seed)
    first, last = scenario.span(start, until)
    points = tuple({p.path: float(x) for p, x in zip(parameters, row)} for row in X)
    sweep = Sweep(
        scenario, points, n_runs, seed=seed, start=start, until=last, kind="discovery", name=f"prim {outcome}",
        settings={"outcome": outcome, "samples": samples, "parameters": [p.path for p in parameters], "design": "latin"},
    )
    holder: dict[str, DiscoveryResult] = {}

    def summarize(done: SweepResult) -> dict[str, Any]:
        try:
            holder["result"] = _prim(scenario, outcome, threshold, min_density, samples, n_runs, seed, parameters, X, done, first, last, peel_alpha, mass_min)
        except ValueError as error:  # PRIM found nothing to explain; every point is stored (the record stays unfinished)
            raise ValueError(f"{error}. The {samples:,} simulated points are kept in the run store as record {done.record_id}: "
                             "--resume with another --threshold or --min-density reuses them") from error
        return holder["result"].summary()

    swept = run_sweep(
        sweep, store=store, resume=resume, executor=executor, points_per_task=points_per_task,
        progress=(lambda done: progress(done, len(points))) if progress is not None else None, summarize=summarize,
    )
    if "result" not in holder:
        holder["result"] = _prim(scenario, outcome, threshold, min_density, samples, n_runs, seed, parameters, X, swept, first, last, peel_alpha, mass_min)
    return replace(holder["result"], record_id=swept.record_id, wall_time=swept.wall_time)


def _prim(scenario: Scenario, outcome: str, threshold: float, min_density: float, samples: int, n_runs: int, seed: int,
          parameters: tuple[FreeParameter, ...], X: np.ndarray, swept: SweepResult, first: int, last: int,
          peel_alpha: float, mass_min: float) -> DiscoveryResult:
    pd = require("explore", "pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prim = require("explore", "ema_workbench.analysis.prim")

    Y = swept.probability(outcome)
    interest = Y >= threshold
    if not interest.any():
        raise ValueError(
            f"no sample point makes {outcome} likely: its probability never reaches {threshold:g} (highest {Y.max():.3f}); lower --threshold"
        )
    if interest.all():
        raise ValueError(f"{outcome} is likely at every sample point (lowest probability {Y.min():.3f}); raise --threshold")
    frame = pd.DataFrame(X, columns=[p.path for p in parameters])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(frame, interest, threshold=min_density, peel_alpha=peel_alpha, mass_min=mass_min)
        box = finder.find_box()
    trajectory = tuple(
        {"coverage": float(r.coverage), "density": float(r.density), "mass": float(r.mass), "res_dim": int(r.res_dim)}
        for r in box.peeling_trajectory.itertuples()
    )
    notes = []
    dense = [i for i, step in enumerate(trajectory) if step["density"] >= min_density]
    if dense:
        selected = max(dense, key=lambda i: (trajectory[i]["coverage"], -i))
    else:
        selected = max(range(len(trajectory)), key=lambda i: trajectory[i]["density"])
        notes.append(f"no box reaches density {min_density:g}; showing the densest ({trajectory[selected]['density']:.2f})")
    share = float(interest.mean())
    if interest.sum() < 10:
        notes.append(f"only {int(interest.sum())} cases of interest: the box is fragile; raise --samples or lower --threshold")
    limits = _limits(parameters, box.box_lims[selected], box.box_lims[0], box.qp[selected] if selected < len(box.qp) else {})
    if not limits:
        notes.append(f"the chosen box restricts no parameter: {outcome} is likely in {100 * share:.0f}% of the whole space")
    return DiscoveryResult(
        scenario_id=scenario.id, outcome=outcome, threshold=threshold, min_density=min_density, samples=samples, n_runs=n_runs,
        seed=seed, parameters=parameters, X=X, Y=Y, trajectory=trajectory, selected=selected, limits=limits,
        warnings=tuple(notes), record_id=swept.record_id, wall_time=swept.wall_time, start=first, until=last,
        outcome_label=outcome_labels(scenario)[outcome],
    )


def _limits(parameters: Sequence[FreeParameter], box: Any, initial: Any, qp: dict[str, list[float]]) -> tuple[BoxLimit, ...]:
    """The parameters whose range in the box is narrower than in the whole sample."""
    limits = []
    for p in parameters:
        low, high = float(box[p.path].iloc[0]), float(box[p.path].iloc[1])
        first_low, first_high = float(initial[p.path].iloc[0]), float(initial[p.path].iloc[1])
        if low > first_low or high < first_high:
            quasi = qp.get(p.path, [math.nan, math.nan])
            limits.append(BoxLimit(
                p.path, low, high, p.low, p.high,
                _qp(quasi[0]) if low > first_low else None, _qp(quasi[1]) if high < first_high else None,
            ))
    return tuple(limits)


def _qp(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) and value >= 0 else None


def discovery_table(result: DiscoveryResult) -> Table:
    """One row per restricted parameter: the box's range, the prior's range, and PRIM's quasi-p values."""
    columns = (
        Column("parameter", "Parameter key", "key"),
        Column("name", "Parameter", "label"),
        Column("box_low", "Box low", "number"),
        Column("box_high", "Box high", "number"),
        Column("prior_low", "Prior low", "number"),
        Column("prior_high", "Prior high", "number"),
        Column("qp", "quasi-p", "label"),
    )
    rows = []
    for limit in result.limits:
        qp = ", ".join(f"{v:.2g}" for v in (limit.qp_low, limit.qp_high) if v is not None)
        rows.append((limit.path, limit.path, limit.low, limit.high, limit.prior_low, limit.prior_high, qp))
    box = result.box
    span = f"{format_month(result.start)}..{format_month(result.until)}"
    notes = (
        f"Cases of interest: points where P({result.outcome}) >= {result.threshold:g} "
        f"({int(result.of_interest.sum())} of {len(result.Y)}; each point {result.n_runs} runs, seed {result.seed}).",
        f"Box {result.selected} of the peeling trajectory: coverage {box['coverage']:.2f}, density {box['density']:.2f}, "
        f"mass {box['mass']:.2f}, {box['res_dim']} restricted parameters.",
        "Coverage: share of all cases of interest inside the box; density: share of the box's points that are cases of interest.",
        *(f"warning: {w}" for w in result.warnings),
    )
    return Table(
        title=f"PRIM box where {result.outcome_label or result.outcome} is likely, {span}",
        columns=columns,
        rows=tuple(rows),
        notes=notes,
    )


def tradeoff_table(result: DiscoveryResult) -> Table:
    """The peeling trajectory: coverage, density, mass and restricted dimensions of each box."""
    columns = (
        Column("box", "Box", "key"),
        Column("step", "Box", "label"),
        Column("coverage", "Coverage", "number"),
        Column("density", "Density", "number"),
        Column("mass", "Mass", "number"),
        Column("res_dim", "Restricted", "number"),
    )
    rows = tuple(
        (i, f"{i}{' (chosen)' if i == result.selected else ''}", s["coverage"], s["density"], s["mass"], s["res_dim"])
        for i, s in enumerate(result.trajectory)
    )
    return Table(title=f"PRIM trade-off curve for {result.outcome}", columns=columns, rows=rows)


def tradeoff_chart(result: DiscoveryResult, path: str) -> str:
    """Coverage against density along the peeling trajectory, coloured by restricted dimensions; the chosen box marked."""
    Figure = require("charts", "matplotlib.figure").Figure
    from .files import save_figure

    coverage = np.array([s["coverage"] for s in result.trajectory])
    density = np.array([s["density"] for s in result.trajectory])
    dims = np.array([s["res_dim"] for s in result.trajectory])
    figure = Figure(figsize=(6.0, 4.5), dpi=120)
    ax = figure.add_subplot()
    points = ax.scatter(coverage, density, c=dims, cmap="viridis", s=18, zorder=2)
    ax.plot(coverage, density, color="#999999", lw=0.7, zorder=1)
    ax.scatter([coverage[result.selected]], [density[result.selected]], s=120, facecolors="none", edgecolors="#c0392b", lw=1.5, zorder=3,
               label=f"chosen box {result.selected}")
    ax.axhline(result.min_density, color="#c0392b", lw=0.6, ls="--")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    figure.colorbar(points, ax=ax, label="restricted parameters")
    ax.set_title(f"PRIM trade-off: P({result.outcome}) >= {result.threshold:g}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    figure.tight_layout()
    return save_figure(figure, path)
