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
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

from .checks import check_scenario
from .errors import Problem, ScenarioError
from .schema import Scenario

MAX_SCENARIO_BYTES = 2_000_000
"""Scenario files larger than this are refused before parsing."""

MAX_SCENARIO_NODES = 2 * MAX_SCENARIO_BYTES
"""Most YAML values a scenario may stand for, an alias counting as all the values it repeats.
A file under the byte cap reaches it only through aliases (a value takes over half a byte)."""


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
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = f"the file is not UTF-8 text: byte 0x{raw[error.start]:02x} on line {line} cannot be decoded"
        raise ScenarioError(str(path), [Problem("", message, line)]) from None
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
        # Tags and anchors need '!' and '&': only text holding one is screened (a second parse).
        problem = _screen(yaml, text) if "!" in text or "&" in text else None
        if problem is not None:
            raise ScenarioError(file, [problem])
        data = yaml.load(text)
        plain = _plain(data)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        context = error.context
        if context and error.context_mark is not None and error.problem_mark is not None:
            if error.context_mark.line != error.problem_mark.line:
                context = f"{context} (started on line {error.context_mark.line + 1})"
        message = " ".join(part for part in (context, error.problem) if part) or str(error)
        raise ScenarioError(file, [Problem("", f"malformed YAML: {message}", line)]) from None
    except YAMLError as error:  # a reader error: a character YAML does not allow
        position = getattr(error, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ScenarioError(file, [Problem("", f"malformed YAML: {reason}", line)]) from None
    except RecursionError:
        raise ScenarioError(file, [Problem("", "the YAML is nested too deeply to read")]) from None
    if data is None:
        raise ScenarioError(file, [Problem("", "the file holds no data")])
    if not isinstance(data, CommentedMap):
        kind = "a list" if isinstance(data, list) else "a single value"
        line = data.lc.line + 1 if isinstance(data, CommentedSeq) else 1
        message = f"the top level must be a mapping of sections (id:, title:, actors:, ...), got {kind}"
        raise ScenarioError(file, [Problem("", message, line)])
    try:
        scenario = Scenario.model_validate(plain)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            loc = _file_loc(data, item["loc"])
            problems.append(Problem(_path(loc), validation_message(item), line_of(data, loc)))
        raise ScenarioError(file, problems) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(file, [Problem(p.path, p.message, line_of(data, tuple(p.path.split(".")))) for p in problems])
    return scenario


def _screen(yaml: YAML, text: str) -> Problem | None:
    """Refuse, before anything is built, YAML tags and aliases that expand past MAX_SCENARIO_NODES."""
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_collections: list[tuple[str | None, int]] = []
    total = 0
    for event in yaml.parse(text):
        line = event.start_mark.line + 1
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag
            return Problem("", f"YAML tag '{shown}' is not allowed: a scenario is plain data and tags are never constructed", line)
        if isinstance(event, AliasEvent):
            total += sizes.get(event.anchor, 1)
        elif isinstance(event, ScalarEvent):
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, CollectionStartEvent):
            open_collections.append((event.anchor, total))
            total += 1
        elif isinstance(event, CollectionEndEvent):
            anchor, before = open_collections.pop()
            if anchor is not None:
                sizes[anchor] = total - before
        if total > MAX_SCENARIO_NODES:
            return Problem(
                "", f"the YAML expands to more than {MAX_SCENARIO_NODES:,} values through anchors and aliases ('&name', '*name')", line
            )
    return None


def _file_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic error location as a path in the file: without the union tags pydantic adds
    (an event's ``kind``), which are not keys of the file."""
    node = data
    kept = []
    for position, part in enumerate(loc):
        if isinstance(node, CommentedMap):
            if part in node or str(part) in node:
                node = node[part] if part in node else node[str(part)]
            elif position < len(loc) - 1:
                continue
            else:
                node = None
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        kept.append(part)
    return tuple(kept)


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


def validation_message(item: dict[str, Any]) -> str:
    """A pydantic error item as one plain sentence."""
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
