"""Throughput of the engine: trajectories x months per second, and peak memory.

Not a test. Usage:  .venv/bin/python benchmarks/throughput.py [--runs 100000] [--batch-size 25000]
Simulates the bundled scenario from 1952-04 to 1971-03 (streaming summaries,
no event log kept) and prints the throughput and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import numpy as np

from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import simulate
from coyuntura.scenario.loader import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = compile_scenario(load_scenario("bolivia-1952"))
    calendar = model.scenario.calendar
    months = calendar.end - calendar.start + 1
    simulate(model, 1000, seed=args.seed, batch_size=args.batch_size)  # warm-up
    started = time.perf_counter()
    ensemble = simulate(model, args.runs, seed=args.seed, batch_size=args.batch_size)
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.runs * months / elapsed
    print(f"machine           {platform.machine()}, {platform.processor() or 'cpu'}, numpy {np.__version__}, python {platform.python_version()}")
    print(f"workload          {args.runs:,} runs x {months} months (1952-04..1971-03), batch size {args.batch_size:,}")
    print(f"wall time         {elapsed:.2f} s")
    print(f"throughput        {rate:,.0f} trajectory-months per second")
    print(f"peak memory (RSS) {peak_mib:,.0f} MiB")
    print(f"check             final regime shares {np.bincount(ensemble.final_regime, minlength=4) / args.runs}")


if __name__ == "__main__":
    main()
