"""The fast YAML reader (libyaml, through PyYAML) builds exactly what ruamel's reader builds, or leaves the text to it.

:func:`coyuntura.scenario.fast_yaml.read_fast` reads ordinary scenario text in a few hundredths of a
second; ruamel's round-trip reader (with the loader's depth limit, screen and locating constructor)
takes about half a second. Wherever the fast reader builds data, it must be ruamel's to the type and
to the line of every key and item; wherever the two could disagree (YAML 1.1 scalars, tags, anchors,
duplicate keys, errors) it must return None, so that ruamel reads the text and words any error.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from coyuntura.scenario import loader
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.fast_yaml import LocatedMap, LocatedSeq, fast_reader_available, read_fast
from coyuntura.scenario.loader import MAX_SCENARIO_DEPTH, MAX_SCENARIO_NODES, bundled_scenarios, parse_scenario

from helpers import TOY

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(not fast_reader_available(), reason="PyYAML without libyaml here: every scenario is read by ruamel"),
]


def fast(text: str) -> tuple[dict[str, Any], LocatedMap] | None:
    """The fast reader's plain data and located keys and items, or None where it leaves the text to ruamel."""
    return read_fast(text, MAX_SCENARIO_DEPTH, MAX_SCENARIO_NODES)


def refused_alike(text: str) -> list[Any]:
    """The problems the loader reports for ``text``, checked to be exactly those it reports with ruamel alone."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "text.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "read_fast", lambda *args: None)
        with pytest.raises(ScenarioError) as by_ruamel:
            parse_scenario(text, "text.yaml")
    assert caught.value.problems == by_ruamel.value.problems
    return list(caught.value.problems)


def ruamel(text: str) -> tuple[Any, Any]:
    """ruamel's reading of the text (round-trip YAML, plain data), as the loader did before the fast reader."""
    return loader._read_yaml(text, "text.yaml")


def located(node: Any) -> Any:
    """What the loader reads from round-trip YAML besides the plain data: keys, items, their lines and columns
    (the values' types are ruamel's own there, ScalarFloat and the like: the plain data is compared apart)."""
    if isinstance(node, CommentedMap):
        return ("map", node.lc.line, node.lc.col, [(key, type(key), tuple(node.lc.key(key)), located(value)) for key, value in node.items()])
    if isinstance(node, CommentedSeq):
        return ("seq", node.lc.line, node.lc.col, [(index, tuple(node.lc.item(index)), located(value)) for index, value in enumerate(node)])
    if isinstance(node, LocatedMap):
        return ("map", node.line, node.col, [(key, type(key), tuple(at), located(node.children.get(key))) for key, at in node.keys.items()])
    if isinstance(node, LocatedSeq):
        return ("seq", node.line, node.col, [(index, tuple(at), located(node.children.get(index))) for index, at in enumerate(node.items)])
    return None


def assert_same_as_ruamel(text: str) -> bool:
    """Either the fast reader leaves the text to ruamel, or it builds what ruamel builds; True if it read it."""
    read = fast(text)
    if read is None:
        return False
    data, plain = ruamel(text)  # a ScenarioError here: the fast reader took text ruamel refuses
    assert located(read[1]) == located(data)
    assert exact(read[0]) == exact(plain)
    assert all(type(node) in (dict, list) for node in containers(read[0]))  # plain, as the loader makes ruamel's
    return True


def exact(node: Any) -> Any:
    """Plain data down to the type of every value and the bits of every float (1 and 1.0, True and 1 differ,
    and so do a NaN with its sign bit set, ruamel's, and Python's own)."""
    if isinstance(node, dict):
        return ("dict", [(type(key), key, exact(value)) for key, value in node.items()])
    if isinstance(node, list):
        return ("list", [exact(item) for item in node])
    if isinstance(node, float):
        return (float, struct.pack(">d", node))
    return (type(node), node)


def containers(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [node] + [inner for value in node.values() for inner in containers(value)]
    if isinstance(node, list):
        return [node] + [inner for value in node for inner in containers(value)]
    return []


@pytest.mark.parametrize("path", [*bundled_scenarios().values(), TOY], ids=lambda path: Path(path).name)
def test_the_shipped_scenarios_are_read_fast_and_exactly_as_ruamel_reads_them(path: Path) -> None:
    text = Path(path).read_text(encoding="utf-8")
    assert fast(text) is not None, f"{path} is left to ruamel's slow reader: it uses something fast_yaml's docstring lists"
    assert assert_same_as_ruamel(text)


# YAML 1.1 (PyYAML's resolver) and 1.2 (ruamel's) read these differently, or they are scalars the fast
# reader builds itself: each must read as ruamel reads it, by the fast reader or left to ruamel.
SCALARS = [
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF", "true", "True", "TRUE", "false", "tRue",
    "010", "0o10", "0x1F", "0b11", "1:30", "1:30.5", "190:20:30", "1_000", "1e3", "1E3", "1.0e+3", "1.e3", "2.0E-4",
    "1.5", "-0.25", "+0.5", "1.", ".5", "-.5", ".inf", "-.inf", ".NaN", "+1", "-0", "0", "00", "007", "-0.0", "1e400",
    "12345678901234567890", "3.14159265358979323846264338327950288", "2001-01-01", "2001-01-01 10:00:00", "1952-04",
    "=", "~", "null", "Null", "NULL", "<<", "x y", "é", "'yes'", '"010"', "'1e3'", "a:b", "a #b", "http://x/y",
    "+.inf", ".Inf", ".INF", ".nan", ".NAN", "-.nan", '"\\t\\u00e9\\x41"', "'a\\nb'",
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_reads_as_ruamel_reads_it(scalar: str) -> None:
    text = f"id: x\nvalue: {scalar}\nitems:\n  - {scalar}\n  - [{scalar}, a]\n  - {{k: {scalar}}}\n"
    try:
        ruamel(text)
    except ScenarioError:
        assert fast(text) is None
        return
    assert_same_as_ruamel(text)


def test_yaml_1_1_scalars_keep_their_yaml_1_2_meaning() -> None:
    """``yes`` and ``on`` are strings, ``010`` is ten and ``1:30`` a string (YAML 1.2), ``1e3`` a float."""
    text = "id: x\nyes_: yes\non_: on\noctal: 010\nsexagesimal: 1:30\nexponent: 1e3\nexplicit: 0o10\nflag: True\n"
    data, plain = ruamel(text)
    expected = {"id": "x", "yes_": "yes", "on_": "on", "octal": 10, "sexagesimal": "1:30", "exponent": 1000.0, "explicit": 8, "flag": True}
    assert repr(plain) == repr(expected)
    refused_alike(text)


# Texts the fast reader must leave to ruamel (each an error, or read only by ruamel's rules), and a few it reads.
TEXTS = {
    "duplicate key": "id: x\ntitle: t\nid: y\n",
    "duplicate nested key": "id: x\nsystem:\n  a: 1\n  a: 2\n",
    "duplicate quoted key": "id: x\n'title': t\n\"title\": u\n",
    "tag": "id: x\ntitle: !!str t\n",
    "python tag": "id: x\nv: !!python/object/apply:os.system [ls]\n",
    "custom tag": "id: !custom x\n",
    "non-specific tag": "id: ! x\n",
    "anchor and alias": "id: &a x\ntitle: *a\n",
    "anchor alone": "id: x\nsystem: &s {a: 1}\n",
    "merge key": "id: x\nbase: {a: 1}\nother:\n  <<: {b: 2}\n",
    "yes key": "id: x\nyes: 1\n",
    "number key": "id: x\n1: a\n",
    "null key": "id: x\n~: a\n",
    "collection key": "id: x\n? [a, b]\n: c\n",
    "empty value": "id:\ntitle: t\n",
    "empty item": "id: x\nactors:\n  -\n  - id: a\n",
    "YAML 1.1 directive": "%YAML 1.1\n---\nid: x\nv: yes\n",
    "two documents": "id: x\n---\nid: y\n",
    "tab": "id: x\n\tv: 1\n",
    "carriage returns": "id: x\r\ntitle: t\r\n",
    "byte-order mark": "\ufeffid: x\n",
    "line separator": "id: a\u2028b\n",
    "a list": "- a\n- b\n",
    "a scalar": "hello\n",
    "bad indentation": "id: x\n  title: y\n",
    "unclosed bracket": "id: [a, b\n",
    "nested 40 deep": "id: x\nv: " + "[" * 40 + "]" * 40 + "\n",
    "nested too deep": "id: x\nv: " + "[" * 70 + "]" * 70 + "\n",
    "too long an integer": "id: x\nv: " + "9" * 5_000 + "\n",
    "date": "id: x\nv: 2001-13-01\n",
    "unreadable hex": "id: x\nv: 0x_\n",
    "adjacent value in a flow sequence": 'id: x\nv: ["a":b]\n',
    "adjacent value after a comment": "id: x\nv: [? a #c\n  :b]\n",
    "block scalar key": "id: x\n? |\n  k\n: v\n",
    "bad escape": 'id: "a\\qb"\n',
    "surrogate escape": 'id: "a\\ud800b"\n',
    "plain": "id: x\ntitle: t\nv: [1, 2.5, true, null, 'q', \"d\", {a: b}, .inf, -.inf, .nan, 1e3]\n",
    "escapes": 'id: "tab\\there \\u00e9 \\x41 \\N \\/ \\\\"\ntitle: "two\\\n  lines"\n',
    "folded": "id: x\ntitle: >\n  one\n  two\n\n    more\n  end\n",
}
LEFT_TO_RUAMEL = set(TEXTS) - {"plain", "escapes", "folded", "yes key"}  # "yes" is a string key in YAML 1.2


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_the_loader_says_what_ruamel_alone_says(name: str) -> None:
    """Same problems (message, path, line) with the fast reader as with ruamel alone; the risky texts are ruamel's."""
    text = TEXTS[name]
    assert (fast(text) is None) == (name in LEFT_TO_RUAMEL)
    problems = refused_alike(text)
    if name.startswith("duplicate"):
        assert "duplicate key" in problems[0].message
    if "tag" in name:
        assert "is not allowed" in problems[0].message


def test_validation_problems_get_the_same_lines_from_both_readers() -> None:
    """Problems found after reading take their lines from the located YAML, which the fast reader builds too."""
    text = (
        "id: x\ntitle: t\nunknown_section: 1\nactors:\n  - id: a\n    kind: nonsense\n    bogus: [1, 2]\n"
        "  - {id: b, kind: 3}\n  -\n    id: c\n    \"quoted\": 'q'\ncalendar: {start: \"1970-01\", horizon: 12}\n"
    )
    assert fast(text) is not None
    problems = refused_alike(text)
    lines = {problem.path: problem.line for problem in problems}
    assert lines.get("unknown_section") == 3 and lines.get("actors.0.bogus") == 7, lines


def test_without_libyaml_every_text_is_read_by_ruamel() -> None:
    from coyuntura.scenario import fast_yaml

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_yaml, "_libyaml", lambda: None)
        assert not fast_yaml.fast_reader_available()
        assert fast(TEXTS["plain"]) is None
        with pytest.raises(ScenarioError, match="duplicate key"):
            parse_scenario(TEXTS["duplicate key"], "text.yaml")


WORDS = ["a", "word", "two words", "é ñ", "x-y", "a:b", "a#b", "it's", "L12-14", "1952-04", '"dq word"', "'sq word'", "'it''s'", '"a # b"',
         "1", "-2", "0.5", "1e3", "2.0E-4", "-0.0", "true", "False", "~", "null", "yes", "off", "010", "1:30", "1_000", ".5", "=",
         "[1, 2]", "{a: 1}", "[a, [b, {c: d}]]", "a, b", "50%", "''", '""', "[]", "{}"]


def random_document(rng: random.Random) -> str:
    """A small block document: nested mappings and sequences, comments, blank lines, block scalars, odd scalars."""
    out: list[str] = []

    def block(indent: int, depth: int) -> None:
        pad = " " * indent
        for i in range(rng.randint(1, 4)):
            if rng.random() < 0.15:
                out.append(pad + "# comment")
            if rng.random() < 0.1:
                out.append("")
            key = rng.choice(["k", "id", "b c", "é", "yes", "1", "'q'"]) + (str(i) if rng.random() < 0.9 else "")
            chosen = rng.random()
            if chosen < 0.45 or depth > 3:
                out.append(f"{pad}{key}: {rng.choice(WORDS)}")
            elif chosen < 0.55:
                inner = pad + " " * rng.choice([1, 2, 4])
                out.append(f"{pad}{key}: {rng.choice(['|', '>', '|-', '>+'])}")
                out.extend(rng.choice(["", inner + "text", inner + "  more", inner + "# kept"]) for _ in range(rng.randint(1, 4)))
                out.append(inner + "end")
            elif chosen < 0.75:
                out.append(f"{pad}{key}:")
                block(indent + rng.choice([1, 2, 4]), depth + 1)
            else:
                out.append(f"{pad}{key}:")
                at = " " * (indent + rng.choice([0, 2]))
                for j in range(rng.randint(1, 3)):
                    if rng.random() < 0.5:
                        out.append(f"{at}- {rng.choice(WORDS)}")
                    else:
                        out.extend([f"{at}- id{j}: {rng.choice(WORDS)}", f"{at}  v{j}: {rng.choice(WORDS)}"])

    block(0, 0)
    return "\n".join(out) + "\n"


def test_random_documents_read_alike() -> None:
    """A differential check on small generated documents: whatever the fast reader takes, ruamel reads alike."""
    rng = random.Random(1952)
    taken = sum(assert_same_as_ruamel(random_document(rng)) for _ in range(300))
    assert taken > 50  # the check means something only if the fast reader takes many of them


def test_ruamel_giving_up_on_a_comment_is_a_clear_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    # ruamel's round-trip reader raises NotImplementedError ("overlap in comment") on some comment placements.
    from ruamel.yaml import YAML

    def give_up(self: object, text: str) -> None:
        raise NotImplementedError("overlap in comment")

    monkeypatch.setattr(YAML, "load", give_up)
    with pytest.raises(ScenarioError) as caught:
        loader._read_yaml("a: 1\n", "x.yaml")
    assert caught.value.problems[0].message == (
        "YAML this reader cannot place comments in (overlap in comment): move the comment to its own line"
    )
