"""The long scenario fuzz: thousands of mutants of the bundled scenario, each checked and, if
accepted, simulated; what the validator accepts must run, and everything else must be a ScenarioError.

Not a test (``tests/test_fuzz.py`` runs a few dozen mutants). Usage:

    nice .venv/bin/python benchmarks/fuzz_scenarios.py [--mutants 10000] [--runs 100] [--months 24] [--seed 0] [--workers 4]
    .venv/bin/python benchmarks/fuzz_scenarios.py --replay 1234 [--seed 0]     # one mutant again, with its traceback

Mutants come from ``tests/scenario_mutations.py``: one in five changes the YAML text (deep nesting,
integers too long to read, tags, anchors, edited or re-indented lines, odd scalars) and is read
like ``coyuntura check`` reads a file; the others change the data the file reads as (deleted keys,
numbers and types, actor ids and role lists, empty lists, duplicated items, months, swapped values)
and are validated without the YAML step. Mutant ``i`` depends only on ``(--seed, i)``. Each accepted
mutant is simulated for ``--runs`` runs x ``--months`` months from its start or a random snapshot.

Prints a table: mutants, refused with ScenarioError, accepted, uncaught exceptions (by type),
crashes of accepted ones (by type), mutants over 5 s, the slowest check and the slowest
simulation (CPU seconds of the worker, so that a busy machine does not inflate them; the slowest
wall-clock time is shown too), a mutant that runs past 120 s counting as uncaught, and one example of each kind of failure; writes the same as JSON to
``test-artifacts/fuzz_scenarios.json``. Exits non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from coyuntura.executor import ProcessExecutor  # noqa: E402

from scenario_mutations import bundled_data, bundled_text, mutate, try_mutant  # noqa: E402

SLOW_SECONDS = 5.0
MUTANT_TIMEOUT = 120


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout(f"over {MUTANT_TIMEOUT} s")


def _warm() -> None:
    bundled_text()
    bundled_data()
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _alarm)


def _rng(seed: int, index: int) -> random.Random:
    return random.Random(f"{seed}:{index}")


def _one(task: tuple[int, int, int, int]) -> dict[str, Any]:
    """Mutant ``index``: what became of it, in a few plain fields."""
    seed, index, runs, months = task
    rng = _rng(seed, index)
    mutant = mutate(rng)
    if hasattr(signal, "SIGALRM"):
        signal.alarm(MUTANT_TIMEOUT)
    began = time.perf_counter()
    try:
        # Timed in CPU seconds of this process: the machine may be busy with other work.
        outcome = try_mutant(mutant, rng, runs=runs, months=months, timer=time.process_time)
        verdict, error = outcome.verdict, outcome.error
        check, sim = outcome.check_seconds, outcome.simulate_seconds
    except _Timeout as timeout:  # a hang: counted as uncaught
        verdict, error, check, sim = "uncaught", timeout, float(MUTANT_TIMEOUT), 0.0
    finally:
        if hasattr(signal, "SIGALRM"):
            signal.alarm(0)
    message = str(error).replace("\n", " | ")[:400] if error is not None else ""
    return {
        "index": index, "family": mutant.family, "kinds": mutant.kinds, "describe": mutant.describe()[:600], "verdict": verdict,
        "error_type": type(error).__name__ if error is not None else None, "error": message, "check": check, "simulate": sim,
        "wall": time.perf_counter() - began,
    }


def replay(seed: int, index: int, runs: int, months: int) -> None:
    """Run one mutant again in this process and show what happened, with the traceback."""
    rng = _rng(seed, index)
    mutant = mutate(rng)
    print(mutant.describe())
    outcome = try_mutant(mutant, rng, runs=runs, months=months)
    print(f"verdict: {outcome.verdict}; check {outcome.check_seconds:.2f} s; simulate {outcome.simulate_seconds:.2f} s")
    if outcome.error is not None:
        traceback.print_exception(outcome.error)


def table(results: list[dict[str, Any]], seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    verdicts = Counter(r["verdict"] for r in results)
    uncaught = Counter(r["error_type"] for r in results if r["verdict"] == "uncaught")
    crashed = Counter(r["error_type"] for r in results if r["verdict"] == "crashed")
    slow = [r for r in results if max(r["check"], r["simulate"]) > SLOW_SECONDS]
    slowest_check = max(results, key=lambda r: r["check"])
    simulated = [r for r in results if r["verdict"] in ("accepted", "crashed")]
    slowest_sim = max(simulated, key=lambda r: r["simulate"]) if simulated else None
    examples: dict[str, dict[str, Any]] = {}
    for r in sorted(results, key=lambda r: r["index"]):
        if r["verdict"] in ("uncaught", "crashed"):
            examples.setdefault(f"{r['verdict']} {r['error_type']} ({r['kinds']})", r)
        elif max(r["check"], r["simulate"]) > SLOW_SECONDS:
            examples.setdefault(f"over {SLOW_SECONDS:g} s ({r['kinds']})", r)
    families = Counter((r["family"], r["verdict"]) for r in results)
    return {
        "command": " ".join([Path(sys.executable).name, "benchmarks/fuzz_scenarios.py"] + sys.argv[1:]),
        "seed": args.seed, "runs": args.runs, "months": args.months, "wall_seconds": round(seconds, 1),
        "mutants": len(results),
        "refused_with_scenario_error": verdicts["refused"],
        "accepted_and_ran": verdicts["accepted"],
        "uncaught_exceptions": dict(uncaught),
        "crashes_of_accepted": dict(crashed),
        "over_5_s": len(slow),
        "slowest_wall_seconds": round(max(r["wall"] for r in results), 3),
        "workers": args.workers,
        "slowest_check": {"seconds": round(slowest_check["check"], 3), "index": slowest_check["index"], "mutant": slowest_check["describe"][:200]},
        "slowest_simulation": (
            {"seconds": round(slowest_sim["simulate"], 3), "index": slowest_sim["index"], "mutant": slowest_sim["describe"][:200]} if slowest_sim else None
        ),
        "by_family": {f"{family} {verdict}": count for (family, verdict), count in sorted(families.items())},
        "examples": {kind: {"index": r["index"], "mutant": r["describe"][:300], "error": f"{r['error_type']}: {r['error'][:300]}" if r["error_type"] else None}
                     for kind, r in examples.items()},
    }


def show(report: dict[str, Any]) -> None:
    rows = [
        ("mutants", f"{report['mutants']:,}"),
        ("refused with ScenarioError", f"{report['refused_with_scenario_error']:,}"),
        ("accepted (and simulated to the end)", f"{report['accepted_and_ran']:,}"),
        ("uncaught exceptions", f"{sum(report['uncaught_exceptions'].values()):,} {report['uncaught_exceptions'] or ''}".strip()),
        ("crashes of accepted ones", f"{sum(report['crashes_of_accepted'].values()):,} {report['crashes_of_accepted'] or ''}".strip()),
        (f"over {SLOW_SECONDS:g} CPU s (check or simulation)", f"{report['over_5_s']:,}"),
        ("slowest check (CPU)", f"{report['slowest_check']['seconds']:.2f} s (#{report['slowest_check']['index']}: {report['slowest_check']['mutant'][:90]})"),
    ]
    if report["slowest_simulation"]:
        sim = report["slowest_simulation"]
        rows.append((f"slowest simulation (CPU; {report['runs']} runs x {report['months']} months)", f"{sim['seconds']:.2f} s (#{sim['index']}: {sim['mutant'][:90]})"))
    rows.append(("slowest mutant, wall clock", f"{report['slowest_wall_seconds']:.2f} s"))
    rows.append(("wall time", f"{report['wall_seconds']:.0f} s with {report['workers']} worker processes"))
    width = max(len(name) for name, _ in rows)
    print(f"| {'':{width}} | |")
    print(f"|{'-' * (width + 2)}|---|")
    for name, value in rows:
        print(f"| {name:{width}} | {value} |")
    print("\nby family:", ", ".join(f"{key}: {count:,}" for key, count in report["by_family"].items()))
    if report["examples"]:
        print("\none example of each kind of failure (replay with --replay INDEX):")
        for kind, example in report["examples"].items():
            print(f"- {kind}: #{example['index']} {example['mutant'][:200]}\n    -> {example['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes checking mutants side by side")
    parser.add_argument("--replay", type=int, default=None, metavar="INDEX", help="run mutant INDEX again here, with its traceback")
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "fuzz_scenarios.json")
    args = parser.parse_args()
    if args.replay is not None:
        replay(args.seed, args.replay, args.runs, args.months)
        return
    began = time.perf_counter()
    tasks = [(args.seed, index, args.runs, args.months) for index in range(args.mutants)]
    results: list[dict[str, Any]] = []
    with ProcessExecutor(args.workers, initializer=_warm) as pool:
        for _, result in pool.as_completed(_one, [(task,) for task in tasks]):
            results.append(result)
            if len(results) % 500 == 0:
                bad = sum(r["verdict"] in ("uncaught", "crashed") for r in results)
                print(f"  {len(results):,}/{args.mutants:,} mutants, {bad} failures, {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    report = table(results, time.perf_counter() - began, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    show(report)
    failed = sum(report["uncaught_exceptions"].values()) + sum(report["crashes_of_accepted"].values()) + report["over_5_s"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
