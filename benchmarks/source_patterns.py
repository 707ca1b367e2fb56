"""How often the ensemble reproduces the source's account, without scripting it.

Not a test. Usage:  .venv/bin/python benchmarks/source_patterns.py [--runs 20000] [--seed 0]
Simulates the bundled scenario from 1952-04 to 1971-03 and prints, with Monte Carlo
standard errors: a right coup overthrowing the MNR by 1966-12; a repression wave within two
years of it; the share of right coup attempts defeated by mass mobilization after the 1969 shock.
"""

from __future__ import annotations

import argparse

from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.history.patterns import source_patterns
from coyuntura.scenario.loader import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = compile_scenario(load_scenario("bolivia-1952"))
    ensemble = simulate(model, args.runs, seed=args.seed, keep_events=True, series_every=1)
    print(f"{'pattern':<100} {'probability':>11}  {'MC s.e.':>7}  {'of runs/attempts':>16}")
    for result in source_patterns(ensemble):
        print(f"{result.description:<100} {result.probability:>11.3f}  {result.standard_error:>7.3f}  {result.runs:>16,}")


if __name__ == "__main__":
    main()
