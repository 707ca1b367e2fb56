"""What an experiment measures: each outcome of a scenario over the whole run, plus the regime at the end.

An outcome name is either an event outcome key (``coup_success``, ``popular_assembly``, ...:
at least one occurrence between the start and ``until``), a plug-in mechanism's own kind of
event (``NEW_EVENTS``, e.g. ``land_seizure``: at least one such event), or ``end_<regime>``
(the regime type in power at the end of ``until``, e.g. ``end_right_military``). Which of them
a scenario has depends on its mechanisms, so every function here takes the scenario, its
compiled model or an ensemble of it (an :data:`OutcomeSource`). Counts come from an
:class:`~coyuntura.engine.simulate.Ensemble`'s integer summaries, so they do not depend on
batch size or worker count; per-run indicators come from its event log and final regimes.
"""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from ..engine.model import Model, new_event_kinds
from ..engine.outcomes import OUTCOME_KEYS, OUTCOMES, OutcomeDefinition, new_outcome, possible_outcomes, runs_with_outcome
from ..engine.simulate import Ensemble
from ..engine.state import REGIME_KEYS
from ..engine.tables import REGIME_LABELS
from ..scenario import vocabulary
from ..scenario.checks import recorded_event_kinds
from ..scenario.schema import Scenario

END_PREFIX = "end_"
END_LABEL = "At the end: {}"
"""The label of an ``end_<regime>`` outcome, from the regime type's name in the scenario."""

END_NAMES: tuple[str, ...] = tuple(END_PREFIX + regime for regime in REGIME_KEYS)
"""The outcomes of the regime at the end, one per regime type."""

OUTCOME_NAMES: tuple[str, ...] = OUTCOME_KEYS + END_NAMES
"""The engine's outcomes in table order (kept for backward compatibility): a scenario's own are :func:`outcome_names`."""

OUTCOME_LABELS: dict[str, str] = {
    **{definition.key: definition.label for definition in OUTCOMES},
    **{name: END_LABEL.format(REGIME_LABELS[regime]) for name, regime in zip(END_NAMES, REGIME_KEYS)},
}
"""Labels of :data:`OUTCOME_NAMES`, the regime types under the engine's names: a scenario's own are :func:`outcome_labels`."""

OutcomeSource = Union[Ensemble, Model, Scenario]
"""What knows a scenario's outcomes: the scenario, its compiled model, or an ensemble simulated from it."""


def _scenario_id(source: OutcomeSource) -> str:
    if isinstance(source, Ensemble):
        return source.scenario_id
    return source.scenario.id if isinstance(source, Model) else source.id


def _own_outcomes(source: OutcomeSource) -> tuple[OutcomeDefinition, ...]:
    """The outcomes of the scenario's plug-ins' own kinds of event (switched on or not), in log-code order."""
    if isinstance(source, Ensemble):
        return source.own_outcomes
    kinds = source.new_events if isinstance(source, Model) else new_event_kinds(source.mechanism_schedule())
    return tuple(new_outcome(kind, label, code) for kind, (code, label) in kinds.items())


def _recorded_kinds(source: OutcomeSource) -> tuple[str, ...] | set[str] | None:
    """The kinds of event the scenario's enabled mechanisms and scheduled events can record (None: not known)."""
    if isinstance(source, (Ensemble, Model)):
        return source.event_kinds
    return recorded_event_kinds(source)


def _regime_labels(source: OutcomeSource) -> tuple[str, ...]:
    """The scenario's names of the regime types, in ``REGIME_KEYS`` order."""
    if isinstance(source, Ensemble):
        return source.regime_labels
    return (source.scenario if isinstance(source, Model) else source).regime_labels()


def outcome_names(source: OutcomeSource) -> tuple[str, ...]:
    """The columns of this scenario's outcome counts, in :func:`outcome_matrix` order: every engine outcome, its plug-ins'
    own kinds of event, then the regime at the end. The same for every parameter value and both arms of a what-if, so
    results line up; :func:`scenario_outcomes` are those that can happen."""
    return tuple(definition.key for definition in OUTCOMES + _own_outcomes(source)) + END_NAMES


def scenario_outcomes(source: OutcomeSource) -> tuple[str, ...]:
    """The outcomes this scenario can have, in :func:`outcome_names` order: the engine's that its mechanisms and scheduled
    events can produce, its switched-on plug-ins' own kinds of event, and the regime at the end."""
    return possible_outcomes(_recorded_kinds(source), _own_outcomes(source)) + END_NAMES


def outcome_labels(source: OutcomeSource) -> dict[str, str]:
    """Labels of :func:`outcome_names`: the plug-ins' own among them, and the regime at the end under the scenario's names."""
    labels = {definition.key: definition.label for definition in OUTCOMES + _own_outcomes(source)}
    return {**labels, **{name: END_LABEL.format(label) for name, label in zip(END_NAMES, _regime_labels(source))}}


def unknown_outcome(name: str, known: Sequence[str], whose: str) -> KeyError:
    """The error for an outcome not among ``known``: the close matches, then all of them (``whose`` says whose they are)."""
    return KeyError(vocabulary.unknown_outcome(name, known, whose))


def check_outcome(name: str, source: OutcomeSource) -> str:
    """``name`` if the scenario can have that outcome (:func:`scenario_outcomes`), else a clear error naming them."""
    known = scenario_outcomes(source)
    if name in known:
        return name
    whose = f"the outcomes of scenario {_scenario_id(source)!r}"
    if name in outcome_names(source):
        raise KeyError(f"outcome {name!r} cannot happen in scenario {_scenario_id(source)!r}, as none of its mechanisms or scheduled "
                       f"events records it; {whose}: {', '.join(known)}")
    raise unknown_outcome(name, known, whose)


def outcome_counts(ensemble: Ensemble) -> dict[str, int]:
    """Number of runs with each outcome (whole run, the plug-ins' own kinds of event included; regime at the end)."""
    counts = {key: int(count) for key, count in zip(ensemble.outcome_keys, ensemble.outcome_counts_total)}
    final = ensemble.regime_counts[-1]
    counts.update({name: int(final[r]) for r, name in enumerate(END_NAMES)})
    return counts


def outcome_matrix(ensemble: Ensemble, first_run: int = 0, own: bool = False) -> np.ndarray:
    """Boolean (runs, outcomes) in :data:`OUTCOME_NAMES` order, or with ``own`` in :func:`outcome_names` order (the
    plug-ins' own kinds of event too); needs ``simulate(..., keep_events=True)``."""
    if ensemble.events is None or ensemble.final_regime is None:
        raise ValueError("per-run outcomes need the event log: simulate with keep_events=True")
    definitions: tuple[str | OutcomeDefinition, ...] = (*OUTCOME_KEYS, *(ensemble.own_outcomes if own else ()))
    if ensemble.final_standing is None:
        raise ValueError("per-run outcomes need the standing readings of simulate (an ensemble merged from parts without them lacks them)")
    standing = ensemble.final_standing  # a standing outcome (the Left's front) also holds where it stands at the end
    columns = []
    for definition in definitions:
        happened = runs_with_outcome(ensemble.events, definition, ensemble.n_runs, first_run)
        key = definition if isinstance(definition, str) else definition.key
        columns.append(happened | standing[key] if key in standing else happened)
    columns += [ensemble.final_regime == r for r in range(len(REGIME_KEYS))]
    return np.stack(columns, axis=1)
