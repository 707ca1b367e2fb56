"""What holds the Popular Assembly back from the source's March 1971 state? Printed.

Not a test. Usage:  .venv/bin/python benchmarks/assembly_gates.py [--runs 4000] [--seed 0] [--snapshot march_1971]

The Assembly (M11) needs the revolutionary Left agreed (``revolutionary_unity`` at the unity threshold), an opening
(a nationalist military or elected civilian government), the workers' recently shown power, and then its own hazard,
which the president resists (M16). This runs the bundled scenario from a snapshot for 24 months with the shipped
posterior's draws (one per run), and again with two levers moved on every run: the unity the organizers need
(``left_unity.unity_threshold``) and the president's resistance (``military_institution.assembly_resistance``). It
prints the share of runs with the whole Left's front and with an Assembly within 12 and 24 months, and the share
whose revolutionary Left stands at the bar after 12 months: where the organizers agree often and the Assembly still
does not sit, the opening or its hazard holds it back. A diagnosis for the model's builders, not a what-if of the
source.
"""

from __future__ import annotations

import argparse

import numpy as np

from coyuntura.engine.events import EventType
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.history.posterior import shipped_posterior
from coyuntura.scenario.loader import load_scenario

SETTINGS = ((None, None), (0.45, None), (None, 0.0), (0.45, 0.0))
"""(unity threshold, president's resistance) pairs; None keeps the posterior's or the file's value."""


def share_within(events: dict[str, np.ndarray], kind: EventType, last_month: int, n_runs: int) -> float:
    """Share of runs with at least one event of ``kind`` up to ``last_month``."""
    chosen = (events["event"] == int(kind)) & (events["month"] <= last_month)
    return float(np.unique(events["run"][chosen]).size) / n_runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--snapshot", default="march_1971")
    args = parser.parse_args()
    scenario = load_scenario("bolivia-1952")
    model = compile_scenario(scenario)
    start = scenario.snapshot(args.snapshot).month
    posterior, why_not = shipped_posterior(scenario)
    if posterior is None:
        print(f"(the file's values: {why_not or 'no posterior is shipped for the scenario'})")
    unity = scenario.mechanisms.get("left_unity")
    assert unity is not None, "the scenario has no left_unity mechanism"
    print(f"From {args.snapshot}, 24 months, {args.runs:,} runs, seed {args.seed}\n")
    print("| unity threshold | president's resistance | front in 12 / 24 months | organizers at the bar at 12 months | Assembly in 12 / 24 months |")
    print("|---:|---:|---:|---:|---:|")
    draws = posterior.run_values(scenario, args.runs, args.seed) if posterior is not None else {}
    resistance = scenario.mechanisms.get("military_institution")
    assert resistance is not None, "the scenario has no military_institution mechanism"
    for threshold, resisting in SETTINGS:
        values = dict(draws)
        if threshold is not None:
            values["mechanisms.left_unity.unity_threshold"] = np.full(args.runs, threshold)
            values["mechanisms.left_unity.split_threshold"] = np.full(args.runs, min(unity.split_threshold.value, threshold - 0.1))
        if resisting is not None:
            values["mechanisms.military_institution.assembly_resistance"] = np.full(args.runs, resisting)
        shown_threshold = unity.unity_threshold.value if threshold is None else threshold
        ensemble = simulate(
            model, args.runs, seed=args.seed, start=args.snapshot, until=start + 23, keep_events=True, series_every=1, parameters=values or None
        )
        assert ensemble.events is not None and ensemble.series is not None
        agreed = float(np.mean(ensemble.series["revolutionary_unity"][11] >= shown_threshold))  # at the end of the 12th month
        front = [share_within(ensemble.events, EventType.LEFT_UNITY, start + m - 1, args.runs) for m in (12, 24)]
        assembly = [share_within(ensemble.events, EventType.POPULAR_ASSEMBLY, start + m - 1, args.runs) for m in (12, 24)]
        shown_resistance = resistance.assembly_resistance.value if resisting is None else resisting
        print(
            f"| {shown_threshold:g} | {shown_resistance:g} | {front[0]:.1%} / {front[1]:.1%} | {agreed:.1%} | "
            f"{assembly[0]:.1%} / {assembly[1]:.1%} |"
        )


if __name__ == "__main__":
    main()
