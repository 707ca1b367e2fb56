"""Load a scenario file: YAML as data only, validated, with line-aware errors.

Nothing in a scenario is evaluated as code: the YAML is parsed by ruamel.yaml's
round-trip loader (no Python object construction) into plain mappings, which the
pydantic schema validates. Every problem is reported with file, line and field
path, and nothing runs.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .checks import check_scenario
from .errors import Problem, ScenarioError
from .schema import Scenario

MAX_SCENARIO_BYTES = 2_000_000
"""Scenario files larger than this are refused before parsing."""


def bundled_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios that ship with coyuntura."""
    folder = resources.files("coyuntura") / "scenarios"
    return {Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml")}


def resolve_scenario(name_or_path: str | Path) -> Path:
    """A bundled scenario's name, or a path to a scenario file."""
    bundled = bundled_scenarios()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.exists():
        raise ScenarioError(str(path), [Problem("", "is not a file")])
    names = ", ".join(sorted(bundled))
    raise ScenarioError(str(name_or_path), [Problem("", f"no such file, and not a bundled scenario (bundled: {names})")])


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario by bundled name or path; raise :class:`ScenarioError` if it is bad."""
    path = resolve_scenario(name_or_path)
    size = path.stat().st_size
    if size > MAX_SCENARIO_BYTES:
        raise ScenarioError(str(path), [Problem("", f"file is {size:,} bytes, over the {MAX_SCENARIO_BYTES:,}-byte cap")])
    text = path.read_bytes().decode("utf-8", errors="strict") if size else ""
    return parse_scenario(text, str(path))


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text; ``file`` names it in errors."""
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioError(file, [Problem("", f"text is over the {MAX_SCENARIO_BYTES:,}-byte cap")])
    if not text.strip():
        raise ScenarioError(file, [Problem("", "the file is empty")])
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (error.context, error.problem) if part) or str(error)
        raise ScenarioError(file, [Problem("", f"malformed YAML: {message}", line)]) from None
    except YAMLError as error:
        raise ScenarioError(file, [Problem("", f"malformed YAML: {error}")]) from None
    if data is None:
        raise ScenarioError(file, [Problem("", "the file holds no data")])
    if not isinstance(data, CommentedMap):
        raise ScenarioError(file, [Problem("", f"the top level must be a mapping of sections, got {type(data).__name__}", 1)])
    try:
        scenario = Scenario.model_validate(_plain(data))
    except ValidationError as error:
        problems = [
            Problem(_path(item["loc"]), _message(item), line_of(data, item["loc"])) for item in error.errors(include_url=False)
        ]
        raise ScenarioError(file, problems) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(file, [Problem(p.path, p.message, line_of(data, tuple(p.path.split(".")))) for p in problems])
    return scenario


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(key) if not isinstance(key, (int, float)) else key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _message(item: dict[str, Any]) -> str:
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if item["type"] == "extra_forbidden":
        message = "unknown key (not part of the scenario format)"
    if item["type"] == "missing":
        message = "required field is missing"
    return message


def line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """Best line number (1-based) for a field path in the parsed YAML."""
    node = data
    line = None
    for part in loc:
        if isinstance(node, CommentedMap):
            key = str(part)
            if key in node:
                try:
                    line = node.lc.key(key)[0] + 1
                except (KeyError, TypeError):
                    pass
                node = node[key]
            continue
        if isinstance(node, CommentedSeq):
            try:
                index = int(part)
            except (TypeError, ValueError):
                continue
            if 0 <= index < len(node):
                try:
                    line = node.lc.item(index)[0] + 1
                except (KeyError, TypeError):
                    pass
                node = node[index]
            continue
        break
    return line
