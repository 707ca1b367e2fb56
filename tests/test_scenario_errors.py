"""Bad scenario files are refused with one clear error: file, line, field path, what is wrong.

Every bad input is the toy scenario's text (tests/data/toy.yaml, a shrunken copy of the
bundled one in the same format) with one small edit, written to a temporary file and
loaded with :func:`load_scenario`. The edits find their lines by content, not by number,
so the tests follow changes to the file; each test still asserts the exact line the
error must name. Loading by name is tested on the bundled scenario.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from pydantic import ValidationError

from coyuntura.engine.mechanisms import SCHEDULE
from coyuntura.scenario.calendar import format_month
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import (
    MAX_SCENARIO_BYTES,
    MAX_SCENARIO_NODES,
    bundled_scenarios,
    load_scenario,
)
from coyuntura.scenario.refs import ACTOR_KINDS, is_actor_reference, role_kinds
from coyuntura.scenario.schema import Scenario

from helpers import TOY

pytestmark = pytest.mark.unit

BUNDLED = "bolivia-1952"


# --------------------------------------------------------------------------- helpers


@dataclass
class Doc:
    """A scenario's text, with line lookups and one-line edits (lines are 1-based)."""

    text: str
    scenario: Scenario
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    def find(self, pattern: str, start: int = 1, end: int | None = None) -> int:
        """The first line from ``start`` to ``end`` matching the regex ``pattern``."""
        end = len(self.lines) if end is None else end
        for number in range(start, end + 1):
            if re.search(pattern, self.lines[number - 1]):
                return number
        raise AssertionError(f"no line matches {pattern!r} in lines {start}-{end} of the scenario")

    def find_last(self, pattern: str, start: int, end: int) -> int:
        """The last line from ``start`` to ``end`` matching the regex ``pattern``."""
        matches = [n for n in range(start, end + 1) if re.search(pattern, self.lines[n - 1])]
        assert matches, f"no line matches {pattern!r} in lines {start}-{end} of the scenario"
        return matches[-1]

    def key(self, number: int) -> str:
        """The key written on a line."""
        return re.match(r"^\s*(?:- )?(\w+):", self.lines[number - 1]).group(1)

    def mechanism_of(self, number: int) -> str:
        """The mechanism whose parameters include the line."""
        start, _ = self.section("mechanisms")
        return self.key(self.find_last(r"^  \w+:$", start, number))

    def section(self, key: str) -> tuple[int, int]:
        """First and last line of a top-level section."""
        start = self.find(rf"^{re.escape(key)}:")
        following = [n for n in range(start + 1, len(self.lines) + 1) if re.match(r"^[A-Za-z_]", self.lines[n - 1])]
        return start, (following[0] - 1 if following else len(self.lines))

    def item(self, key: str, index: int) -> tuple[int, int]:
        """First and last line of the ``index``-th ``  - `` item of a top-level list section."""
        start, end = self.section(key)
        starts = [n for n in range(start + 1, end + 1) if self.lines[n - 1].startswith("  - ")]
        assert len(starts) > index, f"{key} has fewer than {index + 1} items"
        last = starts[index + 1] - 1 if index + 1 < len(starts) else end
        while not self.lines[last - 1].strip():
            last -= 1
        return starts[index], last

    def replace(self, number: int, new: str) -> str:
        lines = list(self.lines)
        lines[number - 1] = new
        return "\n".join(lines) + "\n"

    def sub(self, number: int, pattern: str, new: str) -> str:
        line, count = re.subn(pattern, new, self.lines[number - 1], count=1)
        assert count == 1, f"{pattern!r} not on line {number}: {self.lines[number - 1]!r}"
        return self.replace(number, line)

    def insert(self, after: int, *new: str) -> str:
        """Insert lines after line ``after``; the first of them becomes line ``after + 1``."""
        lines = list(self.lines)
        lines[after:after] = list(new)
        return "\n".join(lines) + "\n"

    def set_key(self, start: int, end: int, indent: str, key: str, value: str) -> tuple[str, int]:
        """Set ``key: value`` in the block ``start``..``end``: replace its line, or add one after ``start``."""
        try:
            number = self.find(rf"^{indent}{key}:", start, end)
        except AssertionError:
            return self.insert(start, f"{indent}{key}: {value}"), start + 1
        return self.replace(number, f"{indent}{key}: {value}"), number

    # the first actor is the one the edits below change
    def actor(self) -> tuple[int, int]:
        start, end = self.item("actors", 0)
        assert self.lines[start - 1] == f"  - id: {self.scenario.actors[0].id}"
        return start, end

    def set_actor(self, key: str, value: str) -> tuple[str, int]:
        return self.set_key(*self.actor(), "    ", key, value)


@dataclass
class Case:
    """A bad text and what its error must say: the line, the field path, fragments of the message."""

    text: str
    line: int | None
    path: str
    fragments: tuple[str, ...]


@pytest.fixture(scope="module")
def doc() -> Doc:
    """The toy scenario's text: every edit below starts from it."""
    return Doc(TOY.read_text(encoding="utf-8"), load_scenario(TOY))


def write(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path | str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def assert_reports(error: ScenarioError, file: Path | str, line: int | None, path: str, *fragments: str, only: bool = True) -> None:
    """The error names ``file``; a problem at ``path`` names ``line`` and says every fragment."""
    rendered = str(error)
    assert error.file == str(file)
    assert rendered.startswith(f"scenario {file} is invalid"), rendered
    at_path = [problem for problem in error.problems if problem.path == path]
    assert at_path, f"no problem at {path!r}:\n{rendered}"
    problem = at_path[0]
    assert problem.line == line, rendered
    for fragment in fragments:
        assert fragment in problem.message, rendered
    where = f"{file}:{line}" if line is not None else str(file)
    field_path = f" at {path}" if path else ""
    assert f"  {where}{field_path}: {problem.message}" in rendered.splitlines()
    if only:
        assert len(error.problems) == 1, rendered


def check(tmp_path: Path, case: Case) -> None:
    path = write(tmp_path, case.text)
    assert_reports(refused(path), path, case.line, case.path, *case.fragments)


# --------------------------------------------------------------------------- the good case


def test_bundled_scenario_loads_by_name_and_by_path() -> None:
    path = bundled_scenarios()[BUNDLED]
    by_name = load_scenario(BUNDLED)
    by_path = load_scenario(path)
    bundled = Doc(path.read_text(encoding="utf-8"), by_path)
    assert isinstance(by_name, Scenario)
    assert by_name == by_path
    assert by_name.id == re.search(r"^id: (\S+)$", bundled.text, re.M).group(1)
    start, end = bundled.section("actors")
    assert len(by_name.actors) == sum(line.startswith("  - id: ") for line in bundled.lines[start - 1 : end])


def test_anchors_and_aliases_within_the_cap_are_accepted(tmp_path: Path, doc: Doc) -> None:
    start, end = doc.section("actor_defaults")
    shared = '{value: 0.7, assumption: "Shared through a YAML anchor."}'
    text, _ = doc.set_key(start, end, "  ", "cohesion", f"&shared {shared}")
    edited = Doc(text, doc.scenario)
    text, _ = edited.set_key(*edited.actor(), "    ", "cohesion", "*shared")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.actors[0].cohesion == scenario.actor_defaults.cohesion
    assert scenario.actors[0].cohesion.value == 0.7


# --------------------------------------------------------------------------- the model is immutable


@pytest.mark.parametrize(
    "assign",
    [
        lambda s: setattr(s, "title", "Another title"),
        lambda s: setattr(s.calendar, "start", 0),
        lambda s: setattr(s.actors[0], "weight", None),
        lambda s: setattr(s.actors[0].organization, "value", 0.0),
        lambda s: setattr(s.government, "leader", "Someone else"),
        lambda s: setattr(s.system.corruption, "value", 1.0),
    ],
    ids=["scenario.title", "calendar.start", "actor.weight", "quantity.value", "government.leader", "system.corruption.value"],
)
def test_loaded_scenario_is_immutable(assign: Callable[[Scenario], None]) -> None:
    scenario = load_scenario(TOY)
    before = scenario.model_dump()
    with pytest.raises(ValidationError, match="frozen"):
        assign(scenario)
    assert scenario.model_dump() == before


# --------------------------------------------------------------------------- files that are not scenarios at all


@pytest.mark.parametrize("text", ["", "   \n\n  \n"], ids=["no-bytes", "whitespace"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert_reports(refused(path), path, None, "", "the file is empty")


@pytest.mark.parametrize("text", ["# nothing but a comment\n", "# a comment\n---\n# and another\n", "~\n"], ids=["comment", "document-marker", "null"])
def test_file_without_data(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert_reports(refused(path), path, None, "", "the file holds no data")


@pytest.mark.parametrize(
    "text, line, kind",
    [
        ("- id: bolivia\n- title: Bolivia\n", 1, "got a list"),
        ("# a scenario as a list\n\n- id: bolivia\n", 3, "got a list"),
        ("just some words\n", 1, "got a single value"),
    ],
    ids=["list", "list-after-comment", "scalar"],
)
def test_top_level_not_a_mapping(tmp_path: Path, text: str, line: int, kind: str) -> None:
    path = write(tmp_path, text)
    assert_reports(refused(path), path, line, "", "the top level must be a mapping of sections", kind)


def test_file_over_the_size_cap(tmp_path: Path, doc: Doc) -> None:
    padding = "#" * (MAX_SCENARIO_BYTES - len(doc.text.encode("utf-8")) + 10) + "\n"
    path = write(tmp_path, doc.text + padding)
    size = path.stat().st_size
    assert size > MAX_SCENARIO_BYTES
    assert_reports(refused(path), path, None, "", f"file is {size:,} bytes, over the {MAX_SCENARIO_BYTES:,}-byte cap")


def test_file_not_utf8(tmp_path: Path, doc: Doc) -> None:
    start, end = doc.actor()
    number = doc.find(r"^    name: ", start, end)
    text = doc.replace(number, "    name: Mineros de Bolivia, a\u00f1o 1952").encode("latin-1")
    path = write(tmp_path, text)
    assert_reports(refused(path), path, number, "", "the file is not UTF-8 text", f"byte 0xf1 on line {number}")


@pytest.mark.parametrize("name", ["no-such-scenario", "bolivia-1953"])
def test_unknown_name_or_missing_path(tmp_path: Path, name: str) -> None:
    for target in (name, tmp_path / f"{name}.yaml"):
        assert_reports(refused(target), target, None, "", "no such file, and not a bundled scenario", BUNDLED)


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    assert_reports(refused(tmp_path), tmp_path, None, "", "is not a file")


# --------------------------------------------------------------------------- malformed YAML


def bad_indentation(doc: Doc) -> Case:
    start, end = doc.section("source_document")
    number = doc.find(r"^  author:", start, end)
    return Case(
        doc.sub(number, r"^  author:", "     author:"),
        number,
        "",
        ("malformed YAML", "while parsing a block mapping", "expected <block end>"),
    )


def unclosed_bracket(doc: Doc) -> Case:
    number = doc.find(r"^    checklist: \[.*\]$", *doc.actor())
    return Case(
        doc.sub(number, r"\]$", ""),
        number + 1,  # the parser finds the next key where ',' or ']' should be
        "",
        ("malformed YAML", f"while parsing a flow sequence (started on line {number})", "expected ',' or ']'"),
    )


def unclosed_brace(doc: Doc) -> Case:
    start, end = doc.section("system")
    number = doc.find(r"^  \w+: \{value: .*\}$", start, end)
    return Case(
        doc.sub(number, r"\}$", ""),
        number + 1,
        "",
        ("malformed YAML", f"while parsing a flow mapping (started on line {number})", "expected ',' or '}'"),
    )


def nul_character(doc: Doc) -> Case:
    number = doc.find(r"^    name: ", *doc.actor())
    return Case(doc.sub(number, r"$", "\x00"), number, "", ("malformed YAML", "unacceptable character #x0000"))


def duplicate_key_in_actor(doc: Doc) -> Case:
    start, end = doc.actor()
    number = doc.find(r"^    name: ", start, end)
    return Case(
        doc.insert(number, "    name: The same actor, named twice"),
        number + 1,
        "",
        ("malformed YAML", 'found duplicate key "name"', f"while constructing a mapping (started on line {start})"),
    )


def duplicate_key_at_top_level(doc: Doc) -> Case:
    number = doc.find(r"^title: ")
    return Case(doc.insert(number, 'title: "A second title"'), number + 1, "", ("malformed YAML", 'found duplicate key "title"'))


@pytest.mark.parametrize(
    "build",
    [bad_indentation, unclosed_bracket, unclosed_brace, nul_character, duplicate_key_in_actor, duplicate_key_at_top_level],
    ids=lambda build: build.__name__,
)
def test_malformed_yaml(tmp_path: Path, doc: Doc, build: Callable[[Doc], Case]) -> None:
    check(tmp_path, build(doc))


def test_nesting_too_deep(tmp_path: Path, doc: Doc) -> None:
    path = write(tmp_path, doc.text + "deep: " + "[" * 400 + "]" * 400 + "\n")
    assert_reports(refused(path), path, doc.text.count("\n") + 1, "", "the YAML is nested too deeply")


def test_alias_expansion_over_the_cap(tmp_path: Path) -> None:
    """A few hundred bytes whose aliases stand for millions of values ("billion laughs")."""
    rows = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    rows += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 7)]
    text = "id: laughs\nlaughs:\n" + "".join(f"  {row}\n" for row in rows)
    # values counted in order: 'id', 'laughs' and the mapping (3 + 1 document map), then per row a key and its list
    total, size, expected = 4, 10, None
    for index in range(len(rows)):
        total += 1 + size
        if total > MAX_SCENARIO_NODES and expected is None:
            expected = index + 3
        size = 1 + 9 * size
    assert expected is not None
    path = write(tmp_path, text)
    assert_reports(refused(path), path, expected, "", f"expands to more than {MAX_SCENARIO_NODES:,} values", "anchors and aliases")


# --------------------------------------------------------------------------- YAML tags never construct anything


@pytest.mark.parametrize(
    "where, tag, value",
    [
        ("title", "!!python/object/apply:os.system", '["touch {marker}"]'),
        ("checklist", "!!python/object/apply:os.system", '["touch {marker}"]'),
        ("provenance", "!!python/object/new:os.system", '{{args: ["touch {marker}"]}}'),
        ("name", "!!python/name:os.system", ""),
        ("description", "!!python/object/apply:subprocess.check_call", '[["touch", "{marker}"]]'),
        ("kind", "!custom", "labor"),
    ],
    ids=["apply-on-title", "apply-on-list", "new-on-mapping", "name", "subprocess", "custom-tag"],
)
def test_yaml_tag_is_refused_and_never_executed(tmp_path: Path, doc: Doc, where: str, tag: str, value: str) -> None:
    marker = tmp_path / "hacked"
    value = value.format(marker=marker)
    if where == "title":
        number = doc.find(r"^title: ")
        text = doc.replace(number, f"title: {tag} {value}")
    else:
        number = doc.find(rf"^    {where}: ", *doc.actor())
        text = doc.replace(number, f"    {where}: {tag} {value}".rstrip())
    path = write(tmp_path, text)
    error = refused(path)
    assert not marker.exists()
    assert_reports(error, path, number, "", f"YAML tag '{tag}' is not allowed", "plain data")


def test_tag_on_the_whole_document_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "hacked"
    path = write(tmp_path, f'# a payload\n!!python/object/apply:os.system ["touch {marker}"]\n')
    error = refused(path)
    assert not marker.exists()
    assert_reports(error, path, 2, "", "YAML tag '!!python/object/apply:os.system' is not allowed")


# --------------------------------------------------------------------------- keys and types


def unknown_top_level_key(doc: Doc) -> Case:
    number = doc.find(r"^id: ")
    return Case(doc.insert(number, "colour: blue"), number + 1, "colour", ("unknown key (not part of the scenario format)",))


def unknown_actor_key(doc: Doc) -> Case:
    start, _ = doc.actor()
    return Case(doc.insert(start, "    favourite_food: tin"), start + 1, "actors.0.favourite_food", ("unknown key",))


def unknown_quantity_key(doc: Doc) -> Case:
    text, number = doc.set_actor("weight", '{value: 0.1, assumption: "Small.", confidence: high}')
    return Case(text, number, "actors.0.weight.confidence", ("unknown key",))


def missing_required_field(doc: Doc) -> Case:
    start, end = doc.actor()
    number = doc.find(r"^    kind: ", start, end)
    lines = list(doc.lines)
    del lines[number - 1]
    return Case("\n".join(lines) + "\n", start, "actors.0.kind", ("required field is missing",))


def string_for_a_number(doc: Doc) -> Case:
    text, number = doc.set_actor("weight", '{value: "heavy", assumption: "A strategic sector."}')
    return Case(text, number, "actors.0.weight.value", ("Input should be a valid number", "not text ('heavy')"))


def list_for_a_string(doc: Doc) -> Case:
    text, number = doc.set_actor("name", "[Tin, miners]")
    return Case(text, number, "actors.0.name", ("Input should be a valid string",))


def unknown_actor_kind(doc: Doc) -> Case:
    text, number = doc.set_actor("kind", "merchants")
    return Case(text, number, "actors.0.kind", ("Input should be", "'labor'", "'guerrilla'"))


def unknown_event_kind(doc: Doc) -> Case:
    start, end = doc.item("events", 0)
    number = doc.find(r"^    kind: ", start, end)
    return Case(
        doc.replace(number, "    kind: alien_invasion"),
        start,
        "events.0",
        ("Input tag 'alien_invasion' found using 'kind' does not match any of the expected tags", "'leader_death'"),
    )


def bad_event_field_path_has_no_union_tag(doc: Doc) -> Case:
    start, end = doc.item("events", 0)
    number = doc.find(r"^    description: ", start, end)
    return Case(doc.replace(number, "    description: [not, a, sentence]"), number, "events.0.description", ("Input should be a valid string",))


@pytest.mark.parametrize(
    "build",
    [
        unknown_top_level_key,
        unknown_actor_key,
        unknown_quantity_key,
        missing_required_field,
        string_for_a_number,
        list_for_a_string,
        unknown_actor_kind,
        unknown_event_kind,
        bad_event_field_path_has_no_union_tag,
    ],
    ids=lambda build: build.__name__,
)
def test_keys_and_types(tmp_path: Path, doc: Doc, build: Callable[[Doc], Case]) -> None:
    check(tmp_path, build(doc))


# --------------------------------------------------------------------------- quantities and their provenance


@pytest.mark.parametrize(
    "value, path_suffix, fragments",
    [
        ("0.3", "", ("the number 0.3 needs provenance", "{value: 0.3, source: 'Section, Lx-y', says: ...}", "{value: 0.3, assumption: '...'}")),
        ("7", "", ("the number 7 needs provenance",)),
        (
            '{value: 0.3, source: "{locator}", says: "Strategic.", assumption: "Also assumed."}',
            "",
            ("give exactly one of 'source' (with 'says') or 'assumption'",),
        ),
        ("{value: 0.3}", "", ("give exactly one of 'source' (with 'says') or 'assumption'",)),
        ('{value: 0.3, says: "Strategic."}', "", ("give exactly one of 'source' (with 'says') or 'assumption'",)),
        ('{value: 0.3, source: "{locator}"}', "", ("a 'source' needs 'says'",)),
        ('{value: 0.3, assumption: "   "}', "", ("'assumption' needs a one-line justification",)),
        ('{assumption: "No value at all."}', ".value", ("required field is missing",)),
        ('{value: .nan, assumption: "Not a number."}', "", ("value must be a finite number, got nan",)),
    ],
    ids=["bare-number", "bare-integer", "both-source-and-assumption", "neither", "says-without-source", "source-without-says", "blank-assumption", "no-value", "nan"],
)
def test_quantity_provenance(tmp_path: Path, doc: Doc, value: str, path_suffix: str, fragments: tuple[str, ...]) -> None:
    section = doc.scenario.source_document.sections[0]
    locator = f"{section.title}, L{section.lines[0]}-{section.lines[0]}"
    text, number = doc.set_actor("weight", value.replace("{locator}", locator))
    check(tmp_path, Case(text, number, "actors.0.weight" + path_suffix, fragments))


# --------------------------------------------------------------------------- locators


def test_source_is_not_a_locator(tmp_path: Path, doc: Doc) -> None:
    text, number = doc.set_actor("organization", '{value: 0.5, source: "page 12", says: "Well organized."}')
    check(tmp_path, Case(text, number, "actors.0.organization", ("source 'page 12' is not a locator like 'The Miners, L226-237'",)))


def test_provenance_source_is_not_a_locator(tmp_path: Path, doc: Doc) -> None:
    text, number = doc.set_actor("provenance", '{source: "Petras 1971, p. 12", says: "The miners lead."}')
    check(tmp_path, Case(text, number, "actors.0.provenance.source", ("'Petras 1971, p. 12' is not a locator like 'The Miners, L226-237'",)))


def test_locator_section_does_not_exist(tmp_path: Path, doc: Doc) -> None:
    titles = ", ".join(section.title for section in doc.scenario.source_document.sections)
    text, number = doc.set_actor("organization", '{value: 0.5, source: "No Such Section, L1-2", says: "Well organized."}')
    check(tmp_path, Case(text, number, "actors.0.organization.source", (f"unknown section 'No Such Section'; sections: {titles}",)))


@pytest.mark.parametrize("where", ["actor", "provenance", "mechanism"])
def test_locator_lines_outside_the_section(tmp_path: Path, doc: Doc, where: str) -> None:
    section = doc.scenario.source_document.sections[0]
    first, last = section.lines
    locator = f"{section.title}, L{last}-{last + 5}"
    expected = f"lines L{last}-{last + 5} fall outside section '{section.title}' (L{first}-{last})"
    if where == "actor":
        text, number = doc.set_actor("organization", f'{{value: 0.5, source: "{locator}", says: "Organized."}}')
        path = "actors.0.organization.source"
    elif where == "provenance":
        text, number = doc.set_actor("provenance", f'{{source: "{locator}", says: "They exist."}}')
        path = "actors.0.provenance.source"
    else:
        start, end = doc.section("mechanisms")
        number = doc.find(r'^    \w+: \{value: .*source: "[^"]+"', start, end)
        text = doc.sub(number, r'source: "[^"]+"', f'source: "{locator}"')
        path = f"mechanisms.{doc.mechanism_of(number)}.{doc.key(number)}.source"
    check(tmp_path, Case(text, number, path, (expected,)))


# --------------------------------------------------------------------------- ranges and priors


def organization_above_one(doc: Doc) -> Case:
    text, number = doc.set_actor("organization", '{value: 1.4, assumption: "Very organized."}')
    return Case(text, number, "actors.0.organization", ("value 1.4 is outside the allowed range [0, 1]",))


def radicalism_below_minus_one(doc: Doc) -> Case:
    text, number = doc.set_actor("radicalism", '{value: -2, assumption: "Far right."}')
    return Case(text, number, "actors.0.radicalism", ("value -2.0 is outside the allowed range [-1, 1]",))


def negative_threshold(doc: Doc) -> Case:
    text, number = doc.set_actor("threshold", '{value: -0.1, assumption: "Eager."}')
    return Case(text, number, "actors.0.threshold", ("value -0.1 is outside the allowed range [0, 1e+06]",))


def system_value_above_one(doc: Doc) -> Case:
    text, number = doc.set_key(*doc.section("system"), "  ", "corruption", '{value: 1.5, assumption: "Rampant."}')
    return Case(text, number, "system.corruption", ("value 1.5 is outside the allowed range [0, 1]",))


def snapshot_actor_value_above_one(doc: Doc) -> Case:
    start, end = doc.item("snapshots", 0)
    actors = doc.find(r"^    actors:", start, end)
    actor = doc.scenario.actors[0].id
    text, number = doc.set_key(actors, end, "      ", actor, '{organization: {value: 1.4, assumption: "Very organized."}}')
    return Case(text, number, f"snapshots.0.actors.{actor}.organization", ("value 1.4 is outside the allowed range [0, 1]",))


def snapshot_system_value_above_one(doc: Doc) -> Case:
    start, end = doc.item("snapshots", 0)
    system = doc.find(r"^    system:", start, end)
    text, number = doc.set_key(system, end, "      ", "corruption", '{value: 1.1, assumption: "Rampant."}')
    return Case(text, number, "snapshots.0.system.corruption", ("value 1.1 is outside the allowed range [0, 1]",))


def value_outside_its_prior(doc: Doc) -> Case:
    text, number = doc.set_actor("organization", '{value: 0.9, assumption: "Organized.", prior: {low: 0.1, high: 0.5}}')
    return Case(text, number, "actors.0.organization", ("value 0.9 lies outside its prior range [0.1, 0.5]",))


def prior_low_above_high(doc: Doc) -> Case:
    text, number = doc.set_actor("organization", '{value: 0.3, assumption: "Organized.", prior: {low: 0.5, high: 0.1}}')
    return Case(text, number, "actors.0.organization.prior", ("prior range needs low < high, got low=0.5, high=0.1",))


def prior_beyond_the_allowed_range(doc: Doc) -> Case:
    text, number = doc.set_actor("organization", '{value: 0.5, assumption: "Organized.", prior: {low: -1, high: 2}}')
    return Case(text, number, "actors.0.organization", ("prior range [-1, 2] leaves the allowed range [0, 1]",))


@pytest.mark.parametrize(
    "build",
    [
        organization_above_one,
        radicalism_below_minus_one,
        negative_threshold,
        system_value_above_one,
        snapshot_actor_value_above_one,
        snapshot_system_value_above_one,
        value_outside_its_prior,
        prior_low_above_high,
        prior_beyond_the_allowed_range,
    ],
    ids=lambda build: build.__name__,
)
def test_ranges_and_priors(tmp_path: Path, doc: Doc, build: Callable[[Doc], Case]) -> None:
    check(tmp_path, build(doc))


# --------------------------------------------------------------------------- references to actors


def known_actors(doc: Doc) -> str:
    return ", ".join(sorted(actor.id for actor in doc.scenario.actors))


def unknown_actor_in_mechanism(doc: Doc) -> Case:
    ids = {actor.id for actor in doc.scenario.actors}
    start, end = doc.section("mechanisms")
    number = next(
        n for n in range(start, end + 1) if (m := re.match(r"^    \w+: ([a-z][a-z0-9_]*)$", doc.lines[n - 1])) and m.group(1) in ids
    )
    mechanism, parameter = doc.mechanism_of(number), doc.key(number)
    return Case(doc.replace(number, f"    {parameter}: nobody"), number, f"mechanisms.{mechanism}.{parameter}", ("unknown actor 'nobody'",))


def unknown_actor_in_mechanism_list(doc: Doc) -> Case:
    start, end = doc.section("mechanisms")
    number = doc.find(r"^    \w+: \[[a-z_, ]+\]$", start, end)
    mechanism, parameter = doc.mechanism_of(number), doc.key(number)
    first = doc.scenario.actors[0].id
    text = doc.replace(number, f"    {parameter}: [{first}, nobody]")
    return Case(text, number, f"mechanisms.{mechanism}.{parameter}.1", ("unknown actor 'nobody'",))


def unknown_actor_in_relation(doc: Doc) -> Case:
    start, end = doc.item("relations", 0)
    return Case(doc.sub(start, r"\bto: [a-z0-9_]+", "to: nobody"), start, "relations.0.to", ("unknown actor 'nobody'",))


def unknown_actor_in_coalition(doc: Doc) -> Case:
    start, end = doc.section("government")
    first = doc.scenario.actors[0].id
    text, number = doc.set_key(start, end, "  ", "coalition", f"[{first}, nobody]")
    return Case(text, number, "government.coalition.1", ("unknown actor 'nobody'",))


def unknown_actor_in_snapshot_coalition(doc: Doc) -> Case:
    start, end = doc.item("snapshots", 0)
    government = doc.find(r"^    government:", start, end)
    text, number = doc.set_key(government, end, "      ", "coalition", "[nobody]")
    return Case(text, number, "snapshots.0.government.coalition.0", ("unknown actor 'nobody'",))


def unknown_actor_in_snapshot_actors(doc: Doc) -> Case:
    start, end = doc.item("snapshots", 0)
    actors = doc.find(r"^    actors:", start, end)
    number = doc.find(r"^      [a-z_0-9]+: ", actors + 1, end)
    return Case(doc.sub(number, r"^      [a-z_0-9]+:", "      nobody:"), number, "snapshots.0.actors.nobody", ("unknown actor 'nobody'",))


def unknown_actor_in_event(doc: Doc) -> Case:
    index = next(i for i, event in enumerate(doc.scenario.events) if hasattr(event, "actor"))
    start, end = doc.item("events", index)
    number = doc.find(r"^    actor: ", start, end)
    return Case(doc.replace(number, "    actor: nobody"), number, f"events.{index}.actor", ("unknown actor 'nobody'",))


@pytest.mark.parametrize(
    "build",
    [
        unknown_actor_in_mechanism,
        unknown_actor_in_mechanism_list,
        unknown_actor_in_relation,
        unknown_actor_in_coalition,
        unknown_actor_in_snapshot_coalition,
        unknown_actor_in_snapshot_actors,
        unknown_actor_in_event,
    ],
    ids=lambda build: build.__name__,
)
def test_reference_to_unknown_actor(tmp_path: Path, doc: Doc, build: Callable[[Doc], Case]) -> None:
    case = build(doc)
    check(tmp_path, Case(case.text, case.line, case.path, case.fragments + (f"known actors: {known_actors(doc)}",)))


def test_actor_reference_that_is_not_an_identifier(tmp_path: Path, doc: Doc) -> None:
    start, end = doc.item("snapshots", 0)
    actors = doc.find(r"^    actors:", start, end)
    number = doc.find(r"^      [a-z_0-9]+: ", actors + 1, end)
    text = doc.sub(number, r"^      [a-z_0-9]+:", "      Tin-Miners:")
    check(tmp_path, Case(text, number, "snapshots.0.actors.Tin-Miners.[key]", ("String should match pattern '^[a-z][a-z0-9_]*$'",)))


# --------------------------------------------------------------------------- duplicate ids


@pytest.mark.parametrize("section", ["actors", "events", "snapshots"])
def test_duplicate_ids(tmp_path: Path, doc: Doc, section: str) -> None:
    start, end = doc.item(section, 0)
    identifier = re.match(r"^  - id: (\S+)$", doc.lines[start - 1]).group(1)
    copy = doc.lines[start - 1 : end]
    if section == "snapshots":  # a month of its own, so that the id is the copy's only fault
        used = {s.month for s in doc.scenario.snapshots}
        free = next(m for m in range(doc.scenario.calendar.start, doc.scenario.calendar.horizon + 1) if m not in used)
        copy = [f'    month: "{format_month(free)}"' if re.match(r"^    month: ", line) else line for line in copy]
    text = doc.insert(end, *copy)
    check(tmp_path, Case(text, end + 1, f"{section}.1.id", (f"duplicate id '{identifier}' (also at {section}.0)",)))


# --------------------------------------------------------------------------- months and the calendar


def calendar_span(doc: Doc) -> str:
    return f"{format_month(doc.scenario.calendar.start)}..{format_month(doc.scenario.calendar.horizon)}"


@pytest.mark.parametrize(
    "section, month",
    [("events", "2999-01"), ("events", "1900-06"), ("snapshots", "2999-01"), ("snapshots", "1900-06")],
    ids=["event-after-horizon", "event-before-start", "snapshot-after-horizon", "snapshot-before-start"],
)
def test_month_outside_the_calendar(tmp_path: Path, doc: Doc, section: str, month: str) -> None:
    start, end = doc.item(section, 0)
    number = doc.find(r"^    month: ", start, end)
    text = doc.replace(number, f'    month: "{month}"')
    check(tmp_path, Case(text, number, f"{section}.0.month", (f"{month} is outside the calendar {calendar_span(doc)}",)))


def test_two_snapshots_in_one_month(tmp_path: Path, doc: Doc) -> None:
    """A start given as a month must name one snapshot: the second snapshot of a month is refused, naming the first."""
    first_start, first_end = doc.item("snapshots", 0)
    month = doc.lines[doc.find(r"^    month: ", first_start, first_end) - 1].split(":", 1)[1].strip()
    start, end = doc.item("snapshots", 1)
    number = doc.find(r"^    month: ", start, end)
    text = doc.replace(number, f"    month: {month}")
    first = doc.scenario.snapshots[0].id
    check(tmp_path, Case(text, number, "snapshots.1.month", (f"is also the month of snapshot {first!r} (snapshots.0)",)))


@pytest.mark.parametrize(
    "written, fragment",
    [
        ('"1969-13"', "month 13 in '1969-13' is not between 01 and 12"),
        ('"1969-00"', "month 00 in '1969-00' is not between 01 and 12"),
        ('"69-04"', "expected a month as 'YYYY-MM', got '69-04'"),
        ('"1969-4"', "expected a month as 'YYYY-MM', got '1969-4'"),
        ('"April 1969"', "expected a month as 'YYYY-MM', got 'April 1969'"),
        ("196904", "expected a month as 'YYYY-MM' (in quotes if needed), got the number 196904"),
    ],
    ids=["month-13", "month-00", "two-digit-year", "one-digit-month", "words", "number"],
)
@pytest.mark.parametrize("section", ["events", "snapshots"])
def test_badly_formed_month(tmp_path: Path, doc: Doc, section: str, written: str, fragment: str) -> None:
    start, end = doc.item(section, 0)
    number = doc.find(r"^    month: ", start, end)
    text = doc.replace(number, f"    month: {written}")
    check(tmp_path, Case(text, number, f"{section}.0.month", (fragment,)))


def test_badly_formed_calendar_month(tmp_path: Path, doc: Doc) -> None:
    text, number = doc.set_key(*doc.section("calendar"), "  ", "end", '"1971-3"')
    check(tmp_path, Case(text, number, "calendar.end", ("expected a month as 'YYYY-MM', got '1971-3'",)))


def test_calendar_start_after_end(tmp_path: Path, doc: Doc) -> None:
    start, end = doc.section("calendar")
    text, _ = doc.set_key(start, end, "  ", "start", '"2999-01"')
    calendar = doc.scenario.calendar
    expected = f"calendar needs start <= end <= horizon, got 2999-01, {format_month(calendar.end)}, {format_month(calendar.horizon)}"
    check(tmp_path, Case(text, start, "calendar", (expected,)))


def test_one_actor_in_two_coup_roles_is_refused(tmp_path: Path, doc: Doc) -> None:
    start, end = doc.section("mechanisms")
    number = doc.find(r"^    loyal_faction: army_loyalist$", doc.find(r"^  coup:$", start, end), end)
    text = doc.replace(number, "    loyal_faction: army_right")
    check(tmp_path, Case(text, number, "mechanisms.coup.loyal_faction", (
        "'army_right' already plays right_faction; right_faction, loyal_faction, swing_faction and regional_elite face each other "
        "and need different actors",
    )))


# --------------------------------------------------------------------------- roles: actor kinds and opposing roles


def role_line(doc: Doc, mechanism: str, role: str) -> int:
    """The line of ``role:`` in ``mechanism``'s section of the mechanisms."""
    start, end = doc.section("mechanisms")
    return doc.find(rf"^    {role}: ", doc.find(rf"^  {mechanism}:$", start, end), end)


@pytest.mark.parametrize(
    "mechanism, role, written, path, fragment",
    [
        ("coup", "right_faction", "miners", "right_faction", "'miners' is a 'labor' actor; this role takes army actors"),
        ("coup", "regional_elite", "pcb", "regional_elite", "'pcb' is a 'party' actor; this role takes capital actors"),
        ("patron_leverage", "rival_patron", "pcb", "rival_patron", "'pcb' is a 'party' actor; this role takes foreign actors"),
        ("military_institution", "loyal_faction", "students", "loyal_faction", "'students' is a 'students' actor; this role takes army actors"),
        ("polarization", "army_factions", "[army_loyalist, united_states]", "army_factions.1",
         "'united_states' is a 'foreign' actor; this role takes army actors"),
        ("left_unity", "left_parties", "[pcb, miners]", "left_parties.1", "'miners' is a 'labor' actor; this role takes party actors"),
    ],
    ids=["coup-army", "coup-regional-capital", "us-leverage-foreign", "institution-army", "polarization-list-item", "left-parties"],
)
def test_a_role_refuses_an_actor_of_the_wrong_kind(tmp_path: Path, doc: Doc, mechanism: str, role: str, written: str, path: str, fragment: str) -> None:
    number = role_line(doc, mechanism, role)
    text = doc.replace(number, f"    {role}: {written}")
    check(tmp_path, Case(text, number, f"mechanisms.{mechanism}.{path}", (fragment,)))


@pytest.mark.parametrize(
    "mechanism, role, written, path, fragment",
    [
        ("patron_leverage", "rival_patron", "united_states", "rival_patron",
         "'united_states' already plays foreign_patron; foreign_patron and rival_patron face each other and need different actors"),
        ("military_institution", "loyal_faction", "army_right", "loyal_faction",
         "'army_right' already plays right_faction; right_faction and loyal_faction face each other"),
        ("coup", "backers", "[national_bourgeoisie, army_loyalist]", "backers.1",
         "'army_loyalist' already plays loyal_faction; loyal_faction and backers face each other"),
        ("polarization", "workers", "[miners, army_right]", "workers", None),
    ],
    ids=["rival-powers", "purge-factions", "loyal-backer", "workers-against-army"],
)
def test_roles_that_face_each_other_need_different_actors(
    tmp_path: Path, doc: Doc, mechanism: str, role: str, written: str, path: str, fragment: str | None
) -> None:
    number = role_line(doc, mechanism, role)
    text = doc.replace(number, f"    {role}: {written}")
    if fragment is not None:
        check(tmp_path, Case(text, number, f"mechanisms.{mechanism}.{path}", (fragment,)))
        return
    # workers is declared before army_factions: the actor both name is reported where army_factions names it
    error = refused(write(tmp_path, text))
    army = role_line(doc, mechanism, "army_factions")
    assert_reports(error, tmp_path / "bad.yaml", army, "mechanisms.polarization.army_factions.1",
                   "'army_right' already plays workers; workers and army_factions face each other")


def test_role_declarations_name_roles_and_real_kinds() -> None:
    """Every kind a role accepts is an actor kind, and every role an OPPOSING_ROLES group names is an actor role of its mechanism."""
    for module in SCHEDULE:
        fields = module.Params.model_fields
        for name, info in fields.items():
            assert set(role_kinds(info)) <= set(ACTOR_KINDS), (module.NAME, name)
        for group in module.Params.OPPOSING_ROLES:
            assert len(group) == len(set(group)) >= 2, (module.NAME, group)
            for name in group:
                assert name in fields, (module.NAME, name)
                annotation = fields[name].annotation
                metadata = list(fields[name].metadata) + list(getattr((typing.get_args(annotation) or (None,))[0], "__metadata__", ()))
                assert is_actor_reference(metadata), f"{module.NAME}.{name} is not a role"


def test_a_snapshot_naming_an_unknown_holding_is_refused(tmp_path: Path, doc: Doc) -> None:
    text = doc.text.replace("    nationalized: [gulf_oil]\n", "    nationalized: [gulf_oil, standard_oil]\n", 1)
    assert text != doc.text
    path = write(tmp_path, text)
    error = refused(path)
    assert any("unknown holding 'standard_oil'" in problem.message and ".nationalized.1" in problem.path for problem in error.problems), str(error)


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("arms", "4.0", "4 lies outside [0, 1], the range of an actor's 'arms'"),
        ("radicalism", "-1.5", "-1.5 lies outside [-1, 1], the range of an actor's 'radicalism'"),
        ("radicalism", "-0.9", None),
        ("arms", "0.5, prior: {low: 0.2, high: 1.5}", "its prior range [0.2, 1.5] leaves [0, 1], the range of an actor's 'arms'"),
    ],
)
def test_a_shock_sets_an_actor_attribute_only_within_its_range(tmp_path: Path, doc: Doc, attribute: str, value: str, message: str | None) -> None:
    """A scheduled actor shock is held to the range the attribute has everywhere else (the engine would carry an arms
    level of 4 into every contest of force)."""
    shock = (
        f'  - {{id: shock, kind: actor_shock, month: "1971-01", actor: {doc.scenario.actors[0].id}, attribute: {attribute}, '
        f'value: {{value: {value}, assumption: "A test."}}, description: "A test shock.", assumption: "A test."}}\n'
    )
    assert doc.text.count("\nevents:\n") == 1
    text = doc.text.replace("\nevents:\n", "\nevents:\n" + shock, 1)
    number = text.splitlines().index("events:") + 2
    path = write(tmp_path, text)
    if message is None:
        assert [e.id for e in load_scenario(path).events][0] == "shock"
        return
    assert_reports(refused(path), path, number, "events.0.value", message)


def test_a_loop_count_must_be_a_whole_number(tmp_path: Path, doc: Doc) -> None:
    """The cascade's rounds set how often a step repeats: 2.5 rounds would silently run 2."""
    match = re.search(r"^    rounds: \{value: (\d+),", doc.text, re.M)
    assert match is not None
    number = doc.text[: match.start()].count("\n") + 1
    path = write(tmp_path, doc.text[: match.start(1)] + "2.5" + doc.text[match.end(1) :])
    assert_reports(refused(path), path, number, "mechanisms.mass_mobilization.rounds", "'rounds' is a count", "not 2.5")
