"""Every named experiment of the bundled scenario: the paired effect on the outcomes that matter, with 95% intervals.

Usage: python benchmarks/whatif_experiments.py [--runs 20000] [--seed 0] [--outcomes coup_success ...]

Runs each counterfactual the source poses (``coyuntura whatif --list``) against the unchanged
scenario on common random numbers and prints one Markdown table: for each experiment and
outcome, the baseline and intervention probabilities and the paired difference with its 95%
interval. Not part of the tests: it takes a minute or two.
"""

from __future__ import annotations

import argparse
import sys
import time

from coyuntura.experiments.whatif import experiment_intervention, run_whatif
from coyuntura.scenario.calendar import format_month
from coyuntura.scenario.loader import load_scenario

DEFAULT_OUTCOMES = ("coup_success", "coup_defeated_by_mobilization", "plotters_purged", "popular_assembly",
                    "workers_government", "end_right_military", "end_workers_government")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--outcomes", nargs="*", default=list(DEFAULT_OUTCOMES))
    args = parser.parse_args()
    scenario = load_scenario("bolivia-1952")
    print(f"### Named experiments of {scenario.id}: paired effects ({args.runs:,} paired runs each, seed {args.seed})\n")
    print("| Experiment (source) | From..until | Outcome | Baseline | Intervention | Difference | 95% interval |")
    print("|---|---|---|---:|---:|---:|---:|")
    began = time.perf_counter()
    for experiment in scenario.experiments:
        result = run_whatif(scenario, experiment_intervention(scenario, experiment.id), args.runs, seed=args.seed)
        low, high = result.interval()
        span = f"{format_month(result.start)}..{format_month(result.until)}"
        for k, name in enumerate(args.outcomes):
            j = result.outcomes.index(name)
            head = f"{experiment.id} ({experiment.provenance.source})" if k == 0 else ""
            print(
                f"| {head} | {span if k == 0 else ''} | {result.label(name)} | {100 * result.p_baseline[j]:.1f}% | "
                f"{100 * result.p_treated[j]:.1f}% | {100 * result.difference[j]:+.1f} pp | [{100 * low[j]:+.1f}, {100 * high[j]:+.1f}] |"
            )
    print(f"\nOutcomes: at least one occurrence in the span, or the regime at its end. Difference: mean of the paired per-run "
          f"differences (intervention - baseline, common random numbers); interval: mean ± 1.96 SE. {time.perf_counter() - began:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
