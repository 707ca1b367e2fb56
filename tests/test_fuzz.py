"""A bounded fuzz of what users hand coyuntura: scenario files, CLI arguments and API requests.

The rule: whatever ``check`` or request validation accepts runs to the end; anything else is
refused with a clear error (``ScenarioError``, a CLI exit code with a message, a 4xx) before any
work starts. Mutants come from ``scenario_mutations`` (shared with the longer
``benchmarks/fuzz_scenarios.py``); the examples are few so that this file stays under ~20 s.
"""

from __future__ import annotations

import random
import time
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

warnings.filterwarnings("ignore", message=".*httpx.*")
from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from coyuntura import cli  # noqa: E402
from coyuntura.scenario.loader import load_scenario  # noqa: E402
from coyuntura.scenario.paths import all_paths  # noqa: E402
from coyuntura.web import create_app  # noqa: E402

from scenario_mutations import BUNDLED, mutate, random_cli_args, random_request, try_mutant  # noqa: E402

FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
RNGS = st.integers(min_value=0, max_value=2**32 - 1).map(random.Random)
"""Seeded generators (Hypothesis's own ``randoms()`` lean towards 0.0, which would make every choice the first)."""


def _assert_refused_or_runs(rng: random.Random, family: str) -> None:
    mutant = mutate(rng, family)
    outcome = try_mutant(mutant, rng, runs=20, months=12)
    assert outcome.verdict in ("refused", "accepted"), f"{outcome.verdict}: {type(outcome.error).__name__}: {outcome.error}\n{mutant.describe()}"
    if outcome.verdict == "refused":
        assert str(outcome.error).startswith("scenario mutant.yaml is invalid")
    assert outcome.check_seconds < 5.0, f"checking took {outcome.check_seconds:.1f} s: {mutant.describe()}"


@given(rng=RNGS)
@settings(FUZZ, max_examples=25)
def test_fuzz_scenario_data_mutants_are_refused_or_run(rng: random.Random) -> None:
    _assert_refused_or_runs(rng, "data")


@given(rng=RNGS)
@settings(FUZZ, max_examples=4)
def test_fuzz_scenario_text_mutants_are_refused_or_run(rng: random.Random) -> None:
    _assert_refused_or_runs(rng, "text")


# --- API inputs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Any:
    return load_scenario(BUNDLED)


@pytest.fixture(scope="module")
def scenario_paths(bundled: Any) -> list[str]:
    return all_paths(bundled)


@pytest.fixture(scope="module")
def api() -> Any:
    with TestClient(create_app(store=None, processes=False, workers=2, warm=False)) as client:
        yield client


def _wait(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.web
@given(rng=RNGS)
@settings(FUZZ, max_examples=15)
def test_fuzz_api_requests_are_refused_or_run(api: TestClient, bundled: Any, scenario_paths: list[str], rng: random.Random) -> None:
    body = random_request(rng, bundled, scenario_paths)
    response = api.post("/api/runs", json=body)
    assert response.status_code in (202, 404, 422, 429), f"{response.status_code}: {response.text[:500]}\n{body}"
    if response.status_code == 202:
        job = _wait(api, response.json()["id"])
        assert job["status"] == "done", f"accepted, then {job['status']}: {job['error']}\n{body}"
    else:
        assert response.json()["detail"], body


# --- CLI inputs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_cli(tmp_path_factory: pytest.TempPathFactory, bundled: Any) -> Any:
    """The CLI with the bundled scenario read once (reading its YAML takes a second)."""
    real = cli.load_scenario
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli.common, "load_scenario", lambda name: bundled if name == BUNDLED else real(name))
        yield CliRunner(), str(tmp_path_factory.mktemp("fuzz-store") / "runs.duckdb")


@pytest.mark.integration
@given(rng=RNGS)
@settings(FUZZ, max_examples=10)
def test_fuzz_cli_inputs_are_refused_or_run(quick_cli: Any, bundled: Any, scenario_paths: list[str], rng: random.Random) -> None:
    runner, store = quick_cli
    args = random_cli_args(rng, bundled, scenario_paths, store)
    result = runner.invoke(cli.app, args)
    shown = [arg[:80] for arg in args]
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{shown}\n{result.output[-2000:]}"
    assert result.exit_code in (0, 1, 2), (result.exit_code, shown, result.output[-500:])
    assert "Traceback" not in result.output, (shown, result.output[-2000:])
