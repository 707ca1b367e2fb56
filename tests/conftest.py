"""Every test writes to a private run store, never to the user's (``$COYUNTURA_STORE``), and belongs to a tier.

The tiers are the markers registered in pyproject.toml: ``unit``, ``integration``, ``web`` and ``slow``.
A test marked with none of ``integration``, ``web`` or ``slow`` is a unit test and gets the ``unit`` marker
here, before ``-m`` selects; a test marked ``unit`` and anything else is an error. ``-m unit`` does not even
import a module whose ``pytestmark`` puts every test in another tier (a second or more per module).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

# Where PYTHONDONTWRITEBYTECODE is set (as on the project's machines), every test process would compile
# coyuntura's modules anew and pytest would rewrite the asserts of every test module and of hypothesis's 70
# modules again, uncached: about 5 s of each xdist worker's start, half the collection. From here on (the
# test modules, the package they import) the caches are kept, in __pycache__ folders that git ignores.
sys.dont_write_bytecode = False

OTHER_TIERS = ("integration", "web", "slow")
NOT_UNIT_MODULE = re.compile(r"^pytestmark = \[?pytest\.mark\.(integration|web|slow)\b", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("markexpr") == "unit" and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        if NOT_UNIT_MODULE.search(collection_path.read_text(encoding="utf-8")):
            return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mixed = []
    for item in items:
        others = [name for name in OTHER_TIERS if item.get_closest_marker(name) is not None]
        if not others:
            item.add_marker(pytest.mark.unit)
        elif item.get_closest_marker("unit") is not None:
            mixed.append(f"{item.nodeid}: unit and {', '.join(others)}")
    if mixed:
        raise pytest.UsageError("a unit test is in no other tier:\n  " + "\n  ".join(mixed))


@pytest.fixture(autouse=True, scope="session")
def _private_run_store(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("COYUNTURA_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))
    yield
    patch.undo()
