"""Can the model produce the kinds of history its source describes? Its support, printed.

Not a test. Usage:  .venv/bin/python benchmarks/model_support.py [--runs 20000] [--seed 0] [--posterior FILE|bundled]

With ``--posterior`` every run draws its own parameter vector from a calibrated posterior (``bundled``: the one
shipped beside the scenario), as the calibrated forecasts do; without it, the file's values.

Prints, for the bundled scenario simulated from 1952-04 to the horizon:
- for each regime type: runs under it, coups and exits per 1,000 months, the share of runs with a coup
  attempt against it and with its end, general strikes per run-year;
- runs with 3 or more successful coups; the share of failed coups defeated by the masses;
- per-run distributions of successful and failed coups, 1952-04..1971-03 and after;
- the share of runs with a Popular Assembly before 1970-10;
- from the ``march_1971`` snapshot: a successful coup within 6 and 12 months, in all and by plotting camp;
- the Left's united front: the share of runs in which one stands at some month of 1970-10..1971-03 (the record
  says none did), and from ``march_1971`` the share in which one forms within 24 months, in all and given a coup
  attempt or a repression wave in those months or neither.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from coyuntura.engine.events import EventType, Outcome
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.outcomes import new_outcome, runs_with_outcome
from coyuntura.engine.simulate import simulate
from coyuntura.engine.tables import coup_count_table, regime_dynamics_table, to_markdown
from coyuntura.history.calibration import bundled_posterior, load_posterior
from coyuntura.history.observations import Cell
from coyuntura.history.particles import simulate_histories
from coyuntura.scenario.calendar import format_month, parse_month
from coyuntura.scenario.loader import load_scenario


def camp_of(mask: int, model) -> str:
    """The plotting camp of a coup attempt, from the actors logged with it."""
    coup = model.params["coup"]
    if (mask >> coup.right_faction) & 1:
        return "right-wing army faction and its backers"
    if (mask >> coup.swing_faction) & 1:
        return "young nationalist officers"
    if (mask >> coup.regional_elite) & 1:
        return "regional bourgeoisie and middle peasants"
    return "other"


def coups_within(ensemble, model, months: int) -> dict[str, tuple[float, float]]:
    """Probability (and s.e.) of a successful coup within ``months`` of the start, in all and by camp."""
    events = ensemble.events
    n = ensemble.n_runs
    last = ensemble.start + months - 1
    rows = (events["event"] == int(EventType.COUP_ATTEMPT)) & (events["outcome"] == int(Outcome.SUCCESS)) & (events["month"] <= last)
    result = {}
    runs = events["run"][rows] - ensemble.first_run
    camps = np.array([camp_of(int(mask), model) for mask in events["actors"][rows]])
    for name in ["all"] + sorted(set(camps.tolist())):
        chosen = runs if name == "all" else runs[camps == name]
        p = np.unique(chosen).size / n
        result[name] = (p, float(np.sqrt(p * (1 - p) / n)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--posterior", default=None, help="a posterior.json, or 'bundled' (default: the file's values)")
    args = parser.parse_args()
    scenario = load_scenario("bolivia-1952")
    model = compile_scenario(scenario)
    values = None
    if args.posterior is not None:
        posterior = bundled_posterior(scenario) if args.posterior == "bundled" else load_posterior(args.posterior)
        if posterior is None:
            raise SystemExit("no bundled posterior fits this scenario's content")
        values = posterior.run_values(scenario, args.runs, args.seed)
    began = time.perf_counter()
    whole = simulate(model, args.runs, seed=args.seed, until=scenario.calendar.horizon, keep_events=True, parameters=values)
    which = f"posterior {args.posterior}" if values is not None else "the file's values"
    print(f"# Support of the model: {args.runs:,} runs, seed {args.seed}, {format_month(whole.start)}..{format_month(whole.until)}, {which}")
    print(f"(simulated in {time.perf_counter() - began:.1f} s)\n")
    print(to_markdown(regime_dynamics_table(whole)) + "\n")
    print(to_markdown(coup_count_table(whole)) + "\n")

    events = whole.events
    before_october = parse_month("1970-09")
    assembly = (events["event"] == int(EventType.POPULAR_ASSEMBLY)) & (events["month"] <= before_october)
    share = np.unique(events["run"][assembly]).size / whole.n_runs
    print(f"Runs with a Popular Assembly before 1970-10: {share:.2%} (s.e. {np.sqrt(share * (1 - share) / whole.n_runs):.2%})\n")

    snapshot = simulate(model, args.runs, seed=args.seed, start="march_1971", until=parse_month("1972-02"), keep_events=True, parameters=values)
    print(f"From the march_1971 snapshot ({args.runs:,} runs): successful coup within")
    print("| Plotters | within 6 months | within 12 months |")
    print("|---|---:|---:|")
    six, twelve = coups_within(snapshot, model, 6), coups_within(snapshot, model, 12)
    for name in twelve:
        a = six.get(name, (0.0, 0.0))
        b = twelve[name]
        print(f"| {name} | {100 * a[0]:.1f}% ± {100 * a[1]:.1f} | {100 * b[0]:.1f}% ± {100 * b[1]:.1f} |")
    print()
    left_front(scenario, model, args.runs, args.seed, values)


def share_with_se(flags: np.ndarray) -> str:
    share = float(np.mean(flags)) if flags.size else float("nan")
    return f"{share:.1%} ± {np.sqrt(share * (1 - share) / max(flags.size, 1)):.1%} (of {flags.size:,})"


def left_front(scenario, model, runs: int, seed: int, values) -> None:
    """Does a united front of the Left stand in the Torres months, and can one form after March 1971?"""
    crisis = Cell("event", "left_front", parse_month("1970-10"), parse_month("1971-03"), False, ("left_not_united",))
    histories = simulate_histories(scenario, runs, seed, crisis.last, record=[crisis], parameters=values)
    print(f"A united front of the Left stands at some month of {crisis.window} (free runs from 1952): {share_with_se(histories.flags[crisis])}")
    later = simulate(model, runs, seed=seed, start="march_1971", until=parse_month("1973-02"), keep_events=True, parameters=values)
    events = later.events

    def runs_with(kind: EventType) -> np.ndarray:
        return runs_with_outcome(events, new_outcome(kind.name, "", int(kind)), runs)

    formed, attempt, repression = runs_with(EventType.LEFT_UNITY), runs_with(EventType.COUP_ATTEMPT), runs_with(EventType.REPRESSION_WAVE)
    print("From the march_1971 snapshot, a united front forms within 24 months:")
    print(f"- in all runs: {share_with_se(formed)}")
    print(f"- given a coup attempt in those months: {share_with_se(formed[attempt])}")
    print(f"- given a repression wave: {share_with_se(formed[repression])}")
    print(f"- given neither: {share_with_se(formed[~attempt & ~repression])}")


if __name__ == "__main__":
    main()
