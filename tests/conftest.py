"""Every test writes to a private run store, never to the user's (``$COYUNTURA_STORE``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_run_store(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("COYUNTURA_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))
    yield
    patch.undo()
