"""A calibrated posterior: weighted particles over the free parameters, its files and its tables."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..engine.tables import Column, Table
from ..experiments.files import write_text
from ..scenario.schema import Scenario
from .priors import FreeParameter, to_range

if TYPE_CHECKING:
    from .calibration import CalibrationSettings

POSTERIOR_MARKER = "coyuntura_posterior"
POSTERIOR = "posterior.json"


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
    model_hash: str | None = None  # what it was calibrated for: the scenario's model hash (its content less its documentation)
    scenario_hash: str | None = None  # in a file written before posteriors recorded the model hash: the whole content's hash
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
            "model_hash": self.model_hash,
            **({"scenario_hash": self.scenario_hash} if self.scenario_hash is not None else {}),
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


def check_draws(draws: int | None, runs: int, blocks: int = 1) -> None:
    """Refuse more parameter vectors (``--draws``) than the runs that take them: each run takes one, and ``blocks``
    independent filters (or groups of runs) share the runs equally, each drawing its own."""
    if draws is None:
        return
    if draws < 1:
        raise ValueError(f"--draws must be at least 1, got {draws}")
    per_block = runs // max(blocks, 1)
    if draws > per_block:
        holds = f"each of the {blocks} filters holds" if blocks > 1 else "there are"
        raise ValueError(f"--draws {draws:,} is more than the {per_block:,} runs {holds}: each run takes one parameter vector")


def draws_label(draws: int | None) -> str:
    """How the runs get their parameters from a posterior, in words ("one draw per run", "3 draws")."""
    return "one draw per run" if draws is None else f"{draws:,} draw{'s' if draws != 1 else ''}"


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
        model_hash=data.get("model_hash"),
        scenario_hash=data.get("scenario_hash"),
        generation=data.get("generation"),
    )


def bundled_posterior(scenario: Scenario) -> Posterior | None:
    """The posterior shipped beside a bundled scenario (``scenarios/<id>.posterior.json``), if there is one and it was
    calibrated for exactly this scenario's values, structure and record (a copy with any of them edited does not inherit it;
    one whose citations or descriptions alone were mended does: ``store.fingerprint.model_hash``)."""
    return shipped_posterior(scenario)[0]


def shipped_posterior(scenario: Scenario) -> tuple[Posterior | None, str]:
    """The posterior shipped for the scenario's id and, when there is one that does not serve it, why not."""
    from importlib import resources

    from ..store.fingerprint import model_hash, scenario_hash

    path = Path(str(resources.files("coyuntura") / "scenarios" / f"{scenario.id}.posterior.json"))
    if not path.is_file():
        return None, ""
    posterior = load_posterior(path)
    # A posterior written before posteriors recorded the model hash holds the hash of the whole content instead.
    recorded, expected = (
        (posterior.model_hash, model_hash(scenario)) if posterior.model_hash is not None else (posterior.scenario_hash, scenario_hash(scenario))
    )
    if recorded != expected:
        return None, (
            f"the posterior shipped for {scenario.id} was calibrated for another model (hash {(recorded or 'none')[:16]}, "
            f"not {expected[:16]}): recalibrate it (make posterior) or give --posterior"
        )
    return posterior, ""


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


def posterior_from_history(
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
    from ..store.fingerprint import model_hash

    return Posterior(
        scenario.id, settings.as_of, parameters, weights, values, generations, asdict(settings), n_cells, model_hash=model_hash(scenario),
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
            f"Epsilon: acceptance threshold on the {distance_label(posterior)}"
            + (" (minus the particle filter's log likelihood of the record, per cell)" if posterior.settings.get("distance") == "evidence" else "")
            + " to the observed cells; ESS: effective sample size of the weights.",
            f"The posterior is generation {used}." + (
                f" Later generations fell below --min-ess {posterior.settings.get('min_ess', 0):g}." if used < posterior.generations[-1]["t"] else ""
            ),
        ),
    )


def distance_label(posterior: Posterior) -> str:
    """The name of the ABC distance the posterior was calibrated with, for tables and charts."""
    return {"log": "log loss", "evidence": "filtered log loss"}.get(str(posterior.settings.get("distance")), "Brier distance")


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
