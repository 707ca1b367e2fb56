"""What an experiment measures: each outcome of ``engine.outcomes`` over the whole run, plus the regime at the end.

An outcome name is either an event outcome key (``coup_success``, ``popular_assembly``, ...:
at least one occurrence between the start and ``until``) or ``end_<regime>`` (the
regime type in power at the end of ``until``, e.g. ``end_right_military``). Counts
come from an :class:`~coyuntura.engine.simulate.Ensemble`'s integer summaries, so
they do not depend on batch size or worker count; per-run indicators come from its
event log and final regimes.
"""

from __future__ import annotations

import numpy as np

from ..engine.outcomes import OUTCOME_KEYS, OUTCOMES, OutcomeDefinition, runs_with_outcome
from ..engine.simulate import Ensemble
from ..engine.state import REGIME_KEYS
from ..engine.tables import REGIME_LABELS

END_PREFIX = "end_"

OUTCOME_NAMES: tuple[str, ...] = OUTCOME_KEYS + tuple(END_PREFIX + regime for regime in REGIME_KEYS)
"""Every outcome an experiment reports, in table order."""

OUTCOME_LABELS: dict[str, str] = {
    **{definition.key: definition.label for definition in OUTCOMES},
    **{END_PREFIX + regime: f"At the end: {REGIME_LABELS.get(regime, regime)}" for regime in REGIME_KEYS},
}


def check_outcome(name: str) -> str:
    """``name`` if it is a known outcome, else a clear error listing them."""
    if name not in OUTCOME_NAMES:
        import difflib

        close = difflib.get_close_matches(name, OUTCOME_NAMES, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"unknown outcome {name!r}{hint}; outcomes: {', '.join(OUTCOME_NAMES)}")
    return name


def outcome_names(ensemble: Ensemble) -> tuple[str, ...]:
    """The outcomes of this ensemble's scenario, in :func:`outcome_matrix` order: the engine's, its plug-ins' own kinds
    of event, then the regime at the end."""
    return ensemble.outcome_keys + tuple(END_PREFIX + regime for regime in REGIME_KEYS)


def outcome_labels(ensemble: Ensemble) -> dict[str, str]:
    """Labels of :func:`outcome_names`, the plug-ins' own among them."""
    return {**OUTCOME_LABELS, **dict(zip(ensemble.outcome_keys, ensemble.outcome_labels))}


def outcome_counts(ensemble: Ensemble) -> dict[str, int]:
    """Number of runs with each outcome (whole run, the plug-ins' own kinds of event included; regime at the end)."""
    counts = {key: int(count) for key, count in zip(ensemble.outcome_keys, ensemble.outcome_counts_total)}
    final = ensemble.regime_counts[-1]
    counts.update({END_PREFIX + regime: int(final[r]) for r, regime in enumerate(REGIME_KEYS)})
    return counts


def outcome_matrix(ensemble: Ensemble, first_run: int = 0, own: bool = False) -> np.ndarray:
    """Boolean (runs, outcomes) in :data:`OUTCOME_NAMES` order, or with ``own`` in :func:`outcome_names` order (the
    plug-ins' own kinds of event too); needs ``simulate(..., keep_events=True)``."""
    if ensemble.events is None or ensemble.final_regime is None:
        raise ValueError("per-run outcomes need the event log: simulate with keep_events=True")
    definitions: tuple[str | OutcomeDefinition, ...] = (*OUTCOME_KEYS, *(ensemble.own_outcomes if own else ()))
    columns = [runs_with_outcome(ensemble.events, definition, ensemble.n_runs, first_run) for definition in definitions]
    columns += [ensemble.final_regime == r for r in range(len(REGIME_KEYS))]
    return np.stack(columns, axis=1)
