"""Time the explorer's 10,000-run what-if from October 1970 to 1972-12 through its HTTP API.

Not a test (the browser test measures click-to-charts). Usage:
    .venv/bin/python benchmarks/web_whatif.py [--runs 10000] [--repeat 5] [--workers 2]
Starts `coyuntura serve` on a free port, then for each repeat POSTs the what-if, polls its job
every 100 ms as the page does, and fetches the result; prints submit-to-result seconds and the
simulation's own seconds.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _call(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"}, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = Path(tempfile.mkdtemp()) / "runs.duckdb"
    server = subprocess.Popen([sys.executable, "-m", "coyuntura.cli", "serve", "--port", str(port), "--store", str(store), "--workers", str(args.workers)])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                _call(f"{url}/api/health")
                break
            except OSError:
                time.sleep(0.1)
        body = {"scenario": "bolivia-1952", "start": "october_1970", "until": "1972-12", "runs": args.runs, "seed": 0,
                "changes": {"mechanisms.coup.decisiveness": 2.5}}
        rows = []
        for repeat in range(args.repeat):
            began = time.perf_counter()
            job = _call(f"{url}/api/runs", dict(body, seed=repeat))
            while job["status"] not in ("done", "failed", "cancelled"):
                time.sleep(0.1)
                job = _call(f"{url}/api/jobs/{job['id']}")
            rows.append((time.perf_counter() - began, job["result"]["compute_seconds"]))
        print(f"what-if: {args.runs:,} runs x 2 arms, 1970-10..1972-12 (27 months), {args.workers} workers")
        print("repeat  submit-to-result s  simulating s")
        for k, (total, compute) in enumerate(rows):
            print(f"{k:>6}  {total:>18.2f}  {compute:>12.2f}")
        totals = [r[0] for r in rows]
        print(f"median  {statistics.median(totals):>18.2f}  {statistics.median(r[1] for r in rows):>12.2f}")
        print(f"trajectory-months per second (simulating, both arms): {2 * args.runs * 27 / statistics.median(r[1] for r in rows):,.0f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
