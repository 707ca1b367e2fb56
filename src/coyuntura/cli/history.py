"""The observed record: scores, calibration, forecasts and backtests."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

import typer
from rich.text import Text

from ..defaults import (
    DEFAULT_BATCH_PARTICLES,
    DEFAULT_CHECK_RUNS,
    DEFAULT_EPSILON_QUANTILE,
    DEFAULT_FILTERED_RUNS,
    DEFAULT_FORECAST_REPLICATIONS,
    DEFAULT_HORIZON,
    DEFAULT_ORIGINS,
    DEFAULT_REPLICATES,
    DISTANCES,
)
from ..extras import require
from ..limits import MAX_POINTS
from ..scenario.calendar import format_month, parse_month
from .common import (
    SCENARIO_ARGUMENT,
    SCHEDULER_OPTION,
    _bad_input,
    _bad_option,
    _check_out,
    _cluster,
    _load,
    _patterns,
    _plain_rich_table,
    _print_json,
    _print_notes,
    _progress_bar,
    _rich_progress,
    _rich_table,
    _stderr,
    _stdout,
    _usage,
    _within_limits,
    app,
)

if TYPE_CHECKING:
    from ..history.calibration import Posterior
    from ..scenario.schema import Scenario

# --- observed timeline: score, calibrate, forecast, backtest -----------------------------------------

MIN_ESS_OPTION = typer.Option(
    0.0, "--min-ess",
    help="Stop when a generation's effective sample size falls below this, and keep the generation before (0: run every generation).",
)
DISTANCE_OPTION = typer.Option(
    "brier", "--distance",
    help=f"ABC distance to the record ({', '.join(DISTANCES)}): the Brier score of the particle's shares, their log loss (sees rare events; use more --runs-per-particle), or minus the particle filter's log likelihood of the record (judges the model one step ahead).",
)


def _require_calibration() -> None:
    """Before any work: a calibration needs pyabc and scipy (the 'calibrate' extra) and draws charts."""
    require("calibrate", "pyabc")
    require("calibrate", "scipy")
    require("charts", "matplotlib")


def _month(text: str, option: str, as_json: bool) -> int:
    with _bad_option(as_json, option):
        return parse_month(text)


def _parameter_draws(
    scenario: Scenario, posterior_file: Optional[Path], draws: Optional[int], seed: int, runs: int, as_json: bool, blocks: int = 1,
    shipped: Optional[Posterior] = None, why_not: str = "",
) -> tuple[Optional[dict[str, Any]], str]:
    """The scenario's values (``None``), or per-run values drawn from a posterior (a file, else ``shipped``), and how to say which.

    Every run gets its own draw, or with ``--draws K`` each of ``blocks`` groups of runs shares K vectors."""
    if posterior_file is None and shipped is None:
        if draws is not None:
            _usage(f"--draws picks parameter vectors from a posterior, but these runs use the scenario's values{why_not}: give --posterior", as_json)
        return None, "the scenario's values"
    from ..history.calibration import load_posterior
    from ..history.posterior import check_draws, draws_label

    runs -= runs % blocks
    with _bad_option(as_json):
        check_draws(draws, runs, blocks)
    with _bad_input(as_json, "--posterior"):
        posterior = load_posterior(posterior_file) if posterior_file is not None else shipped
        assert posterior is not None
        values = posterior.run_values(scenario, runs, seed, draws, blocks)
    how = draws_label(draws)
    where = f"the posterior {posterior_file}" if posterior_file is not None else "the posterior shipped with the scenario"
    return values, f"{how} from {where}, calibrated on the record before {posterior.as_of}"


def _enough_runs(runs: int, replications: int, each: str, as_json: bool) -> None:
    """Refuse, before any work, fewer runs than replicates (independent filters or blocks of runs)."""
    from ..history.particles import check_runs_cover

    with _bad_option(as_json):
        check_runs_cover(runs, replications, each)


def _histories_simulator(executor: Any) -> Any:
    from ..history.particles import simulator_for

    return simulator_for(executor)


@contextmanager
def _generation_bar(as_json: bool) -> Iterator[Any]:
    """A progress bar of accepted particles, one generation at a time; yields ``update(t, accepted, population)``."""
    with _rich_progress("{task.description}", "accepted", as_json) as progress:
        task = progress.add_task("calibrating", total=1)

        def update(t: int, accepted: int, population: int) -> None:
            name = "prior sample" if t < 0 else f"generation {t}"
            progress.update(task, description=name, completed=accepted, total=max(population, 1))

        yield update


def _write_posterior_outputs(posterior: Posterior, folder: Path) -> list[str]:
    from ..experiments.files import write_table
    from ..history.calibration import generations_table, parameters_table
    from ..history.charts import epsilon_chart, posterior_chart

    return [
        str(posterior_chart(posterior, folder / "posterior.png")),
        str(epsilon_chart(posterior, folder / "epsilon.png")),
        *write_table(folder, "generations", generations_table(posterior)),
        *write_table(folder, "parameters", parameters_table(posterior)),
    ]


def _announce_uneven_runs(runs: int, replications: int) -> None:
    """Say, on standard error (so that --json output stays one JSON document), when the runs asked for do not divide
    evenly among the independent filters and some are left out."""
    from ..history.particles import uneven_runs_notice

    notice = uneven_runs_notice(runs, replications)
    if notice is not None:
        _stderr().print(Text(notice, style="yellow"), soft_wrap=True)


@app.command("score")
def score_command(
    scenario: str = SCENARIO_ARGUMENT,
    filtered: bool = typer.Option(
        False, "--filtered", help="One step ahead: forecast each 6-month period's cells from one particle filter's cloud at its start, and score each period's record jointly given the record before it."
    ),
    posterior: Optional[Path] = typer.Option(None, "--posterior", help="Score parameters drawn from this posterior (from `coyuntura calibrate`)."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Parameter vectors drawn from the posterior (default: one per run)."),
    runs: Optional[int] = typer.Option(
        None, "--runs", "-n", help=f"Simulated histories (default: 4,000; with --filtered {DEFAULT_FILTERED_RUNS:,} in all, split among the filters)."
    ),
    replications: int = typer.Option(
        DEFAULT_REPLICATES, "--replications", "-k",
        help="Independent replicates for the Monte Carlo error (jackknife): filters with --filtered, else blocks of runs.",
    ),
    baselines: str = typer.Option(
        "in-sample", "--baselines", help="With --filtered: baselines fitted on the whole record (in-sample) or on the cells before each period (past)."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams (and of the posterior draws)."),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Folder for the tables and the reliability diagram (default: reports/<scenario>/score, or score-filtered)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (default: this process)."),
) -> None:
    """Score the model and two baselines (constant hazard, persistence) on every cell of the observed timeline: in-sample,
    or one step ahead with --filtered."""
    require("charts", "matplotlib")  # before any work: the reliability diagram
    from ..experiments.files import write_table
    from ..history.charts import reliability_chart
    from ..history.filtered import BASELINE_TRAINING, filtered_score
    from ..history.observations import record_end, require_observations
    from ..history.scores import score_scenario

    runs_option = "--runs" if runs is not None else "--runs (not given: its default)"  # the cap holds for the default too
    runs = runs if runs is not None else (DEFAULT_FILTERED_RUNS if filtered else 4_000)
    _within_limits(as_json, seed, (runs_option, runs, 1, None), ("--draws", draws, 1, MAX_POINTS), ("--replications", replications, 2, MAX_POINTS))
    loaded, _ = _load(scenario, as_json)
    folder = _check_out(out, as_json, Path("reports") / loaded.id / ("score-filtered" if filtered else "score"))
    if baselines not in BASELINE_TRAINING:
        _usage(f"--baselines must be one of {', '.join(BASELINE_TRAINING)}, got {baselines!r}", as_json)
    if baselines != "in-sample" and not filtered:
        _usage("--baselines past needs --filtered (the in-sample score fits the baselines on the whole record)", as_json)
    if replications < 2:
        _usage(f"--replications must be at least 2 (the Monte Carlo error comes from their spread), got {replications}", as_json)
    _enough_runs(runs, replications, "filter" if filtered else "block", as_json)
    if filtered:
        _announce_uneven_runs(runs, replications)
    per_run, parameters = _parameter_draws(loaded, posterior, draws, seed, runs, as_json, replications if filtered else 1)
    with _bad_input(as_json):
        require_observations(loaded)
        months = record_end(loaded) - loaded.calendar.start + 1
    with _cluster(scheduler, workers, default_local=False, as_json=as_json) as executor:
        with _bad_input(as_json), _progress_bar("filtering" if filtered else "scoring", "months", months, as_json) as update:
            simulator = _histories_simulator(executor)
            if filtered:
                result: Any = filtered_score(
                    loaded, runs, seed, per_run, parameters, simulator=simulator, replications=replications,
                    baselines=baselines, progress=update,  # type: ignore[arg-type]
                )
            else:
                result = score_scenario(loaded, runs, seed, per_run, parameters, simulator=simulator, progress=update, replicates=replications)
    with _bad_input(as_json, "--out"):
        what = "one step ahead (filtered)" if filtered else "in-sample"
        chart = reliability_chart(result.forecasts, folder / "reliability.png", f"{loaded.id}: {what} reliability")
        files = [str(chart)]
        if filtered:
            files.append(str(result.plot(folder / "running_scores.png")))
        one_step_ahead = ("by_period", "joint")  # the tables only a filtered score has
        for stem in ("cells", "totals", "kinds", *(one_step_ahead if filtered else ())):
            files += write_table(folder, stem, getattr(result, stem))
        if not filtered:  # a one-step-ahead score written here before: its own files would now sit beside another score's
            for name in ("running_scores.png", *(f"{stem}.{ext}" for stem in one_step_ahead for ext in ("csv", "md", "json"))):
                (folder / name).unlink(missing_ok=True)
    if as_json:
        _print_json({**result.to_dict(), "files": files})
        return
    console = _stdout()
    for table in (result.cells, result.totals, result.kinds, *((result.by_period, result.joint) if filtered else ())):
        console.print(_plain_rich_table(table))
        _print_notes(console, table)
    console.print(Text.assemble("Charts and tables in ", (str(folder), "bold green")), soft_wrap=True)


@app.command("calibrate")
def calibrate_command(
    scenario: str = SCENARIO_ARGUMENT,
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Calibrate on the observations that end before this month, YYYY-MM (default: all of them)."),
    population: int = typer.Option(2000, "--population", help="ABC-SMC population size (accepted particles per generation)."),
    generations: int = typer.Option(8, "--generations", help="ABC-SMC generations in all (with --resume: the total to reach)."),
    runs_per_particle: int = typer.Option(2, "--runs-per-particle", help="Histories simulated for each particle."),
    distance: str = DISTANCE_OPTION,
    min_ess: float = MIN_ESS_OPTION,
    batch_particles: int = typer.Option(
        DEFAULT_BATCH_PARTICLES, "--batch-particles", help="Particles simulated together in one vectorized call (one task)."
    ),
    epsilon_quantile: float = typer.Option(
        DEFAULT_EPSILON_QUANTILE, "--epsilon-quantile", help="Each generation's epsilon: this quantile of the last generation's distances."
    ),
    check_runs: int = typer.Option(
        DEFAULT_CHECK_RUNS, "--check-runs", help="Runs for the prior and posterior predictive checks of every calibration cell (0: skip them)."
    ),
    params: Optional[list[str]] = typer.Option(None, "--parameters", help="Only free parameters whose path matches these glob patterns (repeatable or comma-separated)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed: the posterior depends on it only, not on the number of workers."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the pyabc history, posterior.json and charts (default: reports/<scenario>/calibration)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted calibration in --out from its last finished generation."),
    as_json: bool = typer.Option(False, "--json", help="Print the posterior summary as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (0: this process; default: one per core)."),
) -> None:
    """ABC-SMC (pyabc) of the free parameters (numbers with a prior) on the observed timeline; writes the posterior and its diagnostics."""
    _require_calibration()
    from ..engine.tables import to_dict
    from ..experiments.files import write_table
    from ..history.calibration import (
        DATABASE,
        CalibrationSettings,
        calibrate,
        default_as_of,
        free_parameters,
        generations_table,
        parameters_table,
    )
    from ..history.checks import checks_chart, posterior_checks

    _within_limits(
        as_json, seed, ("--population", population, 2, MAX_POINTS), ("--generations", generations, 1, None), ("--runs-per-particle", runs_per_particle, 1, None),
        ("--batch-particles", batch_particles, 1, MAX_POINTS),
        total=(population * runs_per_particle * generations, f"--population x --runs-per-particle x --generations ({population:,} x {runs_per_particle:,} x {generations:,})"),
    )
    _within_limits(as_json, seed, ("--check-runs", check_runs if check_runs > 0 else None, 1, None))
    loaded, _ = _load(scenario, as_json)
    folder = _check_out(out, as_json, Path("reports") / loaded.id / "calibration")
    with _bad_option(as_json):
        settings = CalibrationSettings(
            as_of or default_as_of(loaded), population, generations, runs_per_particle, seed, tuple(_patterns(params, "--parameters", as_json) or ()),
            batch_particles=batch_particles, epsilon_quantile=epsilon_quantile, distance=distance, min_ess=min_ess,
        )
        settings.check()
        free_parameters(loaded, settings.parameters)
    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as executor:
        with _bad_input(as_json), _generation_bar(as_json) as update:
            try:
                posterior = calibrate(loaded, settings, folder, executor=executor, resume=resume, progress=update)
            except KeyboardInterrupt:
                _stderr().print(
                    Text(f"interrupted: finished generations are kept in {folder / DATABASE}; run the same command with --resume to continue", style="bold yellow"),
                    soft_wrap=True,
                )
                raise typer.Exit(130) from None
    checks = None
    if check_runs > 0:
        with _bad_input(as_json), _progress_bar("predictive checks", "steps", 1, as_json) as update:
            checks = posterior_checks(loaded, posterior, check_runs, seed)
            update(1)
    with _bad_input(as_json, "--out"):
        files = [str(posterior.path), *_write_posterior_outputs(posterior, folder)]
        if checks is not None:
            files += write_table(folder, "checks", checks.table)
            files.append(str(checks_chart(checks, folder / "checks.png", f"{loaded.id}: predictive checks before {posterior.as_of}")))
    generations_rows, parameter_rows = generations_table(posterior), parameters_table(posterior)
    if as_json:
        _print_json({"scenario": loaded.id, "as_of": posterior.as_of, "posterior": str(posterior.path), "files": files,
                     "generations": to_dict(generations_rows), "parameters": to_dict(parameter_rows)})
        return
    console = _stdout()
    console.print(_plain_rich_table(generations_rows))
    _print_notes(console, generations_rows)
    console.print(_plain_rich_table(parameter_rows))
    _print_notes(console, parameter_rows)
    if checks is not None:
        console.print(
            f"Predictive checks ({len(checks.cells)} cells, {checks.runs:,} runs each): mean log score of the record "
            f"{checks.mean_log_score('prior'):.3f} with prior draws, {checks.mean_log_score('posterior'):.3f} with posterior draws "
            "(checks.csv, checks.png)", markup=False, soft_wrap=True,
        )
    console.print(Text.assemble("Posterior written to ", (str(posterior.path), "bold green"), " (charts and tables beside it)"), soft_wrap=True)


@app.command("forecast")
def forecast_command(
    scenario: str = SCENARIO_ARGUMENT,
    as_of: str = typer.Option(..., "--as-of", help="Vantage month YYYY-MM: condition on the observations ending before it, forecast from it."),
    horizon: int = typer.Option(..., "--horizon", help="Months forecast, the vantage month included."),
    posterior: Optional[Path] = typer.Option(
        None, "--posterior",
        help="Draw parameters from this posterior (from `coyuntura calibrate`). Default: the posterior shipped with a bundled scenario, "
        "when it was calibrated on the record before --as-of.",
    ),
    scenario_values: bool = typer.Option(False, "--scenario-values", help="Use the scenario file's own parameter values, not a posterior."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Parameter vectors drawn from the posterior (default: one per run)."),
    runs: int = typer.Option(10_000, "--runs", "-n", help="Simulated histories (particles), split among the independent filters."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the forecast's report here: tables (CSV, Markdown, JSON) and a chart."),
    replications: int = typer.Option(
        DEFAULT_FORECAST_REPLICATIONS, "--replications", "-k",
        help="Independent particle filters; the Monte Carlo errors come from their spread (1: from the effective sample size).",
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the random streams (and of the posterior draws)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (default: this process)."),
) -> None:
    """Forecast each outcome over the horizon from any month, conditioned on the observed timeline before it."""
    if out is not None:
        require("charts", "matplotlib")  # before any work: the report's chart
    from ..history.forecast import check_window, forecast, write_forecast_report
    from ..history.posterior import shipped_posterior

    _within_limits(as_json, seed, ("--runs", runs, 1, None), ("--draws", draws, 1, MAX_POINTS), ("--replications", replications, 1, MAX_POINTS))
    out = _check_out(out, as_json) if out is not None else None
    loaded, _ = _load(scenario, as_json)
    vantage = _month(as_of, "--as-of", as_json)
    _enough_runs(runs, replications, "filter", as_json)
    with _bad_option(as_json):
        until = check_window(loaded, vantage, horizon)
    if scenario_values and posterior is not None:
        _usage("give either --posterior or --scenario-values, not both", as_json)
    _announce_uneven_runs(runs, replications)
    shipped, why_not = None, ""
    if posterior is None and not scenario_values:
        with _bad_input(as_json):
            shipped, mismatch = shipped_posterior(loaded)
        if mismatch:
            _stderr().print(Text(f"note: {mismatch}; using the scenario's own values", style="yellow"), soft_wrap=True)
        if shipped is not None and parse_month(shipped.as_of) > vantage:
            why_not = f" (its shipped posterior was calibrated on the record before {shipped.as_of}, after --as-of {format_month(vantage)})"
            shipped = None
    per_run, parameters = _parameter_draws(loaded, posterior, draws, seed, runs, as_json, replications, shipped, why_not)
    parameters += why_not
    with _cluster(scheduler, workers, default_local=False, as_json=as_json) as executor:
        with _bad_input(as_json), _progress_bar("filtering", "months", until - loaded.calendar.start + 1, as_json) as update:
            result = forecast(
                loaded, vantage, horizon, runs, seed, per_run, parameters, simulator=_histories_simulator(executor), progress=update,
                replications=replications,
            )
    if out is not None:
        with _bad_input(as_json, "--out"):
            write_forecast_report(result, out)
    if as_json:
        _print_json(result.to_dict())
        return
    console = _stdout()
    console.print(Text(f"{loaded.title}", style="bold"))
    console.print(f"Parameters: {parameters}", markup=False, soft_wrap=True)
    console.print(f"Conditioning: {result.conditioning}", markup=False, soft_wrap=True)
    console.print(_rich_table(result.table))
    console.print(Text(f"± is the Monte Carlo standard error in percentage points: {result.histories.se_method}.", style="dim"))
    if out is not None:
        console.print(Text.assemble("Report written to ", (str(out), "bold green")), soft_wrap=True)


@app.command("backtest")
def backtest_command(
    scenario: str = SCENARIO_ARGUMENT,
    origins: Optional[list[str]] = typer.Option(None, "--origins", help="Vantage months YYYY-MM (repeatable or comma-separated; default: 1963-06,1969-06,1970-09)."),
    horizon: int = typer.Option(DEFAULT_HORIZON, "--horizon", help="Months scored after each origin (cut at the end of the record)."),
    runs: int = typer.Option(4_000, "--runs", "-n", help="Simulated histories per forecast, split among the independent filters."),
    replications: int = typer.Option(
        DEFAULT_FORECAST_REPLICATIONS, "--replications", "-k", help="Independent particle filters per forecast; the totals' Monte Carlo errors come from their spread.",
    ),
    draws: Optional[int] = typer.Option(None, "--draws", help="Parameter vectors drawn from each origin's posterior (default: one per run)."),
    population: int = typer.Option(2000, "--population", help="ABC-SMC population size at each origin."),
    generations: int = typer.Option(8, "--generations", help="ABC-SMC generations at each origin."),
    runs_per_particle: int = typer.Option(2, "--runs-per-particle", help="Histories simulated for each ABC particle."),
    distance: str = DISTANCE_OPTION,
    min_ess: float = MIN_ESS_OPTION,
    params: Optional[list[str]] = typer.Option(None, "--parameters", help="Only free parameters whose path matches these glob patterns."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the calibrations and the forecasts."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the calibrations, tables and the reliability diagram (default: reports/<scenario>/backtest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tables as JSON only."),
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, on Dask if installed (0: this process; default: one per core)."),
) -> None:
    """Rolling-origin backtest: at each origin calibrate on the record before it, forecast what followed, score against the baselines."""
    _require_calibration()
    from ..experiments.files import write_table
    from ..history.backtest import backtest, origin_months
    from ..history.calibration import CalibrationSettings, free_parameters, generations_table
    from ..history.observations import require_observations
    from ..history.particles import runs_used
    from ..history.posterior import check_draws

    _within_limits(
        as_json, seed, ("--runs", runs, 1, None), ("--draws", draws, 1, MAX_POINTS), ("--replications", replications, 2, MAX_POINTS), ("--population", population, 2, MAX_POINTS),
        ("--generations", generations, 1, None), ("--runs-per-particle", runs_per_particle, 1, None),
        total=(population * runs_per_particle * generations, f"--population x --runs-per-particle x --generations ({population:,} x {runs_per_particle:,} x {generations:,})"),
    )
    loaded, _ = _load(scenario, as_json)
    folder = _check_out(out, as_json, Path("reports") / loaded.id / "backtest")
    chosen = _patterns(origins, "--origins", as_json) or list(DEFAULT_ORIGINS)
    with _bad_input(as_json):
        require_observations(loaded)
    with _bad_option(as_json, "--origins"):
        origin_months(loaded, chosen)
    with _bad_option(as_json):
        settings = CalibrationSettings(chosen[0], population, generations, runs_per_particle, seed, tuple(_patterns(params, "--parameters", as_json) or ()), distance=distance, min_ess=min_ess)
        settings.check()
        free_parameters(loaded, settings.parameters)
    console = _stderr()
    _enough_runs(runs, replications, "filter", as_json)
    _announce_uneven_runs(runs, replications)
    with _bad_option(as_json):
        check_draws(draws, runs_used(runs, replications), replications)

    def stage(origin: str, what: str) -> None:
        if not as_json:
            console.print(Text(f"{origin}: {what}", style="dim"))

    with _cluster(scheduler, workers, default_local=True, as_json=as_json) as executor:
        with _bad_input(as_json), _generation_bar(as_json) as update:
            try:
                result = backtest(
                    loaded, chosen, horizon, runs, draws, settings, folder, executor=executor, simulator=_histories_simulator(executor),
                    replications=replications, on_origin=stage, calibration_progress=update,
                )
            except KeyboardInterrupt:
                _stderr().print(Text(f"interrupted: finished calibrations are kept in {folder}; run the same command again to resume", style="bold yellow"), soft_wrap=True)
                raise typer.Exit(130) from None
    with _bad_input(as_json, "--out"):
        files = [str(result.plot(folder / "reliability.png"))]
        files += write_table(folder, "summary", result.summary) + write_table(folder, "cells", result.cells) + write_table(folder, "joint", result.joint)
        for origin_result in result.origins:
            files += _write_posterior_outputs(origin_result.posterior, folder / format_month(origin_result.origin))
    verdict = "the calibrated model has the best total log score" if result.model_beats_baselines() else "the calibrated model does NOT beat both baselines in total log score"
    if as_json:
        _print_json({**result.to_dict(), "verdict": verdict, "files": files})
        return
    generation_tables = {format_month(item.origin): generations_table(item.posterior) for item in result.origins}
    console = _stdout()
    for table in generation_tables.values():
        console.print(_plain_rich_table(table))
    for table in (result.summary, result.joint):
        console.print(_plain_rich_table(table))
        _print_notes(console, table)
    console.print(Text(f"Verdict: {verdict}.", style="bold"))
    console.print(Text.assemble("Per-cell table, reliability diagram and calibrations in ", (str(folder), "bold green")), soft_wrap=True)
