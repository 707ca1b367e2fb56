"""What-if experiments with common random numbers.

An :class:`Intervention` changes a scenario: values at value paths
(``mechanisms.coup.decisiveness``, ``snapshots.october_1970.actors.miners.arms``, see
:mod:`coyuntura.scenario.paths`), events added or cancelled, a start snapshot and a
last month. :func:`run_whatif` simulates the baseline and the changed scenario with
the same seed: run k of one and run k of the other read the same random stream
(engine/random.py: a stream depends only on seed, start month and run index, and
every decision reads its own named slot), so their difference is the effect of the
intervention on that history and not sampling noise. For every outcome it reports
both probabilities and the mean paired difference with a 95% interval (normal
approximation over the paired per-run differences).

Values given as text (``--set PATH=VALUE``) are read as YAML scalars by a safe
loader - numbers, booleans, words, lists of words - and never evaluated.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..engine.model import compile_scenario
from ..engine.simulate import simulate
from ..engine.tables import Column, Table, standard_error, to_dict
from ..executor import Executor, as_executor
from ..extras import require
from ..parallel import DEFAULT_CHUNK_RUNS, chunks
from ..scenario.calendar import format_month
from ..scenario.checks import intervention_warnings
from ..scenario.paths import merged_changes, relax_priors, unpaired_change, value_named_twice, with_values
from ..scenario.schema import Scenario
from .measures import OUTCOME_LABELS, outcome_labels, outcome_matrix, outcome_names, scenario_outcomes

CLI_ASSUMPTION = "what-if intervention given on the command line"
Z95 = 1.959963984540054
MAX_TEXT = 10_000


@dataclass(frozen=True)
class Intervention:
    """What a what-if changes. ``start`` is a snapshot id or month; ``until`` a month index."""

    name: str = "what-if"
    title: str = ""
    start: str | None = None
    until: int | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)
    add_events: tuple[Mapping[str, Any], ...] = ()
    cancel_events: tuple[str, ...] = ()
    provenance: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (for the run store and ``--json``)."""
        return {
            "name": self.name,
            "title": self.title,
            "from": self.start,
            "until": format_month(self.until) if self.until is not None else None,
            "set": dict(self.changes),
            "add_events": [dict(event) for event in self.add_events],
            "cancel_events": list(self.cancel_events),
            "provenance": self.provenance,
        }


# --- reading interventions -------------------------------------------------------------------


MAX_NESTING = 16
"""Deepest bracket nesting a ``--set`` value or ``--add-event`` mapping may have (checked before YAML reads it:
the YAML library's cost grows with the square of the depth)."""


def _too_deep(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif ch in "]}":
            depth = max(0, depth - 1)
    return False


def parse_value(text: str) -> Any:
    """A YAML scalar (number, boolean, word) or a flow list of them, read safely; never evaluated."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"value is over {MAX_TEXT:,} characters")
    if _too_deep(text):
        raise ValueError(f"cannot read value {text[:40]!r}...: nested too deeply (more than {MAX_NESTING} brackets)")
    if not text.strip():
        raise ValueError("empty value: write PATH=VALUE, e.g. mechanisms.coup.decisiveness=2.5")
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"cannot read value {text!r}: {reason}") from None
    except RecursionError:
        raise ValueError(f"cannot read value {text[:40]!r}...: nested too deeply") from None
    if isinstance(value, list) and all(_is_scalar(item) for item in value):
        return value
    if not _is_scalar(value):
        raise ValueError(f"value {text!r} must be a number, true/false, a word or a list [a, b]; got {type(value).__name__}")
    return value


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str))


def parse_assignment(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` -> (path, value)."""
    path, sep, value = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"--set needs PATH=VALUE, e.g. mechanisms.coup.decisiveness=2.5; got {text!r}")
    return path, parse_value(value.strip())


def parse_assignments(texts: Sequence[str], scenario: Scenario | None = None) -> dict[str, Any]:
    """Several ``PATH=VALUE`` as {path: value}; a path given twice is refused, not decided by its last value, and
    with ``scenario`` so is one value under two spellings (``actors.0.arms`` and ``actors.miners.arms.value``)."""
    changes: dict[str, Any] = {}
    for text in texts:
        path, value = parse_assignment(text)
        if path in changes:
            raise ValueError(f"--set gives {path} twice ({changes[path]!r} and {value!r}); give each path once")
        changes[path] = value
    twice = value_named_twice(scenario, changes) if scenario is not None else None
    if twice is not None:
        raise ValueError(f"--set: {twice}")
    return changes


_SHOCK = re.compile(r"^(?P<id>[a-z][a-z0-9_]*):(?P<month>\d{4}-\d{2}):(?P<actor>[a-z][a-z0-9_]*)\.(?P<attribute>[a-z][a-z0-9_]*)=(?P<value>.+)$")


def parse_event(text: str) -> dict[str, Any]:
    """An event to add, in one of two forms.

    - ``ID:YYYY-MM:ACTOR.ATTRIBUTE=VALUE``: an ``actor_shock`` setting one attribute of one
      actor in that month, e.g. ``arm_miners:1970-10:miners.arms=0.7``;
    - a YAML mapping in the scenario file's event format, e.g.
      ``{id: foco, kind: guerrilla_arrival, month: 1970-10, actor: guerrillas, organization: 0.5, arms: 0.6}``;
      ``description`` and provenance default to a note that it is a what-if, and bare numbers
      get that note as their assumption.
    """
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"event is over {MAX_TEXT:,} characters")
    match = _SHOCK.match(text)
    if match:
        value = parse_value(match["value"])
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"--add-event {text!r}: the value must be a number")
        return {
            "id": match["id"],
            "kind": "actor_shock",
            "month": match["month"],
            "description": f"What-if: {match['actor']}.{match['attribute']} set to {value:g}.",
            "actor": match["actor"],
            "attribute": match["attribute"],
            "value": {"value": value, "assumption": CLI_ASSUMPTION},
            "assumption": CLI_ASSUMPTION,
        }
    try:
        data = YAML(typ="safe", pure=True).load(text) if not _too_deep(text) else None
    except (YAMLError, RecursionError) as error:
        data = error
    if not isinstance(data, dict):
        raise ValueError(
            f"--add-event {text!r}: write ID:YYYY-MM:ACTOR.ATTRIBUTE=VALUE (e.g. arm_miners:1970-10:miners.arms=0.7) "
            "or a YAML mapping {id: ..., kind: actor_shock|guerrilla_arrival|leader_death, month: YYYY-MM, ...}"
        )
    event = {str(key): value for key, value in data.items()}
    event.setdefault("description", f"What-if event {event.get('id', '')}.".strip())
    if "source" not in event and "assumption" not in event:
        event["assumption"] = CLI_ASSUMPTION
    for key, value in list(event.items()):
        if key != "month" and isinstance(value, (int, float)) and not isinstance(value, bool):
            event[key] = {"value": value, "assumption": CLI_ASSUMPTION}
    return event


def experiment_intervention(scenario: Scenario, experiment_id: str) -> Intervention:
    """The scenario's named experiment as an :class:`Intervention`."""
    experiment = scenario.experiment(experiment_id)
    provenance = experiment.provenance
    cited = f"{provenance.source}: {provenance.says}" if provenance.source else f"assumption: {provenance.assumption}"
    return Intervention(
        name=experiment.id,
        title=experiment.title,
        start=experiment.start,
        until=experiment.until,
        changes={path: list(value) if isinstance(value, tuple) else value for path, value in experiment.changes.items()},
        add_events=tuple(event.model_dump(mode="json", by_alias=True, exclude_none=True) for event in experiment.add_events),
        cancel_events=tuple(experiment.cancel_events),
        provenance=cited,
    )


def extend(intervention: Intervention, changes: Mapping[str, Any] | None = None, add_events: Sequence[Mapping[str, Any]] = (),
           cancel_events: Sequence[str] = (), start: str | None = None, until: int | None = None, name: str | None = None) -> Intervention:
    """``intervention`` with more changes and events, and optionally another start, end or name."""
    return replace(
        intervention,
        changes={**intervention.changes, **(changes or {})},
        add_events=intervention.add_events + tuple(add_events),
        cancel_events=intervention.cancel_events + tuple(cancel_events),
        start=start if start is not None else intervention.start,
        until=until if until is not None else intervention.until,
        name=name if name is not None else intervention.name,
    )


def apply_intervention(scenario: Scenario, intervention: Intervention) -> tuple[Scenario, tuple[str, ...]]:
    """The changed scenario, validated like a file, and notes: what was relaxed (priors left behind), and warnings on
    what the intervention will not do in its runs (``warning: ...``, :func:`~coyuntura.scenario.checks.intervention_warnings`:
    a change the start snapshot overrides, a value the engine caps, an event outside the run)."""
    changes: dict[str, Any] = {"experiments": []}  # the changed scenario is for running, not for more experiments
    notes: list[str] = []
    known = {event.id for event in scenario.events}
    unknown = [identifier for identifier in intervention.cancel_events if identifier not in known]
    if unknown:
        raise KeyError(f"cannot cancel unknown event {unknown[0]!r}; events: {', '.join(sorted(known)) or 'none'}")
    if intervention.add_events or intervention.cancel_events:
        kept = [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in scenario.events if e.id not in intervention.cancel_events]
        changes["events"] = kept + [dict(event) for event in intervention.add_events]
    reasons = [reason for reason in map(unpaired_change, intervention.changes) if reason is not None]
    if reasons:  # refused before anything runs: the two arms would not be paired
        raise ValueError("; ".join(reasons))
    intervention = replace(intervention, changes=merged_changes(scenario, intervention.changes))  # --set over an experiment's set
    relaxed, notes = relax_priors(scenario, intervention.changes)
    changed = with_values(scenario, {**changes, **relaxed}, reason=intervention.name if intervention.name.startswith("what-if") else f"what-if {intervention.name}")
    added = [str(event.get("id")) for event in intervention.add_events]
    warnings = intervention_warnings(
        scenario, changed, intervention.start, intervention.until, intervention.changes, added, intervention.cancel_events
    )
    return changed, tuple(notes) + tuple(warning.note() for warning in warnings)


def check_same_draws(scenario: Scenario, changed: Scenario) -> None:
    """Refuse, saying which draws differ, an intervention whose runs would not read the baseline's random numbers."""
    before, after = compile_scenario(scenario).layout.names, compile_scenario(changed).layout.names
    if before == after:
        return
    added = [name for name in after if name not in before]
    removed = [name for name in before if name not in after]
    what = "; ".join(part for part in (
        f"it adds the draws {', '.join(repr(n) for n in added)}" if added else "",
        f"it removes the draws {', '.join(repr(n) for n in removed)}" if removed else "",
    ) if part) or "it reorders the draws"
    raise ValueError(
        f"the intervention changes the model's random draws ({what}), so its runs cannot be paired with the baseline's: "
        "an election, a mechanism or an actor can only be added or removed in the scenario itself, not by a what-if"
    )


# --- running ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfResult:
    """Paired per-run outcomes of a baseline and an intervention (same seed, same run indices)."""

    scenario_id: str
    intervention: Intervention
    seed: int
    n_runs: int
    start: int
    until: int
    outcomes: tuple[str, ...]
    baseline: np.ndarray  # (runs, outcomes) bool
    treated: np.ndarray  # (runs, outcomes) bool
    notes: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # the outcomes' labels in the scenario (outcome_labels; else the engine's)
    possible: tuple[str, ...] = ()  # the outcomes either arm can have (scenario_outcomes); () where not known: all

    def to_frame(self) -> Any:
        """One row per outcome: baseline and intervention probabilities, the paired difference, its SE and interval
        (a pandas DataFrame; :func:`whatif_table`)."""
        return whatif_table(self).to_frame()

    def to_dict(self) -> dict[str, Any]:
        """What was changed, over which months, on how many paired runs and which seed, and the table (JSON-ready): what
        ``coyuntura whatif --json`` prints and ``--out`` writes beside the table."""
        return {
            "scenario": self.scenario_id,
            "intervention": self.intervention.to_dict(),
            "seed": self.seed,
            "runs": self.n_runs,
            "start": format_month(self.start),
            "until": format_month(self.until),
            "table": to_dict(whatif_table(self)),
        }

    def plot(self, path: str | Path) -> Path:
        """Draw each outcome's paired difference with its 95% interval to ``path`` (PNG); return the path, as the other
        results' ``plot``."""
        return Path(whatif_chart(self, str(path)))

    def label(self, outcome: str) -> str:
        """The outcome's label: the scenario's (its plug-ins' own kinds of event, its names of the regime types), else the engine's."""
        return self.labels.get(outcome, OUTCOME_LABELS.get(outcome, outcome))

    @property
    def p_baseline(self) -> np.ndarray:
        return self.baseline.mean(axis=0)

    @property
    def p_treated(self) -> np.ndarray:
        return self.treated.mean(axis=0)

    @property
    def difference(self) -> np.ndarray:
        """Mean paired difference (intervention - baseline) per outcome."""
        return self.p_treated - self.p_baseline

    @property
    def difference_se(self) -> np.ndarray:
        """Standard error of the mean paired difference: sd of the per-run differences / sqrt(N)."""
        if self.n_runs < 2:
            return np.full(len(self.outcomes), math.nan)
        d = self.treated.astype(np.int8) - self.baseline.astype(np.int8)
        return d.std(axis=0, ddof=1) / math.sqrt(self.n_runs)

    @property
    def unpaired_se(self) -> np.ndarray:
        """What the standard error would be with independent streams (for comparison with the paired one)."""
        return np.sqrt(standard_error(self.p_baseline, self.n_runs) ** 2 + standard_error(self.p_treated, self.n_runs) ** 2)

    def interval(self, level_z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
        """The 95% interval of the paired difference (normal approximation)."""
        half = level_z * self.difference_se
        return self.difference - half, self.difference + half

    def summary(self) -> dict[str, Any]:
        """Per outcome: both probabilities, the paired difference, its SE and 95% interval."""
        low, high = self.interval()
        rows = {}
        for j, name in enumerate(self.outcomes):
            rows[name] = {
                "label": self.label(name),
                "baseline": float(self.p_baseline[j]),
                "intervention": float(self.p_treated[j]),
                "difference": float(self.difference[j]),
                "se": float(self.difference_se[j]),
                "low": float(low[j]),
                "high": float(high[j]),
            }
        return {"intervention": self.intervention.to_dict(), "outcomes": rows, "notes": list(self.notes)}


def _paired_chunk(
    baseline: Scenario, treated: Scenario, n_runs: int, first_run: int, options: dict
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], dict[str, str]]:
    """Simulate runs ``first_run ..`` of both scenarios on the same streams; their (runs, outcomes) indicators, with
    the outcomes' names and labels (the plug-ins' own kinds of event among them)."""
    matrices = []
    for scenario in (baseline, treated):
        ensemble = simulate(compile_scenario(scenario), n_runs, first_run=first_run, keep_events=True, **options)
        matrices.append(outcome_matrix(ensemble, first_run, own=True))
    return matrices[0], matrices[1], outcome_names(ensemble), outcome_labels(ensemble)


def run_whatif(
    scenario: Scenario,
    intervention: Intervention,
    n_runs: int,
    seed: int = 0,
    executor: Executor | Any = None,
    chunk_runs: int = DEFAULT_CHUNK_RUNS,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> WhatIfResult:
    """Baseline and intervention, run k paired with run k, in chunks of runs on ``executor`` (default: this process).

    ``progress`` is called with the runs done, ``cancel`` asked between chunks. The result does not depend
    on ``chunk_runs``, the executor or its number of workers.
    """
    if n_runs < 2:
        raise ValueError(f"a what-if needs at least 2 runs for its interval, got {n_runs}")
    changed, notes = apply_intervention(scenario, intervention)
    check_same_draws(scenario, changed)
    start = intervention.start
    start_month, until = scenario.span(start, intervention.until)
    options = {"seed": seed, "start": start, "until": until}
    executor = as_executor(executor)
    spans = chunks(n_runs, chunk_runs)
    baseline, treated = executor.share(scenario), executor.share(changed)
    tasks = [(baseline, treated, size, first, options) for first, size in spans]
    parts: dict[int, tuple[np.ndarray, np.ndarray, tuple[str, ...], dict[str, str]]] = {}
    done = 0
    for index, part in executor.as_completed(_paired_chunk, tasks, cancel):
        first, size = spans[index]
        parts[first] = part
        done += size
        if progress is not None:
            progress(done)
    ordered = [parts[first] for first in sorted(parts)]
    return WhatIfResult(
        scenario_id=scenario.id,
        intervention=replace(intervention, until=until),
        seed=seed,
        n_runs=n_runs,
        start=start_month,
        until=until,
        outcomes=ordered[0][2],
        baseline=np.concatenate([part[0] for part in ordered]),
        treated=np.concatenate([part[1] for part in ordered]),
        notes=notes,
        labels=ordered[0][3],
        possible=either_arm_can_have(ordered[0][2], scenario, changed),
    )


def either_arm_can_have(outcomes: Sequence[str], baseline: Scenario, changed: Scenario) -> tuple[str, ...]:
    """Those of ``outcomes`` that the baseline or the changed scenario can have (``scenario_outcomes``), in order: a
    what-if's table leaves out the rest, 0 in both arms by construction."""
    either = set(scenario_outcomes(baseline)) | set(scenario_outcomes(changed))
    return tuple(name for name in outcomes if name in either)


def whatif_chart(result: WhatIfResult, path: str) -> str:
    """The effect of the intervention on each outcome, in percentage points: the paired difference (intervention -
    baseline) with its 95% interval, beside the baseline's probability; PNG, written atomically. An interval clear of
    zero is drawn solid, one that crosses it hollow, so the effects the runs can tell from noise stand out."""
    Figure = require("charts", "matplotlib.figure").Figure
    from .files import save_figure

    table = whatif_table(result)
    rows = [dict(zip((c.key for c in table.columns), row)) for row in table.rows][::-1]
    figure = Figure(figsize=(8.5, 1.2 + 0.34 * max(len(rows), 6)), dpi=120)
    ax = figure.add_subplot()
    y = np.arange(len(rows))
    for position, row in zip(y, rows):
        difference, low, high = (100.0 * row[key] for key in ("difference", "low", "high"))
        clear = low > 0 or high < 0
        color = "#b5472b" if difference > 0 else "#2b6cb5" if difference < 0 else "#8a8a8a"
        ax.plot([low, high], [position, position], color=color, lw=1.6)
        ax.plot([difference], [position], "o", color=color, markerfacecolor=color if clear else "white", markersize=6)
    ax.set_yticks(y, [f"{row['label']}  ({100 * row['p baseline']:.1f}%)" for row in rows], fontsize=7)
    ax.set_ylabel("outcome (its probability in the baseline)", fontsize=8)
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_xlabel("intervention - baseline, percentage points, with the 95% interval", fontsize=8)
    left, right = ax.get_xlim()
    ax.set_xlim(min(left, -1.0), max(right, 1.0))  # an axis of hundredths of a point would make noise look like an effect
    ax.tick_params(axis="x", labelsize=7)
    name = textwrap.shorten(result.intervention.name, width=80, placeholder="...")
    figure.suptitle(
        f"What-if {name}, {format_month(result.start)}..{format_month(result.until)}\n"
        f"{result.n_runs:,} paired runs on common random numbers (seed {result.seed}); hollow: the interval crosses 0",
        fontsize=9,
    )
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 0.97 - 0.1 / max(len(rows), 6)))
    return save_figure(figure, path)


def whatif_table(result: WhatIfResult) -> Table:
    """One row per outcome: baseline and intervention probability (± SE), paired difference (± SE) and its 95% interval."""
    n = result.n_runs
    low, high = result.interval()
    columns = (
        Column("outcome", "Outcome key", "key"),
        Column("label", "Outcome", "label"),
        Column("p baseline", "Baseline", "probability", "baseline"),
        Column("se baseline", "SE baseline", "se", "baseline"),
        Column("p intervention", "Intervention", "probability", "intervention"),
        Column("se intervention", "SE intervention", "se", "intervention"),
        Column("difference", "Difference", "probability", "difference"),
        Column("se difference", "SE difference", "se", "difference"),
        Column("low", "95% low", "probability"),
        Column("high", "95% high", "probability"),
    )
    rows = []
    left_out = [name for name in result.outcomes if result.possible and name not in result.possible]
    p_baseline, p_treated, difference, difference_se = result.p_baseline, result.p_treated, result.difference, result.difference_se
    for j, name in enumerate(result.outcomes):
        if name in left_out:
            continue  # neither arm has a mechanism or event that records it: 0 in both, by construction
        pb, pt = float(p_baseline[j]), float(p_treated[j])
        rows.append((
            name, result.label(name), pb, standard_error(pb, n), pt, standard_error(pt, n),
            float(difference[j]), float(difference_se[j]), float(low[j]), float(high[j]),
        ))
    span = f"{format_month(result.start)}..{format_month(result.until)}"
    notes = (
        f"Outcomes: at least one occurrence in {span}, or the regime at the end of {format_month(result.until)}.",
        f"Common random numbers: run k of the intervention uses run k's random stream of the baseline (seed {result.seed}); "
        f"the difference is the mean of {n:,} paired per-run differences, its 95% interval mean ± 1.96 SE (normal approximation).",
        *result.notes,
        *([f"Left out, as no mechanism or scheduled event of either arm records them: {', '.join(result.label(n) for n in left_out)}."] if left_out else []),
    )
    return Table(
        title=f"What-if {result.intervention.name}, {span} ({n:,} paired runs, seed {result.seed})",
        columns=columns,
        rows=tuple(rows),
        notes=notes,
    )



def record_whatif(store: Any, scenario: Scenario, result: WhatIfResult, wall_time: float) -> str:
    """Record a what-if in the run store: its summary, and the paired per-run outcomes as Parquet."""
    columns: dict[str, np.ndarray] = {"run": np.arange(result.n_runs, dtype=np.int64)}
    for j, name in enumerate(result.outcomes):
        columns[f"baseline.{name}"] = result.baseline[:, j]
        columns[f"intervention.{name}"] = result.treated[:, j]
    return store.record(
        "whatif", wall_time, result.summary(), {"paired_outcomes": columns}, scenario=scenario,
        parameters=result.intervention.to_dict(), seed=result.seed, n_runs=result.n_runs,
        start=format_month(result.start), until=format_month(result.until), name=result.intervention.name,
    )
