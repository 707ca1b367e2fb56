"""Time the forecast from March 1971 and run the rolling-origin backtest (the issue's done-when measurements).

Not a test. Usage:
    .venv/bin/python benchmarks/history.py [--workers 2] [--population 32] [--generations 2] [--out reports/bench-backtest]

Prints the wall time of ``forecast bolivia-1952 --as-of 1971-03 --horizon 12`` (10,000 runs, in
process) and its table, then the backtest's summary and joint tables (calibrations are kept in ``--out`` and
resume if the script is run again with the same settings).
"""

from __future__ import annotations

import argparse
import time

from coyuntura.engine.tables import to_markdown
from coyuntura.executor import DaskExecutor
from coyuntura.history.backtest import DEFAULT_ORIGINS, backtest
from coyuntura.history.calibration import CalibrationSettings
from coyuntura.history.forecast import forecast
from coyuntura.history.particles import ExecutorSimulator
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--population", type=int, default=32)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--runs-per-particle", type=int, default=16)
    parser.add_argument("--runs", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="reports/bench-backtest")
    args = parser.parse_args()

    scenario = load_scenario("bolivia-1952")
    began = time.perf_counter()
    result = forecast(scenario, parse_month("1971-03"), 12, runs=10_000, seed=0)
    print(f"forecast --as-of 1971-03 --horizon 12 (10,000 runs): {time.perf_counter() - began:.1f} s")
    print(to_markdown(result.table))

    settings = CalibrationSettings(
        as_of=DEFAULT_ORIGINS[0], population=args.population, generations=args.generations,
        runs_per_particle=args.runs_per_particle, seed=args.seed,
    )
    began = time.perf_counter()
    with DaskExecutor.local(workers=args.workers) as executor:
        result = backtest(
            scenario, DEFAULT_ORIGINS, runs=args.runs, settings=settings, out_dir=args.out, executor=executor,
            simulator=ExecutorSimulator(executor), on_origin=lambda origin, stage: print(f"{origin}: {stage}", flush=True),
        )
    print(f"backtest: {time.perf_counter() - began:.0f} s")
    print(to_markdown(result.summary))
    print("calibrated model beats both baselines in total log score:", result.model_beats_baselines())
    print(to_markdown(result.joint))


if __name__ == "__main__":
    main()
