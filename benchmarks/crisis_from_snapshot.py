"""From the state the source describes in September 1970, does the model produce the October crisis? Printed.

Not a test. Usage:  .venv/bin/python benchmarks/crisis_from_snapshot.py [--runs 8000] [--months 7] [--seed 0]

Simulates the bundled scenario from its ``september_1970`` snapshot, once with the file's values and once with
the shipped posterior's draws (one per run), and counts what the record scores for the Torres crisis: runs with
a coup attempt, how the attempts end (success, defeat by the masses, other failure), army splits per attempt,
purges per failed attempt, runs with a general strike. Set beside the filtered score's probabilities for the
same months (``coyuntura score bolivia-1952 --filtered``), it shows whether a miss comes from the mechanisms or
from the state the filtered runs reach by 1970.
"""

from __future__ import annotations

import argparse

import numpy as np

from coyuntura.engine.events import EventType, Outcome
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.history.posterior import shipped_posterior
from coyuntura.scenario.loader import load_scenario

SNAPSHOT = "september_1970"


def crisis_row(events: dict[str, np.ndarray], n_runs: int) -> dict[str, float]:
    """What the crisis months of the record score, from an event log."""
    coup = events["event"] == int(EventType.COUP_ATTEMPT)
    outcomes = events["outcome"][coup]
    attempts = max(int(coup.sum()), 1)
    failed = max(int(np.isin(outcomes, [int(Outcome.FAILURE), int(Outcome.DEFEATED_BY_MOBILIZATION)]).sum()), 1)
    strike = events["event"] == int(EventType.GENERAL_STRIKE)
    return {
        "runs with a coup attempt": len(set(events["run"][coup].tolist())) / n_runs,
        "attempts that succeed": float((outcomes == int(Outcome.SUCCESS)).sum()) / attempts,
        "attempts defeated by the masses": float((outcomes == int(Outcome.DEFEATED_BY_MOBILIZATION)).sum()) / attempts,
        "other failed attempts": float((outcomes == int(Outcome.FAILURE)).sum()) / attempts,
        "army splits per attempt": float((events["event"] == int(EventType.ARMY_SPLIT)).sum()) / attempts,
        "purges per failed attempt": float((events["event"] == int(EventType.PLOTTERS_PURGED)).sum()) / failed,
        "runs with a general strike": len(set(events["run"][strike].tolist())) / n_runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8000)
    parser.add_argument("--months", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scenario = load_scenario("bolivia-1952")
    model = compile_scenario(scenario)
    until = scenario.snapshot(SNAPSHOT).month + args.months - 1
    posterior, why_not = shipped_posterior(scenario)
    columns = {"the file's values": None}
    if posterior is not None:
        columns["posterior"] = posterior.run_values(scenario, args.runs, args.seed)
    else:
        print(f"(no posterior column: {why_not or 'no posterior is shipped for the scenario'})")
    rows: dict[str, dict[str, float]] = {}
    for label, parameters in columns.items():
        ensemble = simulate(model, args.runs, seed=args.seed, start=SNAPSHOT, until=until, keep_events=True, parameters=parameters)
        assert ensemble.events is not None
        rows[label] = crisis_row(ensemble.events, args.runs)
    print(f"From {SNAPSHOT}, {args.months} months, {args.runs:,} runs, seed {args.seed}\n")
    print("| | " + " | ".join(rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for name in next(iter(rows.values())):
        cells = [f"{rows[label][name]:.2f}" if "per" in name else f"{rows[label][name]:.1%}" for label in rows]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
