"""Changes of government: who rules next, with whom, and where they start."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .events import EventType, Outcome
from .state import RegimeType, State

if TYPE_CHECKING:
    from .mechanisms.base import Month

NEW_GOVERNMENT_OUTCOME: dict[RegimeType, Outcome] = {
    RegimeType.CIVILIAN_NATIONALIST: Outcome.TO_CIVILIAN_NATIONALIST,
    RegimeType.RIGHT_MILITARY: Outcome.TO_RIGHT,
    RegimeType.NATIONALIST_MILITARY: Outcome.TO_NATIONALIST,
    RegimeType.WORKERS_GOVERNMENT: Outcome.TO_WORKERS,
    RegimeType.CIVILIAN_ELECTED: Outcome.TO_CIVILIAN_ELECTED,
}
"""The outcome a ``government_change`` event is logged with: the type of the new government."""

REGIMES = "regimes"
"""Where a model's parameters keep the scenario's ``regimes`` block: ``policy_<type>`` (a number, or one per run) and
``coalition_<type>`` (actor indices) for each regime type."""


def install(
    state: State,
    where: np.ndarray,
    regime: RegimeType,
    month: "Month",
    mechanism: int,
    policy: np.ndarray | float | None = None,
) -> None:
    """Install a government of type ``regime`` in the runs ``where`` and log the change.

    Each type starts from its own anchor policy (the scenario's ``regimes.<type>.policy``)
    unless the winners bring theirs (``policy``); a nationalist government opens a
    new balancing round whose progressive room is what its policy claims (M1: the
    room only shrinks from there); a right military government dissolves any Popular
    Assembly. The governing coalition becomes the one the scenario declares for that
    type (``regimes.<type>.coalition``), the clock of months in power restarts, and the
    army faction loyal to the president (where the scenario has one) follows the new incumbent.
    """
    if not np.any(where):
        return
    declared = month.params(REGIMES)
    if policy is None:
        policy = getattr(declared, f"policy_{regime.key}")
    state.regime[where] = int(regime)
    state.policy[:] = np.where(where, policy, state.policy)
    state.months_in_power[where] = 0
    if regime in (RegimeType.NATIONALIST_MILITARY, RegimeType.CIVILIAN_NATIONALIST, RegimeType.CIVILIAN_ELECTED):
        state.progressive_room[:] = np.where(where, np.maximum(state.policy, 0.0), state.progressive_room)
    if regime == RegimeType.RIGHT_MILITARY:
        state.assembly[where] = False
    members = getattr(declared, f"coalition_{regime.key}")
    state.coalition[:, where] = False
    for actor in members:
        state.coalition[actor, where] = True
    if month.active("military_institution"):
        loyal = month.params("military_institution").loyal_faction
        state.support[loyal] = np.where(where, 1.0, state.support[loyal])
    month.log.record(month.index, where, EventType.GOVERNMENT_CHANGE, mechanism, 0, int(NEW_GOVERNMENT_OUTCOME[regime]))
