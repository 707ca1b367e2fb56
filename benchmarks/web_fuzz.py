"""A longer Schemathesis run against the explorer's OpenAPI schema: how many cases, and that none got a 5xx.

Not a test. Usage:  .venv/bin/python benchmarks/web_fuzz.py [--examples 100]
Runs tests/test_web_schema.py with COYUNTURA_FUZZ_EXAMPLES examples per operation and generation
mode (valid, invalid, the schema's own examples) and prints the counts it wrote to
test-artifacts/schemathesis.json.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="examples per operation and generation mode")
    args = parser.parse_args()
    began = time.perf_counter()
    env = dict(os.environ, COYUNTURA_FUZZ_EXAMPLES=str(args.examples))
    status = subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_web_schema.py")], cwd=ROOT, env=env
    )
    seconds = time.perf_counter() - began
    report = json.loads((ROOT / "test-artifacts" / "schemathesis.json").read_text())
    print(f"examples per operation and mode: {report['examples_per_operation_and_mode']}")
    print(f"operations:                      {report['operations']}")
    print(f"cases sent:                      {report['cases']}")
    print(f"responses by class:              {report['statuses']}")
    print(f"5xx responses:                   {report['statuses'].get('5xx', 0)}")
    print(f"wall time:                       {seconds:.1f} s")
    sys.exit(status)


if __name__ == "__main__":
    main()
