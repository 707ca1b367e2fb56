"""The package's layers import one way: scenario format <- mechanisms and engine <- analyses <- reports <- CLI and web."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "coyuntura"

LAYERS = {"scenario": 0, "engine": 1, "history": 2, "experiments": 2, "store": 2, "report": 3, "cli": 4, "web": 4}
"""Each subpackage's layer: a module may import its own layer and those below, never one above.
Top-level modules (the lazy public API, executors, limits) stand outside the layers."""


def _layer(dotted: str) -> int | None:
    return LAYERS.get(dotted.split(".")[0])


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, module inside coyuntura) of every import in the file, at any depth (function-level ones included)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("coyuntura."):
                module = node.module.removeprefix("coyuntura.")
            else:
                continue
            names = [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.removeprefix("coyuntura.")) for alias in node.names if alias.name.startswith("coyuntura.")]
    return found


def upward_imports() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _layer(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        if own is None:
            continue
        for line, module in _imported(path):
            target = _layer(module)
            if target is not None and target > own:
                problems.append(f"{path.relative_to(PACKAGE)}:{line} imports coyuntura.{module}")
    return problems


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same walk over a copy in which the scenario format imports the engine: the check must name it.
    fake = tmp_path / "coyuntura"
    (fake / "scenario").mkdir(parents=True)
    (fake / "engine").mkdir()
    (fake / "scenario" / "schema.py").write_text("def f():\n    from ..engine.mechanisms import SCHEDULE\n", encoding="utf-8")
    (fake / "engine" / "model.py").write_text("from ..scenario.schema import f\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert upward_imports() == ["scenario/schema.py:2 imports coyuntura.engine.mechanisms"]
