"""Mutants of the bundled scenario for fuzzing the validator, the engine, the CLI and the API.

A mutant is the bundled scenario with a few random changes, either to its data (what the file
reads as: delete a key, change a number or a type, swap or invent actor ids, empty a list,
duplicate an item, move a month, swap two sections' values) or to its YAML text (deep nesting,
integers too long to read, locator lines of thousands of digits, tags, anchors and aliases,
deleted, duplicated or re-indented lines, odd scalars). Everything is driven by one
``random.Random``, so Hypothesis (``st.randoms()``) can shrink a failing mutant and the long run
in ``benchmarks/fuzz_scenarios.py`` is reproducible from its seed.

The rule fuzzed: :func:`check_mutant` either refuses a mutant with a :class:`ScenarioError`, or
accepts it, and then :func:`simulate_mutant` runs it to the end without an exception.
"""

from __future__ import annotations

import copy
import random
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from coyuntura.engine.model import compile_scenario
from coyuntura.engine.simulate import Ensemble, simulate
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import _read, bundled_scenarios, parse_scenario, scenario_from_data
from coyuntura.scenario.schema import Scenario

BUNDLED = "bolivia-1952"
MONTH = re.compile(r"^\d{4}-\d{2}$")

DATA_OPS = ("delete_key", "number", "retype", "actor_id", "roles", "empty_list", "duplicate_item", "month", "swap")
TEXT_OPS = ("deep_nesting", "big_int", "big_locator", "tag", "anchor", "line_edit", "indent", "odd_scalar")


@lru_cache(maxsize=1)
def bundled_text() -> str:
    return bundled_scenarios()[BUNDLED].read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _bundled_data() -> dict[str, Any]:
    return _read(bundled_text(), "bundled.yaml")[1]


def bundled_data() -> dict[str, Any]:
    """The bundled scenario as plain data (a fresh copy to change)."""
    return copy.deepcopy(_bundled_data())


@dataclass
class Mutant:
    """A changed scenario: as data (``text`` None) or as YAML text (``data`` None), and what was done."""

    family: str  # "data" or "text"
    ops: list[str] = field(default_factory=list)
    data: dict[str, Any] | None = None
    text: str | None = None

    @property
    def kinds(self) -> str:
        return "+".join(sorted({op.split(":", 1)[0] for op in self.ops}))

    def describe(self) -> str:
        return f"{self.family} mutant: " + "; ".join(op[:160] for op in self.ops)


# --- walking plain data ---------------------------------------------------------------------------


def _nodes(node: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, node) below ``node``, the root included."""
    found = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _nodes(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _nodes(value, path + (index,))
    return found


def _parent(data: Any, path: tuple) -> tuple[Any, Any]:
    node = data
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


def _set(data: Any, path: tuple, value: Any) -> None:
    parent, key = _parent(data, path)
    parent[key] = value


def _show(path: tuple) -> str:
    return ".".join(str(part) for part in path)


def _actor_ids(data: dict[str, Any]) -> list[str]:
    actors = data.get("actors")
    if not isinstance(actors, list):
        return []
    return [actor["id"] for actor in actors if isinstance(actor, dict) and isinstance(actor.get("id"), str)]


def _number_value(rng: random.Random, old: float) -> Any:
    if rng.random() < 0.4:  # a plausible change, so that more mutants are accepted and simulated
        return rng.choice([round(old * rng.uniform(0.0, 2.0), 4), round(rng.uniform(0.0, 1.0), 3), int(old) + rng.choice([-1, 1])])
    return rng.choice([
        0, -1, 1, 2, 0.5, -0.5, 1.5, 1e6, -1e6, 1e308, -1e308, float("inf"), float("nan"), 10**30, -(10**30), 2**63, 2**64,
        round(rng.uniform(-3.0, 3.0), 3), rng.randint(-5, 60), True, False, "0.5", None, 1e-300,
    ])


def _odd_value(rng: random.Random) -> Any:
    return rng.choice(["x", "", "miners", True, False, None, [], {}, [1, 2], ["miners"], {"value": 0.5}, 0, 0.5, "1970-01", {"a": {"b": []}}])


def _data_op(data: dict[str, Any], rng: random.Random) -> str:
    op = rng.choice(DATA_OPS)
    nodes = _nodes(data)[1:]
    if op == "delete_key":
        keyed = [(p, n) for p, n in nodes if isinstance(p[-1], str)]
        path, _ = rng.choice(keyed)
        parent, key = _parent(data, path)
        del parent[key]
        return f"delete_key: {_show(path)}"
    if op == "number":
        numbers = [(p, n) for p, n in nodes if isinstance(n, (int, float)) and not isinstance(n, bool)]
        path, old = rng.choice(numbers)
        value = _number_value(rng, old)
        _set(data, path, value)
        return f"number: {_show(path)} {old!r} -> {value!r}"
    if op == "retype":
        path, old = rng.choice(nodes)
        value = _odd_value(rng)
        _set(data, path, value)
        return f"retype: {_show(path)} {type(old).__name__} -> {value!r}"
    if op == "actor_id":
        ids = _actor_ids(data)
        uses = [(p, n) for p, n in nodes if isinstance(n, str) and n in ids]
        if not uses:
            return "actor_id: (no actor ids left)"
        path, old = rng.choice(uses)
        value = rng.choice(ids + ["nobody", "", "Miners", "miners "])
        _set(data, path, value)
        return f"actor_id: {_show(path)} {old!r} -> {value!r}"
    if op == "roles":
        mechanisms = data.get("mechanisms")
        roles = [(("mechanisms",) + p, n) for p, n in _nodes(mechanisms)[1:] if isinstance(n, list) and all(isinstance(x, str) for x in n)] if isinstance(mechanisms, dict) else []
        if not roles:
            return "roles: (no role lists)"
        path, old = rng.choice(roles)
        ids = _actor_ids(data)
        choice = rng.randrange(4)
        value = [] if choice == 0 else old[: rng.randrange(len(old) + 1)] if choice == 1 else rng.sample(ids, min(len(ids), rng.randint(1, 4))) if choice == 2 else old + old[:1]
        _set(data, path, value)
        return f"roles: {_show(path)} {old!r} -> {value!r}"
    if op == "empty_list":
        lists = [(p, n) for p, n in nodes if isinstance(n, list) and n]
        path, old = rng.choice(lists)
        _set(data, path, [])
        return f"empty_list: {_show(path)} ({len(old)} items)"
    if op == "duplicate_item":
        lists = [(p, n) for p, n in nodes if isinstance(n, list) and n]
        path, items = rng.choice(lists)
        item = copy.deepcopy(rng.choice(items))
        items.insert(rng.randrange(len(items) + 1), item)
        return f"duplicate_item: {_show(path)}"
    if op == "month":
        months = [(p, n) for p, n in nodes if isinstance(n, str) and MONTH.match(n)]
        path, old = rng.choice(months)
        value = rng.choice([f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}", "1952-13", "1952-00", "0000-01", "9999-12", "1952-4"])
        _set(data, path, value)
        return f"month: {_show(path)} {old!r} -> {value!r}"
    # swap: two values under the same parent
    parents = [(p, n) for p, n in [((), data)] + nodes if isinstance(n, dict) and len(n) >= 2]
    path, parent = rng.choice(parents)
    first, second = rng.sample(list(parent), 2)
    parent[first], parent[second] = parent[second], parent[first]
    return f"swap: {_show(path)}.{{{first}, {second}}}"


# --- changing text --------------------------------------------------------------------------------


def _text_op(text: str, rng: random.Random) -> tuple[str, str]:
    op = rng.choice(TEXT_OPS)
    lines = text.split("\n")
    if op == "deep_nesting":
        depth = rng.choice([rng.randint(2, 80), rng.randint(80, 2_000), rng.randint(2_000, 20_000)])
        comment = "# & and ! in a comment\n" if rng.random() < 0.5 else ""
        if rng.random() < 0.7:
            brackets = rng.choice(["[", "{a: "])
            closing = "]" if brackets == "[" else "}"
            block = f"{comment}deep_fuzz: {brackets * depth}{closing * depth}\n"
        else:
            depth = min(depth, 3_000)
            block = comment + "".join(" " * level + f"k{level}:\n" for level in range(depth)) + " " * depth + "x: 1\n"
        at = rng.choice([len(text), 0])
        return (text + "\n" + block if at else block + text), f"deep_nesting: {depth} levels{' with & in a comment' if comment else ''}"
    if op == "big_int":
        matches = list(re.finditer(r"value: (-?[0-9.]+)", text))
        match = rng.choice(matches)
        digits = rng.choice([rng.randint(20, 4_300), rng.randint(4_301, 6_000)])
        number = rng.choice(["", "-", "+"]) + "9" * digits
        return text[: match.start(1)] + number + text[match.end(1) :], f"big_int: {digits} digits on line {text.count(chr(10), 0, match.start()) + 1}"
    if op == "big_locator":
        matches = list(re.finditer(r", L(\d+)", text))
        match = rng.choice(matches)
        digits = rng.choice([rng.randint(10, 4_300), rng.randint(4_301, 6_000)])
        return text[: match.start(1)] + "7" * digits + text[match.end(1) :], f"big_locator: {digits} digits on line {text.count(chr(10), 0, match.start()) + 1}"
    if op == "tag":
        matches = list(re.finditer(r": ", text))
        match = rng.choice(matches)
        tag = rng.choice(["!!python/object/apply:os.system ", "!custom ", "!!str ", "!!binary ", "!<tag:yaml.org,2002:int> "])
        return text[: match.end()] + tag + text[match.end() :], f"tag: {tag.strip()} on line {text.count(chr(10), 0, match.start()) + 1}"
    if op == "anchor":
        if rng.random() < 0.5:
            rows = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, rng.randint(2, 9))]
            return text + "\nlaughs:\n" + "".join(f"  {row}\n" for row in rows), f"anchor: alias bomb of {len(rows)} levels"
        sections = [i for i, line in enumerate(lines) if re.match(r"^[a-z_]+:\s*$", line)]
        first, second = rng.sample(sections, 2)
        name = lines[second].split(":")[0]
        lines[first] = lines[first].rstrip() + " &fuzz"
        lines[second] = f"{name}: *fuzz"
        return "\n".join(lines), f"anchor: {name} aliases the section on line {first + 1}"
    if op == "line_edit":
        index = rng.randrange(len(lines))
        kind = rng.choice(["delete", "duplicate", "swap", "truncate"])
        if kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "swap":
            other = min(len(lines) - 1, index + 1)
            lines[index], lines[other] = lines[other], lines[index]
        else:
            lines[index] = lines[index][: rng.randrange(len(lines[index]) + 1)]
        return "\n".join(lines), f"line_edit: {kind} line {index + 1}"
    if op == "indent":
        index = rng.choice([i for i, line in enumerate(lines) if line.strip()])
        shift = rng.choice([-4, -2, -1, 1, 2, 4])
        lines[index] = " " * shift + lines[index] if shift > 0 else lines[index][min(-shift, len(lines[index]) - len(lines[index].lstrip())) :]
        return "\n".join(lines), f"indent: line {index + 1} by {shift:+d}"
    # odd scalar in place of a value
    matches = list(re.finditer(r"(value|weight|threshold): ([^,}\n]+)", text))
    match = rng.choice(matches)
    scalar = rng.choice(["2001-13-01", "0x_", "+_", ".nan", ".inf", "-.inf", "~", "yes", "0o17", "1:20", "'unterminated", '"\\q"', "\t1", "1e99999",
                         "0b101", "1_000", "[1, 2]", "{}", "null", "\u00b2", "\u0663", "'0.5'", "true", "1e-999"])
    return text[: match.start(2)] + scalar + text[match.end(2) :], f"odd_scalar: {scalar!r} on line {text.count(chr(10), 0, match.start()) + 1}"


def mutate(rng: random.Random, family: str | None = None, n_ops: int | None = None) -> Mutant:
    """A mutant of the bundled scenario: 1-3 changes to its data, or to its text (one time in five)."""
    family = family or ("text" if rng.random() < 0.2 else "data")
    n_ops = n_ops or rng.choice([1, 1, 1, 2, 3])
    mutant = Mutant(family)
    if family == "data":
        data = bundled_data()
        for _ in range(n_ops):
            mutant.ops.append(_data_op(data, rng))
        mutant.data = data
    else:
        text = bundled_text()
        for _ in range(n_ops):
            text, op = _text_op(text, rng)
            mutant.ops.append(op)
        mutant.text = text
    return mutant


# --- the rule -------------------------------------------------------------------------------------


def check_mutant(mutant: Mutant) -> Scenario:
    """Validate a mutant like ``coyuntura check`` (a text mutant) or like a file's data (a data
    mutant, without the YAML): a scenario, or :class:`ScenarioError`; anything else is a defect."""
    if mutant.text is not None:
        return parse_scenario(mutant.text, "mutant.yaml")
    return scenario_from_data(mutant.data, "mutant.yaml")


def simulate_mutant(scenario: Scenario, rng: random.Random, runs: int = 100, months: int = 24) -> Ensemble:
    """Simulate an accepted mutant: ``runs`` runs of ``months`` months from its start or a snapshot."""
    model = compile_scenario(scenario)
    starts: list[Any] = [None] + [snapshot.id for snapshot in scenario.snapshots]
    start = rng.choice(starts)
    first = scenario.snapshot(start).month if start is not None else scenario.calendar.start
    until = min(first + months - 1, scenario.calendar.horizon)
    return simulate(model, runs, seed=rng.randrange(2**32), start=start, until=until)


@dataclass
class Outcome:
    """What became of one mutant."""

    mutant: Mutant
    verdict: str  # "refused", "accepted", "uncaught" (checking raised something else) or "crashed" (an accepted one failed to run)
    error: BaseException | None = None
    check_seconds: float = 0.0
    simulate_seconds: float = 0.0


def try_mutant(mutant: Mutant, rng: random.Random, runs: int = 100, months: int = 24, timer: Callable[[], float] = time.perf_counter) -> Outcome:
    """Check a mutant and, if accepted, simulate it; classify what happened (never raises)."""
    began = timer()
    try:
        scenario = check_mutant(mutant)
    except ScenarioError as error:
        return Outcome(mutant, "refused", error, timer() - began)
    except Exception as error:  # noqa: BLE001 - that is what is being counted
        return Outcome(mutant, "uncaught", error, timer() - began)
    checked = timer()
    try:
        simulate_mutant(scenario, rng, runs, months)
    except Exception as error:  # noqa: BLE001
        return Outcome(mutant, "crashed", error, checked - began, timer() - checked)
    return Outcome(mutant, "accepted", None, checked - began, timer() - checked)




# --- requests: what a user asks the API and the CLI for ---------------------------------------------

ODD_PATHS = ("calendar.start", "snapshots", "actors", "observations", "mechanisms.left_unity.labor", "events", "nope.x", "a b", "actors." + "9" * 50)
ODD_VALUES = ("miners", "x", "", "1970-01", "0.5", True, False, [], ["miners"], ["nobody"], 2**63, -1, 0, 1e300, -0.5, 10**30)
BAD_COUNTS = (2**63, -1, 0, "5", True, 1.5, None, 10**12, 2**64)


def _plausible(scenario: Scenario, path: str, rng: random.Random) -> Any:
    """A value of the same kind as the one at ``path`` (half the time), so that some what-ifs are accepted."""
    from coyuntura.scenario.paths import get_value

    try:
        current = get_value(scenario, path)
    except (KeyError, ValueError):
        current = None
    if rng.random() < 0.5:
        if isinstance(current, bool):
            return not current
        if isinstance(current, (int, float)):
            return type(current)(current * rng.choice([0, 0.5, 0.9, 1.1, 1.5, 2]))
    return rng.choice(ODD_VALUES)


def random_request(rng: random.Random, scenario: Scenario, paths: list[str]) -> dict[str, Any]:
    """A ``POST /api/runs`` body: small runs and short spans, every field well-formed half the time,
    else one or two fields odd (a wrong type, out of range, unknown, or a path the what-if may not change)."""
    events = [e.id for e in scenario.events]
    changeable = [path for path in paths if not path.startswith(("observations.", "experiments.", "source_document.", "not_represented."))]
    changes = {}
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        path = rng.choice(changeable if rng.random() < 0.9 else paths)
        changes[path] = _plausible(scenario, path, rng)
    body: dict[str, Any] = {
        "scenario": scenario.id,
        "start": rng.choice([None, "october_1970", "march_1971", "september_1970", "1970-10"]),
        "until": rng.choice(["1971-06", "1971-12", "1972-03"]),
        "changes": changes,
        "cancel_events": rng.sample(events, rng.choice([0, 0, 0, 1])),
        "runs": rng.randint(2, 12),
        "seed": rng.randrange(2**32),
    }
    if rng.random() < 0.2:
        body["experiment"] = rng.choice([e.id for e in scenario.experiments])
    odd = {
        "scenario": ("nope", "../etc/passwd", "Bolivia", "", 7),
        "start": ("nope", "1999-01", format_start(scenario), "1952-4", None),
        "until": (None, "1952-03", "2100-01", "1971-13", "71-01", 197101),
        "changes": ({rng.choice(ODD_PATHS): rng.choice(ODD_VALUES)}, {rng.choice(paths): rng.choice(ODD_VALUES)}, [], "x"),
        "cancel_events": (["nope"], events + events, "barrientos_dies"),
        "runs": BAD_COUNTS,
        "seed": BAD_COUNTS,
        "experiment": ("nope", "", None),
    }
    if rng.random() < 0.5:
        for key in rng.sample(sorted(odd), rng.choice([1, 1, 2])):
            value = rng.choice(odd[key])
            if value is None and rng.random() < 0.5:
                body.pop(key, None)
            else:
                body[key] = value
    return body


def format_start(scenario: Scenario) -> str:
    from coyuntura.scenario.calendar import format_month

    return format_month(scenario.calendar.start)


SCALAR_TEXTS = ("0.5", "2", "-1", "true", "[]", "[miners]", "abc", "1e999", "9" * 5000, "null", "{a: 1}", "'0.7'", "2001-13-01", "0x_", ".nan", "[" * 3000 + "]" * 3000)


def random_cli_args(rng: random.Random, scenario: Scenario, paths: list[str], store: str) -> list[str]:
    """Arguments of ``coyuntura whatif`` (small, or with odd run counts, seeds, paths and values) or ``runs list``."""
    if rng.random() < 0.25:
        limit = rng.choice([rng.randint(-5, 100), 2**63, 2**64, -(2**63), 0])
        return ["runs", "list", "--limit", str(limit), "--store", store]
    path = rng.choice(paths) if rng.random() < 0.85 else rng.choice(ODD_PATHS + ("actors." + "9" * 5000,))
    if rng.random() < 0.5:
        value = _plausible(scenario, path, rng)
        text = "true" if value is True else "false" if value is False else str(value)
    else:
        text = rng.choice(SCALAR_TEXTS)
    runs = rng.randint(2, 20) if rng.random() < 0.8 else rng.choice([-1, 0, 1, 10**12, 2**64])
    seed = rng.randrange(2**32) if rng.random() < 0.8 else rng.choice([-1, 2**63, 2**64])
    return ["whatif", scenario.id, "--from", "october_1970", "--until", rng.choice(["1970-12", "1971-03"]), "--runs", str(runs),
            "--seed", str(seed), "--set", f"{path}={text}", "--json", "--store", store]
