"""Global sensitivity of an outcome's probability to the scenario's free parameters (SALib).

The free parameters are the quantities that carry a ``prior:`` (they are what
calibration may move). Each is sampled over its prior's range ``[low, high]``
(uniformly: sensitivity asks how much each range matters, whatever the prior's
shape). The sample points are simulated in batches through a resumable
:class:`~coyuntura.experiments.sweeps.PointSweep`: a batch of points is one vectorized
``simulate`` call in which each point's ``n_runs`` runs carry that point's values as
per-run parameters. Point i has its own runs ``i * n_runs ..`` of the one seed, so the
results do not depend on the batch size or the number of workers. The model output
is the outcome's probability at that point, estimated from its runs.

- **Sobol** (Saltelli sampling, ``N (D + 2)`` points for D parameters): first-order
  index S1 (the share of the output's variance a parameter explains alone) and total
  index ST (alone and in interactions), each with a 95% bootstrap interval.
- **Morris** elementary effects (``N (D + 1)`` points): mu* (mean absolute effect),
  sigma (non-linearity and interactions), with a 95% interval on mu*.

Two things make indices unstable, and :func:`run_sensitivity` warns about both: too
few sample points (wide intervals), and Monte Carlo noise in each point's probability
(too few runs per point). The points do not share random numbers, so that noise is
independent from point to point: it adds about its share of the output's variance to
every total index (a parameter that cannot matter shows ST of about that share, S1 of
about 0) and shrinks the first-order indices by that share.
"""

from __future__ import annotations

import fnmatch
import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np

from ..defaults import DEFAULT_RUNS_PER_POINT
from ..engine.tables import Column, Table, to_dict
from ..extras import require
from ..scenario.calendar import format_month
from ..scenario.checks import quantities
from ..scenario.schema import Scenario
from ..store.runstore import RunStore
from .measures import check_outcome, outcome_labels
from .sweeps import PointSweep, PointSweepResult, run_point_sweep

Method = Literal["sobol", "morris"]
METHODS = ("sobol", "morris")
STABLE_SOBOL_SAMPLES = 256
"""Below this many base samples Sobol indices are usually unstable (Saltelli et al. 2010 use 10^3..10^4)."""
MAX_INTERVAL = 0.1
"""A 95% interval half-width above this on any index means the indices are not yet stable."""
MAX_NOISE_SHARE = 0.05
"""Monte Carlo noise above this share of the output's variance blurs the indices: it is the floor of every ST."""
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class FreeParameter:
    """A quantity with a prior: its value path, current value and the prior's range."""

    path: str
    value: float
    low: float
    high: float


def free_parameters(scenario: Scenario, patterns: Sequence[str] | None = None) -> tuple[FreeParameter, ...]:
    """The scenario's quantities with a prior, optionally only those whose path matches a glob pattern."""
    found = tuple(
        FreeParameter(path, quantity.value, quantity.prior.low, quantity.prior.high)
        for path, quantity in quantities(scenario)
        if quantity.prior is not None
    )
    if not found:
        raise ValueError(f"scenario {scenario.id!r} has no free parameters (quantities with a 'prior:')")
    if not patterns:
        return found
    chosen = []
    for pattern in patterns:
        matched = [p for p in found if fnmatch.fnmatchcase(p.path, pattern) or p.path == pattern]
        if not matched:
            raise KeyError(f"no free parameter matches {pattern!r}; free parameters: {', '.join(p.path for p in found)}")
        chosen += [p for p in matched if p not in chosen]
    return tuple(chosen)


def salib_problem(parameters: Sequence[FreeParameter]) -> dict[str, Any]:
    """The SALib problem: one variable per parameter over its prior's range."""
    return {"num_vars": len(parameters), "names": [p.path for p in parameters], "bounds": [[p.low, p.high] for p in parameters]}


def sample(parameters: Sequence[FreeParameter], method: Method, samples: int, seed: int) -> np.ndarray:
    """The sample points, (points, parameters): Saltelli/Sobol' for ``sobol``, Morris trajectories for ``morris``."""
    problem = salib_problem(parameters)
    if method == "sobol":
        sobol_sample = require("explore", "SALib.sample.sobol")

        if samples < 2 or samples & (samples - 1):
            raise ValueError(f"Sobol needs a power of two for --samples (e.g. 64, 128, 256), got {samples}")
        return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    if method == "morris":
        morris_sample = require("explore", "SALib.sample.morris")

        if samples < 2:
            raise ValueError(f"Morris needs at least 2 trajectories (--samples), got {samples}")
        return morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")


@dataclass(frozen=True)
class SensitivityResult:
    """Indices per parameter with their 95% intervals, the sample and its output, and warnings."""

    scenario_id: str
    outcome: str
    method: str
    samples: int
    n_runs: int
    seed: int
    parameters: tuple[FreeParameter, ...]
    indices: dict[str, np.ndarray]  # sobol: S1, S1_conf, ST, ST_conf; morris: mu_star, mu_star_conf, sigma, mu
    X: np.ndarray
    Y: np.ndarray
    warnings: tuple[str, ...]
    record_id: str | None
    wall_time: float
    start: int
    until: int
    cpu_time: float = 0.0  # CPU seconds the sample points took on the workers
    noise_share: float | None = None  # Monte Carlo noise as a share of the output's variance (None: constant output)
    outcome_label: str = ""  # the outcome's label in the scenario (outcome_labels)

    def to_frame(self) -> Any:
        """One row per parameter with its indices and their 95% intervals (a pandas DataFrame)."""
        return sensitivity_table(self).to_frame()

    def plot(self, path: str | Path, top: int = 20) -> Path:
        """Draw the indices of the ``top`` parameters to ``path`` (PNG); return the path, as the other results' ``plot``."""
        return Path(sensitivity_chart(self, str(path), top))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the run-store record, the time, the warnings, the summary and the table of indices, as
        ``coyuntura sensitivity --json`` prints them."""
        return {"scenario": self.scenario_id, "record": self.record_id, "wall_time": self.wall_time, "warnings": list(self.warnings),
                "summary": self.summary(), "table": to_dict(sensitivity_table(self))}

    @property
    def points(self) -> int:
        return int(self.X.shape[0])

    def order(self) -> np.ndarray:
        """Parameter positions, most influential first (by ST, or mu* for Morris)."""
        key = self.indices["ST"] if self.method == "sobol" else self.indices["mu_star"]
        return np.argsort(-np.nan_to_num(key, nan=-np.inf), kind="stable")

    def summary(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "method": self.method,
            "samples": self.samples,
            "points": self.points,
            "runs_per_point": self.n_runs,
            "output_mean": float(self.Y.mean()),
            "output_sd": float(self.Y.std()),
            "noise_share": self.noise_share,
            "indices": {
                self.parameters[i].path: {name: _finite(values[i]) for name, values in self.indices.items()} for i in range(len(self.parameters))
            },
            "warnings": list(self.warnings),
        }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def analysed_parameters(scenario: Scenario, patterns: Sequence[str] | None = None) -> tuple[FreeParameter, ...]:
    """The free parameters a sensitivity analysis varies (those matching ``patterns``): at least two, since the
    indices share out an outcome's variance among them."""
    parameters = free_parameters(scenario, patterns)
    if len(parameters) < 2:
        chosen = f"the patterns {', '.join(patterns)} match" if patterns else "the scenario has"
        raise ValueError(f"sensitivity needs at least 2 free parameters (--params); {chosen} {len(parameters)}")
    return parameters


def run_sensitivity(
    scenario: Scenario,
    outcome: str,
    method: Method = "sobol",
    samples: int = 64,
    n_runs: int = DEFAULT_RUNS_PER_POINT,
    seed: int = 0,
    start: str | None = None,
    until: int | None = None,
    patterns: Sequence[str] | None = None,
    store: RunStore | None = None,
    resume: bool = False,
    executor: Any = None,
    points_per_batch: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Sample the free parameters, simulate every point (in batches, resumable, on ``executor``, by default this
    process: :mod:`coyuntura.executor`), and compute the indices.

    ``points_per_batch`` points are simulated in one call (default: about 10,000 runs a batch); the
    results do not depend on it. ``progress`` is called with (points done, points in all).
    """
    check_outcome(outcome, scenario)
    if n_runs < 1:
        raise ValueError(f"runs per point must be at least 1, got {n_runs}")
    parameters = analysed_parameters(scenario, patterns)
    X = sample(parameters, method, samples, seed)
    first, last = scenario.span(start, until)
    sweep = PointSweep(
        scenario, tuple(p.path for p in parameters), X, n_runs, seed=seed, start=start, until=last, kind="sensitivity",
        name=f"{method} {outcome}", settings={"method": method, "outcome": outcome, "samples": samples},
    )
    total = sweep.n_points
    holder: dict[str, SensitivityResult] = {}

    def summarize(done: PointSweepResult) -> dict[str, Any]:
        holder["result"] = _analyze(scenario, outcome, method, samples, n_runs, seed, parameters, X, done, first, last)
        return holder["result"].summary()

    swept = run_point_sweep(
        sweep, store=store, resume=resume, executor=executor, points_per_batch=points_per_batch,
        progress=(lambda done: progress(done, total)) if progress is not None else None, summarize=summarize,
    )
    if "result" not in holder:  # no store: summarize was not called
        holder["result"] = _analyze(scenario, outcome, method, samples, n_runs, seed, parameters, X, swept, first, last)
    result = holder["result"]
    return replace(result, record_id=swept.record_id, wall_time=swept.wall_time, cpu_time=swept.cpu_time)


def _analyze(scenario: Scenario, outcome: str, method: str, samples: int, n_runs: int, seed: int,
             parameters: tuple[FreeParameter, ...], X: np.ndarray, swept: PointSweepResult, first: int, last: int) -> SensitivityResult:
    Y = swept.probability(outcome)
    problem = salib_problem(parameters)
    notes: list[str] = []
    constant = float(Y.std()) == 0.0
    if constant:
        nan = np.full(len(parameters), np.nan)
        indices = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan} if method == "sobol" else {
            "mu_star": nan, "mu_star_conf": nan, "sigma": nan, "mu": nan}
        notes.append(f"the probability of {outcome} is {Y[0]:.3f} at every sample point: the indices are undefined")
    elif method == "sobol":
        sobol_analyze = require("explore", "SALib.analyze.sobol")

        with warnings.catch_warnings():  # a Generator, not the int: SALib skips seeding for a falsy seed such as 0
            warnings.simplefilter("ignore", RuntimeWarning)
            raw = sobol_analyze.analyze(problem, Y, calc_second_order=False, conf_level=0.95, seed=np.random.default_rng(seed))
        indices = {name: np.asarray(raw[name], dtype=float) for name in ("S1", "S1_conf", "ST", "ST_conf")}
        if samples < STABLE_SOBOL_SAMPLES:
            notes.append(f"sample too small for stable Sobol indices: N = {samples} base samples (use {STABLE_SOBOL_SAMPLES} or more)")
        widest = float(np.nanmax(np.concatenate([indices["S1_conf"], indices["ST_conf"]])))
        if widest > MAX_INTERVAL:
            notes.append(f"sample too small: the widest 95% interval is ±{widest:.2f}; raise --samples")
    else:
        morris_analyze = require("explore", "SALib.analyze.morris")

        raw = morris_analyze.analyze(problem, X, Y, conf_level=0.95, num_levels=MORRIS_LEVELS, seed=np.random.default_rng(seed))
        indices = {name: np.asarray(raw[name], dtype=float) for name in ("mu_star", "mu_star_conf", "sigma", "mu")}
        if samples < 10:
            notes.append(f"sample too small for stable Morris screening: {samples} trajectories (use 10 or more)")
        top = float(np.nanmax(indices["mu_star"]))
        if top > 0 and float(np.nanmax(indices["mu_star_conf"])) > 0.5 * top:
            notes.append("sample too small: a mu* interval is wider than half the largest mu*; raise --samples")
    share = None
    if not constant:
        share = noise_share(Y, n_runs)
        if share > MAX_NOISE_SHARE:
            floor = (f"every total index ST carries about +{share:.2f} of noise (a parameter that cannot matter shows ST ~ {share:.2f}) "
                     f"and S1 is shrunk by {100 * share:.0f}%" if method == "sobol" else "elementary effects are blurred by noise")
            notes.append(f"Monte Carlo noise is {100 * share:.0f}% of the output's variance: {floor}; raise --runs per point")
    return SensitivityResult(
        scenario_id=scenario.id, outcome=outcome, method=method, samples=samples, n_runs=n_runs, seed=seed,
        parameters=parameters, indices=indices, X=X, Y=Y, warnings=tuple(notes), record_id=swept.record_id,
        wall_time=swept.wall_time, start=first, until=last, noise_share=share, outcome_label=outcome_labels(scenario)[outcome],
    )


def noise_share(Y: np.ndarray, n_runs: int) -> float:
    """The share of the variance of ``Y`` (probabilities, each from ``n_runs`` independent runs) that is Monte Carlo noise.

    A point's estimate p of probability q has variance q (1 - q) / n_runs; p (1 - p) / (n_runs - 1) estimates it
    without bias. Independent from point to point, this noise is also what every Sobol total index gains.
    """
    variance = float(Y.var())
    if variance == 0.0:
        return 0.0
    if n_runs < 2:  # one run per point: each output is 0 or 1, and nothing tells noise from effect
        return 1.0
    noise = float(np.mean(Y * (1.0 - Y))) / max(n_runs - 1, 1)
    return min(noise / variance, 1.0)


def sensitivity_table(result: SensitivityResult) -> Table:
    """One row per parameter, most influential first: its prior range and the indices with their 95% intervals."""
    base = (Column("parameter", "Parameter key", "key"), Column("name", "Parameter", "label"), Column("range", "Prior range", "label"))
    if result.method == "sobol":
        names = (("S1", "S1"), ("S1_conf", "S1 ±95%"), ("ST", "ST"), ("ST_conf", "ST ±95%"))
    else:
        names = (("mu_star", "mu*"), ("mu_star_conf", "mu* ±95%"), ("sigma", "sigma"), ("mu", "mu"))
    columns = base + tuple(Column(key, label, "number") for key, label in names)
    rows = []
    for i in result.order():
        p = result.parameters[i]
        rows.append((p.path, p.path, f"{p.low:g}..{p.high:g}", *(float(result.indices[key][i]) for key, _ in names)))
    span = f"{format_month(result.start)}..{format_month(result.until)}"
    title = (
        f"{'Sobol' if result.method == 'sobol' else 'Morris'} sensitivity of P({result.outcome_label or result.outcome}), {span}: "
        f"{len(result.parameters)} parameters, {result.points:,} points x {result.n_runs:,} runs"
    )
    noise = (
        f" Monte Carlo noise is {100 * result.noise_share:.1f}% of the output's variance"
        + (f" (an inert parameter shows ST ~ {result.noise_share:.3f})." if result.method == "sobol" else ".")
        if result.noise_share is not None else ""
    )
    notes = (
        f"Output: the probability of {result.outcome} at each point (mean {result.Y.mean():.3f}, sd {result.Y.std():.3f}), "
        f"each from {result.n_runs:,} runs of its own (point i: runs i x {result.n_runs:,} onwards, seed {result.seed}).{noise}",
        "S1: first-order index; ST: total index; ± is the half-width of the 95% bootstrap interval."
        if result.method == "sobol" else "mu*: mean absolute elementary effect; sigma: their spread; ± is the 95% interval of mu*.",
        *(f"warning: {w}" for w in result.warnings),
    )
    return Table(title=title, columns=columns, rows=tuple(rows), notes=notes)


def sensitivity_chart(result: SensitivityResult, path: str, top: int = 20) -> str:
    """Horizontal bar chart of the indices (S1 and ST, or mu* and sigma) with 95% error bars; PNG, written atomically."""
    Figure = require("charts", "matplotlib.figure").Figure
    from .files import save_figure

    order = result.order()[:top][::-1]
    labels = [result.parameters[i].path.replace("mechanisms.", "") for i in order]
    figure = Figure(figsize=(8.5, 0.9 + 0.32 * len(order)), dpi=120)
    ax = figure.add_subplot()
    y = np.arange(len(order))
    bars: tuple[tuple[str, str | None, str, str], ...]
    if result.method == "sobol":
        bars = (("ST", "ST_conf", "total (ST)", "#4a5a78"), ("S1", "S1_conf", "first-order (S1)", "#e6a532"))
    else:
        bars = (("mu_star", "mu_star_conf", "mu*", "#4a5a78"), ("sigma", None, "sigma", "#e6a532"))
    for k, (key, conf, label, color) in enumerate(bars):
        values = np.nan_to_num(result.indices[key][order])
        errors = np.nan_to_num(result.indices[conf][order]) if conf else None
        ax.barh(y + (0.2 if k == 0 else -0.2), values, height=0.38, xerr=errors, color=color, label=label, capsize=2, error_kw={"lw": 0.8})
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_xlabel("index" if result.method == "sobol" else "elementary effect on the probability")
    ax.set_title(f"Sensitivity of P({result.outcome}), {result.method}, {result.points:,} points x {result.n_runs} runs", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    return save_figure(figure, path)
