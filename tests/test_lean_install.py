"""The lean install: the core imports no optional library, and a missing extra is named, not a traceback.

Optional libraries are hidden by putting ``None`` in ``sys.modules`` (then ``import`` raises
``ModuleNotFoundError``), so these tests run in the full test environment.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import coyuntura
from coyuntura import api
from coyuntura.cli import app
from coyuntura.extras import EXTRAS, MODULE_EXTRAS, MissingExtra, missing_extra, require

OPTIONAL = ("matplotlib", "pyabc", "dask", "distributed", "fastapi", "uvicorn", "SALib", "ema_workbench", "pandas", "scipy", "xarray")
runner = CliRunner()


def loaded_after(code: str) -> list[str]:
    """Which of the optional libraries (and numpy) a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {list(OPTIONAL) + ['numpy']!r})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return sorted({name.split(".")[0] for name in json.loads(done.stdout.strip().splitlines()[-1])})


@pytest.mark.integration
def test_import_coyuntura_loads_no_optional_library_nor_numpy():
    assert loaded_after("import coyuntura") == []


@pytest.mark.integration
def test_the_command_line_app_loads_no_optional_library_nor_numpy():
    # `coyuntura --help` stays fast only while the CLI imports the library inside its commands
    assert loaded_after("from coyuntura.cli import app") == []


@pytest.mark.integration
def test_the_core_modules_load_no_optional_library():
    """Every module but the optional parts (charts, the pyabc kernels, the web explorer) imports without them."""
    optional_parts = ("coyuntura.report.charts", "coyuntura.history.charts", "coyuntura.report.diagrams", "coyuntura.history.abc_kernels",
                      "coyuntura.web", "coyuntura.cli.__main__")
    root = Path(coyuntura.__file__).parent
    names = sorted(".".join(("coyuntura", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__") for path in root.rglob("*.py"))
    core = [name for name in names if not name.startswith(optional_parts)]
    assert len(core) > 60
    code = f"import importlib\nfor name in {core!r}:\n    importlib.import_module(name)"
    assert [name for name in loaded_after(code) if name != "numpy"] == []


def test_the_public_api_is_the_same_list_for_the_program_and_for_type_checkers():
    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    checked = [node for node in ast.walk(tree) if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"]
    imported = {(node.module, alias.name) for block in checked for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert imported == {(module, name) for module, names in api._PUBLIC.items() for name in names}
    assert set(coyuntura.__all__) == {"__version__", *api.__all__}
    assert coyuntura.simulate is api.simulate and callable(coyuntura.load_scenario)
    with pytest.raises(AttributeError, match="no_such_name"):
        coyuntura.no_such_name  # noqa: B018


# --- the missing-extra helper --------------------------------------------------------------------


def test_require_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)
    for name in [name for name in sys.modules if name.startswith("SALib.")]:  # imported by an earlier test in this process
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(MissingExtra) as caught:
        require("explore", "SALib")
    assert caught.value.extra == "explore" and "pip install 'coyuntura[explore]'" in str(caught.value)
    assert "SALib" in str(caught.value) and caught.value.__cause__ is None
    with pytest.raises(MissingExtra, match=r"coyuntura\[explore\]"):
        require("explore", "SALib.sample.latin")


def test_require_returns_the_module_and_refuses_an_unknown_extra():
    assert require("data", "json").dumps([1]) == "[1]"
    with pytest.raises(ValueError, match="unknown extra 'nope'"):
        require("nope", "json")


def test_a_bare_missing_optional_module_is_named_as_its_extra():
    assert missing_extra(ModuleNotFoundError("No module named 'pyabc'", name="pyabc")).extra == "calibrate"
    assert missing_extra(ModuleNotFoundError("No module named 'distributed.client'", name="distributed.client")).extra == "dask"
    assert missing_extra(ModuleNotFoundError("No module named 'mystery'", name="mystery")) is None
    assert missing_extra(ImportError("cannot import name 'x'")) is None
    assert set(MODULE_EXTRAS.values()) <= set(EXTRAS)


def test_every_extra_is_in_pyproject():
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    for extra in EXTRAS:
        assert f"\n{extra} = [" in text, extra
    assert "\nall = [" in text


# --- commands whose extra is missing -------------------------------------------------------------


@pytest.mark.integration
def test_a_command_whose_extra_is_missing_says_which_and_exits_1(monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)
    result = runner.invoke(app, ["sensitivity", "bolivia-1952", "--outcome", "coup_success"])
    assert result.exit_code == 1, result.output
    assert "pip install 'coyuntura[explore]'" in result.stderr
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


@pytest.mark.integration
def test_with_json_the_missing_extra_is_a_json_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 1 and "coyuntura[web]" in result.stderr
    monkeypatch.setitem(sys.modules, "SALib", None)
    result = runner.invoke(app, ["discover", "bolivia-1952", "--outcome", "coup_success", "--json"])
    assert result.exit_code == 1 and "coyuntura[explore]" in json.loads(result.stdout)["error"]


@pytest.mark.integration
def test_run_without_matplotlib_writes_the_tables_and_says_why_there_are_no_charts(monkeypatch, tmp_path):
    import coyuntura.report

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "coyuntura.report.charts", raising=False)
    monkeypatch.delattr(coyuntura.report, "charts", raising=False)
    out = tmp_path / "report"
    result = runner.invoke(app, ["run", "bolivia-1952", "--from", "march_1971", "--until", "1971-04", "--runs", "20", "--out", str(out),
                                 "--store", str(tmp_path / "runs.duckdb")])
    assert result.exit_code == 0, result.output
    assert "coyuntura[charts]" in result.stdout
    assert (out / "regime_probabilities.csv").exists() and not list(out.glob("*.png"))
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "Charts not drawn" in readme and "regimes.png" not in readme
