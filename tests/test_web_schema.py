"""Property-based test of the API against its own OpenAPI schema (Schemathesis): no input makes it answer 5xx.

Every operation gets valid and invalid requests generated from the schema. The number of
examples per operation and mode is ``COYUNTURA_FUZZ_EXAMPLES`` (default 4, to stay fast);
``benchmarks/web_fuzz.py`` runs it longer. The counts go to ``test-artifacts/schemathesis.json``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from coyuntura.store import RunStore  # noqa: E402
from coyuntura.web import create_app  # noqa: E402

EXAMPLES = int(os.environ.get("COYUNTURA_FUZZ_EXAMPLES", "4"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def test_no_input_gets_a_server_error(tmp_path: Path) -> None:
    # Thread workers and a low run cap keep each accepted job cheap; everything else is the real app.
    app = create_app(store=RunStore(tmp_path / "runs.duckdb"), processes=False, max_runs=20, warm=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        strategies = [operation.as_strategy(generation_mode=mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        strategies += operation.get_strategies_from_examples()  # the schema's own examples: requests that get deep into the API
        for strategy in strategies:

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case: schemathesis.Case) -> None:
                response = case.call()
                statuses[f"{response.status_code // 100}xx"] += 1
                if response.status_code >= 500:
                    failures.append(f"{case.operation.label} -> {response.status_code}: {response.text[:300]}\n{case.as_curl_command()}")

            try:
                check()
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
                pass
    ARTIFACTS.mkdir(exist_ok=True)
    report = {"examples_per_operation_and_mode": EXAMPLES, "operations": len(operations), "cases": sum(statuses.values()), "statuses": dict(statuses)}
    (ARTIFACTS / "schemathesis.json").write_text(json.dumps(report, indent=2) + "\n")
    assert not failures, "\n\n".join(failures[:5])
    assert statuses["4xx"] > 0 and statuses["2xx"] > 0
