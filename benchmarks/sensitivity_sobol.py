"""Benchmark: a Sobol analysis over every free parameter of the bundled scenario, on a local Dask cluster.

Usage: python benchmarks/sensitivity_sobol.py [--outcome coup_success] [--samples 1024] [--runs 32] [--workers 2]

Samples every free parameter (quantity with a prior) over its prior range with Saltelli's
scheme (N (D + 2) points), simulates each point from the March 1971 snapshot for two years
(in batches of points, one vectorized simulation each), and prints the first-order and total indices of the outcome's probability with their 95%
intervals, the wall time and the throughput. Not part of the tests: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from coyuntura.engine.tables import to_markdown
from coyuntura.executor import DaskExecutor
from coyuntura.experiments.files import write_table
from coyuntura.experiments.sensitivity import DEFAULT_RUNS_PER_POINT, free_parameters, run_sensitivity, sensitivity_chart, sensitivity_table
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario
from coyuntura.store import RunStore

LIMIT_SECONDS = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outcome", default="coup_success")
    parser.add_argument("--samples", type=int, default=1024, help="Sobol base samples N (a power of two)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS_PER_POINT, help="runs per sample point")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start", default="march_1971")
    parser.add_argument("--until", default="1973-03")
    parser.add_argument("--params", nargs="*", default=None, help="glob patterns of free parameters (default: all)")
    parser.add_argument("--out", type=Path, default=Path("reports/bench-sensitivity"))
    parser.add_argument("--store", type=Path, default=None, help="run store (default: a temporary one)")
    args = parser.parse_args()

    scenario = load_scenario("bolivia-1952")
    parameters = free_parameters(scenario, args.params)
    points = args.samples * (len(parameters) + 2)
    print(f"Sobol over {len(parameters)} free parameters: N = {args.samples}, {points:,} points x {args.runs} runs, "
          f"{args.start} .. {args.until}, {args.workers} Dask workers", flush=True)
    store_path = args.store or Path(tempfile.mkdtemp(prefix="coyuntura-bench-")) / "runs.duckdb"
    began = time.perf_counter()
    with DaskExecutor.local(workers=args.workers) as executor:
        result = run_sensitivity(
            scenario, args.outcome, "sobol", args.samples, args.runs, seed=0, start=args.start, until=parse_month(args.until),
            patterns=args.params, store=RunStore(store_path), executor=executor,
            progress=lambda done, total: print(f"  {done:,}/{total:,} points, {time.perf_counter() - began:.0f} s", flush=True)
            if done % 5000 < 400 or done == total else None,
        )
    wall = time.perf_counter() - began
    table = sensitivity_table(result)
    print()
    print(to_markdown(table))
    chart = sensitivity_chart(result, str(args.out / f"{args.outcome}-sobol.png"))
    write_table(args.out, f"{args.outcome}-sobol", table, {"summary": result.summary(), "wall_time": wall})
    trajectory_months = points * args.runs * (parse_month(args.until) - scenario.snapshot(args.start).month + 1)
    print(f"Wall time {wall:.0f} s ({'under' if wall < LIMIT_SECONDS else 'OVER'} the {LIMIT_SECONDS} s target); "
          f"{points / wall:.1f} points/s, {trajectory_months / wall:,.0f} trajectory-months/s; chart {chart}; store {store_path}")
    print(f"CPU time of the points on the workers: {result.cpu_time:.0f} s, i.e. {result.cpu_time / args.workers:.0f} s of wall time "
          f"on {args.workers} otherwise idle cores; load average now {os.getloadavg()[0]:.1f} (other processes share the cores).")
    return 0 if wall < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
