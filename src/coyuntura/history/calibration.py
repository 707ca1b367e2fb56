"""Calibration: ABC-SMC (pyabc) of a scenario's free parameters on its observed timeline.

The free parameters are the scenario's numbers with a ``prior:``. pyabc's
ABC-SMC (Toni et al. 2009; Beaumont et al. 2009) does all the inference -
proposals, acceptance, importance weights, the epsilon schedule - and keeps
every generation in an SQLite history, so an interrupted calibration resumes
from its last finished generation.

Summary statistics and distance. A particle (one parameter vector) simulates
``runs_per_particle`` histories from the scenario's start to the month before
the vantage and summarizes them, per cell of the observed timeline before the
vantage, as the share of histories in which the cell's outcome happened (or its
regime held). The distance to the record is, by ``distance``, the Brier score of
those shares (:class:`BrierDistance`: every cell weighs at most ``1 / cells``) or
their log loss (:class:`LogScoreDistance`: the score the model is judged by, which
sees rare events such as a coup defeated by the masses). Both judge each cell on
histories that know nothing of the record before it, so neither can tell whether
the model reacts to what just happened (coups that cluster after an attempt).
``evidence`` does: the particle's histories are run through the particle filter
(:class:`FilteredTimelineModel`), which weighs them by the record as it unfolds,
and the distance is the filter's estimate of the record's log likelihood per cell
(:class:`EvidenceDistance`) - a chain of one-step-ahead predictions, close kin of
what the filtered score judges, and the likelihood a particle marginal Metropolis-Hastings
sampler would use (Andrieu, Doucet & Holenstein 2010). Nothing after the vantage is ever used.

Vectorized particles. Each free parameter is given to the engine as an array
over runs (:mod:`coyuntura.engine.parameters`), so a batch of particles - a few
hundred parameter vectors, each with its own histories - is one ``simulate``
call. pyabc still draws every proposal, judges every particle (distance,
acceptance, importance weight) and sets every epsilon.

Parallelism. The sampler (:mod:`coyuntura.history.abc_sampler`) evaluates particles in numbered batches,
each batch seeded from ``SeedSequence(seed, spawn_key=(generation + 1, batch))``
(numpy's global generator, which pyabc's proposals and our model read), and
accepts particles in batch order until the population is full. Which worker
runs a batch, and when it finishes, changes nothing: a calibration gives the
same posterior with 1 or 2 Dask workers or in-process, and so certainly agrees
within Monte Carlo error. (pyabc's own DaskDistributedSampler re-seeds each job
from the operating system's entropy and accepts whatever finishes first, so it
would only agree in distribution.)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..defaults import DEFAULT_BATCH_PARTICLES, DEFAULT_EPSILON_QUANTILE, DISTANCES
from ..scenario.calendar import format_month, parse_month
from ..scenario.schema import Scenario
from .abc_sampler import _quiet_pyabc, ordered_sampler
from .observations import DEFAULT_PERIOD, Cell, cells_before, record_end, record_log_probability, require_observations, timeline_cells
from .particles import simulate_histories
from .posterior import (  # noqa: F401  (re-exported: the calibration's public names)
    POSTERIOR,
    POSTERIOR_MARKER,
    Posterior,
    bundled_posterior,
    generations_table,
    load_posterior,
    parameters_table,
    posterior_from_history,
    write_json,
    write_posterior,
)
from .priors import FreeParameter, free_parameters, prior_variable, to_range, unbounded_prior  # noqa: F401

DATABASE = "calibration.db"
SETTINGS = "calibration.json"



@dataclass(frozen=True)
class TimelineModel:
    """The pyabc model: parameter vectors -> per-cell shares of simulated histories agreeing that the cell happened.

    :meth:`batch` simulates many particles in one vectorized call, each particle's
    ``runs`` histories with its own values (:mod:`coyuntura.engine.parameters`);
    calling the model on one parameter vector (pyabc's contract) is the batch of one.
    """

    scenario: Scenario
    paths: tuple[str, ...]
    cells: tuple[Cell, ...]
    runs: int
    until: int
    bounds: tuple[tuple[float, float], ...]  # each parameter's prior range; pyabc works on the probit scale of it

    def batch(self, parameters: Sequence[dict], seed: int) -> list[dict[str, np.ndarray]]:
        """Summary statistics of each parameter vector (probit scale), all simulated together with the streams of ``seed``."""
        if not parameters:
            return []
        n = len(parameters) * self.runs
        histories = simulate_histories(self.scenario, n, seed, self.until, record=self.cells, parameters=self.run_values(parameters))
        happened = np.array([histories.flags[cell] for cell in self.cells], dtype=float).reshape(len(self.cells), len(parameters), self.runs)
        shares = happened.mean(axis=2)
        return [{"happened": shares[:, k]} for k in range(len(parameters))]

    def __call__(self, parameters: dict) -> dict[str, np.ndarray]:
        return self.batch([parameters], int(np.random.randint(0, 2**31 - 1)))[0]

    def run_values(self, parameters: Sequence[dict]) -> dict[str, np.ndarray]:
        """Each parameter vector (probit scale) on the engine's scale, repeated for the particle's ``runs`` runs."""
        return {
            path: np.repeat(to_range(np.array([float(theta[path]) for theta in parameters]), low, high), self.runs)
            for path, (low, high) in zip(self.paths, self.bounds)
        }


@dataclass(frozen=True)
class FilteredTimelineModel(TimelineModel):
    """The pyabc model for the ``evidence`` distance: parameter vectors -> the particle filter's log likelihood of the record.

    Each particle's ``runs`` histories are one filter (a block of one :class:`~coyuntura.history.particles.ParticleFilter`:
    its own weights and resampling), weighted on every cell as it closes; the statistic is the filter's log evidence.
    The filter does not re-simulate surprising segments (``offspring=1``): that would cost each particle up to 16 times
    the months, for an estimate that the next generation's proposals average anyway.
    """

    def batch(self, parameters: Sequence[dict], seed: int) -> list[dict[str, np.ndarray]]:
        """The log evidence of each parameter vector (probit scale), all filtered together with the streams of ``seed``."""
        if not parameters:
            return []
        histories = simulate_histories(
            self.scenario, len(parameters) * self.runs, seed, self.until, condition=self.cells,
            parameters=self.run_values(parameters), blocks=len(parameters), offspring=1,
        )
        return [{"log_evidence": np.array([evidence])} for evidence in histories.block_log_evidence]


@dataclass(frozen=True)
class BrierDistance:
    """Mean squared difference between the simulated shares and the record over the observed cells (the Brier score).

    Each cell adds at most ``1 / cells``, so no handful of cells can dominate the
    distance; with one history per particle it is the share of cells the history
    gets wrong. It hardly sees a rare event: a share of 0.05 instead of 0 for
    something that happened moves a cell by a tenth.
    """

    def __call__(self, x: dict, x_0: dict) -> float:
        share = np.asarray(x["happened"], dtype=float)
        observed = np.asarray(x_0["happened"], dtype=float)
        return float(np.mean((share - observed) ** 2))


@dataclass(frozen=True)
class LogScoreDistance:
    """Mean log loss of the record under the particle's simulated shares (the log score the model is judged by).

    A proper score that weighs rare events by how surprising they are: giving
    5% instead of 0.2% to a coup that happened gains as much as three
    well-forecast quiet years. Shares of ``runs`` histories are smoothed by half
    a run (:func:`smoothed_probability`), so a cell no history reproduces costs
    at most ``log(2 (runs + 1))``; with more runs per particle rarer events can
    be told apart.
    """

    runs: int

    def __call__(self, x: dict, x_0: dict) -> float:
        return float(-np.mean(record_log_probability(np.asarray(x["happened"], dtype=float), np.asarray(x_0["happened"]) > 0.5, self.runs)))


@dataclass(frozen=True)
class EvidenceDistance:
    """Minus the particle filter's log likelihood of the record, per cell (:class:`FilteredTimelineModel`).

    Each month in which cells close adds minus the log of the probability the filtered histories gave those cells'
    outcomes (jointly) just before, blurred by the filter's observation noise: a run that disagrees with a cell
    keeps the weight ``mismatch``, so the distance lies between ``-log(1 - mismatch)`` and ``-log(mismatch)``. It
    is an estimate: with few runs per particle it is noisy (measured on bolivia-1952, one parameter vector filtered
    again and again: a standard deviation of about 4.7 nats in all with 32 runs, 3.6 with 64; docs/history.md).
    """

    cells: int

    def __call__(self, x: dict, x_0: dict) -> float:
        return float(-np.asarray(x["log_evidence"], dtype=float)[0] / self.cells)


def abc_distance(name: str, runs: int, cells: int | None = None) -> BrierDistance | LogScoreDistance | EvidenceDistance:
    """The ABC distance called ``name`` (one of :data:`DISTANCES`) for ``runs`` histories per particle and ``cells`` cells
    (needed by ``evidence``, which is per cell)."""
    if name == "log":
        return LogScoreDistance(runs)
    if name == "evidence":
        if cells is None or cells < 1:
            raise ValueError("the evidence distance needs the number of cells it is taken over")
        return EvidenceDistance(cells)
    if name == "brier":
        return BrierDistance()
    raise ValueError(f"--distance must be one of {', '.join(DISTANCES)}, got {name!r}")


@dataclass(frozen=True)
class CalibrationSettings:
    """How to calibrate: vantage (cells ending before it), ABC-SMC sizes, parameters, seed, grid period."""

    as_of: str
    population: int = 2000
    generations: int = 8
    runs_per_particle: int = 2
    seed: int = 0
    parameters: tuple[str, ...] = ()
    period: int = DEFAULT_PERIOD
    batch_particles: int = DEFAULT_BATCH_PARTICLES
    epsilon_quantile: float = DEFAULT_EPSILON_QUANTILE
    distance: str = "brier"
    min_ess: float = 0.0

    def check(self) -> None:
        parse_month(self.as_of)
        abc_distance(self.distance, self.runs_per_particle, 1)
        if not 0.0 <= self.min_ess <= self.population:
            raise ValueError(f"--min-ess must lie between 0 and --population ({self.population}), got {self.min_ess:g}")
        if self.population < 2:
            raise ValueError(f"--population must be at least 2, got {self.population}")
        if self.generations < 1:
            raise ValueError(f"--generations must be at least 1, got {self.generations}")
        if not 0.0 < self.epsilon_quantile < 1.0:
            raise ValueError(f"--epsilon-quantile must lie strictly between 0 and 1, got {self.epsilon_quantile}")
        if self.batch_particles < 1:
            raise ValueError(f"--batch-particles must be at least 1, got {self.batch_particles}")
        if self.runs_per_particle < 1:
            raise ValueError(f"--runs-per-particle must be at least 1, got {self.runs_per_particle}")
        if self.seed < 0:
            raise ValueError(f"--seed must be a non-negative integer, got {self.seed}")

    def same_run(self, other: "CalibrationSettings") -> list[str]:
        """What differs from ``other`` apart from the number of generations."""
        mine, theirs = asdict(self), asdict(other)
        return [f"{key} {theirs[key]!r} (now {mine[key]!r})" for key in mine if key != "generations" and mine[key] != theirs[key]]


def default_as_of(scenario: Scenario) -> str:
    """The month after the observed timeline ends: calibrate on all of it."""
    return format_month(record_end(scenario) + 1)


def calibrate(
    scenario: Scenario,
    settings: CalibrationSettings,
    out_dir: str | Path,
    executor: Any = None,
    resume: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> Posterior:
    """Run (or resume) ABC-SMC; write ``posterior.json`` and the pyabc history into ``out_dir``; return the posterior.

    ``executor`` spreads the particles (:mod:`coyuntura.executor`; ``None``: this process). ``progress`` is called
    with (generation, accepted, population) as particles are accepted.
    """
    import pyabc

    from .abc_kernels import GaussianTransition

    _quiet_pyabc()
    settings.check()
    require_observations(scenario)
    free = free_parameters(scenario, settings.parameters)
    vantage = parse_month(settings.as_of)
    if vantage <= scenario.calendar.start:
        raise ValueError(f"--as-of {settings.as_of} leaves no observed history before it (the scenario starts {format_month(scenario.calendar.start)})")
    cells = cells_before(timeline_cells(scenario, vantage, settings.period), vantage)
    if not cells:
        raise ValueError(f"no observation of {scenario.id!r} ends before {settings.as_of}: nothing to calibrate on")
    out = Path(out_dir)
    database = out / DATABASE
    settings_file = out / SETTINGS
    if resume:
        if not database.is_file() or not settings_file.is_file():
            raise ValueError(f"nothing to resume in {out}: no {DATABASE} and {SETTINGS} there")
        saved = json.loads(settings_file.read_text(encoding="utf-8"))
        stored = CalibrationSettings(**{**saved, "parameters": tuple(saved["parameters"])})
        differences = settings.same_run(stored)
        if differences:
            raise ValueError(f"the calibration in {out} was started with other settings: {'; '.join(differences)}")
    elif database.exists():
        raise ValueError(f"{database} already exists: pass --resume to continue that calibration, or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    model = (FilteredTimelineModel if settings.distance == "evidence" else TimelineModel)(
        scenario, tuple(p.path for p in free), cells, settings.runs_per_particle, vantage - 1, tuple((p.prior.low, p.prior.high) for p in free)
    )
    prior = pyabc.Distribution(**{p.path: unbounded_prior(p.prior) for p in free})

    def smc() -> Any:
        return pyabc.ABCSMC(
            model, prior, abc_distance(settings.distance, settings.runs_per_particle, len(cells)), population_size=settings.population,
            eps=pyabc.epsilon.QuantileEpsilon(alpha=settings.epsilon_quantile),
            transitions=GaussianTransition(),
            sampler=ordered_sampler(settings.seed, model, executor, batch_size=settings.batch_particles, progress=progress),
        )

    url = f"sqlite:///{database.resolve()}"
    abc = smc()
    if resume:
        history = abc.load(url, 1)
    else:
        write_json(settings_file, asdict(settings))
        history = abc.new(url, {"happened": np.array([float(c.observed) for c in cells])})
    # One generation at a time, each continued as a resumed calibration (a fresh ABCSMC loaded from the database:
    # the same numbers as one uninterrupted run), so that a collapsed generation stops the calibration.
    while history.max_t + 1 < settings.generations and (history.max_t < 0 or _ess(history, history.max_t) >= settings.min_ess):
        abc.run(max_nr_populations=1)
        abc = smc()
        history = abc.load(url, 1)
    posterior = posterior_from_history(history, scenario, free, settings, len(cells), _last_healthy(history, settings.min_ess))
    write_posterior(out / POSTERIOR, posterior)
    posterior.path = out / POSTERIOR
    return posterior


def _ess(history: Any, t: int) -> float:
    """The effective sample size of generation ``t``'s importance weights."""
    from pyabc.weighted_statistics import effective_sample_size

    _, weights = history.get_distribution(m=0, t=t)
    return float(effective_sample_size(np.asarray(weights, dtype=float)))


def _last_healthy(history: Any, min_ess: float) -> int:
    """The last generation whose effective sample size is at least ``min_ess`` (generation 0 at worst).

    A sharp distance (the log loss on many histories) shrinks the accepted region fast; in dozens of dimensions
    the importance weights (prior over proposal density) then collapse onto a few particles - measured on
    bolivia-1952 with 500 particles: effective sample size 500, 275, 142, 116, 70, 32, 3.6, 1.3 - and such a
    generation is a point estimate, not a posterior. The calibration stops there and keeps the generation before."""
    t = history.max_t
    while t > 0 and _ess(history, t) < min_ess:
        t -= 1
    return t
