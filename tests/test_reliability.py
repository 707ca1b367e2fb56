"""Regression tests of issue 14's defects 4 (deep YAML), 5 (integers too long to read) and 10 (the Dask dashboard)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import MAX_SCENARIO_DEPTH, load_scenario, parse_scenario

from helpers import bundled_model
from scenario_mutations import bundled_text


def _refusal(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


# --- 4: deep nesting ------------------------------------------------------------------------------


def test_defect_4_deep_nesting_is_refused_fast_with_file_and_line(tmp_path: Path) -> None:
    """40 KB of 20,000 nested brackets, with '&' in a comment (which used to trigger a second, quadratic parse)."""
    path = tmp_path / "deep.yaml"
    path.write_text("# an & in a comment\nid: deep\ntitle: Deep\nnested: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert 40_000 <= path.stat().st_size < 41_000
    began = time.perf_counter()
    error = _refusal(path)
    assert time.perf_counter() - began < 0.5
    [problem] = error.problems
    assert problem.line == 4 and "nested too deeply" in problem.message and f"{MAX_SCENARIO_DEPTH}" in problem.message
    assert str(error).splitlines()[1].strip().startswith(f"{path}:4: ")


@pytest.mark.parametrize(
    "nested",
    [
        "".join(" " * level + f"k{level}:\n" for level in range(1_500)) + " " * 1_500 + "x: 1\n",  # block mappings (1.1 MB)
        "deep:\n" + "- " * 50_000 + "x\n",  # block sequences on one line
        "deep: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n",  # flow mappings
    ],
    ids=["indented-mappings", "dashes", "flow-mappings"],
)
def test_defect_4_every_kind_of_nesting_is_refused_fast(nested: str) -> None:
    began = time.perf_counter()
    with pytest.raises(ScenarioError, match="nested too deeply") as caught:
        parse_scenario("id: deep\n" + nested, "deep.yaml")
    assert time.perf_counter() - began < 0.5
    assert caught.value.problems[0].line is not None


def test_defect_4_tags_and_aliases_are_screened_in_the_one_parse() -> None:
    """The screen runs on the parse that builds the data (no second parse): still refuses tags and alias bombs."""
    with pytest.raises(ScenarioError, match="YAML tag '!!python/object/apply:os.system' is not allowed") as caught:
        parse_scenario("id: x\n# &anchor\nv: !!python/object/apply:os.system [ls]\n", "tag.yaml")
    assert caught.value.problems[0].line == 3
    rows = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    with pytest.raises(ScenarioError, match="expands to more than"):
        parse_scenario("id: laughs\n" + "\n".join(rows) + "\n", "laughs.yaml")


def test_defect_4_the_bundled_scenario_is_read_once() -> None:
    """Its text holds '&', which used to cost a second parse for the screen. It is read once, by
    libyaml (the fast reader) where PyYAML has it, else by ruamel; the same holds for ruamel alone."""
    from ruamel.yaml.events import StreamStartEvent

    from coyuntura.scenario import loader
    from coyuntura.scenario.fast_yaml import fast_reader_available

    streams: list[object] = []
    fast_reads: list[bool] = []
    original = loader._ScreeningParser.get_event
    original_fast = loader.read_fast

    def counting(self):  # type: ignore[no-untyped-def]
        event = original(self)
        if isinstance(event, StreamStartEvent):
            streams.append(event)
        return event

    def counting_fast(*args):  # type: ignore[no-untyped-def]
        read = original_fast(*args)
        fast_reads.append(read is not None)
        return read

    assert "&" in bundled_text()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader._ScreeningParser, "get_event", counting)
        patch.setattr(loader, "read_fast", counting_fast)
        parse_scenario(bundled_text(), "bundled.yaml")
    assert fast_reads == [fast_reader_available()], "the fast reader left the bundled scenario to ruamel"
    assert len(streams) == (0 if fast_reader_available() else 1), "the text was parsed more than once"
    streams.clear()
    with pytest.MonkeyPatch.context() as patch:  # ruamel alone reads text with '&' once too
        patch.setattr(loader._ScreeningParser, "get_event", counting)
        patch.setattr(loader, "read_fast", lambda *args: None)
        with pytest.raises(ScenarioError, match="required field is missing"):
            parse_scenario("id: x\ntitle: 'Petras & the MNR'\n", "small.yaml")
    assert len(streams) == 1, "the text was parsed more than once"


def test_defect_4_deeply_nested_what_if_values_are_refused() -> None:
    from coyuntura.experiments.whatif import parse_assignment, parse_event

    began = time.perf_counter()
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_assignment("mechanisms.coup.decisiveness=" + "[" * 4_000 + "]" * 4_000)
    with pytest.raises(ValueError, match="YAML mapping"):
        parse_event("{id: x, kind: actor_shock, a: " + "{a: " * 1_000 + "1" + "}" * 1_001)
    assert time.perf_counter() - began < 0.5


# --- 5: integers too long to read -----------------------------------------------------------------


@pytest.mark.parametrize("number", ["9" * 5_000, "-" + "9" * 4_301, "1_" + "0" * 4_400], ids=["5000-digits", "negative", "underscores"])
def test_defect_5_integers_over_4300_digits_are_scenario_errors(number: str) -> None:
    text = bundled_text()
    match = re.search(r"value: (0\.16)", text)
    assert match is not None
    mutated = text[: match.start(1)] + number + text[match.end(1) :]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(mutated, "big.yaml")
    [problem] = caught.value.problems
    assert problem.line == text.count("\n", 0, match.start()) + 1
    assert "digits" in problem.message and "4,300" in problem.message


def test_defect_5_a_locator_line_of_thousands_of_digits_is_a_scenario_error() -> None:
    text = bundled_text()
    match = re.search(r'source: "The Miners, L(\d+)', text)
    assert match is not None
    mutated = text[: match.start(1)] + "7" * 5_000 + text[match.end(1) :]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(mutated, "locator.yaml")
    [problem] = caught.value.problems
    assert problem.path.endswith(".source") and "5,000 digits" in problem.message
    assert problem.line == text.count("\n", 0, match.start()) + 1


@pytest.mark.parametrize("scalar", ["2001-13-01", "0x_", "+_"])
def test_defect_5_scalars_the_yaml_library_cannot_read_are_scenario_errors(scalar: str) -> None:
    with pytest.raises(ScenarioError, match="cannot read the value") as caught:
        parse_scenario(f"id: x\ntitle: y\nodd: {scalar}\n", "odd.yaml")
    assert caught.value.problems[0].line == 3


def test_defect_5_value_paths_with_huge_indices_are_unknown_paths() -> None:
    from coyuntura.scenario.paths import PathError, get_value

    scenario = bundled_model().scenario
    for path in ("actors." + "9" * 5_000 + ".arms", "actors.\u00b2.arms"):
        with pytest.raises(PathError):
            get_value(scenario, path)


# --- 10: the Dask dashboard -----------------------------------------------------------------------


@pytest.mark.integration
def test_defect_10_a_local_cluster_listens_on_localhost_only_and_has_no_dashboard() -> None:
    from coyuntura.executor import DaskExecutor, _local_dashboard

    assert _local_dashboard(None) is None
    assert _local_dashboard(":8787") == "127.0.0.1:8787" and _local_dashboard(0) == "127.0.0.1:0"
    with DaskExecutor.local(workers=1) as executor:
        client = executor.client
        scheduler = client.cluster.scheduler
        assert scheduler.address.startswith("tcp://127.0.0.1:")
        assert all(address.startswith("tcp://127.0.0.1:") for address in client.scheduler_info()["workers"])
        sockets = [sock.getsockname() for sock in scheduler.http_server._sockets.values()]
        assert sockets and all(host in ("127.0.0.1", "::1") for host, *_ in sockets), sockets
        port = sockets[0][1]
        with pytest.raises(urllib.error.HTTPError) as status:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10)
        assert status.value.code == 404  # no dashboard pages


def test_a_list_left_empty_is_named_as_such() -> None:
    """``observations:`` with nothing under it reads as null: the message says a list is wanted and what came instead."""
    data = json.loads(bundled_model().scenario.model_dump_json())  # JSON is YAML
    data["observations"] = None
    with pytest.raises(ScenarioError, match=r"at observations: should be a list .*got nothing \(an empty key\)"):
        parse_scenario(json.dumps(data), "empty.yaml")
    data["observations"] = "none"
    with pytest.raises(ScenarioError, match=r"at observations: should be a list .*got a str"):
        parse_scenario(json.dumps(data), "text.yaml")
