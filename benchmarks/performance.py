"""Performance of the engine: against its Mesa peer, across sizes, and against the machine's floor.

Not a test. Usage::

    .venv/bin/python benchmarks/performance.py [--sizes 1,1000,100000,1000000] [--peer-runs 1000]
                                               [--repeats 3] [--batch-size N] [--json]

One run prints one table:

- **engine vs Mesa peer** on the same workload: ``--peer-runs`` trajectories x 228 months
  (1952-04..1971-03), seed 0, each run's random stream a function of (seed, start, run) on
  both sides; the throughput ratio. The engine's line at 10^5 gives the ratio at scale too.
- **throughput curve and peak memory**: the engine at each of ``--sizes`` trajectories over the
  same months, each size timed in a fresh subprocess (so one size's memory cannot inflate
  another's); peak memory is that process's maximum resident set (VmHWM), the Python
  interpreter and its imports included (the "imports" column: the peak before the timed run).
- **the floor**: for the same runs and batches, drawing the uniforms the engine consumes (its
  ``model.layout.size`` slots per run per month, from one PCG64 stream per ``BLOCK_SIZE`` block,
  exactly as ``coyuntura.engine.random`` does) plus one numpy copy of arrays the size of the
  engine's state per month; "x floor" is engine time over that.

Timings are wall-clock medians of ``--repeats`` (one repeat at 10^6). The machine may be shared:
the load average is printed before and after; compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from coyuntura.engine.model import compile_scenario  # noqa: E402
from coyuntura.engine.random import BLOCK_SIZE  # noqa: E402
from coyuntura.engine.simulate import DEFAULT_BATCH_SIZE, simulate  # noqa: E402
from coyuntura.engine.tables import Column, Table, to_dict, to_markdown  # noqa: E402
from coyuntura.scenario.loader import load_scenario  # noqa: E402

SCENARIO = "bolivia-1952"
SEED = 0


def _compiled():
    return compile_scenario(load_scenario(SCENARIO))


def _months(model) -> int:
    return model.scenario.calendar.end - model.scenario.calendar.start + 1




def peak_mib() -> float:
    """This process's peak resident memory: VmHWM (reset on exec, unlike ``ru_maxrss``, which a child
    started by ``subprocess`` inherits from its parent), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_child(runs: int, batch_size: int) -> dict:
    """In a fresh process: simulate ``runs`` trajectories once (after a small warm-up) and report time and memory."""
    model = _compiled()
    simulate(model, 1, seed=SEED)  # warm-up: imports, caches, first allocations
    imports_mib = peak_mib()
    started, cpu = time.perf_counter(), time.process_time()
    simulate(model, runs, seed=SEED, batch_size=batch_size)
    return {
        "runs": runs,
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "peak_mib": peak_mib(),
        "imports_mib": imports_mib,
    }


def run_child(runs: int, batch_size: int) -> dict:
    command = [sys.executable, __file__, "--child", str(runs), "--batch-size", str(batch_size)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def floor_seconds(model, runs: int, batch_size: int) -> tuple[float, float]:
    """Seconds to draw the engine's uniforms for ``runs`` runs (same blocks, slots, months), and to copy
    an array the size of the engine's state (each batch's, as the engine holds it) once a month."""
    slots = model.layout.size
    per_run_bytes = sum(value.nbytes for value in vars(model.initial_state(1)).values() if isinstance(value, np.ndarray))
    months = _months(model)
    start = model.scenario.calendar.start
    drawing = copying = 0.0
    for first in range(0, runs, batch_size):
        n = min(batch_size, runs - first)
        started = time.perf_counter()
        blocks = range(first // BLOCK_SIZE, (first + n - 1) // BLOCK_SIZE + 1)
        generators = [np.random.Generator(np.random.PCG64(np.random.SeedSequence(SEED, spawn_key=(start, b)))) for b in blocks]
        buffer = np.empty((len(generators), slots, BLOCK_SIZE))
        for _ in range(months):
            for position, generator in enumerate(generators):
                generator.random(out=buffer[position])
        drawing += time.perf_counter() - started
        state = np.ones(-(-per_run_bytes * n // 8))  # float64 words holding the batch's state
        copy = np.empty_like(state)
        started = time.perf_counter()
        for _ in range(months):
            np.copyto(copy, state)
        copying += time.perf_counter() - started
    return drawing, copying


def peer_seconds(model, runs: int) -> float:
    from mesa_peer import simulate_peer

    started = time.perf_counter()
    simulate_peer(model, runs, seed=SEED)
    return time.perf_counter() - started


def engine_seconds(model, runs: int, batch_size: int) -> float:
    started = time.perf_counter()
    simulate(model, runs, seed=SEED, batch_size=batch_size)
    return time.perf_counter() - started


def median_of(repeats: int, measure) -> tuple[float, list[float]]:
    values = [measure() for _ in range(repeats)]
    return statistics.median(values), values


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,1000,100000,1000000", help="engine sizes for the throughput curve (comma-separated)")
    parser.add_argument("--peer-runs", type=int, default=1000, help="trajectories in the engine-vs-Mesa workload")
    parser.add_argument("--repeats", type=int, default=3, help="timings per measurement (median); one at 10^6 and above")
    parser.add_argument("--batch-size", type=int, default=None, help="engine batch size (default: simulate's default)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    if args.child is not None:
        print(json.dumps(engine_child(args.child, batch_size)))
        return

    model = _compiled()
    months = _months(model)
    load_before = os.getloadavg()
    simulate(model, 100, seed=SEED)  # warm-up in this process
    rows = []

    # Engine vs Mesa peer, same workload.
    n = args.peer_runs
    peer_s, peer_all = median_of(max(1, args.repeats - 2), lambda: peer_seconds(model, n))
    engine_s, engine_all = median_of(args.repeats, lambda: engine_seconds(model, n, batch_size))
    peer_rate, engine_rate = n * months / peer_s, n * months / engine_s
    rows.append(("mesa", "Mesa peer", n, peer_s, peer_rate, None, None, None, None, None, None, len(peer_all)))
    rows.append(("engine_same", "Engine, same workload", n, engine_s, engine_rate, None, None, None, None, None, None, len(engine_all)))

    # Throughput curve, peak memory, floor.
    for size in (int(s) for s in args.sizes.split(",")):
        repeats = 1 if size >= 1_000_000 else args.repeats
        children = [run_child(size, batch_size) for _ in range(repeats)]
        wall = statistics.median(c["wall_s"] for c in children)
        floors = [floor_seconds(model, size, batch_size) for _ in range(repeats)]
        drawing = statistics.median(d for d, _ in floors)
        floor = statistics.median(d + c for d, c in floors)
        rows.append((
            f"engine_{size}", "Engine", size, wall, size * months / wall,
            max(c["peak_mib"] for c in children), min(c["imports_mib"] for c in children), drawing, floor, wall / floor, wall / drawing, repeats,
        ))

    at_scale = next((r for r in rows if r[0] == "engine_100000"), None)
    load_after = os.getloadavg()
    columns = (
        Column("key", "Key", "key"),
        Column("what", "Measurement", "label"),
        Column("trajectories", "Trajectories", "label"),
        Column("seconds", "Wall s (median)", "label"),
        Column("throughput", "Trajectory-months/s", "label"),
        Column("peak", "Peak RSS MiB", "label"),
        Column("imports", "of which imports", "label"),
        Column("drawing", "Drawing s", "label"),
        Column("floor", "Floor s", "label"),
        Column("over_floor", "x floor", "label"),
        Column("over_drawing", "x drawing", "label"),
        Column("repeats", "Repeats", "label"),
    )

    def cell(value, fmt):
        return "" if value is None else format(value, fmt)

    table = Table(
        title=f"coyuntura engine performance, {SCENARIO}, 1952-04..1971-03 ({months} months), batch size {batch_size:,}",
        columns=columns,
        rows=tuple(
            (key, what, f"{runs:,}", cell(s, ".3f"), cell(rate, ",.0f"), cell(peak, ",.0f"), cell(imports, ",.0f"),
             cell(drawing, ".3f"), cell(floor, ".3f"), cell(over, ".2f"), cell(over_drawing, ".2f"), str(k))
            for key, what, runs, s, rate, peak, imports, drawing, floor, over, over_drawing, k in rows
        ),
        notes=(
            f"Engine / Mesa throughput, same workload ({n:,} x {months}): {engine_rate / peer_rate:,.0f}x"
            + (f"; engine at 10^5 / Mesa: {at_scale[4] / peer_rate:,.0f}x" if at_scale else "") + ".",
            "Floor = drawing (the engine's uniforms with numpy's PCG64, in its block and slot layout) + one copy of a"
            " state-sized array per month; 'x floor' and 'x drawing' are the engine's time over each.",
            f"Machine: {machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        ),
    )
    if args.json:
        data = to_dict(table)
        keys = ("key", "what", "trajectories", "seconds", "throughput", "peak_mib", "imports_mib", "drawing_s", "floor_s", "over_floor", "over_drawing", "repeats")
        data["raw"] = [dict(zip(keys, r)) for r in rows]
        print(json.dumps(data, indent=2))
    else:
        print(to_markdown(table))


if __name__ == "__main__":
    main()
