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
sees rare events such as a coup defeated by the masses). Nothing after the vantage is ever used.

Vectorized particles. Each free parameter is given to the engine as an array
over runs (:mod:`coyuntura.engine.parameters`), so a batch of particles - a few
hundred parameter vectors, each with its own histories - is one ``simulate``
call. pyabc still draws every proposal, judges every particle (distance,
acceptance, importance weight) and sets every epsilon.

Parallelism. :class:`OrderedSampler` evaluates particles in numbered batches,
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
import logging
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..defaults import DEFAULT_BATCH_PARTICLES, DEFAULT_EPSILON_QUANTILE, DISTANCES
from ..experiments.files import write_text
from ..report.tables import Column, Table
from ..scenario.calendar import format_month, parse_month
from ..scenario.checks import quantities
from ..scenario.quantities import Prior
from ..scenario.schema import Scenario
from .observations import DEFAULT_PERIOD, Cell, cells_before, record_end, record_log_probability, require_observations, timeline_cells
from .particles import simulate_histories

POSTERIOR_MARKER = "coyuntura_posterior"
DATABASE = "calibration.db"
SETTINGS = "calibration.json"
POSTERIOR = "posterior.json"



def _quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; the CLI shows its own progress instead."""
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass(frozen=True)
class FreeParameter:
    """A scenario number with a prior: its value path, its value in the file and its prior."""

    path: str
    value: float
    prior: Prior


def free_parameters(scenario: Scenario, patterns: Sequence[str] = ()) -> tuple[FreeParameter, ...]:
    """The numbers with a ``prior:`` (only those matching a glob in ``patterns``, chosen as for sensitivity analysis)."""
    from ..experiments.sensitivity import free_parameters as chosen

    priors = {path: q.prior for path, q in quantities(scenario) if q.prior is not None}
    return tuple(FreeParameter(p.path, p.value, priors[p.path]) for p in chosen(scenario, list(patterns) or None))


class _TruncatedLogNormal:
    """A log-normal truncated to [low, high] (median sqrt(low high), sigma ln(high/low)/4), as a pyabc random variable."""

    def __init__(self, low: float, high: float):
        from scipy import stats

        self.low, self.high = low, high
        mu, sigma = 0.5 * (math.log(low) + math.log(high)), math.log(high / low) / 4.0
        self._log = stats.truncnorm(-2.0, 2.0, loc=mu, scale=sigma)

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        return float(math.exp(self._log.rvs()))

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return float(self._log.pdf(math.log(x)) / x) if x > 0 else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(x)

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return float(self._log.cdf(math.log(x))) if x > 0 else 0.0

    def copy(self) -> "_TruncatedLogNormal":
        return _TruncatedLogNormal(self.low, self.high)


class _Uniform:
    """A uniform prior over [low, high] as a pyabc random variable, drawn from numpy's global generator.

    scipy's frozen distributions cost tens of microseconds per call; a population of thousands of particles over
    dozens of parameters calls them millions of times."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high
        self._density = 1.0 / (high - low)

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        return self.low + (self.high - self.low) * float(np.random.random_sample())

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self._density if self.low <= x <= self.high else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(x)

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return min(max((x - self.low) * self._density, 0.0), 1.0)

    def copy(self) -> "_Uniform":
        return _Uniform(self.low, self.high)


def to_range(z: np.ndarray | float, low: float, high: float) -> np.ndarray | float:
    """A value on the unbounded calibration scale back in its prior's range: ``low + (high - low) Phi(z)``."""
    from scipy.special import ndtr

    return low + (high - low) * ndtr(np.asarray(z, dtype=float))


class _Unbounded:
    """A prior over [low, high] seen on the probit scale ``z = Phi^-1((x - low) / (high - low))``, as a pyabc random variable.

    ABC-SMC perturbs particles with Gaussian kernels. In the prior's own range a proposal for dozens of parameters
    falls outside some bound almost always and is drawn again and again; on the probit scale every proposal is
    valid, and a uniform prior becomes a standard normal, whose tails the Gaussian kernels match (on a logit scale
    its exponential tails would give a few far-out particles enormous importance weights). The density carries
    the Jacobian, so the posterior in the range is the same."""

    def __init__(self, variable: Any, low: float, high: float):
        self.variable, self.low, self.high = variable, low, high

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        from scipy.special import ndtri

        share = (float(self.variable.rvs()) - self.low) / (self.high - self.low)
        return float(ndtri(min(max(share, 1e-15), 1.0 - 1e-15)))

    def pdf(self, z: float, *args: Any, **kwargs: Any) -> float:
        if not -37.0 < z < 37.0:
            return 0.0
        share = 0.5 * math.erfc(-z / math.sqrt(2.0))
        normal = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return float(self.variable.pdf(self.low + (self.high - self.low) * share)) * (self.high - self.low) * normal

    def pmf(self, z: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(z)

    def cdf(self, z: float, *args: Any, **kwargs: Any) -> float:
        return float(self.variable.cdf(float(to_range(z, self.low, self.high))))

    def copy(self) -> "_Unbounded":
        return _Unbounded(self.variable, self.low, self.high)


def unbounded_prior(prior: Prior) -> Any:
    """The prior as a pyabc random variable on the probit scale of its range (see :class:`_Unbounded`)."""
    import pyabc

    pyabc.random_variables.RVBase.register(_Unbounded)
    return _Unbounded(prior_variable(prior), prior.low, prior.high)


def prior_variable(prior: Prior) -> Any:
    """The prior as a pyabc random variable: uniform; normal (mean at the middle, sd a quarter of the range,
    truncated); beta(2, 2) over the range; log-normal truncated to the range."""
    import pyabc

    low, high = prior.low, prior.high
    if prior.dist == "uniform":
        pyabc.random_variables.RVBase.register(_Uniform)
        return _Uniform(low, high)
    if prior.dist == "normal":
        return pyabc.RV("truncnorm", -2.0, 2.0, loc=0.5 * (low + high), scale=(high - low) / 4.0)
    if prior.dist == "beta":
        return pyabc.RV("beta", 2.0, 2.0, loc=low, scale=high - low)
    if low <= 0:
        raise ValueError(f"a lognormal prior needs low > 0, got low={low}")
    variable = _TruncatedLogNormal(low, high)
    pyabc.random_variables.RVBase.register(_TruncatedLogNormal)
    return variable


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
        values = {
            path: np.repeat(to_range(np.array([float(theta[path]) for theta in parameters]), low, high), self.runs)
            for path, (low, high) in zip(self.paths, self.bounds)
        }
        histories = simulate_histories(self.scenario, n, seed, self.until, record=self.cells, parameters=values)
        happened = np.array([histories.flags[cell] for cell in self.cells], dtype=float).reshape(len(self.cells), len(parameters), self.runs)
        shares = happened.mean(axis=2)
        return [{"happened": shares[:, k]} for k in range(len(parameters))]

    def __call__(self, parameters: dict) -> dict[str, np.ndarray]:
        return self.batch([parameters], int(np.random.randint(0, 2**31 - 1)))[0]


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


def abc_distance(name: str, runs: int) -> BrierDistance | LogScoreDistance:
    """The ABC distance called ``name`` (one of :data:`DISTANCES`) for shares of ``runs`` histories."""
    if name == "log":
        return LogScoreDistance(runs)
    if name == "brier":
        return BrierDistance()
    raise ValueError(f"--distance must be one of {', '.join(DISTANCES)}, got {name!r}")


def _proposals(simulate_one: Any, size: int) -> list[tuple[int, Any]]:
    """``size`` (model, parameter) proposals drawn exactly as pyabc's ``simulate_one`` would draw them."""
    from pyabc.inference_util import generate_valid_proposal

    kw = simulate_one.keywords
    if simulate_one.func.__name__ == "_simulate_one_from_prior":
        proposals = []
        for _ in range(size):
            m = int(kw["model_prior"].rvs())
            proposals.append((m, kw["parameter_priors"][m].rvs()))
        return proposals
    names = ("t", "m", "p", "model_prior", "parameter_priors", "model_perturbation_kernel", "transitions")
    return [generate_valid_proposal(**{name: kw[name] for name in names}) for _ in range(size)]


def _particle(simulate_one: Any, m: int, theta: Any, statistics: dict) -> Any:
    """The particle pyabc's ``simulate_one`` would return for this proposal, given its simulated statistics."""
    from pyabc.inference_util import evaluate_proposal, only_simulate_data_for_proposal
    from pyabc.population import Particle

    from .abc_kernels import SimulatedAlready

    kw = simulate_one.keywords
    models = [SimulatedAlready(statistics)] * (m + 1)
    if simulate_one.func.__name__ == "_simulate_one_from_prior":
        result = models[m].summary_statistics(0, theta, kw["summary_statistics"])
        return Particle(m=m, parameter=theta, weight=1.0, sum_stat=result.sum_stat, distance=np.inf, accepted=True, proposal_id=0, preliminary=False)
    common = {"t": kw["t"], "models": models, "summary_statistics": kw["summary_statistics"], "weight_function": kw["weight_function"],
              "proposal_id": kw["proposal_id"]}
    if not kw["evaluate"]:
        return only_simulate_data_for_proposal(m, theta, **common)
    return evaluate_proposal(m, theta, distance_function=kw["distance_function"], eps=kw["eps"], acceptor=kw["acceptor"], x_0=kw["x_0"], **common)


def _evaluate_batch(simulate_one: Any, timeline: TimelineModel, seed: int, t: int, batch: int, size: int) -> list:
    """Propose ``size`` particles, simulate them in one vectorized call, and let pyabc judge each one.

    numpy's and Python's global generators (which pyabc's proposals read) and the
    simulation's streams are all seeded from (seed, generation, batch), so a batch's
    particles depend on nothing else.
    """
    import cloudpickle

    if isinstance(simulate_one, bytes):
        simulate_one = cloudpickle.loads(simulate_one)
    _quiet_pyabc()  # on a worker too
    saved = np.random.get_state(), random.getstate()
    entropy = np.random.SeedSequence(seed, spawn_key=(t + 1, batch)).generate_state(4)
    np.random.seed(entropy)
    random.seed(int(entropy[0]))
    try:
        proposals = _proposals(simulate_one, size)
        statistics = timeline.batch([theta for _, theta in proposals], int(entropy[1] >> 1))
        return [_particle(simulate_one, m, theta, stats) for (m, theta), stats in zip(proposals, statistics)]
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])


def ordered_sampler(
    seed: int, timeline: TimelineModel, executor: Any = None, batch_size: int = DEFAULT_BATCH_PARTICLES,
    progress: Callable[[int, int, int], None] | None = None,
) -> Any:
    """A pyabc sampler whose populations depend only on the seed (see :class:`OrderedSampler`); ``executor``: :mod:`coyuntura.executor`."""
    from pyabc.sampler import Sampler

    from ..executor import as_executor

    class OrderedSampler(Sampler):
        """Particles in numbered, individually seeded batches simulated together, accepted in batch order; on any executor."""

        def __init__(self) -> None:
            super().__init__()
            self.seed, self.executor, self.batch_size, self.progress = seed, as_executor(executor), batch_size, progress
            self._leftover: list[Any] = []  # batches still running past a full population (results unused)

        def stop(self) -> None:
            """At the end of a run, let leftover batches finish so the cluster closes cleanly."""
            if self._leftover:
                self.executor.wait_all(self._leftover, timeout=120)
                self._leftover = []

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
            results = self._parallel(n, simulate_one, t, max_eval) if self.executor.parallel else self._local(n, simulate_one, t, max_eval)
            sample = self._create_empty_sample()
            accepted = evaluations = 0
            for particle in (p for batch in results for p in batch):
                if accepted >= n:
                    break
                sample.append(particle)
                evaluations += 1
                accepted += int(particle.accepted)
            self.nr_evaluations_ = evaluations
            if sample.n_accepted < n:
                sample.ok = False
            return sample

        def _report(self, t: int, accepted: int, n: int) -> None:
            if self.progress is not None:
                self.progress(t, min(accepted, n), n)

        def _local(self, n, simulate_one, t, max_eval) -> list[list]:
            results, accepted, evaluations = [], 0, 0
            while accepted < n and evaluations < max_eval:
                batch = _evaluate_batch(simulate_one, timeline, self.seed, t, len(results), self.batch_size)
                results.append(batch)
                accepted += sum(int(p.accepted) for p in batch)
                evaluations += len(batch)
                self._report(t, accepted, n)
            return results

        def _parallel(self, n, simulate_one, t, max_eval) -> list[list]:
            import cloudpickle

            payload = self.executor.share(cloudpickle.dumps(simulate_one))
            model = self.executor.share(timeline)
            workers = self.executor.workers
            in_flight: dict[int, Any] = {}
            done: dict[int, list] = {}
            submitted = prefix = accepted = evaluations = 0
            self._leftover = [f for f in self._leftover if not f.done()]
            try:
                while accepted < n and evaluations < max_eval:
                    while len(in_flight) < workers + 1:
                        in_flight[submitted] = self.executor.submit(_evaluate_batch, payload, model, self.seed, t, submitted, self.batch_size)
                        submitted += 1
                    finished = self.executor.wait_first(in_flight.values())
                    for batch in [b for b, f in in_flight.items() if f in finished]:
                        done[batch] = in_flight.pop(batch).result()
                    while prefix in done and accepted < n and evaluations < max_eval:
                        accepted += sum(int(p.accepted) for p in done[prefix])
                        evaluations += len(done[prefix])
                        prefix += 1
                    self._report(t, accepted, n)
            except BaseException:
                for future in in_flight.values():
                    future.cancel()
                raise
            self._leftover += list(in_flight.values())
            return [done[b] for b in range(prefix)]

    return OrderedSampler()


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
        abc_distance(self.distance, self.runs_per_particle)
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


@dataclass
class Posterior:
    """A calibrated posterior: weighted particles over the free parameters, with diagnostics."""

    scenario_id: str
    as_of: str
    parameters: list[dict[str, Any]]
    weights: np.ndarray
    values: np.ndarray  # (particles, parameters)
    generations: list[dict[str, Any]]
    settings: dict[str, Any]
    cells: int
    path: Path | None = field(default=None, compare=False)
    scenario_hash: str | None = None  # SHA-256 of the scenario it was calibrated for (content, not name)
    generation: int | None = None  # the generation whose particles these are (None: the last one)

    @property
    def paths(self) -> list[str]:
        return [p["path"] for p in self.parameters]

    def to_frame(self) -> Any:
        """One row per parameter: prior, file value, posterior mean, SD and 90% interval (a pandas DataFrame)."""
        return parameters_table(self).to_frame()

    def plot(self, path: str | Path) -> Path:
        """Draw each parameter's posterior against its prior range to ``path`` (PNG); return the path."""
        from .charts import posterior_chart

        return posterior_chart(self, path)

    def to_dict(self) -> dict[str, Any]:
        return {
            POSTERIOR_MARKER: 1,
            "scenario": self.scenario_id,
            "scenario_hash": self.scenario_hash,
            "as_of": self.as_of,
            "cells_used": self.cells,
            "settings": self.settings,
            "parameters": self.parameters,
            "generations": self.generations,
            "generation": self.generation,
            "particles": {"weights": self.weights.tolist(), "values": self.values.tolist()},
        }

    def rows(self, n: int, seed: int, stream: int = 0) -> np.ndarray:
        """Rows of ``n`` particles resampled by weight (systematic, from stream ``stream`` of ``seed``), in particle order."""
        uniform = float(np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, stream, 2)))).random())
        cumulative = np.cumsum(self.weights / self.weights.sum())
        cumulative[-1] = 1.0
        return np.minimum(np.searchsorted(cumulative, (uniform + np.arange(n)) / n, side="right"), len(self.weights) - 1)

    def draws(self, n: int, seed: int) -> list[dict[str, float]]:
        """``n`` parameter vectors resampled from the weighted particles (systematic, seeded)."""
        return [dict(zip(self.paths, map(float, self.values[row]))) for row in self.rows(n, seed)]

    def run_values(self, scenario: Scenario, n_runs: int, seed: int, draws: int | None = None, blocks: int = 1) -> dict[str, np.ndarray]:
        """Per-run parameter values for ``n_runs`` runs (``simulate(parameters=...)``), drawn from the posterior.

        The runs are ``blocks`` equal, independent groups (e.g. independent particle filters), each drawn from its
        own stream. Within a group every run gets its own draw, or, with ``draws``, the group's runs share ``draws``
        vectors in equal contiguous blocks.
        """
        if scenario.id != self.scenario_id:
            raise ValueError(f"the posterior was calibrated for scenario {self.scenario_id!r}, not {scenario.id!r}")
        if blocks < 1 or n_runs % blocks:
            raise ValueError(f"{n_runs} runs cannot be split into {blocks} equal groups")
        size = n_runs // blocks
        chosen = []
        for block in range(blocks):
            count = min(draws or size, size)
            rows = self.rows(count, seed, block)
            chosen.append(np.repeat(rows, np.diff(np.linspace(0, size, count + 1).round().astype(int))))
        rows = np.concatenate(chosen)
        return {path: self.values[rows, k].copy() for k, path in enumerate(self.paths)}


def load_posterior(path: str | Path) -> Posterior:
    """Read a posterior written by :func:`calibrate`; raise ``ValueError`` naming the file if it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"posterior file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"posterior file {path} is not readable JSON: {error}") from None
    if not isinstance(data, dict) or data.get(POSTERIOR_MARKER) != 1:
        raise ValueError(f"{path} is not a posterior written by 'coyuntura calibrate'")
    particles = data["particles"]
    return Posterior(
        scenario_id=data["scenario"],
        as_of=data["as_of"],
        parameters=data["parameters"],
        weights=np.asarray(particles["weights"], dtype=float),
        values=np.asarray(particles["values"], dtype=float).reshape(len(particles["weights"]), len(data["parameters"])),
        generations=data["generations"],
        settings=data["settings"],
        cells=data["cells_used"],
        path=path,
        scenario_hash=data.get("scenario_hash"),
        generation=data.get("generation"),
    )


def bundled_posterior(scenario: Scenario) -> Posterior | None:
    """The posterior shipped beside a bundled scenario (``scenarios/<id>.posterior.json``), if there is one and it was
    calibrated for exactly this scenario's content (an edited copy of the scenario does not inherit it)."""
    from importlib import resources

    from ..store.runstore import scenario_hash

    path = Path(str(resources.files("coyuntura") / "scenarios" / f"{scenario.id}.posterior.json"))
    if not path.is_file():
        return None
    posterior = load_posterior(path)
    return posterior if posterior.scenario_hash == scenario_hash(scenario) else None


def write_posterior(path: Path, posterior: Posterior) -> Path:
    """Write a posterior as JSON: readable settings and summaries, the particles compact (one line each for weights and values)."""
    data = posterior.to_dict()
    particles = data.pop("particles")
    head = json.dumps(data, indent=2, ensure_ascii=False)
    compact = json.dumps(particles, separators=(",", ":"))
    return write_text(path, head[:-2] + f',\n  "particles": {compact}\n}}\n')


def write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically (a reader sees the old file or the new one)."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


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
    model = TimelineModel(
        scenario, tuple(p.path for p in free), cells, settings.runs_per_particle, vantage - 1, tuple((p.prior.low, p.prior.high) for p in free)
    )
    prior = pyabc.Distribution(**{p.path: unbounded_prior(p.prior) for p in free})

    def smc() -> Any:
        return pyabc.ABCSMC(
            model, prior, abc_distance(settings.distance, settings.runs_per_particle), population_size=settings.population,
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
        if history.max_t >= 0:
            abc = smc()
            history = abc.load(url, 1)
        history = abc.run(max_nr_populations=1)
    posterior = _posterior(history, scenario, free, settings, len(cells), _last_healthy(history, settings.min_ess))
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


def _posterior(
    history: Any, scenario: Scenario, free: Sequence[FreeParameter], settings: CalibrationSettings, n_cells: int, generation: int | None = None
) -> Posterior:
    """The weighted particles of ``generation`` (default: the last) as a :class:`Posterior`, with every generation's diagnostics."""
    from pyabc.weighted_statistics import effective_sample_size, weighted_quantile

    generation = history.max_t if generation is None else generation

    populations = history.get_all_populations()
    generations = []
    for row in populations.itertuples():
        if row.t < 0:
            continue
        _, w = history.get_distribution(m=0, t=int(row.t))
        generations.append(
            {
                "t": int(row.t),
                "epsilon": float(row.epsilon),
                "evaluations": int(row.samples),
                "accepted": int(row.particles),
                "acceptance_rate": float(row.particles) / float(row.samples) if row.samples else float("nan"),
                "ess": float(effective_sample_size(np.asarray(w, dtype=float))),
            }
        )
    frame, weights = history.get_distribution(m=0, t=generation)
    weights = np.asarray(weights, dtype=float)
    values = np.column_stack([to_range(frame[p.path].to_numpy(dtype=float), p.prior.low, p.prior.high) for p in free])
    parameters = []
    for k, p in enumerate(free):
        column = values[:, k]
        mean = float(np.sum(weights * column))
        parameters.append(
            {
                "path": p.path,
                "scenario_value": p.value,
                "prior": {"dist": p.prior.dist, "low": p.prior.low, "high": p.prior.high},
                "posterior": {
                    "mean": mean,
                    "sd": float(np.sqrt(np.sum(weights * (column - mean) ** 2))),
                    "q05": float(weighted_quantile(column, weights, alpha=0.05)),
                    "q50": float(weighted_quantile(column, weights, alpha=0.5)),
                    "q95": float(weighted_quantile(column, weights, alpha=0.95)),
                },
            }
        )
    from ..store.runstore import scenario_hash

    return Posterior(
        scenario.id, settings.as_of, parameters, weights, values, generations, asdict(settings), n_cells, scenario_hash=scenario_hash(scenario),
        generation=generation,
    )


def generations_table(posterior: Posterior) -> Table:
    """Diagnostics per generation: epsilon, evaluations, acceptance rate, effective sample size."""
    columns = (
        Column("t", "Generation", "key"),
        Column("generation", "Generation", "label"),
        Column("epsilon", "Epsilon", "label"),
        Column("evaluations", "Evaluations", "label"),
        Column("accepted", "Accepted", "label"),
        Column("acceptance_rate", "Acceptance rate", "label"),
        Column("ess", "ESS", "label"),
    )
    rows = tuple(
        (g["t"], g["t"], round(g["epsilon"], 4), g["evaluations"], g["accepted"], round(g["acceptance_rate"], 3), round(g["ess"], 1))
        for g in posterior.generations
    )
    used = posterior.generation if posterior.generation is not None else posterior.generations[-1]["t"]
    return Table(
        title=f"ABC-SMC generations ({posterior.scenario_id}, record before {posterior.as_of}, {posterior.cells} cells)",
        columns=columns,
        rows=rows,
        notes=(
            f"Epsilon: acceptance threshold on the {_distance_label(posterior)} to the observed cells; ESS: effective sample size of the weights.",
            f"The posterior is generation {used}." + (
                f" Later generations fell below --min-ess {posterior.settings.get('min_ess', 0):g}." if used < posterior.generations[-1]["t"] else ""
            ),
        ),
    )


def _distance_label(posterior: Posterior) -> str:
    return "log loss" if posterior.settings.get("distance") == "log" else "Brier distance"


def parameters_table(posterior: Posterior) -> Table:
    """Prior range against the posterior (mean, sd, 90% interval) for every free parameter."""
    columns = (
        Column("path", "Parameter", "key"),
        Column("parameter", "Parameter", "label"),
        Column("prior", "Prior", "label"),
        Column("scenario_value", "File value", "label"),
        Column("mean", "Posterior mean", "label"),
        Column("sd", "SD", "label"),
        Column("q05", "5%", "label"),
        Column("q95", "95%", "label"),
        Column("narrowing", "90% interval / prior range", "label"),
    )
    rows = []
    for p in posterior.parameters:
        prior, post = p["prior"], p["posterior"]
        width = prior["high"] - prior["low"]
        rows.append(
            (
                p["path"], p["path"].removeprefix("mechanisms."), f"{prior['dist']} [{prior['low']:g}, {prior['high']:g}]",
                round(p["scenario_value"], 4), round(post["mean"], 4), round(post["sd"], 4), round(post["q05"], 4), round(post["q95"], 4),
                round((post["q95"] - post["q05"]) / width, 3) if width > 0 else None,
            )
        )
    return Table(
        title=f"Prior against posterior ({len(posterior.weights)} particles)",
        columns=columns,
        rows=tuple(rows),
        notes=("A ratio near 0.9 means the record barely informs the parameter (a uniform prior's 90% interval is 0.9 of its range).",),
    )
