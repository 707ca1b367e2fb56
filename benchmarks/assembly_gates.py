"""What holds the Popular Assembly back from the source's March 1971 state? Printed.

Not a test. Usage:  .venv/bin/python benchmarks/assembly_gates.py [--runs 4000] [--seed 0] [--snapshot march_1971]

The Assembly (M11) needs the Left's united front standing, an opening, the workers' recently shown power, and
then its own hazard. This runs the bundled scenario from a snapshot for 24 months with the shipped posterior's
draws (one per run), and again with the front's two levers moved on every run: the co-optation of the PCB and
PRIN that holds the Left's unity back under a nationalist military government (``left_unity.cooptation_coef``),
and the unity the front needs (``left_unity.unity_threshold``). It prints the share of runs with a front and
with an Assembly within 12 and 24 months: where the front forms often and the Assembly still does not, its
hazard holds it back, not the Left's unity. A diagnosis for the model's builders, not a what-if of the source.
"""

from __future__ import annotations

import argparse

import numpy as np

from coyuntura.engine.events import EventType
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.history.posterior import shipped_posterior
from coyuntura.scenario.loader import load_scenario

SETTINGS = ((None, None), (None, 0.45), (0.0, None), (0.0, 0.45))
"""(co-optation drag, unity threshold) pairs; None keeps the posterior's or the file's value."""


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
    print("| co-optation drag | unity threshold | front in 12 / 24 months | Assembly in 12 / 24 months |")
    print("|---:|---:|---:|---:|")
    draws = posterior.run_values(scenario, args.runs, args.seed) if posterior is not None else {}
    for cooptation, threshold in SETTINGS:
        values = dict(draws)
        if cooptation is not None:
            values["mechanisms.left_unity.cooptation_coef"] = np.full(args.runs, cooptation)
        if threshold is not None:
            values["mechanisms.left_unity.unity_threshold"] = np.full(args.runs, threshold)
            values["mechanisms.left_unity.split_threshold"] = np.full(args.runs, min(unity.split_threshold.value, threshold - 0.1))
        ensemble = simulate(model, args.runs, seed=args.seed, start=args.snapshot, until=start + 23, keep_events=True, parameters=values or None)
        assert ensemble.events is not None
        front = [share_within(ensemble.events, EventType.LEFT_UNITY, start + m - 1, args.runs) for m in (12, 24)]
        assembly = [share_within(ensemble.events, EventType.POPULAR_ASSEMBLY, start + m - 1, args.runs) for m in (12, 24)]
        shown_cooptation = unity.cooptation_coef.value if cooptation is None else cooptation
        shown_threshold = unity.unity_threshold.value if threshold is None else threshold
        print(f"| {shown_cooptation:g} | {shown_threshold:g} | {front[0]:.1%} / {front[1]:.1%} | {assembly[0]:.2%} / {assembly[1]:.2%} |")


if __name__ == "__main__":
    main()
