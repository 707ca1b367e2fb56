"""A longer Schemathesis run against the explorer's OpenAPI schema: how many cases, how they were answered,
and what each of Schemathesis's checks found (5xx, and responses that do not conform to the schema).

Not a test. Usage:  .venv/bin/python benchmarks/web_fuzz.py [--seconds 300] [--examples 10] [--seed N]
Runs tests/test_web_schema.py's Schemathesis session (every phase once: the schema's examples, coverage,
generated valid and invalid requests, stateful sequences; then fuzzing and stateful again until ``--seconds``
are spent in all), with every check but those the test excludes (it says why), and prints the table from
test-artifacts/schemathesis.json: cases, responses by class, checks run and findings, each finding with
its operation, status code, a short reason and how to reproduce it. Exits non-zero on any finding or 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/test_web_schema.py::test_no_input_gets_a_server_error_and_every_response_conforms"


def table(report: dict, wall: float, command: str) -> str:
    statuses = report["statuses"]
    out = [
        f"$ {command}",
        f"Schemathesis {report['schemathesis']} against the explorer API ({report['operations']} operations), seed {report['seed']}",
        (f"budget {report['seconds_budget']} s, {report['examples_per_operation_and_mode']} examples per operation and mode; "
         f"Schemathesis ran {report['wall_seconds']:.1f} s, wall time with start-up {wall:.1f} s; "
         f"stopped: {', '.join(report['stop_reasons']) or '?'}"),
        "",
        f"{'cases':>10} {'2xx':>9} {'4xx':>9} {'5xx':>9} {'no response':>12}",
        f"{report['cases']:>10,} {statuses.get('2xx', 0):>9,} {statuses.get('4xx', 0):>9,} {statuses.get('5xx', 0):>9,} {report['transport_errors']:>12,}",
        "  by phase:       " + ", ".join(f"{phase} {n:,}" for phase, n in report["phases"].items()),
        "  by status code: " + ", ".join(f"{code}: {n:,}" for code, n in report["status_codes"].items()),
        "",
        f"{'check':<30} {'responses checked':>17} {'findings':>9}",
    ]
    findings_by_check: dict[str, int] = {}
    for finding in report["findings"]:
        findings_by_check[finding["check"]] = findings_by_check.get(finding["check"], 0) + finding["count"]
    for name, counts in report["checks"].items():
        checked = sum(counts.values())
        errors = f"   ({counts['error']} check errors)" if counts.get("error") else ""
        out.append(f"{name:<30} {checked:>17,} {findings_by_check.get(name, 0):>9,}{errors}")
    for name, reason in report["checks_excluded"].items():
        out.append(f"{name:<30} {'excluded':>17}   {reason}")
    out.append("")
    if report["findings"]:
        out.append(f"findings ({len(report['findings'])} distinct):")
        for finding in report["findings"]:
            out.append(f"- {finding['check']} | {finding['operation']} | HTTP {finding['status']} | x{finding['count']} | {finding['reason']}")
            if finding["reproduce"]:
                out.append("    " + finding["reproduce"].splitlines()[0][:400])
    else:
        out.append("findings: none")
    if report["engine_errors"]:
        out.append(f"engine errors ({len(report['engine_errors'])}):")
        out.extend(f"- {error}" for error in report["engine_errors"])
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=300, help="time budget of the Schemathesis session (default 300: five minutes; the first full pass runs to its end)")
    parser.add_argument("--examples", type=int, default=10,
                        help="examples per operation and generation mode in each pass of the fuzzing and stateful phases")
    parser.add_argument("--seed", type=int, default=None, help="Schemathesis's seed (default: a new one, printed)")
    args = parser.parse_args()
    began = time.perf_counter()
    env = dict(os.environ, COYUNTURA_FUZZ_EXAMPLES=str(args.examples), COYUNTURA_FUZZ_SECONDS=str(args.seconds))
    if args.seed is not None:
        env["COYUNTURA_FUZZ_SEED"] = str(args.seed)
    artifact = ROOT / "test-artifacts" / "schemathesis.json"
    artifact.unlink(missing_ok=True)
    status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST], cwd=ROOT, env=env)
    wall = time.perf_counter() - began
    if not artifact.exists():
        print(f"no report: the test stopped before writing {artifact.relative_to(ROOT)} (pytest exit {status})")
        sys.exit(status or 1)
    report = json.loads(artifact.read_text())
    command = " ".join(["benchmarks/web_fuzz.py", *sys.argv[1:]])
    print(table(report, wall, command))
    sys.exit(status)


if __name__ == "__main__":
    main()
