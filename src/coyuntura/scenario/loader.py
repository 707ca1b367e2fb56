"""Load a scenario file: YAML as data only, validated, with line-aware errors.

Nothing in a scenario is evaluated as code: the YAML is parsed by ruamel.yaml's
round-trip loader (no Python object construction) into plain mappings, which the
pydantic schema validates. Every problem is reported with file, line and field
path, and nothing runs. The one exception is a mechanism of the scenario's own:
the Python files it names in ``mechanism_modules`` (beside the scenario file) are
imported, as an installed plug-in would be (:mod:`coyuntura.scenario.plugins`).

Ordinary text is first read by :func:`~coyuntura.scenario.fast_yaml.read_fast` (libyaml's C
parser, building exactly what ruamel would, lines included); whatever it is unsure of (tags,
anchors, duplicate keys, YAML 1.1-only or unusual scalars, errors) is read by ruamel as before.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.scanner import RoundTripScanner

from .checks import check_scenario, scenario_warnings
from .errors import Problem, ScenarioError, ScenarioWarning
from .fast_yaml import LocatedMap, LocatedSeq, read_fast
from .plugins import MechanismError, load_module_file, registry_with_files
from .schema import REGISTRY_CONTEXT, Scenario

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

MAX_SCENARIO_BYTES = 2_000_000
"""Scenario files larger than this are refused before parsing."""

MAX_SCENARIO_NODES = 2 * MAX_SCENARIO_BYTES
"""Most YAML values a scenario may stand for, an alias counting as all the values it repeats.
A file under the byte cap reaches it only through aliases (a value takes over half a byte)."""

MAX_SCENARIO_DEPTH = 64
"""Deepest nesting of collections (block indentation and flow brackets together) a scenario may use.
The bundled scenario needs 6. It is enforced by the YAML scanner as it reads, so a deeper file
is refused at the first level too many, before the (per-level) costs of reading deeper add up."""

MAX_INT_DIGITS = 4_300
"""Longest integer, in decimal digits, a scenario may write (Python's own limit on reading one)."""

_DECIMAL_INT = re.compile(r"[-+]?[0-9_]+")


def bundled_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios that ship with coyuntura."""
    folder = resources.files("coyuntura") / "scenarios"
    return {Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml")}


def resolve_scenario(name_or_path: str | Path) -> Path:
    """A bundled scenario's name, or a path to a scenario file."""
    bundled = bundled_scenarios()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    if isinstance(name_or_path, str) and not name_or_path.strip():
        names = ", ".join(sorted(bundled))
        raise ScenarioError(repr(name_or_path), [Problem("", f"the scenario's name is empty; give a bundled scenario ({names}) or a file")])
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.exists():
        raise ScenarioError(str(path), [Problem("", "is not a file")])
    names = ", ".join(sorted(bundled))
    raise ScenarioError(str(name_or_path), [Problem("", f"no such file, and not a bundled scenario (bundled: {names})")])


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario by bundled name or path; raise :class:`ScenarioError` if it is bad."""
    return _load(name_or_path)[0]


def load_with_warnings(name_or_path: str | Path) -> tuple[Scenario, list[ScenarioWarning]]:
    """Load a scenario like :func:`load_scenario`, with what
    :func:`~coyuntura.scenario.checks.scenario_warnings` says of it, each warning with its line in the file."""
    scenario, located = _load(name_or_path)
    return scenario, [ScenarioWarning(w.path, w.message, line_of(located, tuple(w.path.split(".")))) for w in scenario_warnings(scenario)]


def _load(name_or_path: str | Path) -> tuple[Scenario, Any]:
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
    return _parse(text, str(path), path.parent)


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text; ``file`` names it in errors."""
    return _parse(text, file)[0]


def _parse(text: str, file: str, base: Path | None = None) -> tuple[Scenario, Any]:
    """The scenario and the round-trip YAML it was read from (for the lines of warnings); ``base``, the folder of
    the file, against which ``mechanism_modules`` are found."""
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioError(file, [Problem("", f"text is over the {MAX_SCENARIO_BYTES:,}-byte cap")])
    if not text.strip():
        raise ScenarioError(file, [Problem("", "the file is empty")])
    data, plain = _read(text, file)
    return scenario_from_data(plain, file, data, base), data


def _read(text: str, file: str) -> tuple[Any, dict[str, Any]]:
    """Scenario YAML text as located YAML (round-trip YAML, or the fast reader's :class:`LocatedMap`:
    where its keys and items are) and as plain data; a :class:`ScenarioError` if it is not YAML a
    scenario may be written in, or not a mapping.

    libyaml reads it where :func:`~coyuntura.scenario.fast_yaml.read_fast` is sure to build what
    ruamel would (the bundled scenarios, and nearly every file); ruamel reads everything else."""
    fast = read_fast(text, MAX_SCENARIO_DEPTH, MAX_SCENARIO_NODES)
    if fast is not None:
        plain, located = fast
        return located, plain
    data, plain = _read_yaml(text, file)
    if data is None:
        raise ScenarioError(file, [Problem("", "the file holds no data")])
    if not isinstance(data, CommentedMap):
        kind = "a list" if isinstance(data, list) else "a single value"
        line = data.lc.line + 1 if isinstance(data, CommentedSeq) else 1
        message = f"the top level must be a mapping of sections (id:, title:, actors:, ...), got {kind}"
        raise ScenarioError(file, [Problem("", message, line)])
    return data, plain


def _read_yaml(text: str, file: str) -> tuple[Any, Any]:
    """The text read by ruamel's round-trip loader (with the depth limit, the screen and the locating
    constructor), and the same as plain data; every problem raised as a :class:`ScenarioError`."""
    yaml = _yaml()
    try:
        # One pass: the scanner refuses nesting past MAX_SCENARIO_DEPTH and the parser screens every
        # event (tags, alias expansion, integers too long to read) as the composer takes it.
        data = yaml.load(text)
        plain = _plain(data)
    except _Refused as refused:
        raise ScenarioError(file, [refused.problem]) from None
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
        raise ScenarioError(file, [Problem("", f"the YAML is nested too deeply to read (at most {MAX_SCENARIO_DEPTH} levels)")]) from None
    except ValueError as error:  # a scalar the constructor cannot read (the screen should have caught it)
        raise ScenarioError(file, [Problem("", f"malformed YAML: {error}")]) from None
    except NotImplementedError as error:  # ruamel's round-trip reader gives up on some comment placements
        raise ScenarioError(file, [Problem("", f"YAML this reader cannot place comments in ({error}): move the comment to its own line")]) from None
    return data, plain


def scenario_from_data(plain: Any, file: str = "<scenario>", located: Any = None, base: Path | None = None) -> Scenario:
    """Validate a scenario given as plain data (what a scenario file reads as); ``located``, the
    round-trip YAML it was read from, gives problems their lines; ``base``, the folder its
    ``mechanism_modules`` are in (a scenario not read from a file cannot name any). Raises :class:`ScenarioError`."""
    files = _mechanism_files(plain, file, located, base)
    try:
        scenario = Scenario.model_validate(plain, context={REGISTRY_CONTEXT: registry_with_files(files)})
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            loc = _file_loc(located, item["loc"])
            problems.append(Problem(_path(loc), validation_message(item), line_of(located, loc)))
        raise ScenarioError(file, problems) from None
    scenario._mechanism_files = files
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(file, [Problem(p.path, p.message, line_of(located, tuple(p.path.split(".")))) for p in problems])
    return scenario


def _mechanism_files(plain: Any, file: str, located: Any, base: Path | None) -> tuple[str, ...]:
    """The Python files named in ``mechanism_modules``, resolved against the scenario's folder and imported (each
    must keep the mechanism contract); the scenario is refused, naming the entry, where one cannot be used."""
    entries = plain.get("mechanism_modules") if isinstance(plain, dict) else None
    if entries is None:
        return ()
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        raise ScenarioError(file, [Problem("mechanism_modules", "must be a list of paths to Python files", line_of(located, ("mechanism_modules",)))])
    files = []
    for index, entry in enumerate(entries):
        where = ("mechanism_modules", index)
        if base is None:
            message = "a scenario not read from a file cannot name mechanism files: save it beside them and load the file"
            raise ScenarioError(file, [Problem(f"mechanism_modules.{index}", message, line_of(located, where))])
        path = (base / entry).resolve()
        if path.suffix != ".py":
            raise ScenarioError(file, [Problem(f"mechanism_modules.{index}", f"{entry!r} is not a Python file (.py)", line_of(located, where))])
        try:
            load_module_file(path)
        except MechanismError as error:
            raise ScenarioError(file, [Problem(f"mechanism_modules.{index}", str(error), line_of(located, where))]) from None
        files.append(str(path))
    try:
        registry_with_files(tuple(files))
    except MechanismError as error:
        raise ScenarioError(file, [Problem("mechanism_modules", str(error), line_of(located, ("mechanism_modules",)))]) from None
    return tuple(files)


class _Refused(Exception):
    """Raised while reading YAML that a scenario may not hold; ``problem`` says what and where."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class _DepthLimitedScanner(RoundTripScanner):
    """ruamel's scanner, refusing collections nested deeper than MAX_SCENARIO_DEPTH as it meets them.

    ruamel keeps per-level bookkeeping (possible simple keys) that it walks for every token, so
    reading n levels costs about n^2: the limit keeps that small and stops at the first level too many.
    """

    def _check_depth(self) -> None:
        depth = len(self.indents) + self.flow_level
        if depth > MAX_SCENARIO_DEPTH:
            line = self.reader.line + 1
            message = f"the YAML is nested too deeply: more than {MAX_SCENARIO_DEPTH} levels (brackets and indentation together); a scenario needs a handful"
            raise _Refused(Problem("", message, line))

    def add_indent(self, column: int) -> bool:
        added = super().add_indent(column)
        if added:
            self._check_depth()
        return added

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: Any) -> None:
        super().fetch_flow_collection_start(TokenClass, to_push)
        self._check_depth()


class _ScreeningParser(RoundTripParser):
    """ruamel's parser, screening each event as the composer takes it: no tags, no alias expansion
    past MAX_SCENARIO_NODES, no integer longer than MAX_INT_DIGITS digits. Nothing is built from a
    refused event, and the text is read once."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._screen_reset()

    def _screen_reset(self) -> None:
        self._sizes: dict[str, int] = {}  # anchor -> values it stands for
        self._open: list[tuple[str | None, int]] = []
        self._total = 0

    def reset_parser(self) -> None:
        super().reset_parser()
        self._screen_reset()

    def get_event(self) -> Any:
        event = super().get_event()
        if event is not None:
            problem = self._screen(event)
            if problem is not None:
                raise _Refused(problem)
        return event

    def _screen(self, event: Any) -> Problem | None:
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        tag = getattr(event, "tag", None)
        if tag is not None:
            tag = str(tag)
            shown = "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag
            return Problem("", f"YAML tag '{shown}' is not allowed: a scenario is plain data and tags are never constructed", line)
        if isinstance(event, AliasEvent):
            self._total += self._sizes.get(event.anchor, 1)
        elif isinstance(event, ScalarEvent):
            self._total += 1
            if event.anchor is not None:
                self._sizes[event.anchor] = 1
            value = event.value
            if not event.style and len(value) > MAX_INT_DIGITS and _DECIMAL_INT.fullmatch(value):
                digits = sum(ch.isdigit() for ch in value)
                if digits > MAX_INT_DIGITS:
                    return Problem("", f"a number of {digits:,} digits; numbers may have at most {MAX_INT_DIGITS:,}", line)
        elif isinstance(event, CollectionStartEvent):
            self._open.append((event.anchor, self._total))
            self._total += 1
        elif isinstance(event, CollectionEndEvent) and self._open:
            anchor, before = self._open.pop()
            if anchor is not None:
                self._sizes[anchor] = self._total - before
        if self._total > MAX_SCENARIO_NODES:
            return Problem(
                "", f"the YAML expands to more than {MAX_SCENARIO_NODES:,} values through anchors and aliases ('&name', '*name')", line
            )
        return None


class _LocatingConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, turning a scalar it cannot read (a date like 2001-13-01, an
    integer like ``0x_``) into a refusal that names its line instead of a bare Python error."""

    def construct_non_recursive_object(self, node: Any, tag: Any = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except (_Refused, YAMLError, RecursionError):
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, ArithmeticError) as error:
            line = node.start_mark.line + 1 if getattr(node, "start_mark", None) is not None else None
            value = node.value if isinstance(getattr(node, "value", None), str) else ""
            shown = f" {value[:40]!r}" if value else ""
            raise _Refused(Problem("", f"cannot read the value{shown}: {error or type(error).__name__}", line)) from None


def _yaml() -> YAML:
    """The scenario reader: ruamel's round-trip loader (plain data only) with the depth limit and the screen."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    yaml.Scanner = _DepthLimitedScanner
    yaml.Parser = _ScreeningParser
    yaml.Constructor = _LocatingConstructor
    return yaml


def _file_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic error location as a path in the file: without the union tags pydantic adds
    (an event's ``kind``), which are not keys of the file."""
    node = data
    kept = []
    for position, part in enumerate(loc):
        if isinstance(node, LocatedMap):
            if part in node.keys or str(part) in node.keys:
                node = node.children.get(part if part in node.keys else str(part))
            elif position < len(loc) - 1:
                continue
            else:
                node = None
        elif isinstance(node, LocatedSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.children.get(part)
        elif isinstance(node, CommentedMap):
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


def validation_message(item: ErrorDetails) -> str:
    """A pydantic error item as one plain sentence."""
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if item["type"] == "extra_forbidden":
        message = "unknown key (not part of the scenario format)"
    if item["type"] == "missing":
        message = "required field is missing"
    if item["type"] in ("tuple_type", "list_type"):
        given = "nothing (an empty key)" if item.get("input") is None else f"a {type(item.get('input')).__name__}"
        message = f"should be a list (items under it, each starting with '- '), got {given}"
    return message


def line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """Best line number (1-based) for a field path in the parsed YAML (round-trip YAML, or the fast reader's)."""
    node = data
    line = None
    for part in loc:
        if isinstance(node, LocatedMap):  # the fast reader's (a scalar value has no entry in children)
            key = str(part)
            if key in node.keys:
                line = node.keys[key][0] + 1
                node = node.children.get(key)
            continue
        if isinstance(node, LocatedSeq):
            try:
                index = int(part)
            except (TypeError, ValueError):
                continue
            if 0 <= index < len(node.items):
                line = node.items[index][0] + 1
                node = node.children.get(index)
            continue
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
